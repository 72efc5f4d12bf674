"""Whose hand-in a message is: the mailbox owner's and staff's own mail is none; a forward is
the original sender's; with a roster, a student is found by any of their addresses or by the
roster id written in the subject, body or file names, and nobody is made up."""

from __future__ import annotations

from collections.abc import Mapping, Sequence
from dataclasses import dataclass, field
from datetime import datetime
from pathlib import Path
from typing import Any

from grader.intake.common import Rejected
from grader.intake.manifest import student_id_from_address
from grader.intake.message.reading import Letter
from grader.roster import Person, Roster


@dataclass
class Attribution:
    """``student`` (id, name, email) owns ``content`` sent at ``sent_at``; or, with no student,
    ``skipped`` (staff or owner mail, not a submission) or ``unattributed`` says why."""

    content: Letter
    sent_at: datetime
    student: dict[str, str] | None = None
    skipped: str = ""
    unattributed: str = ""
    notes: list[str] = field(default_factory=list)
    relayed_by: str = ""  # staff who sent a student's files in their own mail (see relay)


def unwrap(letter: Letter, roster: Roster | None) -> Attribution:
    """The message whose files count, and when it counts from; staff and owner mail skipped.

    A forward by the mailbox owner or by staff counts from the original's Date. So does, with
    no roster to tell staff by, a forward of someone else's mail (a TA's, most likely; a note
    says so). Anyone else's forward counts from its own Date: nobody dates their mail back.
    """
    if letter.not_mail:
        return Attribution(letter, letter.sent_at, skipped=f"{letter.not_mail}: not a submission")
    if letter.report:
        return Attribution(letter, letter.sent_at, skipped=f"{letter.report}: not a submission")
    staff = roster.by_email(letter.address) if roster else None
    trusted = letter.from_owner or (
        f"from staff member {staff.label}" if staff and staff.is_staff else ""
    )
    original = letter.forwarded
    if original is None:
        if staff and staff.is_staff and not letter.from_owner:  # perhaps a student's files
            return Attribution(letter, letter.sent_at, relayed_by=staff.label)
        if trusted:
            return Attribution(letter, letter.sent_at, skipped=f"{trusted}: not a submission")
        return Attribution(letter, letter.sent_at, notes=list(letter.notes))
    notes = [*letter.notes, *original.notes]
    forwarded = f"forwarded by {letter.address} on {letter.sent_at.isoformat(timespec='minutes')}"
    if trusted:
        notes.append(f"{forwarded}; the original's time counts")
        return Attribution(original, original.sent_at, notes=notes)
    if roster is None and original.address != letter.address:
        notes.append(
            f"{forwarded}; the original's time counts, though nothing says the forwarder is "
            "staff (give --roster to check)"
        )
        return Attribution(original, original.sent_at, notes=notes)
    forwarder = roster.by_email(letter.address) if roster else None
    if forwarder is not None and not forwarder.has_email(original.address):
        # A student forwarding someone else's mail hands it in as their own, never as the other's.
        notes.append(f"{forwarded}: it forwards mail from {original.address}")
        found = Attribution(original, letter.sent_at, notes=notes)
        found.student = _as_student(forwarder, letter.address, letter.name)
        return found
    notes.append(
        f"{forwarded}, who is not known as staff: the forward's own time counts "
        "(list them as staff in --roster to use the original's time)"
    )
    return Attribution(original, letter.sent_at, notes=notes)


def relay(found: Attribution, roster: Roster, file_names: Sequence[str], carries: bool) -> None:
    """Staff's own mail: a student's hand-in relayed (a TA passing on files a student sent them
    directly) when it ``carries`` files or links and names one roster student, by id or full
    name, in its subject, body or file names; the student is set, with a note asking the
    instructor to confirm. Otherwise it is staff's mail, not a submission."""
    letter = found.content
    texts = [letter.subject, letter.text, *file_names]
    named = roster.ids_in(texts) or roster.names_in(texts)
    if carries and len(named) == 1:
        person = named[0]
        found.student = person.student_record()
        found.notes.append(
            f"relayed by staff member {found.relayed_by} ({letter.address}) in their own mail "
            f"of {letter.sent_at.isoformat(timespec='minutes')}, which names {person.id}: "
            "confirm it is theirs (its time is the relay's)"
        )
        return
    staff, found.relayed_by = found.relayed_by, ""
    found.skipped = f"from staff member {staff}: not a submission"
    if carries:
        why = "names several students" if named else "names no roster student"
        found.skipped += (
            f" (it carries files but {why}: file them by hand, or forward the student's own mail)"
        )


def _as_student(person: Person, address: str, fallback_name: str) -> dict[str, str]:
    email = address if person.has_email(address) else (person.emails or (address,))[0]
    return person.student_record(email) | {"name": person.name or fallback_name}


def name_student(
    found: Attribution,
    roster: Roster | None,
    file_names: Sequence[str],
    claim: Mapping[str, Any] | None,
    extra_texts: Sequence[str] = (),
) -> None:
    """Set ``found.student`` (or ``found.unattributed``); ``claim`` is a bundle's student."""
    if found.student is not None or found.skipped:
        return
    letter = found.content
    if roster is None:
        if claim:
            found.student = dict(claim)
            if claim["email"].lower() != letter.address:
                found.notes.append(f"sent from {letter.address}, the bundle names {claim['email']}")
        else:
            try:
                student_id = student_id_from_address(letter.address)
            except Rejected as rejection:
                found.unattributed = rejection.reason
                return
            found.student = {"id": student_id, "name": letter.name, "email": letter.address}
        return
    person = roster.by_email(letter.address)
    if person is not None and person.is_staff:
        found.skipped = (
            f"the forwarded message is from staff member {person.label}: not a submission"
        )
        return
    if person is not None:
        found.student = _as_student(person, letter.address, letter.name)
        if claim and claim["id"].lower() != person.id.lower():
            found.notes.append(f"the bundle names {claim['id']}, the sender is {person.id}")
        return
    texts = [letter.subject, letter.text, *extra_texts, *file_names]
    named = roster.ids_in(texts)
    if len(named) > 1:
        ids = ", ".join(p.id for p in named)
        found.unattributed = f"{letter.address} is not on the roster and the mail names {ids}"
        return
    if named:
        found.student = _as_student(named[0], letter.address, letter.name)
        found.notes.append(
            f"sent from {letter.address}, not on the roster: attributed by the roster id "
            f"{named[0].id} written in the mail"
        )
        return
    by_claim = claim and (roster.by_id(claim["id"]) or roster.by_email(claim["email"]))
    if by_claim and not by_claim.is_staff:
        found.student = _as_student(by_claim, letter.address, letter.name)
        found.notes.append(f"sent from {letter.address}, not on the roster: the bundle names them")
        return
    found.unattributed = (
        f"{letter.address} is not on the roster and no roster id appears in the subject, "
        "body or file names"
    )


def roster_id_for(folder: Path, manifest: Any, roster: Roster) -> str | None:
    """The roster id of a collected folder, notebook or bundle: by its manifest's email or id,
    by its folder or file name, or None when the roster does not know it."""
    student = manifest.get("student") if isinstance(manifest, Mapping) else None
    student = student if isinstance(student, Mapping) else {}
    for person in (
        roster.by_email(str(student.get("email") or "")),
        roster.by_id(str(student.get("id") or "")),
        roster.by_id(folder.stem),
    ):
        if person is not None and not person.is_staff:
            return person.id
    named = roster.ids_in([folder.name])
    return named[0].id if len(named) == 1 else None
