"""The written answers' part of a student's feedback mail: per question the points and the
marker's comment, or "not marked yet" (never a 0 for an answer no one has marked). The
marker's name is never given: a blind course's students must not learn who marked them, and a
named one gains nothing from it in a mail."""

from __future__ import annotations

from collections.abc import Mapping
from typing import TYPE_CHECKING

from grader.course.config import Course
from grader.gradebook.course_book import CourseBook

if TYPE_CHECKING:
    from grader.assignment.written import WrittenQuestion

NOT_MARKED = "not marked yet"
Feedback = list[tuple[str, list]]  # what written_feedback finds


def asked_questions(course: Course) -> dict[str, tuple[WrittenQuestion, ...]]:
    """Each component's written questions, by its id: read from its assignment.toml once per
    run, not once per student (a class of 1,000 read them 9,000 times, a fifth of a mail run's
    time)."""
    # Imported here: it reads assignment folders (the instructor's extra), and every command
    # line, a student's too, imports this module with the mail command's parser.
    from grader.marking import written_marks

    return {
        component.id: written_marks.questions(course, component) for component in course.components
    }


def written_feedback(
    course: Course,
    asked_by: Mapping[str, tuple[WrittenQuestion, ...]],
    book: CourseBook,
    student: str,
) -> Feedback:
    """(assignment title, [(question id, points or None, most points, comment)]) of every
    assignment with written questions (``asked_by``: :func:`asked_questions`), in the
    course's order."""
    from grader.marking import written_marks

    found = []
    for component in course.components:
        asked = asked_by[component.id]
        if not asked:
            continue
        marks = {m.criterion: m for m in book.marks(student, component.id)}
        rows = []
        for question in asked:
            mark = marks.get(written_marks.criterion_of(question.id))
            points = None if mark is None else mark.points
            comment = "" if mark is None or points is None else mark.comment.strip()
            rows.append((question.id, points, question.points, comment))
        found.append((component.title, rows))
    return found


def _shown(points: float | None, most: float) -> str:
    return NOT_MARKED if points is None else f"{points:g}/{most:g}"


def written_text(feedback: Feedback) -> list[str]:
    """The mail's plain-text lines of the student's ``feedback`` ([] when the course asks no
    written question)."""
    lines = []
    for title, rows in feedback:
        lines.append(f"{title}, written answers:")
        for question, points, most, comment in rows:
            said = f": {comment}" if comment else ""
            lines.append(f"  {question}: {_shown(points, most)}{said}")
        lines.append("")
    return lines


def written_rows(feedback: Feedback) -> list[tuple[str, list]]:
    """The same for the mail's HTML part: (assignment title, [(question id, points shown,
    comment)]), which its template lays out as a table per assignment."""
    return [
        (
            title,
            [(question, _shown(points, most), comment) for question, points, most, comment in rows],
        )
        for title, rows in feedback
    ]
