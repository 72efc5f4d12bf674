"""What the course's late policy does to one hand-in, for the feedback page: found where the
assignment folder lies in a course (``course.toml`` beside the assignment folders, or one level
above them, as ``grader init`` lays them out), else None and the page says that ``grader final``
applies the policy."""

from __future__ import annotations

from pathlib import Path

from grader.course.config import DEFAULT_DECIMALS, listing_course
from grader.course.late import Lateness
from grader.hand_in_time import HandInTime
from grader.lms.lateness import lateness_of
from grader.outputs.scores import for_people


def course_lateness(
    assignment_dir: Path,
    component_id: str,
    student: str,
    handed_in: HandInTime,
    flagged: bool | None,
) -> Lateness | None:
    """The policy's verdict on a hand-in at ``handed_in`` (the graded notebook's own time, or
    the LMS's verdict where it gave none: :mod:`grader.intake.handed_in`); None where the
    grading does not know the course (no course file that lists this assignment folder)."""
    course = listing_course(assignment_dir, component_id)
    component = None if course is None else course.component(component_id)
    if course is None or component is None:
        return None
    return lateness_of(course, component, student, handed_in, flagged)


def late_text(
    late: bool | None,
    lateness: Lateness | None,
    score: float,
    max_score: float,
    decimals: int = DEFAULT_DECIMALS,
) -> str:
    """The feedback page's words on lateness, its scores to ``decimals``; "" for a hand-in on
    time."""
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
        f" {for_people(lateness.factor * 100, decimals)}% of its score:"
        f" {for_people(kept, decimals)} of {for_people(max_score, decimals)}"
        f" (not {for_people(score, decimals)})"
        f" counts toward the final grade, as `grader final` computes it."
    )
