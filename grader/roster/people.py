"""The course roster: who the students and staff are, and how to recognise them.

``roster.csv`` has a header and the columns ``id,name,email,role``. ``email`` holds one or more
addresses separated by ``;``; ``role`` is ``student`` (the default when empty) or ``staff``;
staff need no id. Rosters as instructors get them are read as they are, their columns told by
their headers (:mod:`grader.roster.table`): Canvas's gradebook export (``Student, ID, SIS User
ID, SIS Login ID, Section``), Moodle's participants or grades export (``First name, Last name,
ID number, Email address``), a university's ``.xlsx`` ("Roll No", "Name", "Email ID"). A
student with no id is known by their address's local part. Used by ``grader collect``
(attribution), ``grader grade`` (names by roster id) and the course commands (every student gets
a final grade, those who sent nothing included).
"""

from __future__ import annotations

import re
from collections.abc import Iterable
from dataclasses import dataclass
from email.utils import getaddresses
from pathlib import Path

from grader.errors import UserError
from grader.roster.table import NOT_PEOPLE, Table, read_table, words

COLUMNS = ("id", "name", "email", "role")
ROLES = ("student", "staff")
# Role names as Canvas, Moodle and university lists write them.
STAFF_ROLES = {
    "staff",
    "ta",
    "teaching assistant",
    "teacher",
    "non editing teacher",
    "editing teacher",
    "instructor",
    "tutor",
    "professor",
    "faculty",
    "grader",
    "manager",
    "course coordinator",
    "designer",
}
STUDENT_ROLES = {"", "student", "students", "learner"}
# A roster id is a folder name: letters, digits, and . _ - inside.
_ID = re.compile(r"^[A-Za-z0-9][A-Za-z0-9._-]*$")
_ADDRESS = re.compile(r"^[^@\s]+@[^@\s]+\.[^@\s]+$")


@dataclass(frozen=True)
class Person:
    """One roster row: ``emails`` as the roster writes them (an LMS matches its export's
    addresses as written), compared in any case; ``role`` is ``student`` or ``staff``."""

    id: str  # '' for staff without one
    name: str
    emails: tuple[str, ...]
    role: str
    section: str = ""
    # False when the roster gave no id and it was made from the address: it changes with the
    # address, so nothing lasting (a student's variant values) may be keyed on it.
    id_given: bool = True

    @property
    def is_staff(self) -> bool:
        return self.role == "staff"

    def has_email(self, address: str) -> bool:
        """Whether ``address`` is one of theirs, in any case (mail programs change it)."""
        wanted = address.strip().casefold()
        return any(mine.casefold() == wanted for mine in self.emails)

    @property
    def label(self) -> str:
        """How to name them in a note: the id, or (staff without one) the name or address."""
        return self.id or self.name or (self.emails or ("?",))[0]


@dataclass(frozen=True)
class Roster:
    """Everyone on the course, in the file's order."""

    people: tuple[Person, ...]
    path: Path | None = None
    columns: str = ""  # which column was taken for what, for the instructor to check

    @property
    def students(self) -> tuple[Person, ...]:
        return tuple(p for p in self.people if not p.is_staff)

    @property
    def staff(self) -> tuple[Person, ...]:
        return tuple(p for p in self.people if p.is_staff)

    def by_email(self, address: str) -> Person | None:
        """The person one of whose addresses is ``address`` (any case), or None."""
        return next((p for p in self.people if p.has_email(address)), None)

    def by_id(self, student_id: str) -> Person | None:
        """The person whose id is ``student_id`` (any case), or None."""
        wanted = student_id.strip().lower()
        return next((p for p in self.people if wanted and p.id.lower() == wanted), None)

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

    def names_in(self, texts: Iterable[str]) -> list[Person]:
        """Students whose full name (two words or more, any case and spacing) appears as whole
        words in any of ``texts``: "Arjun Menon (CS21B009) assignment 1"."""
        found: list[Person] = []
        for text in texts:
            for person in self.students:
                parts = person.name.split()
                if len(parts) < 2 or person in found:
                    continue
                pattern = r"(?<!\w)" + r"\s+".join(map(re.escape, parts)) + r"(?!\w)"
                if re.search(pattern, text, re.IGNORECASE):
                    found.append(person)
        return found


