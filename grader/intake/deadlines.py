"""When each file of a collected hand-in was due, and whether it came late, within the grace
period, or on time.

Without a course there is one deadline (``--deadline``) for every file and no grace period.
With one, each file is due by its component's deadline (an assignment's notebook by the
assignment's, a project's files by the project's) and the course's grace period applies; a
student's extension (``extensions.csv``) replaces the deadline of that component, and an
explicit ``--deadline`` that of every file without an extension.
"""

from __future__ import annotations

from dataclasses import dataclass
from datetime import datetime, timedelta
from typing import Any

from grader.course.config import Component, Course
from grader.hand_in_time import HandInTime
from grader.intake.pairing import ASSIGNMENT_SLOT


@dataclass(frozen=True)
class Deadlines:
    fixed: datetime | None = None  # --deadline
    course: Course | None = None

    @property
    def grace(self) -> timedelta:
        return self.course.late.grace if self.course else timedelta(0)

    def _component(self, slot: str) -> Component | None:
        if self.course is None:
            return None
        if slot.startswith(ASSIGNMENT_SLOT):
            return self.course.component(slot.removeprefix(ASSIGNMENT_SLOT))
        head = slot.split("/", 1)[0]
        projects = self.course.projects
        if head.startswith("project") and head[7:].isdigit() and int(head[7:]) <= len(projects):
            return projects[int(head[7:]) - 1]
        return None

    def of(self, student: str, slot: str) -> datetime | None:
        """The deadline of one slot of the student's hand-in."""
        component = self._component(slot)
        if component is None or self.course is None:
            return self.fixed
        extension = self.course.extensions.of(student, component.id)
        if extension is not None:
            return extension.deadline
        return self.fixed or component.deadline

    def known(self) -> bool:
        return self.fixed is not None or self.course is not None


def apply_deadlines(manifest: dict[str, Any], deadlines: Deadlines) -> bool:
    """Set ``late``, ``late_files`` (after the deadline and its grace period) and
    ``grace_files`` (within the grace period: no penalty); whether they changed."""
    late_files: list[str] = []
    grace_files: list[str] = []
    student = manifest["student"]["id"]
    for slot, entry in manifest.get("slots", {}).items():
        project, _, key = slot.partition("/")
        name = entry.get("path") or f"{project} {key}: {entry.get('url')}"
        standing = HandInTime.of_record(entry).standing(
            deadlines.of(student, slot), deadlines.grace
        )
        {"late": late_files, "grace": grace_files}.get(standing, []).append(name)
    late = bool(late_files)
    if deadlines.course is None and deadlines.fixed and manifest["submitted_at"]:  # before slots
        late = late or datetime.fromisoformat(manifest["submitted_at"]) > deadlines.fixed
    before = (manifest.get("late"), manifest.get("late_files"), manifest.get("grace_files", []))
    manifest["late"], manifest["late_files"] = late, sorted(late_files)
    manifest["grace_files"] = sorted(grace_files)
    return before != (late, manifest["late_files"], manifest["grace_files"])
