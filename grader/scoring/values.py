"""The values scoring works on: a case with its expected value, and returned values in the one
form they are compared in."""

from __future__ import annotations

from dataclasses import dataclass

import numpy as np


def copy_args(args: tuple) -> tuple:
    """A deep enough copy of a case's arguments that a call cannot change the case."""
    return tuple(
        {k: np.array(v, copy=True) for k, v in a.items()}
        if isinstance(a, dict)
        else np.array(a, copy=True)
        if isinstance(a, np.ndarray)
        else a
        for a in args
    )


def _is_array(value: object) -> bool:
    return isinstance(value, np.ndarray) or type(value).__module__.partition(".")[0] == "torch"


def _one(value: object) -> np.ndarray | str:
    """One value: a str stays a str (compared exactly), anything else a float64 array."""
    return value if isinstance(value, str) else np.asarray(value, dtype=np.float64)


def as_value(value: object) -> object:
    """A returned value in the form scoring compares: a float64 array or a str, a tuple of
    them, or a dict of str -> either. Read as the sandbox reads a student's (its probe's
    ``_encode_result``), so a solution and a student returning the same value compare as the
    same kind: a tuple is several values, and so is a list of arrays (``[h, c]``) or of
    strings; a list of numbers (nbgrader's ``squares(n)`` returns ``[1, 4, 9]``) is one
    array; a str (nbgrader's ``greeting(name)``) is a str."""
    if isinstance(value, dict):
        return {str(k): _one(v) for k, v in value.items()}
    several = isinstance(value, tuple) or (
        isinstance(value, list)
        and bool(value)
        and (all(_is_array(item) for item in value) or all(isinstance(item, str) for item in value))
    )
    if several:
        assert isinstance(value, tuple | list)
        return tuple(_one(v) for v in value)
    return _one(value)


@dataclass(frozen=True)
class HiddenCase:
    """A case of one graded function with the value the reference returns on it."""

    function: str
    label: str
    args: tuple
    expected: object
