"""``grader final``: every roster student's final grade from the gradebooks.

Each component's fraction comes from the newest grading (auto-graded assignments, in
``<out>/<component>/gradebook.sqlite``) or from the rubric marks (projects, in
``<out>/gradebook.sqlite``), so a regrade or a changed mark flows through on the next run. The
late policy is applied per component, with the reason; missing work counts 0, with a word.
"""

from __future__ import annotations

from collections.abc import Sequence
from dataclasses import dataclass, replace
from pathlib import Path
from typing import TYPE_CHECKING

from grader.course import late
from grader.course.config import Component, Course
from grader.course.rubric import Projects, Rubric
from grader.gradebook.course_book import BOOK_NAME, CourseBook, Mark
from grader.gradebook.results import GRADER_ERROR, Gradebook, Row
from grader.lms.lateness import graded_version_lateness, lateness_of, project_handed_in
from grader.marking import overrides
from grader.marking.marks import project_score, reconcile_ids
from grader.outputs.scores import for_people
from grader.roster import Person

if TYPE_CHECKING:  # the assignment package needs the instructor's extra; a student's does not
    from grader.assignment.written import WrittenQuestion


@dataclass(frozen=True)
class Part:
    """One component of one student's grade."""

    component: str
    status: str  # graded | missing | not marked | partly marked | not graded yet
    raw: float  # fraction of the component earned before any late penalty, 0..1
    lateness: late.Lateness
    note: str  # the word that goes with a missing or unusual part
    pending: bool = False  # no grade yet (not graded, not marked): never shown as a 0

    @property
    def fraction(self) -> float:
        return self.raw * self.lateness.factor

    def explanation(self) -> str:
        words = [self.note] if self.note else []
        if self.lateness.late:
            words.append(self.lateness.why)
        return "; ".join(words)


@dataclass(frozen=True)
class FinalGrade:
    person: Person
    parts: tuple[Part, ...]
    total: float  # on the course's scale, every component counted (a pending one as 0)
    standing: float | None  # on the course's scale, over the graded components only

    @property
    def pending(self) -> tuple[Part, ...]:
        return tuple(part for part in self.parts if part.pending)

    @property
    def graded(self) -> tuple[Part, ...]:
        return tuple(part for part in self.parts if not part.pending)


def auto_rows(
    out: Path, component: Component, students: Sequence[str] | None = None
) -> dict[str, Row] | None:
    """The newest result per student (or of ``students`` only: a page of a large class) of one
    auto-graded component, as it stands now (with the markers' changes of
    :mod:`grader.marking.overrides`), or None if never graded."""
    path = out / component.id / BOOK_NAME
    if not path.is_file():
        return None
    with Gradebook(path) as book:
        if students is None:
            found = book.latest()
        else:
            found = [row for student in students for row in book.history(student)[-1:]]
        rows = {row.student: row for row in found}
    return overrides.applied(out, component.id, rows)  # a regrade request's accepted change


def auto_part(course: Course, component: Component, row: Row | None, graded: bool) -> Part:
    if not graded:
        return Part(component.id, "not graded yet", 0.0, late.ON_TIME, "not graded yet", True)
    if row is None or row.status == "missing":
        return Part(component.id, "missing", 0.0, late.ON_TIME, "no hand-in: 0")
    if row.status == GRADER_ERROR:  # the grader failed on it: no score to count yet
        why = "not graded yet: the grader could not grade it (grade it again with --resume)"
        return Part(component.id, "not graded yet", 0.0, late.ON_TIME, why, True)
    raw = row.score / row.max_score if row.max_score else 0.0
    note = "" if row.status == "graded" else f"{row.status}: {row.reason or ''}".strip(": ")
    lateness, remarks = graded_version_lateness(course, component, row)
    said = [note, *remarks]
    note = _extended(course, component, row.student, "; ".join(filter(None, said)))
    return Part(component.id, "graded", raw, lateness, note)


def _extended(course: Course, component: Component, student: str, note: str) -> str:
    """The note, with the student's extended deadline when they have one."""
    extension = course.extensions.of(student, component.id)
    if extension is None:
        return note
    extended = f"deadline extended to {extension.deadline.isoformat(timespec='minutes')}"
    return "; ".join(filter(None, [note, extended]))


