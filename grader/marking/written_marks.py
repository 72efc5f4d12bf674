"""Marks of written answers: checked writes for any front end, the assignment's score with them,
and the CSV a marker can fill in a spreadsheet (``grader written export|import``).

A mark is stored in the course's ``gradebook.sqlite`` as rubric marks are (who, when, from
where, every save in the history), under the assignment's component and the criterion
``written:<question id>``. The CSV has one row per student: ``student, name, component``, then
for each question a points column named by its id and a ``<id> comment`` column, then
``total`` (read-only). An import applies only the cells that differ, all or nothing.
"""

from __future__ import annotations

from collections.abc import Sequence
from dataclasses import dataclass
from pathlib import Path

from grader.assignment.config import load_config
from grader.assignment.written import WrittenQuestion, questions_of
from grader.course.config import Component, Course
from grader.errors import UserError
from grader.gradebook.course_book import CourseBook, Mark, MarkChange
from grader.limits import COURSE
from grader.marking.marks import COMMENT_SUFFIX, roster_student, write_csv
from grader.marking.marks import _points as parsed_points
from grader.marking.marks import _read_rows as read_rows
from grader.roster import Roster

PREFIX = "written:"
_FIXED = ("student", "name", "component")


def criterion_of(question: str) -> str:
    return PREFIX + question


def questions(course: Course, component: Component) -> tuple[WrittenQuestion, ...]:
    """The written questions of an auto-graded component ((): none, or not an assignment)."""
    folder = course.assignment_folder(component.id)
    if component.kind != "auto" or not (folder / "assignment.toml").is_file():
        return ()
    return questions_of(load_config(folder))


@dataclass(frozen=True)
class WrittenScore:
    """One student's marked written answers of one assignment."""

    points: float
    max_points: float  # of the marked questions only
    marked: tuple[str, ...]
    unmarked: tuple[str, ...]


def written_score(questions: Sequence[WrittenQuestion], marks: Sequence[Mark]) -> WrittenScore:
    by_question = {
        m.criterion.removeprefix(PREFIX): m.points
        for m in marks
        if m.criterion.startswith(PREFIX) and m.points is not None
    }
    marked = [q for q in questions if q.id in by_question]
    return WrittenScore(
        sum(by_question[q.id] or 0.0 for q in marked),
        sum(q.points for q in marked),
        tuple(q.id for q in marked),
        tuple(q.id for q in questions if q.id not in by_question),
    )


def check_written_mark(
    questions: Sequence[WrittenQuestion],
    roster: Roster,
    student: str,
    question: str,
    points: float | None,
) -> str:
    """The roster's spelling of ``student``; UserError unless the mark fits the question."""
    student_id = roster_student(roster, student)
    if student_id is None:
        raise UserError(f"'{student}' is not a student on the roster ({roster.path})")
    found = next((q for q in questions if q.id == question), None)
    if found is None:
        known = ", ".join(q.id for q in questions) or "none"
        raise UserError(f"'{question}' is not a written question (the questions: {known})")
    if points is not None and not 0 <= points <= found.points:
        raise UserError(f"{points:g} points for '{question}': a mark is from 0 to {found.points:g}")
    return student_id


def record_written_mark(
    book: CourseBook,
    questions: Sequence[WrittenQuestion],
    roster: Roster,
    student: str,
    component: str,
    question: str,
    points: float | None,
    comment: str = "",
    *,
    by: str,
    source: str = "web",
) -> Mark:
    student_id = check_written_mark(questions, roster, student, question, points)
    return book.set_mark(
        student_id, component, criterion_of(question), points, comment, by=by, source=source
    )


# --- CSV ---------------------------------------------------------------------------------


def header(questions: Sequence[WrittenQuestion]) -> list[str]:
    columns = list(_FIXED)
    for question in questions:
        columns += [question.id, question.id + COMMENT_SUFFIX]
    return columns + ["total"]


