"""The wire at the trust boundary (grader.engine.gradersandbox.wire): whatever bytes come up
from the sandbox, ``decode`` returns a value within its bounds or raises WireError, and
nothing else; what ``encode`` writes reads back the same."""

from __future__ import annotations

import struct
import tracemalloc

import pytest
from hypothesis import HealthCheck, given, settings
from hypothesis import strategies as st

from grader.engine.gradersandbox import wire
from grader.engine.gradersandbox.wire import MAX_DEPTH, MAX_ITEMS, Array, WireError

PROPERTIES = settings(max_examples=400, deadline=None)


def arrays() -> st.SearchStrategy[Array]:
    def made(element: str, shape: list[int], draw_bytes) -> Array:
        size = wire.ELEMENTS[element]
        for n in shape:
            size *= n
        return Array(element, tuple(shape), draw_bytes(size))

    @st.composite
    def one(draw) -> Array:
        element = draw(st.sampled_from(sorted(wire.ELEMENTS)))
        shape = draw(st.lists(st.integers(0, 4), max_size=4))
        return made(element, shape, lambda size: draw(st.binary(min_size=size, max_size=size)))

    return one()


SCALARS = (
    st.none()
    | st.integers(-(2**63), 2**63 - 1)
    | st.floats(allow_nan=True, allow_infinity=True)
    | st.text(max_size=20)
    | st.binary(max_size=20)
    | arrays()
)
VALUES = st.recursive(
    SCALARS,
    lambda inner: (
        st.tuples(inner, inner)
        | st.lists(inner, max_size=4).map(tuple)
        | st.lists(inner, max_size=4)
        | st.dictionaries(st.text(max_size=8), inner, max_size=4)
    ),
    max_leaves=24,
)


def depth(value) -> int:
    """How deep ``value`` nests, as the wire counts it (a scalar at the top is 0)."""
    if type(value) in (tuple, list):
        return 1 + max((depth(item) for item in value), default=0)
    if type(value) is dict:
        return 1 + max((depth(item) for item in value.values()), default=0)
    return 0


def bits(value):
    """``value`` with each float as its bits, so that NaN equals itself."""
    if type(value) is float:
        return ("float", struct.pack("<d", value))
    if type(value) in (tuple, list):
        return type(value)(bits(item) for item in value)
    if type(value) is dict:
        return {key: bits(item) for key, item in value.items()}
    return value


def items(value) -> int:
    """Items of tuples, lists and dicts in ``value``, as the wire counts them."""
    if type(value) in (tuple, list):
        return len(value) + sum(items(item) for item in value)
    if type(value) is dict:
        return len(value) + sum(items(item) for item in value.values())
    return 0


@PROPERTIES
@given(VALUES)
def test_what_encode_writes_decode_reads_back_the_same(value):
    if depth(value) > MAX_DEPTH:  # refused on the way out already
        with pytest.raises(WireError, match="nested too deep"):
            wire.encode(value)
        return
    decoded = wire.decode(wire.encode(value))
    assert bits(decoded) == bits(value)
    assert type(decoded) is type(value)


@PROPERTIES
@given(st.booleans())
def test_a_bool_crosses_as_an_int(flag):
    assert type(wire.decode(wire.encode(flag))) is int


def check_decoded(data: bytes) -> None:
    """``decode(data)`` returns a value within the wire's bounds, or raises WireError."""
    try:
        value = wire.decode(data)
    except WireError:
        return
    assert depth(value) <= MAX_DEPTH + 1  # a scalar inside the deepest container counts 0
    assert items(value) <= MAX_ITEMS
    assert len(wire.encode(value)) <= 2 * len(data) + 16  # no larger than what came in


def mutated(draw, data: bytes) -> bytes:
    """``data`` cut short, with bytes overwritten, or with bytes put in."""
    how = draw(st.sampled_from(["cut", "overwrite", "insert", "size"]))
    at = draw(st.integers(0, max(len(data) - 1, 0)))
    if how == "cut":
        return data[:at]
    if how == "size":  # a declared size (or count, or dimension) as large as it gets
        huge = draw(st.sampled_from([b"\xff\xff\xff\xff", b"\xff" * 8, b"\x00\x00\x00\x80"]))
        return data[:at] + huge + data[at + len(huge) :]
    noise = draw(st.binary(min_size=1, max_size=9))
    if how == "overwrite":
        return data[:at] + noise + data[at + len(noise) :]
    return data[:at] + noise + data[at:]