def is_roster_id(text: str) -> bool:
    """Whether ``text`` can be a roster id (it names the student's folder)."""
    return bool(_ID.match(text))


def id_from_address(address: str) -> str:
    """The id of a student known only by an address: its local part, as a folder name."""
    local = address.rpartition("@")[0].lower()
    return re.sub(r"[^a-z0-9._-]+", "-", local).strip("._-")[:64]


def _role(text: str, where: str) -> str:
    roles = {words(part) for part in re.split(r"[,;]", text)}
    if roles & STAFF_ROLES:
        return "staff"
    if roles <= STUDENT_ROLES:
        return "student"
    raise UserError(f"{where}: role {text!r} must be student or staff (or empty)")


def _emails(table: Table, row: list[str], where: str) -> tuple[str, ...]:
    text = table.cell(row, "email")
    header = words(table.headers[table.columns["email"]]) if "email" in table.columns else ""
    addresses = tuple(addr for _, addr in getaddresses(text.split(";")) if addr.strip())
    if header in ("sis login id", "login id", "username"):  # a login, an address only at times
        return tuple(addr for addr in addresses if _ADDRESS.match(addr))
    for addr in addresses:
        if not _ADDRESS.match(addr):
            raise UserError(f"{where}: {addr!r} is not an email address")
    return addresses


def _name(table: Table, row: list[str]) -> str:
    if "name" in table.columns:
        return table.cell(row, "name")
    return " ".join(part for part in (table.cell(row, "first name"), table.cell(row, "last name")))


def _person(table: Table, row: list[str], where: str) -> Person | None:
    """The person on one row, or None for a row that is nobody (Canvas's points possible)."""
    name = _name(table, row).strip()
    if words(name) in NOT_PEOPLE or not any(cell.strip() for cell in row):
        return None
    role = _role(table.cell(row, "role"), where)
    emails = _emails(table, row, where)
    person_id = table.cell(row, "id")
    id_given = bool(person_id)
    if not person_id and role == "student":
        if not emails:
            if not name:
                return None  # a row of totals or a blank line in a spreadsheet
            raise UserError(f"{where}: student {name!r} has neither an id nor an email address")
        person_id = id_from_address(emails[0])
    if person_id and not _ID.match(person_id):
        raise UserError(
            f"{where}: id {person_id!r} must be letters, digits, '.', '_' or '-' "
            "(it names the student's folder)"
        )
    if not emails and role == "staff":
        raise UserError(f"{where}: staff member {name or person_id} needs an email address")
    return Person(person_id, name, emails, role, table.cell(row, "section"), id_given)


def load_roster(path: str | Path) -> Roster:
    """Read a roster (see the module's docstring); every problem is a :class:`UserError`
    naming the file and the row."""
    path = Path(path)
    table = read_table(path)
    people: list[Person] = []
    seen_ids: dict[str, int] = {}
    seen_emails: dict[str, int] = {}
    for line, row in table.rows:
        where = f"{path}, line {line}"
        person = _person(table, row, where)
        if person is None:
            continue
        if person.id and person.id.lower() in seen_ids:
            raise UserError(
                f"{where}: id {person.id} is also on line {seen_ids[person.id.lower()]}"
            )
        for addr in person.emails:
            if addr.casefold() in seen_emails:
                raise UserError(f"{where}: {addr} is also on line {seen_emails[addr.casefold()]}")
            seen_emails[addr.casefold()] = line
        if person.id:
            seen_ids[person.id.lower()] = line
        people.append(person)
    if not people:
        raise UserError(f"{path}: the roster has a header but nobody on it")
    return Roster(tuple(people), path, f"{path.name}: {table.described()}")
