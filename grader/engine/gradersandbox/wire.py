"""The one format spoken across the sandbox's wall: frames of typed values, bounded.

Both sides use this module (the sandbox imports it from a read-only copy, standard library
only); what the frames of each pipe mean is :mod:`.protocol`'s. A frame is ``b"GW"``, a kind
byte, a pad byte, a 4-byte length, then that many bytes of one value. A value is a type byte
and its payload:

    N none   i int64   f float64   s str (uint32 length, UTF-8)   b bytes (uint32 length)
    a array  (element code, ndim, ndim uint64 dimensions, then the elements, little-endian)
    t tuple / l list (uint32 count, items)   d dict (uint32 count, str key and value pairs)

The reader checks every declared size against the bytes that are really left before it
allocates anything, nests at most :data:`MAX_DEPTH` deep, reads at most :data:`MAX_ITEMS`
items of tuples, lists and dicts in a frame (a frame of a million one-byte items would cost
tens of times its length in objects), and never evaluates anything: a frame costs time and
memory linear in its length, which the caller bounds. Anything malformed raises
:class:`WireError`, and nothing else.
"""

from __future__ import annotations

import os
import struct
from typing import TYPE_CHECKING, NamedTuple, TypeAlias

from .limits import WIRE_MAX_DEPTH as MAX_DEPTH
from .limits import WIRE_MAX_DIMENSIONS as MAX_DIMENSIONS
from .limits import WIRE_MAX_ITEMS as MAX_ITEMS

MAGIC = b"GW"
HEADER = struct.Struct("<2sBxI")
# Elements an array may have: bool, signed and unsigned integers, and real floats.
ELEMENTS = {"?": 1, "b": 1, "B": 1, "h": 2, "H": 2, "i": 4, "I": 4, "q": 8, "Q": 8}
ELEMENTS.update({"e": 2, "f": 4, "d": 8})
_U32 = struct.Struct("<I")
_I64 = struct.Struct("<q")
_F64 = struct.Struct("<d")
_U64 = struct.Struct("<Q")
# Looked up once, at import, before any student code runs in the sandbox: a notebook that
# replaces os.write, struct.pack or a builtin does not change how its replies are written.
# (Type checkers read the builtins themselves.)
_write, _read, _Struct = os.write, os.read, struct.Struct
if not TYPE_CHECKING:
    len, type, str, bytes, chr, ord, max, min = len, type, str, bytes, chr, ord, max, min  # noqa: A001
    tuple, list, dict, memoryview, range, int = tuple, list, dict, memoryview, range, int  # noqa: A001
    bool, float, bytearray = bool, float, bytearray  # noqa: A001


class WireError(ValueError):
    """A frame or value that does not follow the format; the message says where."""


class Array(NamedTuple):
    """An array as it crosses the wall: element code, shape and little-endian bytes."""

    element: str
    shape: tuple[int, ...]
    data: bytes


# What a frame's value may be (bool crosses as int).
Value: TypeAlias = (
    None
    | int
    | float
    | str
    | bytes
    | Array
    | tuple["Value", ...]
    | list["Value"]
    | dict[str, "Value"]
)


class Frame(NamedTuple):
    """One frame as read: its kind letter (see :mod:`.protocol`) and its value."""

    kind: str
    value: Value


# --- writing ------------------------------------------------------------------------------


def encode(value: object) -> bytes:
    """One value as bytes (None, bool as int, int, float, str, bytes, Array, tuple, list, dict
    with str keys)."""
    out: list[bytes] = []
    _put(value, out, 0)
    return b"".join(out)


def _put(value: object, out: list[bytes], depth: int) -> None:
    if depth > MAX_DEPTH:
        raise WireError("nested too deep")
    kind = type(value)
    if value is None:
        out.append(b"N")
    elif type(value) is int or type(value) is bool:
        out.append(b"i" + _I64.pack(int(value)))
    elif type(value) is float:
        out.append(b"f" + _F64.pack(value))
    elif type(value) is str:
        data = value.encode("utf-8", "replace")
        out.append(b"s" + _U32.pack(len(data)) + data)
    elif type(value) is bytes:
        out.append(b"b" + _U32.pack(len(value)) + value)
    elif type(value) is Array:
        if value.element not in ELEMENTS or len(value.shape) > MAX_DIMENSIONS:
            raise WireError(f"not an array the wire carries: {value.element!r}")
        head = b"a" + value.element.encode() + bytes([len(value.shape)])
        out.append(head + b"".join(_U64.pack(n) for n in value.shape) + value.data)
    elif type(value) is tuple or type(value) is list:
        out.append((b"t" if kind is tuple else b"l") + _U32.pack(len(value)))
        for item in value:
            _put(item, out, depth + 1)
    elif type(value) is dict:
        out.append(b"d" + _U32.pack(len(value)))
        for key, item in value.items():
            _put(str(key), out, depth + 1)
            _put(item, out, depth + 1)
    else:
        raise WireError(f"{kind.__name__} does not cross the wire")


def frame(kind: int, value: object) -> bytes:
    """A whole frame: header (``kind``: the kind letter's code) and value."""
    body = encode(value)
    return HEADER.pack(MAGIC, kind, len(body)) + body


