"""The messages across the sandbox's wall: each pipe's kinds of frames (a letter each) and the
typed message of each kind (see :mod:`.protocol`'s table, which writes and reads them). Standard
library only: the sandbox imports this module from a read-only copy."""

from __future__ import annotations

import enum
from typing import NamedTuple, TypeAlias

from .watch import WatchRecord
from .wire import Array, Value

# --- the kinds of frames, per pipe -------------------------------------------------------
# (str and Enum, not StrEnum: the sandbox runs the runtime's Python, which may be 3.10.)


class OrderKind(str, enum.Enum):  # noqa: UP042
    """Grader → runner, down the orders socket: the submission's files, then its cells."""

    FILE_PIECE = "p"
    LINK = "l"
    FILES_END = "e"
    CELL = "c"
    PROBE = "f"
    END = "z"


class ReplyKind(str, enum.Enum):  # noqa: UP042
    """Runner → grader: whether it started, then one reply per cell."""

    NOT_STARTED = "s"
    READY = "r"
    CELL_DONE = "d"


class SignalKind(str, enum.Enum):  # noqa: UP042
    """Grader → the submission's init: a signal for a process of the submission."""

    SIGNAL = "k"


class ReportKind(str, enum.Enum):  # noqa: UP042
    """The submission's init → grader: how the runner ended."""

    EXIT_CODE = "x"


class CallKind(str, enum.Enum):  # noqa: UP042
    """Grader → one probe process, down its own pipe: calls, then the end of the session."""

    CALL = "k"
    READ = "r"
    END = "z"


class AnswerKind(str, enum.Enum):  # noqa: UP042
    """One probe process (or the runner that could not make it) → grader."""

    NOT_SEALED = "s"
    HELLO = "h"
    VALUE = "v"
    ERROR = "e"


# --- the messages --------------------------------------------------------------------------


class FilePiece(NamedTuple):
    """A piece of one of the submission's files (a file comes in pieces, appended)."""

    path: str
    data: bytes
    mode: int


class Link(NamedTuple):
    """A symbolic link among the submission's files, made as a link."""

    path: str
    target: bytes


class FilesEnd(NamedTuple):
    """No more files: the runner starts."""


class RunCell(NamedTuple):
    cell: int
    source: str


class ForkProbe(NamedTuple):
    """Fork a probe process; its calls' and replies' pipes come with the frame."""

    label: str


class EndSubmission(NamedTuple):
    """The grader is done with the submission: the runner exits."""


class NotStarted(NamedTuple):
    reason: str


class Ready(NamedTuple):
    pid: int


class CellDone(NamedTuple):
    """Cell ``cell`` ran: the error it raised (``ename`` None if none), the bytes of its output
    the runner dropped, the grader's machinery it replaced, the line the error came up on, and
    where the notebook asked for a GPU while it ran (``(cell, line)`` each, mapped to the CPU:
    :mod:`.device_map`)."""

    cell: int
    ename: str | None
    evalue: str | None
    dropped: int
    patched: list[str]
    line: int | None
    gpu: list[tuple[int, int]] = []  # noqa: RUF012  (never changed in place)


class SignalRequest(NamedTuple):
    pid: int
    number: int


class ExitCode(NamedTuple):
    code: int


class Call(NamedTuple):
    """Call ``function`` on ``args``; ``stand_ins``: the diagnosis's tables for its parts, as
    they cross the wire (see :mod:`.standin`), or None; ``traced``: the parts whose calls the
    diagnosis records (see :mod:`.tracer`), or None."""

    function: str
    args: tuple[Value, ...]
    stand_ins: dict[str, Value] | None = None
    traced: list[str] | None = None


class Read(NamedTuple):
    """Send back the value of the notebook's variable ``name`` (a numeric answer), as a call's
    value: read, never called."""

    name: str


class EndSession(NamedTuple):
    """No more calls: the probe process exits."""


# How a NotSealed reason starts when no process could be made for the calls at all (the fork
# refused, after the submission's own processes were ended): the grader's failure, not the cells'.
PROBE_NOT_STARTED = "no process could be started for the calls"


class NotSealed(NamedTuple):
    reason: str


class Hello(NamedTuple):
    pid: int


Returned: TypeAlias = Array | str  # one returned value: numbers, or a str compared as a str


class CallValue(NamedTuple):
    """What a call returned: ``shape`` "one" (one value: an array or a str), "several" (a
    list of them) or "dict" (str keys); ``aliased`` when one array object was there more than once;
    ``mutated``: the indices of the arguments the call changed in place."""

    shape: str
    arrays: Returned | list[Returned] | dict[str, Returned]
    aliased: bool
    mutated: list[int]
    record: WatchRecord


class CallError(NamedTuple):
    """The call raised: ``message`` is "Name: text" (or the name alone)."""

    message: str
    record: WatchRecord


Order: TypeAlias = FilePiece | Link | FilesEnd | RunCell | ForkProbe | EndSubmission
Reply: TypeAlias = NotStarted | Ready | CellDone
Answer: TypeAlias = NotSealed | Hello | CallValue | CallError
Message: TypeAlias = Order | Reply | SignalRequest | ExitCode | Call | Read | EndSession | Answer
