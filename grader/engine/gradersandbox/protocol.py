"""What each pipe across the sandbox's wall carries: its kinds of frames, each a typed message,
written and read here for both sides (the sandbox imports this module from a read-only copy;
standard library only). The values are :mod:`.wire`'s.

=======  ===============  =========================  =====================================
pipe     from → to        kind (letter)              message: its value on the wire
=======  ===============  =========================  =====================================
orders   grader → runner  OrderKind.FILE_PIECE (p)   FilePiece: (path, data, mode)
                          OrderKind.LINK (l)         Link: (path, target, 0)
                          OrderKind.FILES_END (e)    FilesEnd: None
                          OrderKind.CELL (c)         RunCell: (cell, source)
                          OrderKind.PROBE (f)        ForkProbe: label (two pipes attached)
                          OrderKind.END (z)          EndSubmission: None
replies  runner → grader  ReplyKind.NOT_STARTED (s)  NotStarted: why
                          ReplyKind.READY (r)        Ready: the runner's pid
                          ReplyKind.CELL_DONE (d)    CellDone: (cell, ename, evalue,
                                                     dropped, patched, line, gpu)
signals  grader → init    SignalKind.SIGNAL (k)      SignalRequest: (pid, number)
reports  init → grader    ReportKind.EXIT_CODE (x)   ExitCode: the runner's exit code
calls    grader → probe   CallKind.CALL (k)          Call: (function, args[, tables])
                          CallKind.READ (r)          Read: a variable's name
                          CallKind.END (z)           EndSession: None
answers  probe → grader   AnswerKind.NOT_SEALED (s)  NotSealed: why
                          AnswerKind.HELLO (h)       Hello: the probe's pid
                          AnswerKind.VALUE (v)       CallValue: (shape, arrays, aliased,
                                                     mutated, (seen, lost))
                          AnswerKind.ERROR (e)       CallError: (message, (seen, lost))
=======  ===============  =========================  =====================================

A letter means something on one pipe only (``k`` is a signal on one, a call on another): each
pipe has its own reader, which refuses a kind its pipe does not carry. Every reader checks the
value's structure, each item's type, and every index and count (a changed argument must be one
of the call's, a watched name one the grader asked for), and raises :class:`.wire.WireError`
with the reason, and nothing else, for a message it cannot take: the replies come from the
notebook's processes and are parsed as hostile data.

What the sandbox's side uses is looked up at import, before any student code runs: a notebook
that replaces a builtin does not change how these messages are written or read.
"""

from __future__ import annotations

from typing import TYPE_CHECKING

from . import expect
from .messages import (
    Answer,
    AnswerKind,
    Call,
    CallError,
    CallKind,
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
    Message,
    NotSealed,
    NotStarted,
    Order,
    OrderKind,
    Read,
    Ready,
    Reply,
    ReplyKind,
    ReportKind,
    Returned,
    RunCell,
    SignalKind,
    SignalRequest,
)
from .watch import CALLS, CONSTRUCTS, LOST, WatchRecord
from .wire import Frame, Value, WireError, write_all
from .wire import frame as _frame

if TYPE_CHECKING:
    from collections.abc import Sequence
if not TYPE_CHECKING:  # looked up once, at import (type checkers read the builtins themselves)
    len, type, tuple, ord, set, all = len, type, tuple, ord, set, all  # noqa: A001

__all__ = [
    "Answer", "AnswerKind", "Call", "CallError", "CallKind", "CallValue", "CellDone",
    "EndSession", "EndSubmission", "ExitCode", "FilePiece", "FilesEnd", "ForkProbe", "Frame",
    "Hello", "Link", "NotSealed", "NotStarted", "Order", "OrderKind", "Ready", "Reply",
    "Read", "ReplyKind", "ReportKind", "RunCell", "SignalKind", "SignalRequest", "WatchRecord",
    "WireError", "frame", "read_answer", "read_call", "read_exit_code", "read_order",
    "read_reply", "read_signal_request", "send",
]  # fmt: skip

_CODE: dict[type, int] = {
    message: ord(kind)
    for message, kind in (
        (FilePiece, OrderKind.FILE_PIECE), (Link, OrderKind.LINK), (FilesEnd, OrderKind.FILES_END),
        (RunCell, OrderKind.CELL), (ForkProbe, OrderKind.PROBE), (EndSubmission, OrderKind.END),
        (NotStarted, ReplyKind.NOT_STARTED), (Ready, ReplyKind.READY),
        (CellDone, ReplyKind.CELL_DONE), (SignalRequest, SignalKind.SIGNAL),
        (ExitCode, ReportKind.EXIT_CODE), (Call, CallKind.CALL), (Read, CallKind.READ),
        (EndSession, CallKind.END),
        (NotSealed, AnswerKind.NOT_SEALED), (Hello, AnswerKind.HELLO),
        (CallValue, AnswerKind.VALUE), (CallError, AnswerKind.ERROR),
    )
}  # fmt: skip
_NOTHING = (FilesEnd, EndSubmission, EndSession)  # None on the wire
_ONE = (ForkProbe, NotStarted, Ready, ExitCode, NotSealed, Hello, Read)  # their one value, bare