@st.composite
def hostile(draw) -> bytes:
    """Bytes as a notebook could send them: arbitrary, or a real encoding tampered with, or
    nested in one-item containers deeper than the wire allows."""
    how = draw(st.sampled_from(["arbitrary", "tampered", "deep"]))
    if how == "arbitrary":
        return draw(st.binary(max_size=200))
    data = wire.encode(draw(VALUES.filter(lambda v: depth(v) <= MAX_DEPTH)))
    if how == "deep":
        shells = draw(st.lists(st.sampled_from([b"l", b"t"]), max_size=2 * MAX_DEPTH))
        return b"".join(tag + struct.pack("<I", 1) for tag in shells) + data
    for _ in range(draw(st.integers(1, 3))):
        data = mutated(draw, data)
    return data


@PROPERTIES
@given(st.binary(max_size=300))
def test_decode_of_arbitrary_bytes_returns_a_value_or_raises_wire_error(data):
    check_decoded(data)


@settings(max_examples=1500, deadline=None, suppress_health_check=[HealthCheck.too_slow])
@given(hostile())
def test_decode_of_tampered_encodings_returns_a_value_or_raises_wire_error(data):
    check_decoded(data)


def allocated_while_decoding(data: bytes) -> int:
    tracemalloc.start()
    try:
        tracemalloc.reset_peak()
        try:
            wire.decode(data)
        except WireError:
            pass
        return tracemalloc.get_traced_memory()[1]
    finally:
        tracemalloc.stop()


@settings(max_examples=200, deadline=None, suppress_health_check=[HealthCheck.too_slow])
@given(hostile())
def test_decoding_costs_memory_linear_in_the_bytes_whatever_sizes_they_declare(data):
    assert allocated_while_decoding(data) <= 200 * len(data) + 64 * 1024


@pytest.mark.parametrize(
    "data",
    [
        b"s\xff\xff\xff\xff",  # 4 GiB of text
        b"b\xff\xff\xff\xffabc",
        b"a\x64\x03" + b"\xff" * 24,  # a float64 array of 2**64 ** 3 elements
        b"a\x3f\x02" + struct.pack("<QQ", 2**32, 2**32) + b"x",
        b"t\xff\xff\xff\xff" + b"N" * 64,  # 4 billion items
        b"d\x00\x00\x01\x00" + b"sN" * 10,
        b"l\x01\x00\x00\x00" * (MAX_DEPTH + 2) + b"N",  # nested past the limit
    ],
)
def test_a_size_larger_than_what_is_left_is_refused_before_anything_is_made(data):
    with pytest.raises(WireError):
        wire.decode(data)
    assert allocated_while_decoding(data) < 64 * 1024


def test_a_frame_of_many_tiny_items_is_refused_within_the_items_limit():
    with pytest.raises(WireError, match="items in one frame"):
        wire.decode(wire.encode([None] * (MAX_ITEMS + 1)))
    assert wire.decode(wire.encode([None] * MAX_ITEMS)) == [None] * MAX_ITEMS
    half = [None] * (MAX_ITEMS // 2 + 1)  # each list within the limit, the frame not
    with pytest.raises(WireError, match="items in one frame"):
        wire.decode(wire.encode((half, half)))


@PROPERTIES
@given(st.lists(VALUES.filter(lambda v: depth(v) <= MAX_DEPTH), max_size=4), st.data())
def test_the_reader_gives_the_same_frames_however_the_stream_is_cut(values, data):
    stream = b"".join(wire.frame(ord("v"), value) for value in values)
    reader = wire.Reader(1 << 20)
    got = []
    at = 0
    while at < len(stream):
        step = data.draw(st.integers(1, max(reader.want(), 1)))
        reader.feed(stream[at : at + step])
        at += step
        while (frame := reader.next()) is not None:
            got.append(frame)
    assert [bits(frame.value) for frame in got] == [bits(value) for value in values]
    assert all(frame.kind == "v" for frame in got)


@given(st.integers(1025, 2**32 - 1))
def test_a_frame_over_the_limit_is_refused_from_its_header(length):
    reader = wire.Reader(1024)
    reader.feed(wire.HEADER.pack(wire.MAGIC, ord("v"), length))
    with pytest.raises(WireError, match="over the limit"):
        reader.next()
    with pytest.raises(WireError, match="over the limit"):
        reader.want()


def test_a_frame_without_its_marker_is_refused():
    reader = wire.Reader(1024)
    reader.feed(b"XX" + wire.frame(ord("v"), None)[2:])
    with pytest.raises(WireError, match="frame marker"):
        reader.next()
