"""Rubric marks: validated writes for any front end, and ``grader marks export|import`` for
those who mark in a spreadsheet.

The CSV has one row per student and project: ``student, name, project``, then for each
criterion of the rubric a points column named by the criterion's id and a ``<id> comment``
column, then ``total`` (written for reading, ignored on import). An import applies exactly the
cells that differ from the gradebook (an emptied points cell clears that mark; a column left
out of the file changes nothing), all in one transaction; any bad row stops the whole import,
and the message names every bad row.
"""

from __future__ import annotations

import csv
import io
import sys
from collections.abc import Sequence
from dataclasses import dataclass
from pathlib import Path

from grader.course.config import Course
from grader.course.rubric import Projects, Rubric
from grader.errors import UserError
from grader.gradebook.course_book import BOOK_NAME, CourseBook, Mark, MarkChange
from grader.limits import COURSE
from grader.outputs import csvfile
from grader.roster import Roster

COMMENT_SUFFIX = " comment"
_FIXED = ("student", "name", "project")
_READ_ONLY = ("name", "total")


@dataclass(frozen=True)
class ProjectScore:
    points: float
    max_points: float
    marked: int  # criteria with a mark
    criteria: int

    @property
    def complete(self) -> bool:
        return self.marked == self.criteria


def project_score(rubric: Rubric, marks: Sequence[Mark]) -> ProjectScore:
    """The sum of one student's marks on one project (unmarked criteria count 0)."""
    by_criterion = {m.criterion: m for m in marks if m.points is not None}
    known = [by_criterion[c.id] for c in rubric.criteria if c.id in by_criterion]
    return ProjectScore(
        sum(m.points for m in known if m.points is not None),
        rubric.points,
        len(known),
        len(rubric.criteria),
    )


def check_mark(
    projects: Projects,
    roster: Roster,
    student: str,
    component: str,
    criterion: str,
    points: float | None,
) -> str:
    """The roster's spelling of ``student`` (ids match in any case); UserError unless this
    mark fits the roster and the rubric."""
    student_id = roster_student(roster, student)
    if student_id is None:
        raise UserError(_not_a_student(student, roster))
    if component not in {p.id for p in projects.projects}:
        known = ", ".join(p.id for p in projects.projects)
        raise UserError(f"'{component}' is not a project (the projects: {known})")
    found = projects.rubric.criterion(criterion)
    if found is None:
        raise UserError(_unknown_criterion(criterion, projects.rubric))
    if points is not None and not 0 <= points <= found.points:
        raise UserError(
            f"{points:g} points for '{criterion}': a mark is from 0 to {found.points:g}"
        )
    return student_id


def roster_student(roster: Roster, student: str) -> str | None:
    """The roster's spelling of a student's id given in any case, or None if no student has
    it. Marks are stored under this spelling only, so every reader finds them."""
    person = roster.by_id(student)
    return None if person is None or person.is_staff else person.id


def _not_a_student(student: str, roster: Roster) -> str:
    if roster.by_id(student) is not None:
        return f"'{student}' is staff on the roster ({roster.path}), not a student"
    return (
        f"student '{student}' is not on the roster ({roster.path}) in any case of its letters; "
        "`grader marks export` lists every student's id"
    )


def reconcile_ids(course: Course, out: Path) -> None:
    """Move marks stored under another case of a roster id to the roster's spelling (and say
    so) before a command reads them, so none reads past them."""
    with CourseBook(out / BOOK_NAME) as book:
        for note in reconcile_spellings(book, course.roster()):
            print(f"note: {note}", file=sys.stderr)


def reconcile_spellings(book: CourseBook, roster: Roster) -> list[str]:
    """Move marks stored under another case of a roster id (as ``marks set`` and ``marks
    import`` stored them before ids were matched to the roster) to the roster's spelling;
    one line per student moved, for the instructor."""
    notes = []
    for stored in book.marked_students():
        student_id = roster_student(roster, stored)
        if student_id is None or student_id == stored:
            continue
        taken = book.move_marks(stored, student_id)
        notes.append(
            f"marks stored under '{stored}' are now under the roster's '{student_id}' "
            f"({taken} current marks taken; where both spellings had a criterion marked, the "
            "later save stands; every save stays in the history)"
        )
    return notes