def write_all(fd: int, data: bytes) -> None:
    """Write ``data`` to ``fd`` (blocking)."""
    view = memoryview(data)
    while view:
        view = view[_write(fd, view) :]


# --- reading ------------------------------------------------------------------------------


def decode(data: bytes | memoryview) -> Value:
    """The value ``data`` holds; raises :class:`WireError` for anything malformed."""
    view = memoryview(data)
    value, end = _get(view, 0, 0, [MAX_ITEMS])
    if end != len(view):
        raise WireError(f"{len(view) - end} bytes after the value")
    return value


def _need(view: memoryview, at: int, count: int) -> None:
    if count < 0 or at + count > len(view):
        raise WireError(f"a size of {count} bytes at byte {at} runs past the frame")


def _get(view: memoryview, at: int, depth: int, items_left: list[int]) -> tuple[Value, int]:
    if depth > MAX_DEPTH:
        raise WireError("nested too deep")
    _need(view, at, 1)
    tag, at = view[at : at + 1].tobytes(), at + 1
    if tag == b"N":
        return None, at
    if tag == b"i":
        _need(view, at, 8)
        return _I64.unpack_from(view, at)[0], at + 8
    if tag == b"f":
        _need(view, at, 8)
        return _F64.unpack_from(view, at)[0], at + 8
    if tag in (b"s", b"b"):
        _need(view, at, 4)
        (size,) = _U32.unpack_from(view, at)
        _need(view, at + 4, size)
        data = view[at + 4 : at + 4 + size].tobytes()
        return (data.decode("utf-8", "replace") if tag == b"s" else data), at + 4 + size
    if tag == b"a":
        return _get_array(view, at)
    if tag in (b"t", b"l", b"d"):
        _need(view, at, 4)
        (count,) = _U32.unpack_from(view, at)
        at += 4
        if count > len(view) - at:  # every item takes a byte at least
            raise WireError(f"{count} items cannot fit in what is left of the frame")
        items_left[0] -= count
        if items_left[0] < 0:
            raise WireError(f"more than {MAX_ITEMS} items in one frame")
        if tag == b"d":
            result: dict[str, Value] = {}
            for _ in range(count):
                key, at = _get(view, at, depth + 1, items_left)
                if type(key) is not str:
                    raise WireError("a dict key that is not text")
                result[key], at = _get(view, at, depth + 1, items_left)
            return result, at
        items: list[Value] = []
        for _ in range(count):
            item, at = _get(view, at, depth + 1, items_left)
            items.append(item)
        return (tuple(items) if tag == b"t" else items), at
    raise WireError(f"unknown type byte {tag!r} at byte {at - 1}")


def _get_array(view: memoryview, at: int) -> tuple[Array, int]:
    _need(view, at, 2)
    element, ndim = chr(view[at]), view[at + 1]
    if element not in ELEMENTS or ndim > MAX_DIMENSIONS:
        raise WireError(f"an array of {element!r} with {ndim} dimensions")
    at += 2
    _need(view, at, 8 * ndim)
    shape = _Struct(f"<{ndim}Q").unpack_from(view, at)
    at += 8 * ndim
    count = ELEMENTS[element] if 0 not in shape else 0  # an empty array of any other shape
    for n in shape:
        count *= n
        if count > len(view):  # every dimension is 1 or more: the product only grows
            raise WireError(f"an array of shape {shape} is larger than its frame")
    _need(view, at, count)
    return Array(element, shape, view[at : at + count].tobytes()), at + count


class Reader:
    """Frames from a byte stream fed in pieces; a frame over ``limit`` bytes is refused from
    its header, before its body is read."""

    def __init__(self, limit: int):
        self.limit = limit
        self._buffer = bytearray()

    def feed(self, data: bytes) -> None:
        self._buffer += data

    def want(self) -> int:
        """How many more bytes the frame being read needs (at least 1)."""
        if len(self._buffer) < HEADER.size:
            return HEADER.size - len(self._buffer)
        return max(1, HEADER.size + self._length() - len(self._buffer))

    def _length(self) -> int:
        magic, _, length = HEADER.unpack_from(self._buffer)
        if magic != MAGIC:
            raise WireError("a frame without the frame marker")
        if length > self.limit:
            raise WireError(f"a frame of {length} bytes, over the limit of {self.limit}")
        return length

    def next(self) -> Frame | None:
        """The next whole frame, or None while it is incomplete."""
        if len(self._buffer) < HEADER.size:
            return None
        length = self._length()
        if len(self._buffer) < HEADER.size + length:
            return None
        kind = chr(self._buffer[2])
        body = bytes(self._buffer[HEADER.size : HEADER.size + length])
        del self._buffer[: HEADER.size + length]
        return Frame(kind, decode(body))


def receive(fd: int, limit: int) -> Frame | None:
    """Read one whole frame from ``fd`` (blocking), or None at end of file."""
    reader = Reader(limit)
    while True:
        got = reader.next()
        if got is not None:
            return got
        chunk = _read(fd, min(reader.want(), 1 << 20))
        if not chunk:
            return None
        reader.feed(chunk)
