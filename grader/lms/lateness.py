"""When each component counts as handed in, and what the course's late policy does to it: the
hand-in time of the graded version (:mod:`grader.intake.handed_in`; unknown, with the LMS's
verdict, where the LMS gave no time), the student's deadline (an extension's, else the
course's), the grace period, and a time written without an offset."""

from __future__ import annotations

from dataclasses import replace
from datetime import datetime
from pathlib import Path

from grader.course import late
from grader.course.config import Component, Course
from grader.gradebook.course_book import ProjectChecks
from grader.gradebook.results import Row
from grader.hand_in_time import HandInTime
from grader.intake.handed_in import NOTHING, HandedIn, assignment_time, project_time


def auto_handed_in(row: Row, component_id: str) -> tuple[HandedIn, str]:
    """When the graded version of an assignment was handed in: the time recorded when it was
    graded (its own mail's), else, for a row graded before times were recorded, the one the
    student folder gives (with how it was found); and a remark when the folder now holds a
    newer version, not graded yet."""
    folder = Path(row.source)
    held = assignment_time(folder, component_id) if folder.is_dir() else NOTHING
    if not row.handed_in_at:
        return held, ""
    if held.at and held.at != row.handed_in_at:
        newer = (
            f"graded: the version sent {_shown(row.handed_in_at)}; the one sent "
            f"{_shown(held.at)} is not graded yet (grader grade --resume grades it)"
        )
        return HandedIn(HandInTime(row.handed_in_at)), newer
    return replace(held, time=HandInTime(row.handed_in_at)), ""


def _shown(at: str) -> str:
    """A hand-in time as the remarks show it: to the minute, with its offset."""
    try:
        return datetime.fromisoformat(at).isoformat(" ", "minutes")
    except ValueError:
        return at


def hand_in_lateness(
    policy: late.LatePolicy, submitted_at: str | None, deadline: datetime | None
) -> tuple[late.Lateness, bool]:
    """The late policy applied to a recorded hand-in time; and whether that time was readable.

    A time without a UTC offset (a hand edit, another tool's manifest) is read in the zone of
    the deadline it is measured against, the course's own clock, and the reason says so."""
    try:
        submitted = datetime.fromisoformat(submitted_at) if submitted_at else None
    except (TypeError, ValueError):
        submitted = None
    if submitted is None:
        return late.apply(policy, None, deadline), False
    if submitted.tzinfo is not None or deadline is None:
        return late.apply(policy, submitted, deadline), True
    lateness = late.apply(policy, submitted.replace(tzinfo=deadline.tzinfo), deadline)
    if lateness.late:
        zone = deadline.tzname()  # e.g. UTC+05:30, as tomllib reads the offset
        why = f"{lateness.why}; the hand-in time {submitted_at} has no zone, read as {zone}"
        lateness = replace(lateness, why=why)
    return lateness, True


def lateness_of(
    course: Course,
    component: Component,
    student: str,
    handed_in: HandInTime,
    flagged: bool | None,
) -> late.Lateness:
    """What the course's late policy does to a hand-in of ``component`` at ``handed_in``,
    against the student's own deadline (an extension's, else the course's). Where the time is
    unknown: the LMS's verdict, if it gave one (:func:`verdict_lateness`); else one ``flagged``
    late (collect's word on it, from an earlier build) counts as one day late."""
    if handed_in.late_verdict and not handed_in.at:
        return verdict_lateness(course, component, student, handed_in.late_verdict)
    deadline = course.deadline_for(component, student)
    lateness, known = hand_in_lateness(course.late, handed_in.at or None, deadline)
    if not known and flagged and deadline is not None:
        guessed = late.apply(course.late, deadline + late.DAY, deadline)
        lateness = late.Lateness(
            guessed.factor, f"late, time unknown (counted as 1 day): {guessed.why}", True
        )
    return lateness


def project_handed_in(
    course: Course, component: Component, checked: ProjectChecks | None
) -> HandInTime:
    """When the project of its newest checks was handed in: the time the checks recorded (its
    last file's), or, for checks recorded before that time was, the student folder's, else
    the time recorded beside them (the folder's newest mail). Where the checks recorded no
    time, the student folder's verdict of the LMS, if it gave one."""
    if checked is None:
        return HandInTime()
    recorded = checked.checks.get("handed_in_at")
    if recorded:
        return HandInTime(recorded)
    folder = checked.checks.get("folder")
    held = (
        project_time(Path(folder), course.projects.index(component) + 1).time
        if folder and Path(folder).is_dir()
        else HandInTime()
    )
    if "handed_in_at" in checked.checks:  # recorded as unknown: the LMS's verdict, if any
        return HandInTime("", held.late_verdict)
    return held if held.at or not checked.submitted_at else HandInTime(checked.submitted_at)


def graded_version_lateness(
    course: Course, component: Component, row: Row
) -> tuple[late.Lateness, list[str]]:
    """The late policy on an auto-graded result, by when its graded version was handed in;
    and the remarks that go with it: a newer version not graded yet, a resend after the
    deadline that replaced one sent on time, a time that had to be guessed (said where it
    costs the student)."""
    handed, newer = auto_handed_in(row, component.id)
    lateness = lateness_of(course, component, row.student, handed.time, row.late)
    remarks = [newer, handed.note if lateness.late else ""]
    on_time = [
        earlier
        for earlier in handed.replaced
        if lateness_of(course, component, row.student, HandInTime(earlier), None).factor == 1.0
    ]
    if lateness.factor < 1.0 and on_time and handed.at:
        remarks.append(
            f"graded: the version sent {_shown(handed.at)}, which replaced one sent on time "
            f"({_shown(on_time[-1])})"
        )
    return lateness, [remark for remark in remarks if remark]


def verdict_lateness(
    course: Course, component: Component, student: str, verdict: str
) -> late.Lateness:
    """An LMS's verdict that a hand-in came late, without a time (Canvas's download says LATE
    and nothing more): how late is unknown, so the policy charges nothing it cannot compute,
    and the words say what the instructor can do."""
    extension = course.extensions.of(student, component.id)
    excused = (
        f"; {student} has an extension to {extension.deadline.isoformat(' ', 'minutes')}"
        if extension
        else ""
    )
    return late.Lateness(
        1.0,
        f"late by {verdict}, how late is unknown (the download gives no time{excused}): no "
        f"penalty charged; to charge one, write the hand-in time the LMS shows as the slot's "
        '"at" in the student\'s manifest.json, or to excuse it, give an extension in '
        "extensions.csv",
        True,
    )
