"""Probe a submission's graded functions, score the answers, and diagnose what lost points.

The marks come from the first calls only (one batch of every function's cases). Diagnosis
(:mod:`grader.scoring.diagnose`) then calls the student's code again, for hints only, through
the engine's interactive sessions (``run_submission(..., explore=...)``), and only when a
function lost points.
"""

from __future__ import annotations

import contextlib
from collections.abc import Callable, Mapping, Sequence
from dataclasses import dataclass, field
from pathlib import Path

from grader import execute
from grader.assignment import Assignment
from grader.forbidden.runtime import with_runtime
from grader.limits import GRADING
from grader.scoring import FunctionResult, Rules, score_function
from grader.scoring.diagnose import Assignmentish, diagnose
from grader.scoring.values import HiddenCase

# Rounds of extra calls a diagnosis may make, each call in a fresh probe process.


@dataclass
class Probed:
    """A submission's run, its outcomes per function, and the scored results."""

    run: execute.RunResult
    outcomes: dict[str, list[tuple[object, str | None]]]
    results: dict[str, FunctionResult]
    # The forbidden-shortcut findings as grader.forbidden lists them: the scan's, and what
    # the graded calls were seen to use at run time.
    found: dict[str, list[str]] = field(default_factory=dict)


def known(assignment: Assignment) -> Assignmentish:
    return Assignmentish(
        assignment.reference,
        assignment.composition,
        assignment.parts,
        {name: assignment.parameters(name) for name in assignment.functions},
    )


def _score(
    assignment: Assignment,
    cases: Mapping[str, Sequence[HiddenCase]],
    outcomes: Mapping[str, list[tuple[object, str | None]]],
    forbidden: Mapping[str, list[str]],
    rules: Rules,
) -> dict[str, FunctionResult]:
    return {
        f.name: score_function(
            f.name, f.points, cases[f.name], outcomes[f.name], rules, forbidden.get(f.name, [])
        )
        for f in assignment.config.functions
    }


def _outcomes(assignment, cases, probes) -> tuple[dict, dict]:
    """Each function's ``(value, error)`` pairs and its probe outcomes, from the probes made
    in the order of the calls."""
    outcomes, notes, start = {}, {}, 0
    for name in assignment.functions:
        notes[name] = probes[start : start + len(cases[name])]
        outcomes[name] = [(p.value, p.error) for p in notes[name]]
        start += len(cases[name])
    return outcomes, notes


def probe_and_score(
    notebook: Path,
    files_dir: Path | None,
    limits: execute.Limits,
    assignment: Assignment,
    cases: Mapping[str, Sequence[HiddenCase]],
    forbidden_of: Callable[[str], Mapping[str, list[str]]],
    shared_cells: Sequence[str] = (),
    meanwhile: Callable[[], object] | None = None,
) -> Probed:
    """Run ``notebook``, score every graded function on ``cases`` and add the diagnosis;
    ``forbidden_of(code)`` scans the notebook's code for forbidden shortcuts; ``shared_cells``
    (the release's grader-owned cells) are run once for every submission; ``meanwhile`` is the
    caller's work done while the submission's processes start (see ``run_submission``).

    The marks come from the graded probes (each function in a fresh process); while the
    notebook's state is at hand, ``explore`` scores those outcomes and, only when something
    lost points, diagnoses it, each extra call in a fresh session. Its hints are kept for the
    functions that lost points; a full-marks submission costs no extra process."""
    rules = Rules.of(assignment)
    names = assignment.functions
    calls = [execute.ProbeCall(n, c.args) for n in names for c in cases[n]]

    def call_batch(open_session, batch):
        answers = []
        with contextlib.ExitStack() as stack:
            session, before = None, None
            for function, args, *stand_ins in batch:  # stand-ins: a part answered right
                if session is None or before != (function, id(args)) or stand_ins:
                    stack.close()  # else: a repeat, in the same process
                    session = stack.enter_context(open_session())
                before = (function, id(args))
                probe = session.call(function, args, *stand_ins)
                answers.append((probe.value, probe.error, probe))
        return answers

    def explore(open_session, probes):
        outcomes, notes = _outcomes(assignment, cases, probes)
        results = _score(assignment, cases, outcomes, {}, rules)
        if all(r.passed for r in results.values()):
            return {}
        diagnose(
            results,
            cases,
            outcomes,
            known(assignment),
            rules,
            lambda batch: call_batch(open_session, batch),
            GRADING.session_rounds,
            notes,
        )
        return {n: (r.hints, r.hint_messages) for n, r in results.items() if not r.passed}

    run = execute.run_submission(
        notebook,
        calls,
        limits,
        files_dir,
        explore=explore,
        shared_cells=tuple(shared_cells),
        forbidden_calls=assignment.config.forbidden_calls,
        meanwhile=meanwhile,
    )
    outcomes, notes = _outcomes(assignment, cases, run.probes)
    found = with_runtime(forbidden_of(run.code), notes)
    results = _score(assignment, cases, outcomes, found, rules)
    explored = run.explored if isinstance(run.explored, dict) else None
    if explored is None:  # the notebook left no state to explore: the hints of the values
        diagnose(results, cases, outcomes, known(assignment), rules, None, 0, notes)
    for name, result in results.items():
        if not result.passed and explored and name in explored:
            hints, messages = explored[name]
            result.hints, result.hint_messages = list(hints), dict(messages)
    return Probed(run, outcomes, results, found)