def record_mark(
    book: CourseBook,
    projects: Projects,
    roster: Roster,
    student: str,
    component: str,
    criterion: str,
    points: float | None,
    comment: str = "",
    *,
    by: str,
    source: str = "web",
) -> Mark:
    """Check one mark against the roster and rubric, then save it (what a web form calls)."""
    student_id = check_mark(projects, roster, student, component, criterion, points)
    return book.set_mark(student_id, component, criterion, points, comment, by=by, source=source)


def marking_progress(
    book: CourseBook, projects: Projects, roster: Roster
) -> list[tuple[str, str, ProjectScore]]:
    """(student, project, score so far) for every roster student and project, in roster order:
    what a marking UI walks through to find the next unmarked one (``not score.complete``)."""
    return [
        (person.id, project.id, project_score(projects.rubric, book.marks(person.id, project.id)))
        for person in roster.students
        for project in projects.projects
    ]


# --- CSV ---------------------------------------------------------------------------------


def header(rubric: Rubric) -> list[str]:
    columns = list(_FIXED)
    for criterion in rubric.criteria:
        columns += [criterion.id, criterion.id + COMMENT_SUFFIX]
    return columns + ["total"]


def export_csv(book: CourseBook, projects: Projects, roster: Roster, path: Path) -> int:
    """Write every roster student's row for every project; returns the number of rows."""
    rubric = projects.rubric
    rows = []
    for person in roster.students:
        for project in projects.projects:
            marks = {m.criterion: m for m in book.marks(person.id, project.id)}
            row = {"student": person.id, "name": person.name, "project": project.id}
            for criterion in rubric.criteria:
                mark = marks.get(criterion.id)
                row[criterion.id] = (
                    "" if mark is None or mark.points is None else _number(mark.points)
                )
                row[criterion.id + COMMENT_SUFFIX] = "" if mark is None else mark.comment
            row["total"] = _number(project_score(rubric, list(marks.values())).points)
            rows.append(row)
    write_csv(path, header(rubric), rows)
    return len(rows)


def write_csv(path: Path, columns: Sequence[str], rows: Sequence[dict[str, str]]) -> None:
    """A marks CSV as spreadsheets read it (CRLF line ends, UTF-8)."""
    csvfile.write_csv(Path(path), columns, [[row.get(c, "") for c in columns] for row in rows])


def import_csv(
    book: CourseBook, projects: Projects, roster: Roster, path: Path, *, by: str
) -> list[MarkChange]:
    """Apply the cells of ``path`` that differ from the gradebook; returns the changes.

    UserError naming every bad row (unknown student, project or criterion, points that are
    not a number or out of range, a student's project given twice); then nothing is applied."""
    path = Path(path)
    rows, delimiter = _read_rows(path)
    if not rows:
        raise UserError(f"{path}: the file is empty; export one with `grader marks export`")
    columns = [c.strip() for c in rows[0]]
    wanted = _check_header(path, columns, projects.rubric)
    errors: list[str] = []
    seen: dict[tuple[str, str], int] = {}
    changes: list[MarkChange] = []
    for number, cells in enumerate(rows[1:], start=2):
        if not any(c.strip() for c in cells):
            continue  # a blank line a spreadsheet left
        row = dict(zip(columns, (c.strip() for c in cells), strict=False))
        problems = _row_problems(row, projects, roster, wanted, delimiter)
        row["student"] = roster_student(roster, row.get("student", "")) or row.get("student", "")
        key = (row["student"], row.get("project", ""))
        if not problems and key in seen:
            problems = [
                f"student {key[0]} project {key[1]} is given again (first on row {seen[key]})"
            ]
        seen.setdefault(key, number)
        if problems:
            errors += [f"{path.name} row {number}: {p}" for p in problems]
            continue
        changes += _changes(book, row, projects.rubric, wanted, delimiter)
    if errors:
        shown = errors[: COURSE.shown_errors]
        more = len(errors) - len(shown)
        raise UserError(
            "nothing was imported:\n  "
            + "\n  ".join(shown)
            + (f"\n  ... and {more} more" if more else "")
        )
    book.set_marks(changes, by=by, source=f"import:{path.name}", why=f"imported from {path.name}")
    return changes


