"""The final grades as files: a plain CSV, Canvas's gradebook import CSV, Moodle's grade import
CSV. Each writes UTF-8 with a header row, fields quoted as RFC 4180 says."""

from __future__ import annotations

from collections.abc import Sequence
from pathlib import Path

from grader.course.config import Component, Course
from grader.lms.final import FinalGrade, Part, ungraded_components
from grader.outputs.csvfile import write_csv

FINAL_TOTAL_TITLE = "Final grade"
STANDING_TITLE = "Standing so far"  # --so-far: over the graded components only
# Canvas: the gradebook export's identity columns, which its import matches students by.
CANVAS_IDENTITY = ("Student", "ID", "SIS User ID", "SIS Login ID", "Section")
CANVAS_POINTS_ROW = "Points Possible"
# Moodle: columns of its gradebook export. Its import maps the user from one column: "ID number"
# (the roster id; Moodle's user field idnumber), which every row has, or "Email address".
MOODLE_IDENTITY = ("First name", "Last name", "ID number", "Email address")
MOODLE_KEY = "ID number"


def _percent(value: float) -> str:
    return f"{value * 100:.2f}"


def lms_columns(course: Course, grades: Sequence[FinalGrade]) -> list[tuple[int, Component]]:
    """(index in each grade's parts, component) of the components the LMS files carry: those
    somebody has a grade for. Canvas's and Moodle's importers read a blank cell as "no grade"
    and clear what the LMS holds, so a column nobody has a grade in is left out."""
    left_out = {c.id for c in ungraded_components(course, list(grades))}
    return [(i, c) for i, c in enumerate(course.components) if c.id not in left_out]


def _lms_points(part: Part, component: Component) -> str:
    """On the component's scale in the LMS; missing work is 0, a pending part blank (the LMS
    reads it as "no grade")."""
    return "" if part.pending else f"{part.fraction * component.lms_points:.2f}"


def _last_title(so_far: bool) -> str:
    return STANDING_TITLE if so_far else FINAL_TOTAL_TITLE


def _last_cell(grade: FinalGrade, so_far: bool) -> str:
    """The standing (``so_far``), or the final grade: blank while a component is pending, so
    that no LMS receives a grade with its not-yet-graded parts counted 0."""
    if so_far:
        return "" if grade.standing is None else f"{grade.standing:.2f}"
    return "" if grade.pending else f"{grade.total:.2f}"


def lms_notes(course: Course, grades: Sequence[FinalGrade], so_far: bool = False) -> list[str]:
    """What the Canvas and Moodle files leave out, and why, and how to map Moodle's users, for
    the instructor to read."""
    notes = [
        f"{component.id}: nobody has a grade yet, so it is left out of the Canvas and Moodle "
        "files (a column of blanks would clear the grades the LMS holds)"
        for component in ungraded_components(course, list(grades))
    ]
    notes.append(_moodle_mapping(grades))
    notes.append(
        "these files and `grader final --push lti` give the same grades: a component's cell "
        "for every student with a grade in it (missing work 0; a partly marked project with "
        "its unmarked criteria counted 0), blank while pending; the final grade once nothing "
        "of the student's is pending"
    )
    notes += [
        f"{grade.person.id} {part.component}: {part.note}: given as marked so far here and "
        "by --push lti; mark the rest, then run `grader final` (and upload or push) again"
        for grade in grades
        for part in grade.parts
        if part.status == "partly marked"
    ]
    waiting = [grade.person.id for grade in grades if grade.pending]
    if waiting and not so_far:
        notes.append(
            f"{len(waiting)} student(s) have components not graded yet; their "
            f"'{FINAL_TOTAL_TITLE}' is left blank: `grader final --so-far` gives the standing "
            "over the graded components"
        )
    return notes


def _moodle_identity(grade: FinalGrade) -> str:
    return grade.person.emails[0] if grade.person.emails else ""


def _moodle_mapping(grades: Sequence[FinalGrade]) -> str:
    """How to map moodle-import.csv's users in Moodle's import form."""
    how = (
        f"moodle-import.csv: in Moodle (Grades > Import > CSV file), map from '{MOODLE_KEY}' "
        f"to '{MOODLE_KEY}' (the roster id, which every row has; Moodle's users hold it where "
        "the roster came from Moodle or the university's records)"
    )
    without = [grade.person for grade in grades if not _moodle_identity(grade)]
    if not without:
        return how + "; mapping 'Email address' to 'Email address' works too"
    named = ", ".join(f"{person.id} ({person.name})" for person in without)
    return (
        f"{how}. {len(without)} student(s) have no email on the roster: {named}. Their rows "
        "come first, so that an import mapped by 'Email address' stops at the first row "
        "(Moodle: user mapping error) rather than giving their grades to someone else"
    )


