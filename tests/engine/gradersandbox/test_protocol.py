"""The sandbox's protocol (grader.engine.gradersandbox.protocol): each pipe's messages are
written and read back as they were; a reply of the wrong shape, or of a kind its pipe does not
carry, raises WireError with the reason, and nothing else; the sandbox's side works whatever a
notebook did to the builtins."""

from __future__ import annotations

import builtins
import os
import threading

import pytest
from hypothesis import given, settings
from hypothesis import strategies as st

from grader.engine.gradersandbox import messages, protocol, wire
from grader.engine.gradersandbox.protocol import (
    Call,
    CallError,
    CallValue,
    CellDone,
    EndSession,
    EndSubmission,
    ExitCode,
    FilePiece,
    FilesEnd,
    ForkProbe,
    Hello,
    Link,
    NotSealed,
    NotStarted,
    Ready,
    RunCell,
    SignalRequest,
    WatchRecord,
)
from grader.engine.gradersandbox.wire import Array, Frame, WireError
from grader.engine.run.cell_reply import cell_reply
from grader.limits import SANDBOX

WATCHED = ("torch.nn.LSTMCell", "torch.nn.LSTM")
INT64 = st.integers(-(2**63), 2**63 - 1)
PIDS = st.integers(2, 2**31)
TEXT = st.text(max_size=30)
ARRAYS = st.builds(
    lambda element, n, data: Array(element, (n,), data[: n * wire.ELEMENTS[element]]),
    st.sampled_from(sorted(wire.ELEMENTS)),
    st.integers(0, 3),
    st.binary(min_size=24, max_size=24),
)
RECORDS = st.builds(
    WatchRecord,
    st.lists(st.tuples(st.sampled_from(["constructs", "calls"]), st.sampled_from(WATCHED))).map(
        lambda pairs: list(dict.fromkeys(pairs))
    ),
    st.sampled_from([None, "removed", "replaced", "changed"]),
)
ARGS = 3  # the calls' arguments, for the indices a value may say were changed
SCALAR_VALUES = st.none() | INT64 | TEXT | st.binary(max_size=10) | ARRAYS
WIRE_VALUES = st.recursive(
    SCALAR_VALUES,
    lambda inner: (
        st.lists(inner, max_size=4).map(tuple)
        | st.lists(inner, max_size=4)
        | st.dictionaries(TEXT, inner, max_size=3)
    ),
    max_leaves=12,
)

ORDERS = st.one_of(
    st.builds(FilePiece, TEXT, st.binary(max_size=30), st.integers(0, 0o7777)),
    st.builds(Link, TEXT, st.binary(max_size=30)),
    st.just(FilesEnd()),
    st.builds(RunCell, st.integers(0, 10**6), TEXT),
    st.builds(ForkProbe, TEXT),
    st.just(EndSubmission()),
)
REPLIES = st.one_of(
    st.builds(NotStarted, TEXT),
    st.builds(Ready, PIDS),
    st.builds(
        CellDone,
        st.integers(0, 10**6),
        st.none() | TEXT,
        st.none() | TEXT,
        INT64,
        st.lists(TEXT, max_size=4),
        st.none() | INT64,
        st.lists(st.tuples(INT64, INT64), max_size=3),  # where it asked for a GPU
    ),
)
CALLS = st.one_of(
    st.builds(
        Call,
        TEXT,
        st.lists(WIRE_VALUES, max_size=3).map(tuple),
        st.none() | st.dictionaries(TEXT, WIRE_VALUES, max_size=2),
    ),
    st.just(EndSession()),
)
VALUES = st.one_of(
    st.builds(CallValue, st.just("one"), ARRAYS, st.booleans(), st.just([]), RECORDS),
    st.builds(
        CallValue, st.just("several"), st.lists(ARRAYS, max_size=3), st.booleans(),
        st.lists(st.integers(0, ARGS - 1), unique=True), RECORDS,
    ),
    st.builds(
        CallValue, st.just("dict"), st.dictionaries(TEXT, ARRAYS, max_size=3), st.booleans(),
        st.lists(st.integers(0, ARGS - 1), unique=True), RECORDS,
    ),
)  # fmt: skip
ANSWERS = st.one_of(
    st.builds(NotSealed, TEXT), st.builds(Hello, PIDS), VALUES, st.builds(CallError, TEXT, RECORDS)
)


def read_answer(frame: Frame) -> protocol.Answer:
    return protocol.read_answer(frame, ARGS, WATCHED)


# Each pipe's reader and what it may return.
PIPES = {
    "orders": (protocol.read_order, ORDERS),
    "replies": (protocol.read_reply, REPLIES),
    "signals": (protocol.read_signal_request, st.builds(SignalRequest, PIDS, st.integers(1, 64))),
    "reports": (protocol.read_exit_code, st.builds(ExitCode, st.integers(-64, 255))),
    "calls": (protocol.read_call, CALLS),
    "answers": (read_answer, ANSWERS),
}