def _read_rows(path: Path) -> tuple[list[list[str]], str]:
    try:
        text = path.read_text(encoding="utf-8-sig")  # Excel writes a byte-order mark
    except FileNotFoundError:
        raise UserError(f"{path}: no such file") from None
    except UnicodeDecodeError:
        raise UserError(
            f"{path}: not UTF-8 text; save it as 'CSV UTF-8' (Excel) or with UTF-8 encoding"
        ) from None
    first = text.split("\n", 1)[0]
    # Spreadsheets in locales with a decimal comma write ';' between cells.
    delimiter = max((",", ";", "\t"), key=first.count)
    rows = csv.reader(io.StringIO(text), delimiter=delimiter)
    return [[csvfile.plain_cell(cell) for cell in row] for row in rows], delimiter


def _check_header(path: Path, columns: list[str], rubric: Rubric) -> dict[str, tuple[str, str]]:
    """Criterion id -> (its points column or "", its comment column or "") present in the file."""
    for required in ("student", "project"):
        if required not in columns:
            raise UserError(
                f"{path.name} row 1 (header): no '{required}' column; the columns are "
                f"{', '.join(header(rubric))}"
            )
    if len(set(columns)) != len(columns):
        twice = sorted({c for c in columns if columns.count(c) > 1})
        raise UserError(f"{path.name} row 1 (header): column {', '.join(twice)} appears twice")
    wanted: dict[str, tuple[str, str]] = {}
    for column in columns:
        if column in _FIXED or column in _READ_ONLY:
            continue
        criterion_id = column.removesuffix(COMMENT_SUFFIX)
        if rubric.criterion(criterion_id) is None:
            raise UserError(
                f"{path.name} row 1 (header): column '{column}': "
                + _unknown_criterion(criterion_id, rubric)
            )
        points_column, comment_column = wanted.get(criterion_id, ("", ""))
        if column.endswith(COMMENT_SUFFIX):
            comment_column = column
        else:
            points_column = column
        wanted[criterion_id] = (points_column, comment_column)
    return wanted


def _row_problems(
    row: dict[str, str],
    projects: Projects,
    roster: Roster,
    wanted: dict[str, tuple[str, str]],
    delimiter: str,
) -> list[str]:
    problems = []
    student, project = row.get("student", ""), row.get("project", "")
    if roster_student(roster, student) is None:
        listed = roster.path.name if roster.path else "given in memory"  # a file, in practice
        problems.append(f"student '{student}' is not a student on the roster ({listed})")
    if project not in {p.id for p in projects.projects}:
        known = ", ".join(p.id for p in projects.projects)
        problems.append(f"project '{project}' is not one of {known}")
    for criterion_id, (points_column, _) in wanted.items():
        if not points_column:
            continue
        text = row.get(points_column, "")
        try:
            _points(text, delimiter)
        except ValueError:
            problems.append(f"column '{points_column}': {text!r} is not a number")
            continue
        value = _points(text, delimiter)
        criterion = projects.rubric.criterion(criterion_id)
        if criterion is None:  # _check_header refused every column of an unknown criterion
            continue
        top = criterion.points
        if value is not None and not 0 <= value <= top:
            problems.append(f"column '{points_column}': {text} is outside 0..{top:g}")
    return problems


def _changes(
    book: CourseBook,
    row: dict[str, str],
    rubric: Rubric,
    wanted: dict[str, tuple[str, str]],
    delimiter: str,
) -> list[MarkChange]:
    student, project = row["student"], row["project"]
    current = {m.criterion: m for m in book.marks(student, project)}
    changes = []
    for criterion_id, (points_column, comment_column) in wanted.items():
        now = current.get(criterion_id)
        old_points = None if now is None else now.points
        old_comment = "" if now is None else now.comment
        points = _points(row.get(points_column, ""), delimiter) if points_column else old_points
        comment = row.get(comment_column, "") if comment_column else old_comment
        if points != old_points or comment != old_comment:
            changes.append(MarkChange(student, project, criterion_id, points, comment))
    return changes


def _points(text: str, delimiter: str) -> float | None:
    text = text.strip()
    if not text:
        return None
    if delimiter != ",":
        text = text.replace(",", ".")
    value = float(text)
    if value != value or value in (float("inf"), float("-inf")):
        raise ValueError(text)
    return value


def _number(value: float) -> str:
    return f"{value:g}"


def _unknown_criterion(criterion_id: str, rubric: Rubric) -> str:
    known = ", ".join(c.id for c in rubric.criteria)
    return f"'{criterion_id}' is not a criterion of {rubric.path.name} (criteria: {known})"