# --- writing ------------------------------------------------------------------------------


def frame(message: Message) -> bytes:
    """``message`` as a whole frame of its kind."""
    return _frame(_CODE[type(message)], _value(message))


def send(fd: int, message: Message) -> None:
    """Write ``message`` to ``fd`` as one frame (blocking)."""
    write_all(fd, frame(message))


def _value(message: Message) -> object:
    """What ``message`` is on the wire: plain values only."""
    kind = type(message)
    if kind in _NOTHING:
        return None
    if kind in _ONE:
        return tuple(message)[0]
    if type(message) is Link:
        return (message.path, message.target, 0)
    if type(message) is Call and message.traced is None:
        return message[:2] if message.stand_ins is None else message[:3]
    if type(message) is CallValue or type(message) is CallError:
        return (*message[:-1], tuple(message.record))
    return tuple(message)


# --- reading ------------------------------------------------------------------------------


def read_order(frame: Frame) -> Order:
    """An order, in the runner."""
    kind, value = frame
    if kind == OrderKind.FILE_PIECE:
        path, data, mode = expect.fields(value, 3, "a file's piece")
        return FilePiece(
            expect.text(path, "its path"),
            expect.data(data, "its data"),
            expect.an_integer(mode, "mode"),
        )
    if kind == OrderKind.LINK:
        path, target, _ = expect.fields(value, 3, "a link")
        return Link(expect.text(path, "its path"), expect.data(target, "its target"))
    if kind == OrderKind.FILES_END:
        return FilesEnd()
    if kind == OrderKind.CELL:
        index, source = expect.fields(value, 2, "a cell")
        return RunCell(expect.an_integer(index, "its index"), expect.text(source, "its source"))
    if kind == OrderKind.PROBE:
        return ForkProbe(expect.text(value, "a probe's label"))
    if kind == OrderKind.END:
        return EndSubmission()
    raise _not_carried(kind, "the runner's orders")


def read_reply(frame: Frame) -> Reply:
    """A reply of the runner, on the trusted side."""
    kind, value = frame
    if kind == ReplyKind.NOT_STARTED:
        return NotStarted(expect.text(value, "why the runner did not start"))
    if kind == ReplyKind.READY:
        return Ready(_pid(value, "the runner's process id"))
    if kind == ReplyKind.CELL_DONE:
        if type(value) is tuple and len(value) == 6:  # no record of a GPU: none was asked for
            value = (*value, [])
        index, ename, evalue, dropped, patched, line, gpu = expect.fields(
            value, 7, "a cell's reply"
        )
        names = expect.a_list(patched, "the names a cell replaced")
        places = [
            expect.fields(place, 2, "where the cell asked for a GPU")
            for place in expect.a_list(gpu, "where the cell asked for a GPU")
        ]
        return CellDone(
            expect.an_integer(index, "the cell's index"),
            expect.optional_text(ename, "the error's name"),
            expect.optional_text(evalue, "the error's text"),
            expect.an_integer(dropped, "the output bytes dropped"),
            [expect.text(name, "a name the cell replaced") for name in names],
            None if line is None else expect.an_integer(line, "the error's line"),
            [
                (
                    expect.an_integer(cell, "a cell asking for a GPU"),
                    expect.an_integer(at, "its line"),
                )
                for cell, at in places
            ],
        )
    raise _not_carried(kind, "the runner's replies")


def read_signal_request(frame: Frame) -> SignalRequest:
    """A signal to send, in the submission's init."""
    kind, value = frame
    if kind != SignalKind.SIGNAL:
        raise _not_carried(kind, "the signal requests")
    pid, number = expect.fields(value, 2, "a signal request")
    return SignalRequest(
        expect.an_integer(pid, "its process id"), expect.an_integer(number, "its signal")
    )


def read_exit_code(frame: Frame) -> ExitCode:
    """The runner's exit code as init reports it, on the trusted side."""
    kind, value = frame
    if kind != ReportKind.EXIT_CODE:
        raise _not_carried(kind, "init's reports")
    return ExitCode(expect.an_integer(value, "an exit code"))