def project_part(
    course: Course, component: Component, book: CourseBook, rubric: Rubric, student: str
) -> Part:
    checks = book.latest_checks(student, component.id)
    marks = book.marks(student, component.id)
    latest = checks[0].checks if checks else {}
    handed_in = bool(latest) and (
        latest.get("notebook", {}).get("status") != "missing"
        or latest.get("report", {}).get("verdict") != "missing"
    )
    score = project_score(rubric, marks)
    if not handed_in and not score.marked:
        return Part(component.id, "missing", 0.0, late.ON_TIME, "no hand-in: 0")
    handed_in = project_handed_in(course, component, checks[0] if checks else None)
    lateness = lateness_of(course, component, student, handed_in, None)
    raw = score.points / score.max_points if score.max_points else 0.0
    if score.marked == 0:
        return Part(component.id, "not marked", 0.0, lateness, "not marked yet", True)
    if not score.complete:
        note = f"{score.marked} of {score.criteria} criteria marked (the rest count 0)"
        return Part(component.id, "partly marked", raw, lateness, note)
    return Part(component.id, "graded", raw, lateness, _extended(course, component, student, ""))


def final_grades(course: Course, out: Path, rubric: Rubric | None) -> list[FinalGrade]:
    """Every roster student's grade, in the roster's order."""
    return _grades(course, out, rubric, course.roster().students, None)


def grades_of_some(
    course: Course, out: Path, rubric: Rubric | None, people: Sequence[Person]
) -> list[FinalGrade]:
    """Some students' grades, as :func:`final_grades` gives them, reading those students'
    results only (one student's page, or one page of the list, of a class of thousands)."""
    return _grades(course, out, rubric, people, [person.id for person in people])


def _grades(
    course: Course,
    out: Path,
    rubric: Rubric | None,
    people: Sequence[Person],
    only: Sequence[str] | None,
) -> list[FinalGrade]:
    from grader.marking import written_marks  # reads assignment folders: instructor-only

    autos = {c.id: auto_rows(out, c, only) for c in course.components if c.kind == "auto"}
    asked = {c.id: written_marks.questions(course, c) for c in course.components}
    grades = []
    with CourseBook(out / BOOK_NAME) as book:
        ungraded = _nobody_graded(course, out, rubric, book)
        for person in people:
            parts = []
            for component in course.components:
                if component.kind == "auto":
                    rows = autos[component.id]
                    row = None if rows is None else rows.get(person.id)
                    part = auto_part(course, component, row, rows is not None)
                    if asked[component.id] and row is not None and part.status == "graded":
                        part = _with_written(part, row, asked[component.id], book, person.id)
                    parts.append(part)
                else:
                    assert rubric is not None  # loaded whenever the course has a project
                    parts.append(project_part(course, component, book, rubric, person.id))
            grades.append(_grade(course, person, parts, ungraded))
    return grades


def _nobody_graded(course: Course, out: Path, rubric: Rubric | None, book: CourseBook) -> set[int]:
    """The indexes of the components nobody on the roster has a grade for yet, pending for
    everyone: an assignment graded for nobody (or failed by the grader for everyone), a
    project nobody has a mark on (nobody handed it in, or nobody is marked yet). One query a
    component, so that one student's grade need not work out the whole class's."""
    students = [person.id for person in course.roster().students]
    found: set[int] = set()
    for index, component in enumerate(course.components):
        if not students:
            break
        if component.kind == "auto":
            path = out / component.id / BOOK_NAME
            if not path.is_file():
                found.add(index)
                continue
            with Gradebook(path) as results:
                statuses = results.latest_statuses()
            if all(statuses.get(student) == GRADER_ERROR for student in students):
                found.add(index)
        else:
            assert rubric is not None
            marks: dict[str, list[Mark]] = {}
            for mark in book.marks(component=component.id):
                marks.setdefault(mark.student, []).append(mark)
            if not any(project_score(rubric, marks.get(s, [])).marked for s in students):
                found.add(index)
    return found