def through_the_wire(message: protocol.Message) -> Frame:
    reader = wire.Reader(1 << 20)
    reader.feed(protocol.frame(message))
    frame = reader.next()
    assert frame is not None
    return frame


@pytest.mark.parametrize("pipe", sorted(PIPES))
@settings(max_examples=150, deadline=None)
@given(data=st.data())
def test_each_pipe_reads_back_the_message_its_other_end_wrote(pipe, data):
    read, messages = PIPES[pipe]
    message = data.draw(messages)
    got = read(through_the_wire(message))
    assert type(got) is type(message)
    if isinstance(message, CallValue):  # a bool crosses as an int
        message = message._replace(aliased=bool(message.aliased))
    assert got == message


KINDS = st.sampled_from("pledczfsrdkxhve") | st.characters(max_codepoint=255)


@pytest.mark.parametrize("pipe", sorted(PIPES))
@settings(max_examples=300, deadline=None)
@given(kind=KINDS, value=WIRE_VALUES)
def test_a_reader_returns_its_pipes_message_or_raises_wire_error(pipe, kind, value):
    read, _ = PIPES[pipe]
    try:
        got = read(Frame(kind, value))
    except WireError:
        return
    assert isinstance(got, tuple) and type(got).__module__ == messages.__name__


NAMES = st.sampled_from([*WATCHED, "os.system"])
VERBS = st.sampled_from(["constructs", "calls", "steals"])
OUTLINE_ARRAYS = {
    "one": ARRAYS,
    "several": st.lists(ARRAYS, max_size=3),
    "dict": st.dictionaries(TEXT, ARRAYS, max_size=3),
}


@st.composite
def call_values(draw) -> tuple:
    """A call's value in the right outline, its parts' contents often wrong, and at most two
    parts anything at all."""
    shape = draw(st.sampled_from(sorted(OUTLINE_ARRAYS)))
    record = (
        draw(st.lists(st.tuples(VERBS, NAMES), max_size=3)),
        draw(st.sampled_from([None, "removed", "gone"])),
    )
    mutated = draw(st.lists(st.integers(-2, ARGS + 2), max_size=3))
    parts = [shape, draw(OUTLINE_ARRAYS[shape]), draw(st.booleans()), mutated, record]
    for spoiled in draw(st.sets(st.integers(0, 4), max_size=2)):
        parts[spoiled] = draw(WIRE_VALUES)
    return tuple(parts)


@settings(max_examples=500, deadline=None)
@given(call_values())
def test_a_call_value_of_any_parts_is_read_or_refused_with_wire_error(value):
    """Parts of the right outline and the wrong content: a hostile value's usual shape."""
    try:
        got = read_answer(Frame("v", value))
    except WireError:
        return
    assert len(set(got.mutated)) == len(got.mutated)
    assert all(0 <= index < ARGS for index in got.mutated)
    assert len(set(got.record.seen)) == len(got.record.seen)
    assert all(verb in ("constructs", "calls") for verb, _ in got.record.seen)
    assert all(name in WATCHED for _, name in got.record.seen)
    assert got.record.lost in (None, "removed")


@pytest.mark.parametrize(
    ("read", "frame", "reason"),
    [
        (protocol.read_reply, ("d", (3, None, None, 0, [])), "a cell's reply is a tuple of 5"),
        (protocol.read_reply, ("d", [3, None, None, 0, [], None]), "a list of 6, not a tuple"),
        (protocol.read_reply, ("d", (3, None, None, 0, [7], None)), "a name the cell replaced"),
        (protocol.read_reply, ("r", 1), "not a process of the submission's own"),
        (protocol.read_reply, ("k", ("f", ())), "kind 'k', which the runner's replies do not"),
        (protocol.read_call, ("x", 0), "kind 'x', which a probe's orders do not carry"),
        (protocol.read_signal_request, ("k", ("f", ())), "its process id is a str"),
        (protocol.read_exit_code, ("x", "0"), "an exit code is a str, not an integer"),
        (protocol.read_order, ("p", ("a.py", "text", 0o644)), "its data is a str, not bytes"),
        (read_answer, ("v", ("one", None, 0, [], ([], None))), "an array is nothing"),
        (read_answer, ("v", ("two", [], 0, [], ([], None))), "the shape 'two'"),
        (read_answer, ("v", ("several", [], 0, [3], ([], None))), r"changed arguments \[3\]"),
        (read_answer, ("v", ("several", [], 0, [0, 0], ([], None))), "name one twice"),
        (read_answer, ("e", ("E: x", ([("calls", "os.system")], None))), "'os.system' seen"),
        (read_answer, ("e", ("E: x", ([], "gone"))), "a watch lost as 'gone'"),
        (read_answer, ("e", ("E: x", ([("steals", WATCHED[0])], None))), "seen as 'steals'"),
        (read_answer, ("e", ("E: x", ([("calls", WATCHED[0])] * 2, None))), "seen twice"),
    ],
)
def test_a_reply_of_the_wrong_shape_says_what_is_wrong(read, frame, reason):
    with pytest.raises(WireError, match=reason):
        read(Frame(*frame))


