"""Whose a submission is: the archive's id joined through the LMS's export to the course's
roster, by email, else student (SIS) id, else login; a name only where one roster student
bears it (and then the note says it was by name alone)."""

from __future__ import annotations

from dataclasses import dataclass, replace

from grader.intake.lms_archives.exports import ExportRow
from grader.intake.lms_archives.model import Identity, squeezed
from grader.roster import Person, Roster
from grader.roster.table import NOT_PEOPLE, words


@dataclass(frozen=True)
class Joined:
    person: Person | None
    how: str = ""  # "by email", ... or why not
    sent_at: str = ""  # the export's time for it, if any


def _name_keys(name: str) -> set[str]:
    """A name in both orders ("Müller, Jürgen" and "Jürgen Müller"), squeezed."""
    parts = [part.strip() for part in name.split(",", 1)]
    keys = {squeezed(name)}
    if len(parts) == 2:
        keys.add(squeezed(f"{parts[1]} {parts[0]}"))
    else:
        first, _, last = name.strip().rpartition(" ")
        keys.add(squeezed(f"{last} {first}"))
    return {key for key in keys if key}


def _by_login(roster: Roster, login: str) -> Person | None:
    if "@" in login:
        return roster.by_email(login)
    found = roster.by_id(login)
    if found is not None:
        return found
    local = [
        p
        for p in roster.students
        if any(e.split("@")[0].lower() == login.lower() for e in p.emails)
    ]
    return local[0] if len(local) == 1 else None


def by_name(roster: Roster, name: str) -> tuple[Person | None, str]:
    keys = _name_keys(name)
    found = [p for p in roster.students if keys & _name_keys(p.name)]
    if len(found) == 1:
        return found[0], "by name alone (no id to join on): check it is theirs"
    if found:
        ids = ", ".join(p.id for p in found)
        return (
            None,
            f"{len(found)} students on the roster are named {name} ({ids}): give "
            "--lms-export to tell them apart",
        )
    return None, f"{name or 'the archive entry'} is not on the roster"


def _with_row(who: Identity, row: ExportRow) -> Identity:
    """The archive's ids, with what the export's row adds."""
    return replace(
        who,
        name=row.who.name or who.name,
        email=row.who.email or who.email,
        student_id=row.who.student_id or who.student_id,
        login=row.who.login or who.login,
    )


def join(
    who: Identity, rows: dict[str, ExportRow | None] | None, roster: Roster | None, lms: str
) -> Joined:
    """The roster student of a submission by ``who`` (the archive's ids), through the export's
    ``rows`` (by the archive's key; None for a key two rows share: D2L's names) when given."""
    sent_at = ""
    if who.key.startswith("anon_") or not (who.name or who.key):
        return Joined(
            None,
            f"anonymous grading: {lms}'s download names no student ({who.key}); download it "
            "again once the LMS shows the students' names",
        )
    if rows is not None:
        if who.key in rows and rows[who.key] is None:
            return Joined(
                None,
                f"two students in the --lms-export are named {who.name}: {lms}'s archive "
                "names them alike, so neither is attributed",
            )
        row = rows.get(who.key)
        if row is not None and row.test:
            return Joined(None, f"{lms}'s test student ({row.who.name}): not a student")
        if row is not None:
            sent_at, who = row.sent_at, _with_row(who, row)
        elif not (who.email or who.student_id):  # Gradescope's own ids go on without a row
            return Joined(None, f"{lms} id {who.key} ({who.name}) is not in the --lms-export")
    if words(who.name) in NOT_PEOPLE or squeezed(who.name) in ("studenttest", "teststudent"):
        return Joined(None, f"{lms}'s test student ({who.name}): not a student")
    if roster is None:
        return Joined(None, "no roster: give --course or --roster")
    for how, value, look in (
        ("by email", who.email, roster.by_email),
        ("by student id", who.student_id, roster.by_id),
        ("by login", who.login, lambda login: _by_login(roster, login)),
    ):
        person = look(value) if value else None
        if person is not None and person.is_staff:
            return Joined(None, f"{person.label} is staff on the roster: not a student's hand-in")
        if person is not None:
            return Joined(person, how, sent_at=sent_at)
    known = [v for v in (who.email, who.student_id, who.login) if v]
    if known:
        return Joined(
            None,
            f"{who.name or who.key} ({', '.join(known)}) is not on the roster",
            sent_at=sent_at,
        )
    person, how = by_name(roster, who.name)
    if person is None and rows is None:  # the LMS's own ids would have said
        how += f"; give {lms}'s export with --lms-export to join its ids to the roster"
    return Joined(person, how, sent_at=sent_at)