def _grade(course: Course, person: Person, parts: list[Part], ungraded: set[int]) -> FinalGrade:
    parts = [
        replace(part, pending=True, note=_PENDING_NOTE[part.status])
        if index in ungraded and not part.pending
        else part
        for index, part in enumerate(parts)
    ]
    shares = list(zip(course.components, parts, strict=True))  # a part per component
    weighted = sum(c.weight * p.fraction for c, p in shares)
    total = round(weighted / course.total_weight * course.scale, 2)
    counted = [(c, p) for c, p in shares if not p.pending]
    weight = sum(c.weight for c, _ in counted)
    standing = (
        round(sum(c.weight * p.fraction for c, p in counted) / weight * course.scale, 2)
        if weight
        else None
    )
    return FinalGrade(person, tuple(parts), total, standing)


_PENDING_NOTE = {
    "missing": "nobody has handed it in or been marked yet",
    "not marked": "not marked yet",
    "not graded yet": "not graded yet",
}


def _with_written(
    part: Part, row: Row, asked: Sequence[WrittenQuestion], book: CourseBook, student: str
) -> Part:
    """An assignment's part with its written answers' marks counted; pending while any of
    them is not marked."""
    from grader.marking import written_marks

    score = written_marks.written_score(asked, book.marks(student, part.component))
    raw, note = written_marks.with_written(row.score, row.max_score, score)
    # an unmarked written answer leaves the part without a grade: pending (blank), never a 0
    pending = bool(score.unmarked)
    return replace(
        part, raw=raw, note="; ".join(n for n in (part.note, note) if n), pending=pending
    )


# The statuses of a component that has no grade for anyone yet: an auto-graded assignment
# never graded, a project nobody has a mark on. Its zeros hold a place in the total; they are
# not grades to hand to an LMS.
_PLACEHOLDERS = {"auto": {"not graded yet"}, "project": {"missing", "not marked"}}


def grades_of(course: Course, projects: Projects | None, out: Path) -> list[FinalGrade]:
    """Every student's final grade, read after the marks' ids are in the roster's spelling."""
    reconcile_ids(course, out)
    return final_grades(course, out, projects.rubric if projects else None)


def ungraded_components(course: Course, grades: list[FinalGrade]) -> list[Component]:
    """The components nobody has a grade for yet, in the course's order."""
    return [
        component
        for index, component in enumerate(course.components)
        if grades and all(g.parts[index].pending for g in grades)
    ]


def table(course: Course, grades: list[FinalGrade], so_far: bool = False) -> str:
    """The printed table: percent per component (* = late penalty, - = missing, pending = no
    grade yet), the total (``so_far``: the standing over the graded components only), and
    under it each remark in words."""
    last = f"standing/{course.scale:g}" if so_far else f"total/{course.scale:g}"
    header = ["student", "name", *(c.id for c in course.components), last]
    lines = [header]
    ungraded = [c.id for c in ungraded_components(course, grades)]
    remarks = [f"  {c}: nobody has a grade yet (pending)" for c in ungraded]
    for grade in grades:
        cells = [grade.person.id, grade.person.name]
        for part in grade.parts:
            mark = for_people(part.fraction * 100, course.decimals)
            if part.pending:
                mark = "pending"
            elif part.status == "missing":
                mark = "-"
            elif part.lateness.factor < 1:
                mark += "*"
            cells.append(mark)
            said = part.component not in ungraded or part.note not in _PENDING_NOTE.values()
            if part.explanation() and said:
                remarks.append(f"  {grade.person.id} {part.component}: {part.explanation()}")
        if so_far:
            cells.append(
                "-" if grade.standing is None else for_people(grade.standing, course.decimals)
            )
        else:  # as final-grades.csv: no total while a part is pending, never one counting it 0
            cells.append("pending" if grade.pending else for_people(grade.total, course.decimals))
        lines.append(cells)
    widths = [max(len(line[i]) for line in lines) for i in range(len(header))]
    text = "\n".join(
        "  ".join(c.ljust(w) for c, w in zip(line, widths, strict=True)) for line in lines
    )
    counted = (
        "standing over the graded components only"
        if so_far
        else "no total while a component is pending: see --so-far for the standing"
    )
    legend = f"(percent of each component; * late penalty applied; - missing, counted 0; {counted})"
    return text + "\n" + legend + ("\n" + "\n".join(remarks) if remarks else "")
