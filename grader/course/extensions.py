"""Extended deadlines for some students: a small CSV a person edits beside ``course.toml``.

    student,component,deadline,granted_by,reason
    CS21B042,lstm_gates,2026-12-22T23:59+05:30,Kiran Rao,medical certificate
    EE21B017,*,2026-12-31,Dean's office,accommodation for the term

``component`` is a component id of course.toml, or ``*`` (or blank) for every component;
``deadline`` an ISO 8601 time (without a UTC offset it is read in the zone of the component's
deadline; a date alone means 23:59 that day). The student's own deadline replaces the
component's wherever a deadline is used: collect's late tags, the late policy of ``grader
final`` and the exports, ``grader watch``'s receipts, the dashboard. A row for one component
wins over a ``*`` row. Every mistake is a UserError naming the row and what to write.
"""

from __future__ import annotations

import csv
from collections.abc import Sequence
from dataclasses import dataclass
from datetime import date, datetime, time
from pathlib import Path

from grader.errors import UserError

COLUMNS = ("student", "component", "deadline", "granted_by", "reason")
EVERY = "*"


@dataclass(frozen=True)
class Extension:
    student: str
    component: str  # a component id, or EVERY
    deadline: datetime
    granted_by: str
    reason: str

    def why(self) -> str:
        when = self.deadline.isoformat(timespec="minutes")
        return f"deadline extended to {when} by {self.granted_by} ({self.reason})"


@dataclass(frozen=True)
class Extensions:
    path: Path | None
    rows: tuple[Extension, ...] = ()

    def of(self, student: str, component: str) -> Extension | None:
        """The student's extension for the component (a row for it wins over ``*``)."""
        key = student.lower()
        mine = [row for row in self.rows if row.student.lower() == key]
        return next((r for r in mine if r.component == component), None) or next(
            (r for r in mine if r.component == EVERY), None
        )


def read_extensions(
    path: Path, deadlines: dict[str, datetime | None], students: Sequence[str]
) -> Extensions:
    """``path`` read and checked against the course's components (id -> deadline) and the
    roster's student ids; an absent file is no extension."""
    if not path.is_file():
        return Extensions(None)
    try:
        with path.open(encoding="utf-8-sig", newline="") as stream:
            rows = list(csv.DictReader(stream))
    except (OSError, UnicodeDecodeError, csv.Error) as error:
        raise UserError(f"{path}: cannot be read as a UTF-8 CSV ({error})") from None
    if rows and (missing := [c for c in COLUMNS if c not in rows[0]]):
        raise UserError(
            f"{path}: no column {', '.join(missing)}; the header is {','.join(COLUMNS)}"
        )
    known = {s.lower(): s for s in students}
    found = []
    for number, row in enumerate(rows, 2):
        where = f"{path}, line {number}"
        student = (row["student"] or "").strip()
        if student.lower() not in known:
            raise UserError(f"{where}: student {student!r} is not on the roster")
        component = (row["component"] or "").strip() or EVERY
        if component != EVERY and component not in deadlines:
            raise UserError(
                f"{where}: component {component!r} is not in course.toml; give one of "
                f"{', '.join(deadlines)} or * for every component"
            )
        zone = deadlines.get(component) or next((d for d in deadlines.values() if d), None)
        deadline = _when((row["deadline"] or "").strip(), zone, where)
        granted_by, reason = (row["granted_by"] or "").strip(), (row["reason"] or "").strip()
        if not granted_by or not reason:
            raise UserError(f"{where}: write who granted the extension (granted_by) and why")
        found.append(Extension(known[student.lower()], component, deadline, granted_by, reason))
    return Extensions(path, tuple(found))


def _when(text: str, zone_of: datetime | None, where: str) -> datetime:
    """An ISO 8601 time; without an offset in ``zone_of``'s zone; a date alone at 23:59."""
    try:
        when = datetime.fromisoformat(text)
    except ValueError:
        raise UserError(
            f"{where}: deadline {text!r} is not a date and time: write e.g. "
            "2026-12-22T23:59+05:30 (or 2026-12-22 for 23:59 that day)"
        ) from None
    if len(text) == len("2026-12-22"):
        when = datetime.combine(date.fromisoformat(text), time(23, 59))
    if when.tzinfo is None:
        if zone_of is None or zone_of.tzinfo is None:
            raise UserError(f"{where}: deadline {text!r}: write its UTC offset, e.g. +05:30")
        when = when.replace(tzinfo=zone_of.tzinfo)
    return when
