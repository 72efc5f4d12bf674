"""A value read from the wire, as a reader expects it: each function returns the value with
its type, or raises :class:`.wire.WireError` saying what it is instead (``what`` names it in
the reason). Standard library only, looked up at import (see :mod:`.protocol`)."""

from __future__ import annotations

from typing import TYPE_CHECKING

from .wire import Array, Value, WireError

if not TYPE_CHECKING:  # looked up once, at import (type checkers read the builtins themselves)
    len, type, str, int, tuple, list, dict = len, type, str, int, tuple, list, dict  # noqa: A001
    bool, bytes = bool, bytes  # noqa: A001


def described(value: Value) -> str:
    """What ``value`` is, for a reason: its type, and its length if it has one."""
    if type(value) is tuple or type(value) is list or type(value) is dict:
        return f"a {type(value).__name__} of {len(value)}"
    return "nothing" if value is None else f"a {type(value).__name__}"


def fields(value: Value, count: int, what: str) -> tuple[Value, ...]:
    if type(value) is not tuple or len(value) != count:
        raise WireError(f"{what} is {described(value)}, not a tuple of {count}")
    return value


def text(value: Value, what: str) -> str:
    if type(value) is not str:
        raise WireError(f"{what} is {described(value)}, not text")
    return value


def optional_text(value: Value, what: str) -> str | None:
    return None if value is None else text(value, what)


def data(value: Value, what: str) -> bytes:
    if type(value) is not bytes:
        raise WireError(f"{what} is {described(value)}, not bytes")
    return value


def an_integer(value: Value, what: str) -> int:
    if type(value) is not int:
        raise WireError(f"{what} is {described(value)}, not an integer")
    return value


def a_flag(value: Value, what: str) -> bool:
    """A bool, which crosses as an int."""
    if type(value) is bool:
        return value
    return bool(an_integer(value, what))


def a_list(value: Value, what: str) -> list[Value]:
    if type(value) is not list:
        raise WireError(f"{what}: {described(value)}, not a list")
    return value


def a_tuple(value: Value, what: str) -> tuple[Value, ...]:
    if type(value) is not tuple:
        raise WireError(f"{what}: {described(value)}, not a tuple")
    return value


def a_dict(value: Value, what: str) -> dict[str, Value]:
    if type(value) is not dict:
        raise WireError(f"{what}: {described(value)}, not a dict")
    return value


def an_array(value: Value) -> Array:
    if type(value) is not Array:
        raise WireError(f"an array is {described(value)}")
    return value
