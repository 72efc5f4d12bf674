"""A value read from the wire, as a reader expects it: each function returns the value with
its type, or raises :class:`.wire.WireError` saying what it is instead (``what`` names it in
the reason). Standard library only, looked up at import (see :mod:`.protocol`)."""

from __future__ import annotations

from typing import TYPE_CHECKING, TypeVar

from .wire import Array, Value, WireError

if not TYPE_CHECKING:  # looked up once, at import (type checkers read the builtins themselves)
    len, type, str, int, tuple, list, dict = len, type, str, int, tuple, list, dict  # noqa: A001
    bool, bytes, isinstance = bool, bytes, isinstance  # noqa: A001

T = TypeVar("T")


def described(value: Value) -> str:
    """What ``value`` is, for a reason: its type, and its length if it has one."""
    if type(value) is tuple or type(value) is list or type(value) is dict:
        return f"a {type(value).__name__} of {len(value)}"
    return "nothing" if value is None else f"a {type(value).__name__}"


def _exactly(value: Value, kind: type[T], what: str, noun: str) -> T:
    """``value``, of exactly the type ``kind`` (the wire makes no subclass of any)."""
    if type(value) is kind and isinstance(value, kind):
        return value
    raise WireError(f"{what} is {described(value)}, not {noun}")


def fields(value: Value, count: int, what: str) -> tuple[Value, ...]:
    """A tuple of ``count`` items."""
    if type(value) is not tuple or len(value) != count:
        raise WireError(f"{what} is {described(value)}, not a tuple of {count}")
    return value


def text(value: Value, what: str) -> str:
    return _exactly(value, str, what, "text")


def optional_text(value: Value, what: str) -> str | None:
    return None if value is None else text(value, what)


def data(value: Value, what: str) -> bytes:
    return _exactly(value, bytes, what, "bytes")


def an_integer(value: Value, what: str) -> int:
    return _exactly(value, int, what, "an integer")


def a_flag(value: Value, what: str) -> bool:
    """A bool, which crosses as an int."""
    if type(value) is bool:
        return value
    return bool(an_integer(value, what))


def a_list(value: Value, what: str) -> list[Value]:
    return _exactly(value, list, what, "a list")


def a_tuple(value: Value, what: str) -> tuple[Value, ...]:
    return _exactly(value, tuple, what, "a tuple")


def a_dict(value: Value, what: str) -> dict[str, Value]:
    return _exactly(value, dict, what, "a dict")


def an_array(value: Value) -> Array:
    return _exactly(value, Array, "an array", "an array")
