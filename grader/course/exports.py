"""The final grades as files: a plain CSV, Canvas's gradebook import CSV, Moodle's grade import
CSV. Each writes UTF-8 with a header row, fields quoted as RFC 4180 says."""

from __future__ import annotations

import csv
import io
from collections.abc import Sequence
from pathlib import Path

from grader.course.config import Course
from grader.course.final import FinalGrade

FINAL_TOTAL_TITLE = "Final grade"
# Canvas: the gradebook export's identity columns, which its import matches students by.
CANVAS_IDENTITY = ("Student", "ID", "SIS User ID", "SIS Login ID", "Section")
CANVAS_POINTS_ROW = "Points Possible"
# Moodle: columns of its gradebook export; the import maps "ID number" or "Email address".
MOODLE_IDENTITY = ("First name", "Last name", "ID number", "Email address")


def _percent(value: float) -> str:
    return f"{value * 100:.2f}"


def _write(path: Path, rows: Sequence[Sequence[str]]) -> Path:
    buffer = io.StringIO()
    csv.writer(buffer, lineterminator="\r\n").writerows(rows)
    path.parent.mkdir(parents=True, exist_ok=True)
    path.write_text(buffer.getvalue(), encoding="utf-8")
    return path


def plain_csv(course: Course, grades: Sequence[FinalGrade], path: Path) -> Path:
    """One row per student: each component's percent, late penalty and remark; the total."""
    header = ["student", "name", "email"]
    for component in course.components:
        header += [component.id, f"{component.id} late penalty %", f"{component.id} remark"]
    header.append(f"total (out of {course.scale:g})")
    rows = [header]
    for grade in grades:
        row = [
            grade.person.id,
            grade.person.name,
            grade.person.emails[0] if grade.person.emails else "",
        ]
        for part in grade.parts:
            row += [
                _percent(part.fraction),
                f"{part.lateness.penalty_percent:g}",
                part.explanation(),
            ]
        rows.append([*row, f"{grade.total:.2f}"])
    return _write(path, rows)


def canvas_csv(course: Course, grades: Sequence[FinalGrade], path: Path) -> Path:
    """Canvas's gradebook import: the identity columns, then one column per assignment (a new
    column name makes a new assignment on import), and the "Points Possible" row under the
    header. Students are matched by SIS User ID (the roster id) and SIS Login ID (email)."""
    titles = [c.title for c in course.components] + [FINAL_TOTAL_TITLE]
    rows = [list(CANVAS_IDENTITY) + titles]
    rows.append(
        [f"    {CANVAS_POINTS_ROW}", "", "", "", ""]
        + ["100.00"] * len(course.components)
        + [f"{course.scale:.2f}"]
    )
    for grade in grades:
        login = grade.person.emails[0] if grade.person.emails else ""
        rows.append(
            [_sortable(grade.person.name), "", grade.person.id, login, ""]
            + [_percent(p.fraction) for p in grade.parts]
            + [f"{grade.total:.2f}"]
        )
    return _write(path, rows)


def moodle_csv(course: Course, grades: Sequence[FinalGrade], path: Path) -> Path:
    """Moodle's grade import (CSV file, same layout as its export): identity columns, then one
    column per grade item; map "ID number" to useridnumber or "Email address" to useremail."""
    titles = [c.title for c in course.components] + [FINAL_TOTAL_TITLE]
    rows = [list(MOODLE_IDENTITY) + titles]
    for grade in grades:
        first, _, last = grade.person.name.rpartition(" ")
        if not first:
            first, last = last, ""
        email = grade.person.emails[0] if grade.person.emails else ""
        rows.append(
            [first, last, grade.person.id, email]
            + [_percent(p.fraction) for p in grade.parts]
            + [f"{grade.total:.2f}"]
        )
    return _write(path, rows)


def _sortable(name: str) -> str:
    """Canvas's sortable name, "Last, First"."""
    first, _, last = name.rpartition(" ")
    return f"{last}, {first}" if first else name


def write_all(course: Course, grades: Sequence[FinalGrade], folder: Path) -> list[Path]:
    return [
        plain_csv(course, grades, folder / "final-grades.csv"),
        canvas_csv(course, grades, folder / "canvas-import.csv"),
        moodle_csv(course, grades, folder / "moodle-import.csv"),
    ]