def read_call(frame: Frame) -> Call | Read | EndSession:
    """A call to make, a variable to read, or the session's end, in a probe process."""
    kind, value = frame
    if kind == CallKind.END:
        return EndSession()
    if kind == CallKind.READ:
        return Read(expect.text(value, "the variable"))
    if kind != CallKind.CALL:
        raise _not_carried(kind, "a probe's orders")
    if type(value) is tuple and len(value) in (3, 4):
        function, args, tables, *traced = value
        return Call(
            expect.text(function, "the function"),
            expect.a_tuple(args, "the arguments"),
            None if tables is None else expect.a_dict(tables, "the stand-ins' tables"),
            [expect.text(name, "a traced part") for name in expect.a_list(traced[0], "parts")]
            if traced
            else None,
        )
    function, args = expect.fields(value, 2, "a call")
    return Call(expect.text(function, "the function"), expect.a_tuple(args, "the arguments"))


def read_answer(frame: Frame, arg_count: int = 0, watched: Sequence[str] = ()) -> Answer:
    """A probe process's reply, on the trusted side: to a call of ``arg_count`` arguments
    (the only indices a reply may say were changed in place) whose run-time record may name
    only the ``watched`` names."""
    kind, value = frame
    if kind == AnswerKind.NOT_SEALED:
        return NotSealed(expect.text(value, "why the probe was not sealed"))
    if kind == AnswerKind.HELLO:
        return Hello(_pid(value, "the probe's process id"))
    if kind == AnswerKind.ERROR:
        message, record = expect.fields(value, 2, "a call's error")
        return CallError(expect.text(message, "the error"), _record(record, watched))
    if kind != AnswerKind.VALUE:
        raise _not_carried(kind, "a probe's replies")
    shape, arrays, aliased, mutated, record = expect.fields(value, 5, "a call's value")
    return CallValue(
        expect.text(shape, "the value's shape"),
        _arrays(shape, arrays),
        expect.a_flag(aliased, "whether arrays are aliased"),
        _changed(mutated, arg_count),
        _record(record, watched),
    )


def _arrays(shape: Value, arrays: Value) -> Returned | list[Returned] | dict[str, Returned]:
    if shape == "one":
        return _returned(arrays)
    if shape == "several":
        return [_returned(item) for item in expect.a_list(arrays, "several arrays")]
    if shape == "dict":
        return {
            key: _returned(item) for key, item in expect.a_dict(arrays, "a dict of arrays").items()
        }
    raise WireError(f"a value of the shape {shape!r}, not one, several or dict")


def _returned(value: Value) -> Returned:
    """One returned value: an array, or a str (compared as a str)."""
    return value if type(value) is str else expect.an_array(value)


def _changed(mutated: Value, arg_count: int) -> list[int]:
    indices = [
        expect.an_integer(index, "a changed argument")
        for index in expect.a_list(mutated, "changed arguments")
    ]
    if len(set(indices)) != len(indices):
        raise WireError(f"the changed arguments {indices} name one twice")
    if not all(0 <= index < arg_count for index in indices):
        raise WireError(f"the changed arguments {indices} of a call of {arg_count} arguments")
    return indices


def _record(record: Value, watched: Sequence[str]) -> WatchRecord:
    """A call's run-time record: only the verbs and watch states the probe writes, only names
    the grader asked it to watch, each pair once."""
    seen, lost = expect.fields(record, 2, "a run-time record")
    pairs = expect.a_list(seen, "the objects seen")
    if len(pairs) > 2 * len(watched):
        raise WireError(f"{len(pairs)} objects seen, of {len(watched)} watched")
    if lost is not None and lost not in LOST:
        raise WireError(f"a watch lost as {lost!r}")
    kept: list[tuple[str, str]] = []
    for pair in pairs:
        verb, name = expect.fields(pair, 2, "an object seen")
        if verb != CONSTRUCTS and verb != CALLS:
            raise WireError(f"an object seen as {verb!r}, not {CONSTRUCTS} or {CALLS}")
        name = expect.text(name, "a name seen")
        if name not in watched:
            raise WireError(f"{name!r} seen, which the grader did not watch")
        if (verb, name) in kept:
            raise WireError(f"{name!r} seen twice as {verb}")
        kept.append((verb, name))
    return WatchRecord(kept, expect.optional_text(lost, "how the watch was lost"))


def _not_carried(kind: str, pipe: str) -> WireError:
    return WireError(f"a frame of kind {kind!r}, which {pipe} do not carry")


def _pid(value: Value, what: str) -> int:
    pid = expect.an_integer(value, what)
    if pid <= 1:
        raise WireError(f"{what} is {pid}, not a process of the submission's own")
    return pid