def test_a_letter_means_one_kind_on_each_pipe_and_each_message_has_one_kind():
    for kinds in (
        protocol.OrderKind,
        protocol.ReplyKind,
        protocol.SignalKind,
        protocol.ReportKind,
        protocol.CallKind,
        protocol.AnswerKind,
    ):
        letters = [kind.value for kind in kinds]
        assert len(set(letters)) == len(letters) and all(len(k) == 1 for k in letters)
    # "k" is a signal on one pipe and a call on another: each reader takes only its own.
    call = through_the_wire(Call("lstm_cell", ()))
    assert protocol.read_call(call) == Call("lstm_cell", ())
    with pytest.raises(WireError):
        protocol.read_signal_request(call)


class BuiltinsReplaced:
    """What a notebook may do to the builtins: every one used raises, until the block ends.
    (A class, not a generator: leaving a generator's block would itself call ``next``.)"""

    def __enter__(self) -> None:
        self.namespace = vars(builtins)
        self.saved = dict(self.namespace)
        refusing = {
            name: _refusing(name, value)
            for name, value in self.saved.items()
            if callable(value)
            and not name.startswith("_")
            and not (isinstance(value, type) and issubclass(value, BaseException))
        }
        self.namespace.update(refusing)  # from here on, no builtin for this method either

    def __exit__(self, *exc_info) -> None:
        self.namespace.update(self.saved)


def _refusing(name: str, builtin):
    """``builtin`` refused to this thread; other threads of the test process (a server a test
    before left running, pytest's own) are no notebook and use it as ever, or they would fail
    this test by chance, as they did when one used ``type`` in the block."""
    owner = threading.get_ident()

    def refuse(*args, **kwargs):
        if threading.get_ident() != owner:
            return builtin(*args, **kwargs)
        raise AssertionError(f"builtins.{name} was used")

    return refuse


def test_the_sandboxs_side_writes_and_reads_whatever_the_notebook_did_to_the_builtins():
    record = WatchRecord([("calls", WATCHED[0])], None)
    written = [
        Ready(12),
        NotStarted("E: x"),
        CellDone(3, "ValueError", "no", 0, ["sys.stdout"], 2),
        Hello(13),
        NotSealed("it could not be sealed: x"),
        CallValue("several", [Array("d", (1,), bytes(8))], True, [0], record),
        CallError("ValueError: no", record),
        ExitCode(0),
    ]
    read = [
        (protocol.read_order, RunCell(1, "x = 1")),
        (protocol.read_order, FilePiece("a.py", b"x", 0o644)),
        (protocol.read_call, Call("f", (Array("d", (1,), bytes(8)), {"W": 1.5}), {"g": []})),
        (protocol.read_call, Call("f", (), None, ["g", "h"])),  # a traced call (issue 66)
        (protocol.read_signal_request, SignalRequest(12, 2)),
    ]
    frames = [protocol.frame(message) for message in written]
    orders = [protocol.frame(message) for _, message in read]
    pairs = list(zip([reader for reader, _ in read], orders, strict=True))
    refused = []
    read_fd, write_fd = os.pipe()
    try:
        with BuiltinsReplaced():  # (nothing in this block may use a builtin itself)
            sent = [protocol.frame(message) for message in written]
            protocol.send(write_fd, written[0])
            got = []
            for reader, data in pairs:
                stream = wire.Reader(1 << 20)
                stream.feed(data)
                got.append(reader(stream.next()))
            try:
                protocol.read_reply(Frame("d", (3, None, None, 0, [7], None)))
            except WireError as error:
                refused.append(error)
        assert os.read(read_fd, 1 << 16) == frames[0]
    finally:
        os.close(read_fd)
        os.close(write_fd)
    assert sent == frames
    assert got == [message for _, message in read]
    assert "a name the cell replaced is a int, not text" in str(refused[0])


def test_where_a_cell_asked_for_a_gpu_crosses_as_data():
    """The runner's record of where the notebook asked for a GPU (issue 95) is read as any
    reply is: places of two integers each, else refused with the reason."""
    sent = CellDone(3, None, None, 0, [], None, [(1, 2), (3, 7)])
    assert protocol.read_reply(through_the_wire(sent)) == sent
    for gpu, reason in (
        ([(1,)], "where the cell asked for a GPU is a tuple of 1"),
        ([("1", 2)], "a cell asking for a GPU is a str"),
        ((1, 2), "where the cell asked for a GPU is a tuple of 2, not a list"),
    ):
        with pytest.raises(WireError, match=reason):
            protocol.read_reply(Frame("d", (3, None, None, 0, [], None, gpu)))


def test_the_trusted_side_keeps_the_places_a_gpu_was_asked_for_that_can_be_places():
    hostile = [(-1, 2), (0, 0), (2, 5), (1 << 40, 1), *[(1, 1)] * 100]
    done = cell_reply(Frame("d", (3, None, None, 0, [], None, hostile)), 3)
    assert done is not None
    assert done.gpu[:2] == [(2, 5), (1, 1)] and len(done.gpu) <= SANDBOX.gpu_places