def export_csv(
    book: CourseBook,
    component: str,
    questions: Sequence[WrittenQuestion],
    roster: Roster,
    path: Path,
) -> int:
    """One row per roster student; returns the number of rows."""
    rows = []
    for person in roster.students:
        marks = book.marks(person.id, component)
        current = {m.criterion: m for m in marks}
        row = {"student": person.id, "name": person.name, "component": component}
        for question in questions:
            mark = current.get(criterion_of(question.id))
            points = None if mark is None else mark.points
            row[question.id] = "" if points is None else f"{points:g}"
            row[question.id + COMMENT_SUFFIX] = "" if mark is None else mark.comment
        row["total"] = f"{written_score(questions, marks).points:g}"
        rows.append(row)
    write_csv(path, header(questions), rows)
    return len(rows)


def import_csv(
    book: CourseBook,
    component: str,
    questions: Sequence[WrittenQuestion],
    roster: Roster,
    path: Path,
    *,
    by: str,
) -> list[MarkChange]:
    """Apply the cells of ``path`` that differ from the gradebook; UserError naming every bad
    row, and then nothing is applied."""
    path = Path(path)
    rows, delimiter = read_rows(path)
    if not rows:
        raise UserError(f"{path}: the file is empty; export one with `grader written export`")
    columns = [c.strip() for c in rows[0]]
    known = {q.id: q for q in questions}
    for column in columns:
        if column not in (*_FIXED, "total") and column.removesuffix(COMMENT_SUFFIX) not in known:
            raise UserError(
                f"{path.name} row 1 (header): column '{column}' is not a written question of"
                f" {component} (the questions: {', '.join(known) or 'none'})"
            )
    if "student" not in columns:
        raise UserError(f"{path.name} row 1 (header): no 'student' column")
    errors: list[str] = []
    changes: list[MarkChange] = []
    seen: set[str] = set()
    for number, cells in enumerate(rows[1:], start=2):
        if not any(c.strip() for c in cells):
            continue
        row = dict(zip(columns, (c.strip() for c in cells), strict=False))
        student = roster_student(roster, row.get("student", ""))
        if student is None:
            errors.append(f"row {number}: '{row.get('student', '')}' is not on the roster")
            continue
        if student in seen:
            errors.append(f"row {number}: student {student} is given again")
            continue
        seen.add(student)
        if row.get("component", component) != component:
            errors.append(f"row {number}: component '{row['component']}', not {component}")
            continue
        current = {m.criterion: m for m in book.marks(student, component)}
        for question in questions:
            if question.id not in columns and question.id + COMMENT_SUFFIX not in columns:
                continue
            now = current.get(criterion_of(question.id))
            old_points, old_comment = (None, "") if now is None else (now.points, now.comment)
            try:
                points = (
                    parsed_points(row.get(question.id, ""), delimiter)
                    if question.id in columns
                    else old_points
                )
            except ValueError:
                errors.append(f"row {number}: {question.id} {row[question.id]!r} is not a number")
                continue
            if points is not None and not 0 <= points <= question.points:
                errors.append(
                    f"row {number}: {question.id} {points:g} is outside 0..{question.points:g}"
                )
                continue
            comment = row.get(question.id + COMMENT_SUFFIX, old_comment)
            if (points, comment) != (old_points, old_comment):
                changes.append(
                    MarkChange(student, component, criterion_of(question.id), points, comment)
                )
    if errors:
        shown = errors[: COURSE.shown_errors]
        more = f"\n  ... and {len(errors) - len(shown)} more" if len(errors) > len(shown) else ""
        raise UserError(f"nothing was imported from {path.name}:\n  " + "\n  ".join(shown) + more)
    book.set_marks(changes, by=by, source=f"import:{path.name}")
    return changes


def with_written(auto_points: float, auto_max: float, score: WrittenScore) -> tuple[float, str]:
    """An assignment's fraction with its marked written answers, and the note that goes with
    it: the unmarked ones count neither way until marked (never a 0)."""
    most = auto_max + score.max_points
    fraction = (auto_points + score.points) / most if most else 0.0
    if not score.unmarked:
        return fraction, ""
    return fraction, f"written answers not marked yet ({', '.join(score.unmarked)})"
