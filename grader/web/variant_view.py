"""What the dashboard shows of per-student variants: each student's own values and drawn
questions (from the course's release records) and the verdict grading gave their hand-in, a
notebook of another student's flagged with both students named."""

from __future__ import annotations

from dataclasses import dataclass

from grader.course.config import Course
from grader.gradebook.results import Row
from grader.variants.attribution import OWN, said_values
from grader.variants.record import read_record


@dataclass(frozen=True)
class StudentVariant:
    """One component's variant of one student."""

    component: str
    values: str  # "W_rec = 0.87, steps = 25"; "" without [variants]
    questions: str  # "pool A: f, g"; "" without [[pools]]
    verdict: str  # the hand-in's, as grading recorded it; "" before grading
    flagged: bool  # the hand-in is not the student's own notebook


def flagged(verdict: str) -> bool:
    return verdict not in ("", OWN)


def class_flags(rows: dict[str, Row]) -> list[tuple[str, str]]:
    """(student, verdict) of every hand-in that is not the student's own notebook."""
    return sorted((student, row.variant) for student, row in rows.items() if flagged(row.variant))


def student_variants(
    course: Course, student: str, latest: dict[str, Row | None]
) -> list[StudentVariant]:
    """The student's variant of each auto-graded component released per student; ``latest``:
    their newest result per component."""
    found = []
    for component in course.components:
        if component.kind != "auto":
            continue
        released = read_record(course.path.parent, component.id).of(student)
        row = latest.get(component.id)
        verdict = row.variant if row is not None else ""
        if released is None and not verdict:
            continue
        values = said_values(released.values) if released is not None else ""
        questions = (
            "; ".join(f"pool {p}: {', '.join(f)}" for p, f in released.questions.items())
            if released is not None
            else ""
        )
        found.append(StudentVariant(component.id, values, questions, verdict, flagged(verdict)))
    return found
