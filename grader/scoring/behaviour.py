"""Mistakes recognised by what a function does, for any assignment, when no known mistake of
the assignment reproduces the answer.

Numpy only: the released notebook's self-check carries this module's text, so the notebook and
the grader name the same behaviour. The codes' texts are in :mod:`grader.scoring.shapes`
(``{function}``, ``{which}``, ``{low}``, ``{high}``, ``{parts}``, ``{verb}`` are filled in).
"""

import numpy as np

from grader.scoring.shapes import hint_text, joined  # grader-only


def fill(text, function="", which="", low="", high="", parts="", verb=""):
    """A hint text with its placeholders filled in."""
    values = dict(function=function, which=which, low=low, high=high, parts=parts, verb=verb)
    for key, value in values.items():
        text = text.replace(
            "{" + key + "}", f"{value:g}" if isinstance(value, float) else str(value)
        )
    return text


def part_first(wording, function, parts):
    """The words for a composite that fails where its parts fail on their own: fix those
    first. The grader says them whether or not its proof shows the parts are the only cause,
    so the self-check, which proves nothing, says the very same words."""
    listed, verb, _ = joined(parts)
    return fill(hint_text(wording, "part-first", function), function, parts=listed, verb=verb)


def _close(got, expected, atol, rtol):
    with np.errstate(all="ignore"):
        return got.shape == expected.shape and bool(
            np.all(np.abs(got - expected) <= atol + rtol * np.abs(expected))
        )


def value_code(got, expected, value_range, atol, rtol):
    """The behaviour a wrong returned array shows against the expected one, or None.

    ``value_range`` is (low, high) where every correct value lies, or None."""
    got = np.asarray(got, dtype=np.float64)
    expected = np.asarray(expected, dtype=np.float64)
    if not np.all(np.isfinite(got)) or _close(got, expected, atol, rtol):
        return None
    if got.size == expected.size and got.size > 1:
        if _close(np.sort(got, axis=None), np.sort(expected, axis=None), atol, rtol):
            return "permuted"
    if got.shape != expected.shape:
        return None
    if np.any(expected < -10 * atol) and _close(got, np.maximum(expected, 0.0), atol, rtol):
        return "relu-cut"
    if got.ndim >= 3 and got.shape[0] > 1 and np.all(got == got[-1]):
        if not np.allclose(expected, expected[-1]):  # every step is one array, kept updating
            return "aliased"
    if value_range is not None:
        low, high = value_range
        if np.any((got < low) | (got > high)):
            return "out-of-range"
        edges = (got == low) | (got == high)
        if np.any(edges) and not np.any((expected == low) | (expected == high)):
            return "clipped"
    return None
