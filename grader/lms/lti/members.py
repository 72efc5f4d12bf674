"""The course's members from the LMS (NRPS), and ``roster.csv`` made from them.

A member's roster id is their ``lis_person_sourcedid`` (Canvas's SIS user id, Moodle's ID
number) or, without one, their address's local part, as for an imported roster. Someone already
on the roster (by an address or the id) keeps their id, so their gradebook rows stay theirs, and
keeps the other addresses the roster had for them (students hand in from several). Learners are
students; instructors, TAs, designers and administrators are staff; observers and members who
are not active are left out. The new roster is checked as an imported one before it replaces
the old.
"""

from __future__ import annotations

import io
import os
import re
from dataclasses import dataclass
from pathlib import Path

from grader import limits
from grader.errors import UserError
from grader.lms.lti.client import Session
from grader.outputs.csvfile import SafeWriter
from grader.roster import COLUMNS, Person, Roster, id_from_address, is_roster_id, load_roster

MEMBERSHIPS = "application/vnd.ims.lti-nrps.v2.membershipcontainer+json"
STAFF_ROLES = {
    "Instructor",
    "TeachingAssistant",
    "ContentDeveloper",
    "Administrator",
    "Manager",
    "Grader",
}
STUDENT_ROLES = {"Learner"}


@dataclass(frozen=True)
class Member:
    """One active NRPS member: ``user_id`` is the LTI user id scores are posted to."""

    user_id: str
    name: str
    email: str
    sourcedid: str
    role: str  # student | staff


def _role(roles: list[str]) -> str | None:
    # "http://purl.imsglobal.org/vocab/lis/v2/membership#Learner",
    # ".../membership/Instructor#TeachingAssistant", or the short "Learner".
    names = {re.split(r"[#/]", str(role))[-1] for role in roles}
    if names & STAFF_ROLES:
        return "staff"
    if names & STUDENT_ROLES:
        return "student"
    return None


def fetch_members(session: Session) -> tuple[list[Member], list[str]]:
    """The active students and staff, every page; and what was left out, in words."""
    members: list[Member] = []
    left_out: list[str] = []
    url = session.platform.memberships_url
    for answer in session.pages(_with_limit(url), MEMBERSHIPS):
        page = answer.json()
        if not isinstance(page, dict) or not isinstance(page.get("members"), list):
            raise UserError(f"the LMS's memberships at {url} are not NRPS JSON ({answer.text()})")
        for raw in page["members"]:
            if not isinstance(raw, dict) or not raw.get("user_id"):
                continue
            who = str(raw.get("name") or raw.get("email") or raw["user_id"])
            role = _role(list(raw.get("roles") or []))
            status = str(raw.get("status") or "Active")
            if status != "Active":
                left_out.append(f"{who}: {status.lower()} in the LMS")
            elif role is None:
                left_out.append(f"{who}: role {', '.join(raw.get('roles') or ['none'])}")
            else:
                members.append(
                    Member(
                        str(raw["user_id"]),
                        str(raw.get("name") or ""),
                        str(raw.get("email") or ""),
                        str(raw.get("lis_person_sourcedid") or ""),
                        role,
                    )
                )
    return members, left_out


def _with_limit(url: str) -> str:
    separator = "&" if "?" in url else "?"
    return f"{url}{separator}limit={limits.LTI.page_size}"


def find_person(roster_people: tuple[Person, ...], member: Member) -> Person | None:
    """The roster's person this member is: by address, else by id (any case)."""
    if member.email:
        for person in roster_people:
            if person.has_email(member.email):
                return person
    wanted = member.sourcedid.strip().lower()
    return next((p for p in roster_people if wanted and p.id.lower() == wanted), None)


def _new_person(member: Member, known: Person | None) -> Person:
    emails = tuple(a for a in (member.email,) if a)
    if known is not None:
        emails += tuple(a for a in known.emails if not member.email or not _same(a, member.email))
        return Person(known.id, member.name or known.name, emails, member.role, known.section)
    person_id = member.sourcedid if is_roster_id(member.sourcedid) else ""
    if not person_id and member.email and member.role == "student":
        person_id = id_from_address(member.email)
    if not person_id and member.role == "student":
        raise UserError(
            f"the LMS gives no SIS id nor email for {member.name or member.user_id}: share "
            "names and emails with the tool in its LMS registration (privacy: public)"
        )
    return Person(person_id, member.name, emails, member.role)


def _same(a: str, b: str) -> bool:
    return a.casefold() == b.casefold()


@dataclass(frozen=True)
class RosterChange:
    added: list[Person]
    changed: list[tuple[Person, Person]]  # (before, after)
    removed: list[Person]
    kept_staff: list[Person]  # staff the LMS does not list, kept
    people: list[Person]  # the new roster, in order


def plan_roster(old: Roster, members: list[Member]) -> RosterChange:
    people: list[Person] = []
    added, changed = [], []
    matched: set[int] = set()
    for member in members:
        known = find_person(old.people, member)
        person = _new_person(member, known)
        if known is None:
            added.append(person)
        else:
            matched.add(id(known))
            if person != known:
                changed.append((known, person))
        people.append(person)
    unmatched = [p for p in old.people if id(p) not in matched]
    kept_staff = [p for p in unmatched if p.is_staff]
    removed = [p for p in unmatched if not p.is_staff]
    return RosterChange(added, changed, removed, kept_staff, people + kept_staff)


def write_roster(path: Path, people: list[Person]) -> Roster:
    """Write ``roster.csv`` (id,name,email,role) after checking it as an imported roster is
    checked; the old file stays if the new one fails."""
    buffer = io.StringIO()
    writer = SafeWriter(buffer, lineterminator="\n")
    sections = any(person.section for person in people)  # kept from the old roster
    writer.writerow([*COLUMNS, "section"] if sections else COLUMNS)
    for person in people:
        row = [person.id, person.name, ";".join(person.emails), person.role]
        writer.writerow([*row, person.section] if sections else row)
    draft = path.with_name(path.name + ".new")
    draft.write_text(buffer.getvalue(), encoding="utf-8")
    try:
        roster = load_roster(draft)
    except UserError as error:
        draft.unlink()
        raise UserError(f"the roster from the LMS fails the roster's checks: {error}") from None
    os.replace(draft, path)
    return Roster(roster.people, path, roster.columns)


def describe(change: RosterChange) -> list[str]:
    lines = [f"  added: {_who(p)} ({p.role})" for p in change.added]
    for before, after in change.changed:
        what = []
        if before.name != after.name:
            what.append(f"name {before.name!r} -> {after.name!r}")
        if before.role != after.role:
            what.append(f"role {before.role} -> {after.role}")
        if before.emails != after.emails:
            what.append(f"email {';'.join(before.emails)} -> {';'.join(after.emails)}")
        lines.append(f"  changed: {after.label}: {', '.join(what)}")
    lines += [f"  removed (not in the LMS): {_who(p)}" for p in change.removed]
    lines += [f"  kept (staff the LMS does not list): {_who(p)}" for p in change.kept_staff]
    return lines


def _who(person: Person) -> str:
    email = f" <{person.emails[0]}>" if person.emails else ""
    return f"{person.label} {person.name}{email}".strip()
