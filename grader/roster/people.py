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

import hashlib
import re
from collections.abc import Iterable
from dataclasses import dataclass
from email.utils import getaddresses
from functools import cached_property
from pathlib import Path

from grader.errors import UserError
from grader.limits import COURSE
from grader.roster.domains import ascii_domain
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
# Where a roster id may begin: a letter or digit not right after another.
_WORD_START = re.compile(r"(?<![A-Za-z0-9])[A-Za-z0-9]")


def _is_alnum(char: str) -> bool:
    return char.isascii() and char.isalnum()


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

    def student_record(self, email: str | None = None) -> dict[str, str]:
        """Them as a hand-in names its student (a manifest's ``student``): id, name and
        ``email``, the address the hand-in came from (default: their first)."""
        return {
            "id": self.id,
            "name": self.name,
            "email": (self.emails or ("",))[0] if email is None else email,
        }

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

    # The look-ups below are indexes built once per roster (cached on the frozen instance): a
    # collect asks them for every mail, and a scan of the whole roster per question made a
    # class of thousands cost the square of its size (one regex per student per text).
    @cached_property
    def students(self) -> tuple[Person, ...]:
        return tuple(p for p in self.people if not p.is_staff)

    @property
    def staff(self) -> tuple[Person, ...]:
        return tuple(p for p in self.people if p.is_staff)

    @cached_property
    def _by_address(self) -> dict[str, Person]:
        index: dict[str, Person] = {}
        for person in self.people:
            for address in person.emails:
                index.setdefault(address.strip().casefold(), person)
        return index

    @cached_property
    def _by_lower_id(self) -> dict[str, Person]:
        index: dict[str, Person] = {}
        for person in self.people:
            if person.id:
                index.setdefault(person.id.lower(), person)
        return index

    def by_email(self, address: str) -> Person | None:
        """The person one of whose addresses is ``address`` (any case), or None."""
        return self._by_address.get(address.strip().casefold())

    def by_id(self, student_id: str) -> Person | None:
        """The person whose id is ``student_id`` (any case), or None."""
        return self._by_lower_id.get(student_id.strip().lower())

    @cached_property
    def _student_order(self) -> dict[Person, int]:
        return {person: number for number, person in enumerate(self.students)}

    @cached_property
    def _student_ids(self) -> tuple[dict[str, list[Person]], tuple[int, ...]]:
        """Students by lower-case id, and the ids' lengths (longest first)."""
        index: dict[str, list[Person]] = {}
        for person in self.students:
            if person.id:
                index.setdefault(person.id.lower(), []).append(person)
        return index, tuple(sorted({len(key) for key in index}, reverse=True))

    def ids_in(self, texts: Iterable[str]) -> list[Person]:
        """Students whose roster id appears as a whole word in any of ``texts``.

        A whole word: ``CS21B042`` is found in "CS21B042_project1.pdf" and "Roll no: cs21b042",
        not inside "XCS21B0421". Staff ids never count. Found in the texts' order, and within
        one text in the roster's order.
        """
        index, lengths = self._student_ids
        found: list[Person] = []
        for text in texts:
            in_text: set[Person] = set()
            # An id starts with a letter or digit, so it can only begin where a word does.
            for start in _WORD_START.finditer(text):
                at = start.start()
                for length in lengths:
                    end = at + length
                    if end > len(text) or (end < len(text) and _is_alnum(text[end])):
                        continue
                    in_text.update(index.get(text[at:end].lower(), ()))
            found += sorted(in_text - set(found), key=self._student_order.__getitem__)
        return found

    @cached_property
    def _first_names(self) -> tuple[re.Pattern[str] | None, dict[str, list[Person]]]:
        """One pattern finding any student's first name part where a name may start, and the
        students by that part (any case)."""
        index: dict[str, list[Person]] = {}
        for person in self.students:
            parts = person.name.split()
            if len(parts) >= 2:
                index.setdefault(parts[0].casefold(), []).append(person)
        if not index:
            return None, index
        firsts = sorted({p.name.split()[0] for people in index.values() for p in people}, key=len)
        alternation = "|".join(map(re.escape, reversed(firsts)))
        # A lookahead, so that names starting inside an earlier match are found too.
        return re.compile(rf"(?<!\w)(?=({alternation})\s)", re.IGNORECASE), index

    @cached_property
    def _name_patterns(self) -> dict[Person, re.Pattern[str]]:
        return {}

    def _name_pattern(self, person: Person) -> re.Pattern[str]:
        """The whole name as whole words with any spacing, compiled once per roster."""
        if person not in self._name_patterns:
            parts = person.name.split()
            self._name_patterns[person] = re.compile(
                r"(?<!\w)" + r"\s+".join(map(re.escape, parts)) + r"(?!\w)", re.IGNORECASE
            )
        return self._name_patterns[person]

    def names_in(self, texts: Iterable[str]) -> list[Person]:
        """Students whose full name (two words or more, any case and spacing) appears as whole
        words in any of ``texts``: "Arjun Menon (CS21B009) assignment 1"."""
        pattern, index = self._first_names
        found: list[Person] = []
        if pattern is None:
            return found
        for text in texts:
            in_text: set[Person] = set()
            for start in pattern.finditer(text):
                # the first part runs to the next space, so one part is found at a place
                for person in index.get(start.group(1).casefold(), ()):
                    if self._name_pattern(person).match(text, start.start()):
                        in_text.add(person)
            found += sorted(in_text - set(found), key=self._student_order.__getitem__)
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
        try:
            ascii_domain(addr)
        except ValueError as error:
            raise UserError(f"{where}: {addr!r} is not an email address: {error}") from None
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


# Rosters read, by the path as given: (the file's SHA-256, the roster). A dashboard asks for the
# roster many times a request, and a class of thousands takes longer to parse than to hash.
_READ: dict[str, tuple[str, Roster]] = {}


def load_roster(path: str | Path) -> Roster:
    """Read a roster (see the module's docstring); every problem is a :class:`UserError`
    naming the file and the row. A file read before and unchanged since gives the same
    :class:`Roster` (its indexes built already)."""
    path = Path(path)
    try:
        digest = hashlib.sha256(path.read_bytes()).hexdigest()
    except OSError:
        return _read_roster(path)  # which says what is wrong with the file
    kept = _READ.get(str(path))
    if kept is not None and kept[0] == digest:
        return kept[1]
    roster = _read_roster(path)
    if len(_READ) >= COURSE.rosters_kept:
        _READ.clear()
    _READ[str(path)] = (digest, roster)
    return roster


def _read_roster(path: Path) -> Roster:
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
