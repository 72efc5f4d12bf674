"""The course roster: who the students and staff are, and how to recognise them.

``roster.csv`` has a header and the columns ``id,name,email,role``. ``email`` holds one or more
addresses separated by ``;``; ``role`` is ``student`` (the default when empty) or ``staff``.
Used by ``grader collect`` (attribution), ``grader grade`` (names by roster id) and the course
commands (every student gets a final grade, those who sent nothing included).
"""

from __future__ import annotations

import csv
import re
from collections.abc import Iterable
from dataclasses import dataclass
from email.utils import getaddresses
from pathlib import Path

from grader.errors import UserError

COLUMNS = ("id", "name", "email", "role")
ROLES = ("student", "staff")
# A roster id is a folder name: letters, digits, and . _ - inside.
_ID = re.compile(r"^[A-Za-z0-9][A-Za-z0-9._-]*$")
_ADDRESS = re.compile(r"^[^@\s]+@[^@\s]+\.[^@\s]+$")


@dataclass(frozen=True)
class Person:
    """One roster row: ``emails`` are lower-cased; ``role`` is ``student`` or ``staff``."""

    id: str
    name: str
    emails: tuple[str, ...]
    role: str

    @property
    def is_staff(self) -> bool:
        return self.role == "staff"


@dataclass(frozen=True)
class Roster:
    """Everyone on the course, in the file's order."""

    people: tuple[Person, ...]
    path: Path | None = None

    @property
    def students(self) -> tuple[Person, ...]:
        return tuple(p for p in self.people if not p.is_staff)

    @property
    def staff(self) -> tuple[Person, ...]:
        return tuple(p for p in self.people if p.is_staff)

    def by_email(self, address: str) -> Person | None:
        """The person one of whose addresses is ``address`` (any case), or None."""
        wanted = address.strip().lower()
        return next((p for p in self.people if wanted in p.emails), None)

    def by_id(self, student_id: str) -> Person | None:
        """The person whose id is ``student_id`` (any case), or None."""
        wanted = student_id.strip().lower()
        return next((p for p in self.people if p.id.lower() == wanted), None)

    def ids_in(self, texts: Iterable[str]) -> list[Person]:
        """Students whose roster id appears as a whole word in any of ``texts``.

        A whole word: ``CS21B042`` is found in "CS21B042_project1.pdf" and "Roll no: cs21b042",
        not inside "XCS21B0421". Staff ids never count.
        """
        found: list[Person] = []
        for text in texts:
            for person in self.students:
                pattern = rf"(?<![A-Za-z0-9]){re.escape(person.id)}(?![A-Za-z0-9])"
                if person not in found and re.search(pattern, text, re.IGNORECASE):
                    found.append(person)
        return found


def load_roster(path: str | Path) -> Roster:
    """Read ``roster.csv``; every problem is a :class:`UserError` naming the file and the row."""
    path = Path(path)
    try:
        text = path.read_text(encoding="utf-8-sig")
    except FileNotFoundError:
        raise UserError(f"{path}: no such roster file") from None
    except (OSError, UnicodeDecodeError) as exc:
        raise UserError(f"{path}: cannot read the roster ({exc}); save it as UTF-8 CSV") from None
    rows = list(csv.reader(text.splitlines()))
    if not rows:
        raise UserError(f"{path}: the roster is empty; it needs the header {','.join(COLUMNS)}")
    header = [h.strip().lower() for h in rows[0]]
    missing = [c for c in COLUMNS if c not in header]
    if missing:
        raise UserError(
            f"{path}: the header lacks {', '.join(missing)}; "
            f"the first line must be {','.join(COLUMNS)}"
        )
    column = {name: header.index(name) for name in COLUMNS}
    people: list[Person] = []
    seen_ids: dict[str, int] = {}
    seen_emails: dict[str, int] = {}
    for line, row in enumerate(rows[1:], start=2):
        if not any(cell.strip() for cell in row):
            continue
        cells = {name: (row[i].strip() if i < len(row) else "") for name, i in column.items()}
        where = f"{path}, line {line}"
        person_id = cells["id"]
        if not _ID.match(person_id):
            raise UserError(
                f"{where}: id {person_id!r} must be letters, digits, '.', '_' or '-' "
                "(it names the student's folder)"
            )
        if person_id.lower() in seen_ids:
            raise UserError(
                f"{where}: id {person_id} is also on line {seen_ids[person_id.lower()]}"
            )
        role = cells["role"].lower() or "student"
        if role not in ROLES:
            raise UserError(f"{where}: role {cells['role']!r} must be student or staff (or empty)")
        emails = tuple(
            addr.lower() for _, addr in getaddresses(cells["email"].split(";")) if addr.strip()
        )
        for addr in emails:
            if not _ADDRESS.match(addr):
                raise UserError(f"{where}: {addr!r} is not an email address")
            if addr in seen_emails:
                raise UserError(f"{where}: {addr} is also on line {seen_emails[addr]}")
            seen_emails[addr] = line
        if not emails and role == "staff":
            raise UserError(f"{where}: staff member {person_id} needs an email address")
        seen_ids[person_id.lower()] = line
        people.append(Person(person_id, cells["name"], emails, role))
    if not people:
        raise UserError(f"{path}: the roster has a header but nobody on it")
    return Roster(tuple(people), path)
