"""Between the engine's probes and scoring: a submission's probe outcomes by graded function,
and diagnosis's extra calls made in the engine's probe sessions.

The marks come from the first calls only (one batch of every function's cases). Diagnosis
(:mod:`grader.scoring.diagnose`) then calls the student's code again, for hints only, through
the sessions the engine opens after the probes (:class:`grader.engine.RunHooks`), and only
when a function lost points.
"""

from __future__ import annotations

import contextlib
import functools
from collections.abc import Mapping, Sequence

from grader import engine
from grader.assignment import Assignment
from grader.scoring.calls import Answer, Assignmentish, Call
from grader.scoring.values import HiddenCase

# Rounds of extra calls a diagnosis may make, each call in a fresh probe process.

Outcomes = dict[str, list[tuple[object, str | None]]]  # function -> (value, error) per case
Notes = dict[str, list[engine.ProbeOutcome]]  # function -> its probe outcomes


def known(assignment: Assignment, values: Mapping[str, object] | None = None) -> Assignmentish:
    """What diagnosis needs of ``assignment``, its reference on ``values``: the student's own
    [variants] values, which the marks' expected values are worked out on too (None: the
    class-wide ones)."""
    return Assignmentish(
        functools.partial(assignment.reference, values=values),
        assignment.composition,
        assignment.parts,
        {name: assignment.parameters(name) for name in assignment.functions},
    )


def probe_calls(
    functions: Sequence[str], cases: Mapping[str, Sequence[HiddenCase]]
) -> list[engine.ProbeCall]:
    """The graded calls: every case of each function, function by function."""
    return [engine.ProbeCall(name, case.args) for name in functions for case in cases[name]]


def by_function(
    functions: Sequence[str],
    cases: Mapping[str, Sequence[HiddenCase]],
    probes: Sequence[engine.ProbeOutcome],
) -> tuple[Outcomes, Notes]:
    """Each function's ``(value, error)`` pairs and its probe outcomes, from the outcomes of
    :func:`probe_calls` in their order."""
    outcomes: Outcomes = {}
    notes: Notes = {}
    start = 0
    for name in functions:
        notes[name] = list(probes[start : start + len(cases[name])])
        outcomes[name] = [(p.value, p.error) for p in notes[name]]
        start += len(cases[name])
    return outcomes, notes


def call_in_sessions(open_session: engine.OpenSession, batch: Sequence[Call]) -> list[Answer]:
    """Make ``batch``'s calls, each in a fresh session but a repeat (in the session of the call
    before it); a call with stand-ins always in a session of its own."""
    answers = []
    with contextlib.ExitStack() as stack:
        session = None
        for call in batch:
            if session is None or not call.repeat or call.stand_ins is not None:
                stack.close()
                session = stack.enter_context(open_session())
            probe = session.call(call.function, call.args, call.stand_ins, call.traced)
            answers.append(Answer(probe.value, probe.error, probe))
    return answers
