"""Returned values in the one form they are compared in: each value of a tuple or a dict
paired with the expected one (:func:`align`), and whether they pass (:func:`close`)."""

from __future__ import annotations

from collections.abc import Iterable, Sequence

import numpy as np

from grader.limits import REPLIES


def describe(value: object) -> str:
    if value is None:
        return "None (did you forget `return`?)"
    if isinstance(value, tuple):
        return f"a tuple of {len(value)}"
    if isinstance(value, dict):
        return f"a dict with keys {named_keys(value)}"
    if isinstance(value, str):
        return "a str"
    if isinstance(value, np.ndarray):
        return "an array"
    return type(value).__name__


def named_keys(keys: Iterable[object]) -> str:
    """At most :data:`REPLIES`' ``named_keys`` of ``keys``, each cut to ``key_chars``: a
    message about a reply stays short whatever the reply holds."""
    names = [str(key) for key in keys]
    most, chars = REPLIES.named_keys, REPLIES.key_chars
    shown = ", ".join(name if len(name) <= chars else name[:chars] + "..." for name in names[:most])
    more = f" and {len(names) - most} more" if len(names) > most else ""
    return (shown + more) or "(none)"


def _wanted(expected: object, names: Sequence[str]) -> str:
    if isinstance(expected, dict):
        return f"a dict with keys {', '.join(expected)}"
    if isinstance(expected, tuple):
        named = f" ({', '.join(names)})" if names else ""
        return f"a tuple of {len(expected)} arrays{named}"
    return "a str" if isinstance(expected, str) else "an array"


Single = np.ndarray | str  # one value as compared: numbers, or a str compared exactly


def align(
    got: object, expected: object, names: Sequence[str] = ()
) -> tuple[list[tuple[str, Single | None, Single]], str | None]:
    """Pairs ``(name, returned, expected)`` of each value to compare, or why there are none.

    ``returned`` is None for a key a dict lacks."""
    problem = f"returned {describe(got)}, expected {_wanted(expected, names)}"
    if isinstance(expected, dict):
        if not isinstance(got, dict):
            return [], problem
        return [(key, got.get(key), e) for key, e in expected.items()], None
    if isinstance(expected, tuple):
        if not isinstance(got, tuple) or len(got) != len(expected):
            return [], problem
        labels = (
            list(names)
            if len(names) == len(expected)
            else [f"value {i + 1}" for i in range(len(expected))]
        )
        return list(zip(labels, got, expected, strict=True)), None
    if isinstance(expected, str):
        return ([("", got, expected)], None) if isinstance(got, str) else ([], problem)
    if not isinstance(got, np.ndarray):
        return [], problem
    return [("", got, np.asarray(expected))], None


def kind_problem(got: Single | None, expected: Single) -> str | None:
    """Why ``got`` cannot be compared with ``expected`` as the same kind (a str with an array,
    or a string that differs); None when both are arrays or the same string."""
    if isinstance(expected, str) or isinstance(got, str):
        if got == expected:
            return None
        if isinstance(got, str) and isinstance(expected, str):
            return f"returned {shown(got)}, expected {shown(expected)}"
        return f"returned {describe(got)}, expected {describe(expected)}"
    return None


def shown(text: str) -> str:
    """A string as the student wrote it (quoted), cut to :data:`REPLIES`' ``key_chars``."""
    most = REPLIES.key_chars
    return repr(text if len(text) <= most else text[:most] + "...")


def close(got: object, expected: object, atol: float, rtol: float) -> bool:
    """Whether ``got`` passes as ``expected`` in every value."""
    pairs, problem = align(got, expected)
    return problem is None and all(_same(g, e, atol, rtol) for _, g, e in pairs)


def _same(got: Single | None, expected: Single, atol: float, rtol: float) -> bool:
    if isinstance(expected, str) or isinstance(got, str):
        return got == expected
    return (
        isinstance(got, np.ndarray)
        and got.shape == expected.shape
        and within(got, expected, atol, rtol)
    )


def within(got: np.ndarray, expected: np.ndarray, atol: float, rtol: float) -> bool:
    with np.errstate(all="ignore"):
        return bool(np.all(np.abs(got - expected) <= atol + rtol * np.abs(expected)))
