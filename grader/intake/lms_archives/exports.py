"""The LMS's own export beside its archive (``--lms-export``): the rows that tie the archive's
ids to people. Canvas's gradebook CSV (``ID``, ``SIS User ID``, ``SIS Login ID``:
``lib/gradebook_exporter.rb``), Moodle's grading worksheet (``Identifier`` "Participant N",
"Email address", "ID number", "Last modified (submission)": ``gradingtable.php``),
Blackboard's Grade Center download (``Username``, ``Student ID``), D2L's classlist or grades
CSV (``OrgDefinedId``, ``Username`` and ``Email``, ``#``-prefixed), Gradescope's roster
(``SID``, ``Email``). Columns are told by their headers; CSV or tab-separated, UTF-8 or the
UTF-16 of Blackboard's ``.xls``."""

from __future__ import annotations

import csv
import io
import re
from dataclasses import dataclass
from datetime import tzinfo
from pathlib import Path

from dateutil import parser as dateparser

from grader.errors import UserError
from grader.intake.lms_archives.model import Identity, local_time, squeezed
from grader.roster.table import NOT_PEOPLE, words

# Each field's headers in the LMSs' exports, compared as lower-case words.
_HEADERS = {
    "canvas id": ("id",),
    "participant": ("identifier",),
    "name": ("student", "full name", "name"),
    "first": ("first name",),
    "last": ("last name",),
    "email": ("email address", "email"),
    "student_id": (
        "sis user id",
        "id number",
        "orgdefinedid",
        "org defined id",
        "student id",
        "sid",
    ),
    "login": ("sis login id", "username", "user name"),
    "modified": ("last modified submission",),
}


@dataclass(frozen=True)
class ExportRow:
    who: Identity
    sent_at: str = ""  # the export's hand-in time (Moodle's), ISO 8601 with offset
    test: bool = False  # the LMS's test student (Canvas's Student View: "Student, Test")


def _text(path: Path) -> str:
    try:
        raw = path.read_bytes()
    except OSError as error:
        raise UserError(f"--lms-export {path}: cannot be read ({error.strerror})") from None
    if raw.startswith((b"\xff\xfe", b"\xfe\xff")):
        return raw.decode("utf-16")
    try:
        return raw.decode("utf-8-sig")
    except UnicodeDecodeError:
        return raw.decode("cp1252")


def _rows(path: Path) -> tuple[list[str], list[list[str]]]:
    text = _text(path)
    if path.suffix.lower() in (".xlsx", ".ods") or text.startswith("PK"):
        raise UserError(
            f"--lms-export {path}: a spreadsheet; download the export as CSV (Moodle: "
            "'Download grading worksheet'; Canvas: Gradebook > Export) and give that"
        )
    delimiter = (
        "\t" if text.split("\n", 1)[0].count("\t") > text.split("\n", 1)[0].count(",") else ","
    )
    table = [row for row in csv.reader(io.StringIO(text), delimiter=delimiter) if any(row)]
    if not table:
        raise UserError(f"--lms-export {path}: empty")
    return [words(cell.lstrip("#")) for cell in table[0]], table[1:]


def _cell(row: list[str], index: int | None) -> str:
    if index is None or index >= len(row):
        return ""
    value = row[index].strip()
    if value.startswith('="') and value.endswith('"'):  # Canvas's guard of a leading "="
        value = value[2:-1]
    return value.lstrip("#").strip()  # D2L writes "#" before ids


def _time(text: str, zone: tzinfo) -> str:
    if not text or text in ("-", "—"):
        return ""
    try:
        return local_time(dateparser.parse(text, fuzzy=True), zone)
    except (ValueError, OverflowError):
        return ""


def read_export(path: Path, key: str, zone: tzinfo) -> list[ExportRow]:
    """The export's people, each keyed (``who.key``) by the column the archive's ids are in:
    ``ID`` (Canvas), ``Identifier`` (Moodle: the number of "Participant N"), ``Username``
    (Blackboard), ``name`` (D2L: the first and last name), ``SID`` (Gradescope)."""
    headers, table = _rows(path)
    column = {
        field: next((headers.index(h) for h in spellings if h in headers), None)
        for field, spellings in _HEADERS.items()
    }
    wanted = {"ID": "canvas id", "Identifier": "participant", "Username": "login"}.get(key)
    if wanted and column[wanted] is None:
        raise UserError(
            f"--lms-export {path} has no {key!r} column, which the archive's ids are joined on: "
            f"give the export of the LMS that made the archive (its columns: {', '.join(headers)})"
        )
    rows = []
    for row in table:
        name = _cell(row, column["name"]) or " ".join(
            part for part in (_cell(row, column["first"]), _cell(row, column["last"])) if part
        )
        if words(name) == "points possible":
            continue
        identity = Identity(
            "",
            name,
            _cell(row, column["email"]),
            _cell(row, column["student_id"]),
            _cell(row, column["login"]),
        )
        own = {
            "ID": _cell(row, column["canvas id"]),
            "Identifier": "".join(re.findall(r"\d+", _cell(row, column["participant"]))),
            "Username": identity.login,
            "name": squeezed(name),
            "SID": identity.student_id or identity.email,
        }[key]
        test = words(name) in NOT_PEOPLE
        rows.append(
            ExportRow(
                Identity(own, *_fields(identity)), _time(_cell(row, column["modified"]), zone), test
            )
        )
    return rows


def _fields(identity: Identity) -> tuple[str, str, str, str]:
    return identity.name, identity.email, identity.student_id, identity.login
