"""What grading says of a hand-in of a per-student assignment: the functions the student is
graded on (their drawn questions), whose notebook and whose numbers it is against the student's
own (:mod:`~grader.variants.attribution`, :mod:`~grader.variants.numbers`), and the grader-owned
cells it should carry."""

from __future__ import annotations

from collections.abc import Mapping
from dataclasses import dataclass

import nbformat

from grader.assignment.config import AssignmentConfig, GradedFunction
from grader.variants import attribution, numbers, pools
from grader.variants.record import Record
from grader.variants.release import definition_of


def graded_for(config: AssignmentConfig, student: str) -> tuple[GradedFunction, ...]:
    """The functions ``student``'s hand-in is graded on: with [[pools]], those their release
    recorded (every function for a student never released per student)."""
    if not config.pools:
        return config.functions
    record = attribution.record_of(config.directory, config.name)
    released = None if record is None else record.of(student)
    return pools.graded_functions(config, released.questions if released else {})


@dataclass(frozen=True)
class HandedVariant:
    """What grading says of a hand-in of a per-student assignment."""

    verdict: attribution.Verdict
    notes: list[str]  # for the student's feedback: the variant, their drawn questions
    owned: dict[str, str]  # the grader-owned cells' checksums of the notebook handed in


def handed_variant(
    config: AssignmentConfig,
    record: Record,
    student: str,
    notebook: nbformat.NotebookNode,
    read: Mapping[str, object] | None = None,
) -> HandedVariant:
    """The hand-in's variant against the student's own, and the questions they were drawn.
    ``read``: the constants as its run held them (variable -> value), where it was run. Its
    numbers are checked whatever its metadata claims: a notebook claiming to be the
    class-wide one must hold the class-wide values, and another student's numbers are named."""
    found = attribution.verdict(record, student, notebook.metadata)
    own = record.of(student)
    # the notebook released to another student carries that student's grader-owned cells
    whose = record.of(found.owner) if found.owner else own
    expected = {} if whose is None or found.flag == attribution.CLASS_WIDE else whose.owned
    if found.owner is None and config.variants:
        handed = numbers.held_values(read or {}, notebook, config.source)
        class_wide = definition_of(config).class_wide()
        fine = class_wide if found.flag == attribution.CLASS_WIDE else None
        found = numbers.numbers_verdict(record, student, handed, fine) or found
    notes = [found.note] if found.note else []
    if own is not None and own.questions:
        total = sum(f.points for f in pools.graded_functions(config, own.questions))
        notes.append(
            f"Your questions, drawn for you at release: {pools.said(own.questions, config)};"
            f" only these are graded, out of {total:g} points"
        )
    return HandedVariant(found, notes, dict(expected))


def variant_of(
    config: AssignmentConfig,
    student: str,
    notebook: nbformat.NotebookNode,
    read: Mapping[str, object] | None = None,
) -> HandedVariant | None:
    """A per-student assignment's word on the hand-in's variant against the student's own
    (:mod:`grader.variants.attribution`) and their drawn questions; None for an assignment
    without [variants] or [[pools]], or never released per student. ``read``: the constants
    as the run held them."""
    if not config.variants and not config.pools:
        return None
    record = attribution.record_of(config.directory, config.name)
    return None if record is None else handed_variant(config, record, student, notebook, read)
