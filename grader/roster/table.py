"""Reading a roster as instructors get it: a CSV (ours, Canvas's gradebook export, Moodle's
participants or grades export, a university's list saved as CSV) or an ``.xlsx`` spreadsheet;
finding its header row and telling its columns apart by their headers.

Each field has spellings in tiers, best first: Canvas's gradebook has both ``ID`` (Canvas's own
number) and ``SIS User ID`` (the roll number), and the roll number is the one a student writes
in a mail. A field is taken from the column that matches its best tier; two columns in that
tier make the file ambiguous, and it is refused with the columns found.
"""

from __future__ import annotations

import csv
import re
from collections.abc import Sequence
from dataclasses import dataclass
from pathlib import Path

from grader.errors import UserError
from grader.outputs.csvfile import plain_cell

# Each field's header spellings, in tiers, best first; compared as lower-case words.
FIELDS: dict[str, tuple[tuple[str, ...], ...]] = {
    "id": (
        (
            "roll no",
            "roll number",
            "rollno",
            "roll",
            "sis user id",
            "student id",
            "student number",
            "student no",
            "id number",
            "registration number",
            "registration no",
            "reg no",
            "register number",
            "enrollment number",
            "enrolment number",
            "enrollment no",
            "matriculation number",
            "admission number",
        ),
        ("id", "user id", "sis id"),
    ),
    "name": (
        ("name", "student name", "full name", "name of the student", "student"),
        ("display name",),
    ),
    "first name": (("first name", "firstname", "given name", "forename"),),
    "last name": (("last name", "lastname", "surname", "family name"),),
    "email": (
        (
            "email",
            "email address",
            "email id",
            "e mail",
            "e mail address",
            "e mail id",
            "mail id",
            "mail",
            "institute email",
            "student email",
            "official email",
        ),
        ("sis login id", "login id", "username"),  # Canvas and Moodle logins: often an address
    ),
    "role": (("role", "roles", "course role", "participant role"),),
    "section": (("section", "sections", "group", "groups", "batch", "division"),),
}
# Canvas's gradebook export: its second row holds the points possible, not a student.
NOT_PEOPLE = {"points possible", "student test", "test student"}
_HEADER_ROWS = 10  # a spreadsheet may carry a title or a course line above its header


def words(header: str) -> str:
    """A header as lower-case words: "E-mail ID" -> "e mail id", "Roll No." -> "roll no"."""
    return " ".join(re.findall(r"[a-z0-9]+", header.lower()))


@dataclass(frozen=True)
class Table:
    """A roster's rows under its header: ``columns`` maps a field to its column's index."""

    headers: list[str]
    columns: dict[str, int]
    rows: list[tuple[int, list[str]]]  # (line or spreadsheet row number, cells)

    def cell(self, row: Sequence[str], field: str) -> str:
        index = self.columns.get(field)
        return row[index].strip() if index is not None and index < len(row) else ""

    def described(self) -> str:
        """Which column was taken for what, as the instructor can check it."""
        return ", ".join(
            f"{field} from {self.headers[index]!r}" for field, index in self.columns.items()
        )


def _read_rows(path: Path) -> list[list[str]]:
    if path.suffix.lower() in (".xlsx", ".xlsm"):
        return _xlsx_rows(path)
    try:
        text = path.read_text(encoding="utf-8-sig")
    except FileNotFoundError:
        raise UserError(f"{path}: no such roster file") from None
    except (OSError, UnicodeDecodeError) as exc:
        raise UserError(f"{path}: cannot read the roster ({exc}); save it as UTF-8 CSV") from None
    first = text.split("\n", 1)[0]
    delimiter = max(",;\t", key=first.count)  # Moodle writes ; or tabs where asked to
    rows = csv.reader(text.splitlines(), delimiter=delimiter)
    return [[plain_cell(cell) for cell in row] for row in rows]  # roster.csv as the grader wrote it


def _xlsx_rows(path: Path) -> list[list[str]]:
    try:
        from openpyxl import load_workbook
    except ImportError:
        raise UserError(
            f"{path}: reading .xlsx rosters needs openpyxl (pip install openpyxl); or save the "
            "sheet as CSV"
        ) from None
    try:
        book = load_workbook(path, read_only=True, data_only=True)
    except FileNotFoundError:
        raise UserError(f"{path}: no such roster file") from None
    except Exception as exc:  # a damaged or mislabelled file: the instructor re-saves it
        raise UserError(f"{path}: cannot read the spreadsheet ({exc}); save it again") from None
    try:
        sheet = book.worksheets[0]
        return [[_cell_text(value) for value in row] for row in sheet.iter_rows(values_only=True)]
    finally:
        book.close()


def _cell_text(value: object) -> str:
    """A spreadsheet cell as the text it shows: a roll number typed as a number stays whole."""
    if value is None:
        return ""
    if isinstance(value, float) and value.is_integer():
        return str(int(value))
    return str(value).strip()


def _columns(headers: Sequence[str], path: Path) -> dict[str, int] | None:
    """Each field's column; None when this is no header row; UserError when two columns fit
    a field equally well."""
    spelled = [words(header) for header in headers]
    columns: dict[str, int] = {}
    for field, tiers in FIELDS.items():
        for tier in tiers:
            matches = [i for i, header in enumerate(spelled) if header in tier]
            if len(matches) > 1:
                found = ", ".join(repr(headers[i]) for i in matches)
                raise UserError(
                    f"{path}: the columns {found} could each be the {field}: keep one, or "
                    f"rename the others (columns found: {', '.join(map(repr, headers))})"
                )
            if matches:
                columns[field] = matches[0]
                break
    if "id" not in columns and "email" not in columns:
        return None
    return columns


def read_table(path: str | Path) -> Table:
    """The roster file's header and rows; UserError naming the file when no header can be
    found or two columns fit one field."""
    path = Path(path)
    rows = _read_rows(path)
    if not any(any(cell.strip() for cell in row) for row in rows):
        raise UserError(f"{path}: the roster is empty; it needs a header such as id,name,email")
    for number, row in enumerate(rows[:_HEADER_ROWS]):
        columns = _columns(row, path)
        if columns is not None:
            body = [(line, cells) for line, cells in enumerate(rows[number + 1 :], number + 2)]
            return Table([cell.strip() for cell in row], columns, body)
    first = next(row for row in rows if any(cell.strip() for cell in row))
    raise UserError(
        f"{path}: no column could be read as the students' id (roll number) or email; "
        f"columns found: {', '.join(repr(cell) for cell in first if cell.strip())}. Name them "
        "e.g. id,name,email,role (Canvas's and Moodle's exports work as they are)"
    )
