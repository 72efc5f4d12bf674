"""What the course's late policy does to one hand-in, for the feedback page: found where the
assignment folder lies in a course (``course.toml`` beside the assignment folders, or one level
above them, as ``grader init`` lays them out), else None and the page says that ``grader final``
applies the policy."""

from __future__ import annotations

from pathlib import Path

from grader.course.config import load_course
from grader.course.late import Lateness
from grader.errors import UserError
from grader.feedback.points import for_people
from grader.lms.lateness import auto_lateness


def course_lateness(
    assignment_dir: Path,
    component_id: str,
    student: str,
    handed_in_at: str | None,
    flagged: bool | None,
) -> Lateness | None:
    """The policy's verdict on a hand-in sent at ``handed_in_at`` (the graded notebook's own
    time: :mod:`grader.intake.handed_in`); None where the grading does not know the course (no
    course file that lists this assignment folder)."""
    folder = Path(assignment_dir).resolve()
    for candidate in (folder.parent / "course.toml", folder.parent.parent / "course.toml"):
        if not candidate.is_file():
            continue
        try:
            course = load_course(candidate)
        except (UserError, OSError):  # a course file that does not read says nothing here
            continue
        component = course.component(component_id)
        if component is None or course.assignment_folder(component.id).resolve() != folder:
            continue
        return auto_lateness(course, component, student, handed_in_at, flagged)
    return None


def late_text(late: bool | None, lateness: Lateness | None, score: float, max_score: float) -> str:
    """The feedback page's words on lateness; "" for a hand-in on time."""
    if lateness is None:
        if not late:
            return ""
        return (
            "This hand-in came after the deadline. The score above is before any late penalty:"
            " the course's late policy is applied by `grader final`, which computes the final"
            " grade."
        )
    if not lateness.late:
        return ""
    if lateness.factor >= 1.0:
        return f"Late: {lateness.why}. The course's late policy takes nothing off this score."
    kept = round(score * lateness.factor, 4)
    return (
        f"Late: {lateness.why}. Under the course's late policy this hand-in keeps"
        f" {for_people(lateness.factor * 100)}% of its score: {for_people(kept)} of"
        f" {for_people(max_score)} (not {for_people(score)})"
        f" counts toward the final grade, as `grader final` computes it."
    )
