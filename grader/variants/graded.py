"""The values a hand-in is graded on: those recorded at release for the student it is
attributed to (by the roster, through collect or watch), never those the notebook claims; the
class-wide values for a student never released their own, or outside a course."""

from __future__ import annotations

from grader.assignment.config import AssignmentConfig
from grader.variants.attribution import record_of
from grader.variants.definition import Value
from grader.variants.release import definition_of


def graded_values(config: AssignmentConfig, student: str) -> dict[str, Value] | None:
    """The student's values (None for an assignment without [variants])."""
    if not config.variants:
        return None
    record = record_of(config.directory, config.name)
    released = None if record is None else record.of(student)
    if released is not None:
        return dict(released.values)
    return definition_of(config).class_wide()
