"""Probe a submission's graded functions, score the answers, and diagnose what lost points.

The marks come from the first calls only (one batch of every function's cases). Diagnosis
(:mod:`grader.scoring.diagnose`) then calls the student's code again, for hints only: through
the engine's interactive sessions where the engine offers them (``run_submission(...,
explore=...)``), otherwise, as a fallback, by running the notebook again with a batch of probe
calls per round, and only when a function lost points.
"""

from __future__ import annotations

import inspect
from collections.abc import Callable, Mapping, Sequence
from dataclasses import dataclass
from pathlib import Path

from grader import execute
from grader.assignment import Assignment
from grader.scoring import FunctionResult, Rules, score_function
from grader.scoring.diagnose import Assignmentish, diagnose
from grader.scoring.values import HiddenCase

# Rounds of extra calls a diagnosis may make: each costs a run of the notebook in the fallback.
FALLBACK_ROUNDS = 3
SESSION_ROUNDS = 10


@dataclass
class Probed:
    """A submission's run, its outcomes per function, and the scored results."""

    run: execute.RunResult
    outcomes: dict[str, list[tuple[object, str | None]]]
    results: dict[str, FunctionResult]


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


def _engine_explores() -> bool:
    return "explore" in inspect.signature(execute.run_submission).parameters


def probe_and_score(
    notebook: Path,
    files_dir: Path | None,
    limits: execute.Limits,
    assignment: Assignment,
    cases: Mapping[str, Sequence[HiddenCase]],
    forbidden_of: Callable[[str], Mapping[str, list[str]]],
) -> Probed:
    """Run ``notebook``, score every graded function on ``cases`` and add the diagnosis;
    ``forbidden_of(code)`` scans the notebook's code for forbidden shortcuts."""
    rules = Rules.of(assignment)
    names = assignment.functions
    if _engine_explores():
        return _with_sessions(notebook, files_dir, limits, assignment, cases, forbidden_of, rules)
    calls = [execute.ProbeCall(n, c.args) for n in names for c in cases[n]]
    run = execute.run_submission(notebook, calls, limits, files_dir)
    outcomes, notes, start = {}, {}, 0
    for name in names:  # probes come back in the order of the calls
        probes = run.probes[start : start + len(cases[name])]
        outcomes[name] = [(p.value, p.error) for p in probes]
        notes[name] = probes
        start += len(cases[name])
    results = _score(assignment, cases, outcomes, forbidden_of(run.code), rules)

    def call_batch(batch):
        probes = execute.run_submission(
            notebook, [execute.ProbeCall(f, a) for f, a in batch], limits, files_dir
        ).probes
        return [(p.value, p.error, p) for p in probes]

    usable = run.status == "completed"
    diagnose(
        results,
        cases,
        outcomes,
        known(assignment),
        rules,
        call_batch if usable else None,
        FALLBACK_ROUNDS,
        notes,
    )
    return Probed(run, outcomes, results)


def _with_sessions(notebook, files_dir, limits, assignment, cases, forbidden_of, rules) -> Probed:
    """The engine's interactive probing: each function's cases in a fresh session, then the
    diagnosis's calls, each in a fresh session too, while the notebook's state is at hand."""
    names = assignment.functions
    try:
        code = "\n\n".join(source for _, source in execute.read_code_cells(notebook))
    except execute.NotANotebook:
        code = ""
    forbidden = forbidden_of(code)

    def call_batch(open_session, batch):
        answers = []
        for function, args in batch:
            with open_session() as session:
                probe = session.call(function, args)
            answers.append((probe.value, probe.error, probe))
        return answers

    def explore(open_session):
        outcomes, notes = {}, {}
        for name in names:
            with open_session() as session:
                notes[name] = [session.call(name, c.args) for c in cases[name]]
            outcomes[name] = [(p.value, p.error) for p in notes[name]]
        results = _score(assignment, cases, outcomes, forbidden, rules)
        diagnose(
            results,
            cases,
            outcomes,
            known(assignment),
            rules,
            lambda batch: call_batch(open_session, batch),
            SESSION_ROUNDS,
            notes,
        )
        return outcomes, results

    run = execute.run_submission(notebook, [], limits, files_dir, explore=explore)
    if getattr(run, "explored", None) is None:
        why = f"not called: {run.reason or 'the notebook did not run to the end'}"
        outcomes = {n: [(None, why)] * len(cases[n]) for n in names}
        return Probed(run, outcomes, _score(assignment, cases, outcomes, forbidden, rules))
    outcomes, results = run.explored
    return Probed(run, outcomes, results)
