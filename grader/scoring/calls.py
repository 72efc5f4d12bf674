"""What diagnosis knows of an assignment, and the extra calls of the student's code it makes."""

from __future__ import annotations

from collections.abc import Callable, Mapping, Sequence
from dataclasses import dataclass
from typing import NamedTuple, Protocol

# A part's name -> [(args, the right answer), ...]: what its stand-in answers during one call
# (grader.scoring.proof).
StandIns = Mapping[str, Sequence[tuple[tuple, object]]]


@dataclass(frozen=True)
class Assignmentish:
    """What diagnosis needs of an assignment (see :class:`grader.assignment.Assignment`)."""

    reference: Callable[[str], Callable]
    composition: Mapping[str, Callable]
    parts: Mapping[str, Sequence[str]]
    parameters: Mapping[str, Sequence[str]]


@dataclass(frozen=True)
class Call:
    """One extra call of a student's function. Each is made in a fresh process forked from the
    state the notebook's cells left, except a ``repeat``: the same call again, in the process
    of the call before it, so that random numbers show (fresh processes forked from one state
    draw the same ones)."""

    function: str
    args: tuple
    stand_ins: StandIns | None = None  # for a proof: parts answered right during this call
    repeat: bool = False
    traced: tuple[str, ...] = ()  # parts whose calls are recorded: the value is the record


class ProbeNotes(Protocol):
    """What the engine saw inside the sandbox during a call (see
    :class:`grader.engine.run.results.ProbeOutcome`)."""

    @property
    def mutated_args(self) -> tuple[int, ...]: ...

    @property
    def aliased(self) -> bool: ...


class Answer(NamedTuple):
    """What a call returned (or the error it raised), and what the engine saw of it."""

    value: object
    error: str | None
    notes: ProbeNotes | None = None


# Makes a batch of calls, as :class:`Call` says, and answers them in order.
CallBatch = Callable[[list[Call]], list[Answer]]
