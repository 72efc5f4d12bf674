"""A marker's decision on a regrade request: accepted (the marks of the parts it names change,
each with its audit row and the marker's comment) or declined (with the reason). The decision
and the answer the student reads are stored together; ``grader watch`` mails the answer in the
student's thread. Whatever front end decides (the dashboard) calls :func:`decide`.
"""

from __future__ import annotations

from collections.abc import Mapping
from dataclasses import dataclass
from pathlib import Path

from grader.assignment.config import load_config
from grader.course.config import Course
from grader.course.rubric import Projects
from grader.errors import UserError
from grader.gradebook.course_book import BOOK_NAME, CourseBook, MarkChange
from grader.gradebook.results import Gradebook, Row
from grader.marking import overrides
from grader.regrades.book import ACCEPTED, DECLINED, OPEN, Request, RequestBook


@dataclass(frozen=True)
class Part:
    """One part a request names, as the marker sees it."""

    name: str
    points: float | None  # what the student has now
    most: float  # the most it can have


def graded_row(out: Path, request: Request) -> Row | None:
    """The grading the student's feedback came from (the newest), for an auto-graded request."""
    path = out / request.component / BOOK_NAME
    if not path.is_file():
        return None
    with Gradebook(path) as book:
        history = [row for row in book.history(request.student) if row.status != "error"]
    return history[-1] if history else None


def parts_now(course: Course, out: Path, projects: Projects | None, request: Request) -> list[Part]:
    """The named parts with the points the student has now and the most they can have."""
    component = course.component(request.component)
    if component is None:
        raise UserError(f"'{request.component}' is no longer a component of {course.path}")
    if component.kind == "auto":
        row = graded_row(out, request)
        current = (
            overrides.applied(out, component.id, {row.student: row})[row.student] if row else None
        )
        most = {
            f.name: f.points for f in load_config(course.assignment_folder(component.id)).functions
        }
        written = _written(course, out, request)
        return [
            written[name]
            if name in written
            else Part(
                name, None if current is None else current.functions.get(name), most.get(name, 0.0)
            )
            for name in request.parts
        ]
    if projects is None:
        raise UserError(f"{course.path} has no projects folder: '{component.id}' has no rubric")
    with CourseBook(out / BOOK_NAME) as book:
        marks = {m.criterion: m.points for m in book.marks(request.student, component.id)}
    found = []
    for name in request.parts:
        criterion = projects.rubric.criterion(name)
        found.append(Part(name, marks.get(name), criterion.points if criterion else 0.0))
    return found


def _written(course: Course, out: Path, request: Request) -> dict[str, Part]:
    """The written answers of the request's assignment, with the student's marks."""
    from grader.marking import written_marks  # reads the assignment: instructor-only

    component = course.component(request.component)
    assert component is not None  # parts_now checked it
    with CourseBook(out / BOOK_NAME) as book:
        marks = {m.criterion: m.points for m in book.marks(request.student, component.id)}
    return {
        q.id: Part(q.id, marks.get(written_marks.criterion_of(q.id)), q.points)
        for q in written_marks.questions(course, component)
    }


def decide(
    course: Course,
    out: Path,
    projects: Projects | None,
    number: int,
    *,
    accept: bool,
    points: Mapping[str, float],
    comment: str,
    by: str,
) -> Request:
    """Record the decision on request ``number``; UserError (nothing changed) when it was
    decided already, a decline has no reason, or a mark is out of its range."""
    with RequestBook(out / BOOK_NAME) as book:
        request = book.find(number=number)
    if request is None:
        raise UserError(f"there is no regrade request #{number}")
    if request.state != OPEN:
        raise UserError(f"request #{number} is {request.state} already; nothing was changed")
    comment = comment.strip()
    if not comment:
        raise UserError("say why: the comment (or the reason to decline) goes to the student")
    parts = {part.name: part for part in parts_now(course, out, projects, request)}
    lines = []
    if accept:
        for name, value in points.items():
            part = parts.get(name)
            if part is None:
                raise UserError(f"request #{number} does not name '{name}'")
            if not 0 <= value <= part.most:
                raise UserError(f"{value:g} points for {name}: it is from 0 to {part.most:g}")
        changed = {n: v for n, v in points.items() if v != parts[n].points}
        if not changed:
            raise UserError("no mark was changed: give the new points, or decline with a reason")
        _apply(course, out, request, changed, comment, by)
        lines = [
            f"{name}: {_shown(parts[name].points)} -> {value:g} of {parts[name].most:g} points"
            for name, value in changed.items()
        ]
    answer = "\n".join([*lines, "", comment] if lines else [comment])
    with RequestBook(out / BOOK_NAME) as book:
        return book.decide(number, ACCEPTED if accept else DECLINED, answer, by)


def _apply(
    course: Course, out: Path, request: Request, changed: dict[str, float], comment: str, by: str
) -> None:
    why = f"regrade request #{request.id}: {comment}"
    component = course.component(request.component)
    assert component is not None  # parts_now checked it
    marked = dict(changed)  # rubric criteria and written answers: marks in the course's book
    criteria = {name: name for name in changed}
    if component.kind == "auto":
        from grader.marking import written_marks  # reads the assignment: instructor-only

        written = {q.id for q in written_marks.questions(course, component)}
        marked = {n: v for n, v in changed.items() if n in written}
        criteria = {n: written_marks.criterion_of(n) for n in marked}
        scored = {n: v for n, v in changed.items() if n not in written}
        row = graded_row(out, request) if scored else None
        if scored and row is None:
            raise UserError(f"{request.student} has no grading of {component.id} to change")
        for name, value in scored.items():
            assert row is not None  # checked above
            overrides.set_points(out, row, component.id, name, value, by=by, why=why)
        if not marked:
            return
    with CourseBook(out / BOOK_NAME) as book:
        marks = {m.criterion: m for m in book.marks(request.student, component.id)}
        changes = [
            MarkChange(
                request.student,
                component.id,
                criteria[name],
                value,
                marks[criteria[name]].comment if criteria[name] in marks else comment,
            )
            for name, value in marked.items()
        ]
        book.set_marks(changes, by=by, source=f"regrade:#{request.id}", why=why)


def _shown(points: float | None) -> str:
    return "-" if points is None else f"{points:g}"
