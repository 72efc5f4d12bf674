"""Canvas's and Moodle's grade imports, as far as they decide what lands on whom, to read the
exports the way those systems read them.

Moodle (grade/import/csv/classes/load_data.php, ``prepare_import_grade_data``): each cell is
trimmed; a blank identity cell is skipped, so the row keeps the previous row's student (and
the first row without one aborts the import); an identity is looked up with an exact, case-
sensitive database match (``$DB->get_record('user', ['email' => $value])`` on PostgreSQL); a
grade of ``''`` or ``'-'`` is "no grade", which replaces what the gradebook held.

Canvas (gradebook CSV import, as its "Import" page documents it): the header, an optional
"Points Possible" row, then one row per student matched by SIS User ID; a blank cell is "no
grade" and clears the grade Canvas held; a column not in the file leaves its assignment be.
"""

from __future__ import annotations

import csv
from pathlib import Path

NO_GRADE = ("", "-")


class ImportAborted(Exception):
    """What the LMS shows when it refuses the whole file."""


def _rows(path: Path) -> list[list[str]]:
    with path.open(encoding="utf-8", newline="") as stream:
        return [[cell.strip() for cell in row] for row in csv.reader(stream)]


def _grade(cell: str) -> float | None:
    return None if cell in NO_GRADE else float(cell)


def moodle_import(
    path: Path,
    gradebook: dict[str, dict[str, float | None]],
    identity_column: str = "Email address",
) -> dict[str, dict[str, float | None]]:
    """``gradebook`` (user's email -> grade item -> grade) after importing ``path`` mapped
    from ``identity_column`` to the user's email, every other column a grade item."""
    header, *lines = _rows(path)
    result = {user: dict(items) for user, items in gradebook.items()}
    identity = header.index(identity_column)
    student = None
    for line in lines:
        if len(line) <= 1:
            continue
        if line[identity]:
            if line[identity] not in result:  # exact match, case and all
                raise ImportAborted(f"no user with email address {line[identity]!r}")
            student = line[identity]
        if student is None:
            raise ImportAborted("user mapping error: user not found")
        for column, cell in zip(header, line, strict=True):
            if column not in ("First name", "Last name", "ID number", "Email address"):
                result[student][column] = _grade(cell)
    return result


def canvas_import(
    path: Path, gradebook: dict[str, dict[str, float | None]]
) -> tuple[dict[str, dict[str, float | None]], dict[str, float]]:
    """``gradebook`` (SIS User ID -> assignment -> points) after importing ``path``, and each
    assignment's points possible as the file gives them."""
    header, *lines = _rows(path)
    result = {user: dict(items) for user, items in gradebook.items()}
    assignments = header[5:]
    points_possible: dict[str, float] = {}
    for line in lines:
        if line[0] == "Points Possible":
            points_possible = {a: float(p) for a, p in zip(assignments, line[5:], strict=True)}
            continue
        student = line[header.index("SIS User ID")]
        if student not in result:
            raise ImportAborted(f"no student with SIS User ID {student!r}")
        for assignment, cell in zip(assignments, line[5:], strict=True):
            result[student][assignment] = _grade(cell)
    return result, points_possible
