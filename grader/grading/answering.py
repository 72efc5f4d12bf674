"""A hand-in's numeric answers (``[[answers]]``) and its student's values, for
:mod:`grader.grading.steps`: the values it is graded on, the answers read back from the sandbox
after the graded calls, and scored against the solution run on those values.
"""

from __future__ import annotations

import functools
import json
from collections.abc import Mapping, Sequence
from dataclasses import dataclass, field

import nbformat
import numpy as np

from grader import engine
from grader.assignment import (
    Assignment,
    AssignmentConfig,
    owned_cell_problems,
    owned_checksums,
)
from grader.assignment.answer_solutions import expected_answers
from grader.assignment.releasing import released_notebook
from grader.grading.submissions import HandIn
from grader.limits import GRADING
from grader.scoring import FunctionResult
from grader.scoring.numeric_answer import score_answer
from grader.variants import handed, numbers
from grader.variants.graded import graded_values, released_values

Values = Mapping[str, object]


@dataclass(frozen=True)
class KnownValues:
    """The values a hand-in is graded on, worked out where the course is (a Dask worker has
    no course folder: :mod:`grader.grading.remote`); None for an assignment without
    [variants]."""

    values: Values | None


def values_of(config: AssignmentConfig, student: str) -> KnownValues:
    """The values of the student the hand-in is attributed to, as recorded at release."""
    return KnownValues(graded_values(config, student))


def reads(config: AssignmentConfig) -> list[engine.ProbeCall]:
    """The reads after the graded calls: the constants the source assigns its [variants]'
    values (whose numbers the notebook runs with), then the answers' variables."""
    names = [*_constants(config), *(answer.name for answer in config.answers)]
    return [engine.ProbeCall(name, (), read=True) for name in names]


def _constants(config: AssignmentConfig) -> list[str]:
    return list(numbers.constants_of(config.source)) if config.variants else []


def variant_of(
    config: AssignmentConfig,
    submission: HandIn,
    notebook: nbformat.NotebookNode,
    run: engine.RunResult,
) -> handed.HandedVariant | None:
    """The hand-in's variant (:func:`grader.variants.handed.variant_of`), its numbers the
    constants as its run held them."""
    held = constants_held(config, run.probes)
    return handed.variant_of(config, submission.student, notebook, held)


def constants_held(
    config: AssignmentConfig, probes: Sequence[engine.ProbeOutcome]
) -> dict[str, object]:
    """variable -> value of each constant the run held as one number or a str (its read by
    :func:`reads`, just before the answers'); one it did not hold is left out."""
    names = _constants(config)
    end = len(probes) - len(config.answers)
    held: dict[str, object] = {}
    for name, read in zip(names, probes[end - len(names) : end], strict=True):
        if isinstance(read.value, str):
            held[name] = read.value
        elif isinstance(read.value, np.ndarray) and read.value.size == 1:
            number = float(read.value.item())
            held[name] = int(number) if number.is_integer() and abs(number) < 2**53 else number
    return held


def scored_answers(
    config: AssignmentConfig,
    probes: Sequence[engine.ProbeOutcome],
    values: Values | None,
    withhold: bool = False,
) -> dict[str, FunctionResult]:
    """Each answer's result from its read (the last ``len(config.answers)`` of ``probes``);
    with ``withhold``, its feedback does not state the right value."""
    if not config.answers:
        return {}
    expected = expected_answers(config, values)
    reads = probes[len(probes) - len(config.answers) :]
    return {
        answer.name: score_answer(answer, read.value, read.error, expected, values, withhold)
        for answer, read in zip(config.answers, reads, strict=True)
    }


def owned_problems_per_student(
    assignment: Assignment, notebook: nbformat.NotebookNode, values: Mapping[str, object]
) -> list[str]:
    """The grader-owned cells' problems against a per-student release: the student's own, or
    the one whose variant the notebook carries (another student's notebook is flagged as
    such, its intact cells are not "edited")."""
    problems = owned_cell_problems(notebook, owned_checksums_on(assignment, values))
    claimed = released_values(assignment.config, notebook.metadata)
    if problems and claimed is not None and claimed != values:
        return owned_cell_problems(notebook, owned_checksums_on(assignment, claimed))
    return problems


def owned_checksums_on(assignment: Assignment, values: Mapping[str, object]) -> dict[str, str]:
    """The grader-owned cells' checksums of the release on ``values``: a self-check whose
    public cases depend on the student's values differs from the class-wide one."""
    shown = json.dumps(dict(values), sort_keys=True)
    return dict(_owned_on(_ReleaseOf(repr(assignment.config), shown, assignment)))


@dataclass(frozen=True)
class _ReleaseOf:
    """A release on one set of values: the key of :func:`_owned_on` (the assignment rides
    along, not in the key)."""

    config: str
    values: str
    assignment: Assignment = field(compare=False)


@functools.lru_cache(maxsize=GRADING.answer_values_kept)
def _owned_on(of: _ReleaseOf) -> tuple[tuple[str, str], ...]:
    variant = {"student": "", "fingerprint": "", "values": json.loads(of.values)}
    return tuple(owned_checksums(released_notebook(of.assignment, variant)).items())
