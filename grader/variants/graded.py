"""The values a hand-in is graded on: those recorded at release for the student it is
attributed to (by the roster, through collect or watch), never those the notebook claims; the
class-wide values for a student never released their own, or outside a course."""

from __future__ import annotations

from collections.abc import Mapping

from grader.assignment.config import AssignmentConfig
from grader.assignment.variant_definition import Value
from grader.variants.attribution import record_of
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


def released_values(
    config: AssignmentConfig, metadata: Mapping[str, object]
) -> dict[str, Value] | None:
    """The values of the release the notebook's metadata names (by its fingerprint, looked up
    in the record): what its self-check cells were built on, to tell another student's intact
    cells from edited ones. Never what the hand-in is graded on."""
    grader_metadata = metadata.get("grader")
    claimed = grader_metadata.get("variant") if isinstance(grader_metadata, Mapping) else None
    record = record_of(config.directory, config.name) if config.variants else None
    if record is None or not isinstance(claimed, Mapping):
        return None
    owner = record.owner_of(str(claimed.get("fingerprint", "")))
    released = None if owner is None else record.of(owner)
    return None if released is None else dict(released.values)