def _write(path: Path, rows: Sequence[Sequence[str]]) -> Path:
    return write_csv(path, rows[0], rows[1:])


def plain_csv(course: Course, grades: Sequence[FinalGrade], path: Path) -> Path:
    """One row per student: each component's percent (blank while pending), late penalty and
    remark; what is pending, the standing over the graded components, and the total (blank
    while a component is pending)."""
    header = ["student", "name", "email"]
    for component in course.components:
        header += [component.id, f"{component.id} late penalty %", f"{component.id} remark"]
    header += ["pending", f"standing over graded components (out of {course.scale:g})"]
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
                "" if part.pending else _percent(part.fraction),
                f"{part.lateness.penalty_percent:g}",
                part.explanation(),
            ]
        row += ["; ".join(part.component for part in grade.pending), _last_cell(grade, True)]
        rows.append([*row, _last_cell(grade, False)])
    return _write(path, rows)


def canvas_csv(
    course: Course, grades: Sequence[FinalGrade], path: Path, so_far: bool = False
) -> Path:
    """Canvas's gradebook import: the identity columns, then one column per assignment (a new
    column name makes a new assignment on import), and the "Points Possible" row under the
    header, each component on its ``lms_points``. Students are matched by SIS User ID (the
    roster id) and SIS Login ID (email)."""
    columns = lms_columns(course, grades)
    rows = [list(CANVAS_IDENTITY) + [c.title for _, c in columns] + [_last_title(so_far)]]
    rows.append(
        [f"    {CANVAS_POINTS_ROW}", "", "", "", ""]
        + [f"{c.lms_points:.2f}" for _, c in columns]
        + [f"{course.scale:.2f}"]
    )
    for grade in grades:
        login = grade.person.emails[0] if grade.person.emails else ""
        rows.append(
            [_sortable(grade.person.name), "", grade.person.id, login, ""]
            + [_lms_points(grade.parts[i], c) for i, c in columns]
            + [_last_cell(grade, so_far)]
        )
    return _write(path, rows)


def moodle_csv(
    course: Course, grades: Sequence[FinalGrade], path: Path, so_far: bool = False
) -> Path:
    """Moodle's grade import (CSV file, same layout as its export): identity columns, then one
    column per grade item, each component on its ``lms_points``; a row for every student, meant
    to be mapped from "ID number" (see :func:`lms_notes`). A student without an email comes
    first: Moodle's importer skips a blank identity and keeps the row above's student, so mapped
    by email the import stops there instead of giving their grades to someone else."""
    columns = lms_columns(course, grades)
    rows = [list(MOODLE_IDENTITY) + [c.title for _, c in columns] + [_last_title(so_far)]]
    for grade in sorted(grades, key=lambda grade: bool(_moodle_identity(grade))):
        first, _, last = grade.person.name.rpartition(" ")
        if not first:
            first, last = last, ""
        rows.append(
            [first, last, grade.person.id, _moodle_identity(grade)]
            + [_lms_points(grade.parts[i], c) for i, c in columns]
            + [_last_cell(grade, so_far)]
        )
    return _write(path, rows)


def _sortable(name: str) -> str:
    """Canvas's sortable name, "Last, First"."""
    first, _, last = name.rpartition(" ")
    return f"{last}, {first}" if first else name


NOTES_FILE = "LMS-NOTES.txt"


def write_all(
    course: Course, grades: Sequence[FinalGrade], folder: Path, so_far: bool = False
) -> list[Path]:
    """The three files, and beside them what the LMS files leave out and why, and how to map
    Moodle's users: read when the files are uploaded, days later.
    ``so_far``: the LMS files' last column is the standing over the graded components."""
    written = [
        plain_csv(course, grades, folder / "final-grades.csv"),
        canvas_csv(course, grades, folder / "canvas-import.csv", so_far),
        moodle_csv(course, grades, folder / "moodle-import.csv", so_far),
    ]
    path = folder / NOTES_FILE
    path.write_text("".join(f"- {note}\n" for note in lms_notes(course, grades, so_far)), "utf-8")
    return [*written, path]
