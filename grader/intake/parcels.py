"""The inbox as parcels: each message or bundle zip read, unpacked, attributed and paired.

A parcel is what one item brings: its files placed in project slots, its links, who it is from
and when it counts from. Nothing is written here; placing parcels is :mod:`placing`'s job.
"""

from __future__ import annotations

import hashlib
from collections.abc import Sequence
from dataclasses import dataclass, field
from datetime import datetime
from pathlib import Path, PurePosixPath
from typing import Any

from grader.hand_in_time import UNKNOWN, HandInTime
from grader.intake.attribute import Attribution, name_student, relay, unwrap
from grader.intake.common import Limits, Rejected, unreadable_words
from grader.intake.links import find_links
from grader.intake.message.authresults import failed_sender_note, receiving_server, results_of
from grader.intake.message.reading import Attachment
from grader.intake.message.received import Received, receive
from grader.intake.message.reply_text import ReplyFacts
from grader.intake.message.sender import DkimKeys, check_sender, failed_on_top
from grader.intake.pairing import Piece, pair_files, pair_links
from grader.intake.unpack import extract_bundle, unpack_plain_zip
from grader.intake.unreadable import could_not_be_read, why_unreadable
from grader.intake.zips import is_bundle
from grader.projects.kinds import FILE_ROLES
from grader.roster import Roster
from grader.scratch import Scratch

_TNEF_NOTE = (
    "{name}: Outlook wrapped the attachments in winmail.dat (its rich-text format), so they "
    "cannot be read: ask the student to send them again as plain attachments (in Outlook: "
    "File > Options > Mail > Compose messages in HTML or plain text)"
)


@dataclass
class Parcel:
    source: str
    digest: str  # SHA-256 of the item as received: the same item read again is known
    identity: str = ""  # the same message in another inbox has the same identity
    earlier_identities: tuple[str, ...] = ()  # as earlier graders recorded it (see Letter's)
    sender: str = ""
    subject: str = ""
    time: HandInTime = UNKNOWN  # the mail's, the bundle's, the LMS's (or its verdict alone)
    student: dict[str, str] | None = None
    pieces: list[Piece] = field(default_factory=list)
    links: dict[str, str] = field(default_factory=dict)
    titles: dict[int, str] = field(default_factory=dict)
    notes: list[str] = field(default_factory=list)
    skipped: str = ""
    bounce: bool = False  # skipped as a mail server's delivery report
    unattributed: str = ""
    relayed_by: str = ""  # staff who sent a student's files in their own mail: to confirm
    staged: list[StagedFile] = field(default_factory=list)  # the pieces, once on disk
    reply: ReplyFacts | None = None  # a message answering another (a regrade request?)
    sender_check: str = ""  # what the mail says of its sender (index.csv's "sender check")
    signed: bool = False  # its sender authenticated: a trusted pass, or a DKIM signature
    # Refused as the student its From: names (the trusted server says the sender is forged):
    # why, and that student, who is told.
    refused: str = ""
    forged_by: str = ""  # the trusted server's word that the From: is forged ('' if none)
    claimed: dict[str, str] | None = None
    # A message's topmost Authentication-Results' server ('' when it has none); None: not mail
    receiving_server: str | None = None
    # A course that trusts no server: why that server's results say the sender failed ('' if not)
    failed_sender: str = ""
    # the files it brought that cannot be read (a broken zip, an empty file): name -> why; the
    # rest is collected as if it came alone
    unreadable: dict[str, str] = field(default_factory=dict)

    def stage(self, folder: Path) -> None:
        """Move the pieces' contents to files in ``folder``, so that only one message's
        files are ever held in memory."""
        folder.mkdir()
        for number, piece in enumerate(self.pieces):
            path = folder / str(number)
            path.write_bytes(piece.data)
            digest = hashlib.sha256(piece.data).hexdigest()
            self.staged.append(StagedFile(piece.slot, piece.relpath, path, digest))
        self.pieces = []


@dataclass(frozen=True)
class StagedFile:
    slot: str
    relpath: str
    path: Path
    sha256: str


@dataclass(frozen=True)
class Settings:
    limits: Limits
    roster: Roster | None
    required: int
    titles: Sequence[str] = ()
    # the auto-graded assignments' ids, to tell their notebooks by name; None: no course known,
    # a notebook's metadata alone names its assignment
    assignments: Sequence[str] | None = None
    # the authserv-id whose Authentication-Results the course trusts ('': none declared)
    trusted_authserv_id: str = ""
    dkim_keys: DkimKeys = field(default_factory=DkimKeys)  # the signers' keys, once per run


def _bundle_parcel(
    data: bytes, limits: Limits
) -> tuple[list[Piece], dict, dict, dict, list, dict[str, str]]:
    """A bundle's files in their slots, its links, titles, student (with its created time),
    notes, and the files that cannot be read (see :mod:`grader.intake.unreadable`)."""
    # a Scratch: a bundle a killed run unpacked is removed by the next run; unpacked into an
    # empty folder of it, beside the Scratch's lock
    with Scratch(None, "grader-bundle-") as scratch:
        folder = scratch / "bundle"
        folder.mkdir()
        manifest = extract_bundle(data, folder, limits)
        pieces, links, titles, listed = [], {}, {}, set()
        for number, project in enumerate(manifest["projects"], 1):
            titles[number] = project.get("title") or f"Project {number}"
            for kind in FILE_ROLES:
                if relpath := project.get(kind):
                    listed.add(relpath)
                    content = (folder / relpath).read_bytes()
                    pieces.append(Piece(f"project{number}/{kind}", relpath, content))
            for key in ("colab", "dataset_link"):
                if project.get(key):
                    links[f"project{number}/{key}"] = project[key]
        for relpath in sorted(set(manifest["files"]) - listed):
            pieces.append(Piece(f"other/{relpath}", relpath, (folder / relpath).read_bytes()))
    unreadable = {entry["name"]: entry["reason"] for entry in manifest.get("unreadable", [])}
    unreadable |= {p.relpath: why for p in pieces if (why := why_unreadable(p.relpath, p.data))}
    pieces = [piece for piece in pieces if piece.relpath not in unreadable]
    student = manifest["student"] | {"created": manifest["created"]}
    return pieces, links, titles, student, manifest.get("notes", []), unreadable


def read_zip_item(path: Path, source: str, settings: Settings) -> Parcel:
    """A bundle zip lying in the inbox folder: its time is the manifest's created time."""
    data = path.read_bytes()
    digest = hashlib.sha256(data).hexdigest()
    parcel = Parcel(source, digest, f"sha256:{digest}")
    parcel.pieces, parcel.links, parcel.titles, claim, parcel.notes, parcel.unreadable = (
        _bundle_parcel(data, settings.limits)
    )
    if parcel.unreadable and not parcel.pieces and not parcel.links:
        raise Rejected(unreadable_words(parcel.unreadable), claim["id"])
    parcel.notes += _unreadable_notes(parcel.unreadable)
    parcel.time, parcel.sender = HandInTime(claim.pop("created")), claim["email"]
    if settings.roster is None:
        parcel.student = dict(claim)
        return parcel
    person = settings.roster.by_email(claim["email"]) or settings.roster.by_id(claim["id"])
    if person is None or person.is_staff:
        named = f"{claim['id']} <{claim['email']}>"
        parcel.unattributed = f"the bundle names {named}, who is not on the roster"
    else:
        parcel.student = person.student_record(claim["email"])
    return parcel


def _loose_files(
    attachments: Sequence[Attachment], limits: Limits
) -> tuple[list[tuple[str, bytes]], list[str], dict[str, str]]:
    """The attachments as files, plain zips unpacked; notes (winmail.dat, unpacked zips); and
    the files that cannot be read, each with why (see :mod:`grader.intake.unreadable`)."""
    files, notes, unreadable = [], [], {}
    for attachment in attachments:
        name = attachment.name
        if attachment.content_type == "application/ms-tnef" or name.lower() == "winmail.dat":
            notes.append(_TNEF_NOTE.format(name=name))
            files.append((name, attachment.data))
        elif PurePosixPath(name).suffix.lower() == ".zip" and attachment.data:
            try:
                members = unpack_plain_zip(attachment.data, limits)
            except Rejected as rejection:
                unreadable[name] = rejection.reason
                continue
            files.extend(members)
            notes.append(f"{name}: unpacked ({len(members)} file(s))")
        else:
            files.append((name, attachment.data))
    readable = []
    for name, data in files:
        if why := why_unreadable(name, data):
            unreadable[name] = why
        else:
            readable.append((name, data))
    return readable, notes, unreadable


def _unreadable_notes(unreadable: dict[str, str]) -> list[str]:
    return [could_not_be_read({name: why}, "the rest was collected")
            for name, why in unreadable.items()]  # fmt: skip


def _fill(
    parcel: Parcel, attachments: Sequence[Attachment], text: str, html: str, settings: Settings
) -> tuple[list[str], Any]:
    """Put the message's files and links (its attachments, in its ``text`` and ``html``) into
    the parcel; the file names and bundle claim."""
    bundles = [a for a in attachments if a.name.lower().endswith(".zip") and is_bundle(a.data)]
    if len(bundles) > 1:
        raise Rejected(f"the message holds {len(bundles)} bundles: send one per message")
    files, notes, unreadable = _loose_files(
        [a for a in attachments if a not in bundles], settings.limits
    )
    titles, claim = list(settings.titles), None
    if bundles:
        parcel.pieces, parcel.links, parcel.titles, claim, bundle_notes, held_back = _bundle_parcel(
            bundles[0].data, settings.limits
        )
        unreadable = held_back | unreadable
        claim.pop("created")
        notes += bundle_notes
        titles = [parcel.titles[n] for n in sorted(parcel.titles)] or titles
    loose, pair_notes = pair_files(files, settings.required, titles, settings.assignments)
    held = {piece.slot for piece in parcel.pieces}
    parcel.pieces += [  # beside a bundle, a loose file never displaces the bundle's own
        piece
        if piece.slot not in held
        else Piece(f"other/{piece.relpath}", piece.relpath, piece.data)
        for piece in loose
    ]
    links = find_links(text, html)
    link_slots, link_notes = pair_links(links, settings.required, titles)
    parcel.links = link_slots | parcel.links
    parcel.unreadable |= unreadable
    if parcel.unreadable and not parcel.pieces and not parcel.links:
        raise Rejected(unreadable_words(parcel.unreadable))  # nothing else came with them
    parcel.notes += notes + _unreadable_notes(parcel.unreadable) + pair_notes + link_notes
    return [name for name, _ in files], claim


def fill_files(
    parcel: Parcel, files: Sequence[tuple[str, bytes]], text: str, html: str, settings: Settings
) -> dict[str, str] | None:
    """Another source's files and text (an LMS archive's submission) read into the parcel as a
    mail's attachments and body are: a bundle unpacked, plain zips opened, files paired, links
    found; the student the bundle names, if one is among the files."""
    attachments = [Attachment(name, data, "") for name, data in files]
    return _fill(parcel, attachments, text, html, settings)[1]


def read_message(
    raw: bytes, source: str, settings: Settings, envelope: datetime | None = None
) -> Parcel:
    """One email: staff and owner mail skipped, forwards unwrapped, files paired, links found.

    ``envelope``: the time of the mbox ``From_`` line, for mail without a valid Date.
    """
    return read_received(receive(raw, settings.limits, envelope), source, settings)


def read_received(received: Received, source: str, settings: Settings) -> Parcel:
    """:func:`read_message` of a message already read (under ``settings.limits``)."""
    letter = received.read()
    parcel = Parcel(source, hashlib.sha256(received.raw).hexdigest(), letter.identity)
    parcel.earlier_identities = letter.earlier_identities
    parcel.sender, parcel.subject = letter.address, letter.subject
    parcel.reply = received.reply
    check = check_sender(
        received.raw, received.headers, letter.address, settings.trusted_authserv_id,
        settings.dkim_keys,
    )  # fmt: skip
    parcel.sender_check, parcel.signed = check.outcome, check.signed
    parcel.forged_by = check.refused
    parcel.receiving_server = receiving_server(results_of(received.headers))
    failed = (
        None if settings.trusted_authserv_id else failed_on_top(received.headers, letter.address)
    )
    if failed is not None:  # told in the notes and the output, filed all the same
        parcel.failed_sender = failed.refused
        parcel.sender_check = f"{check.outcome}; untrusted {failed.outcome}"
        parcel.notes.append(failed_sender_note(parcel.receiving_server, failed.refused))
    found: Attribution = unwrap(letter, settings.roster)
    parcel.time = HandInTime(found.sent_at.isoformat(timespec="seconds"))
    if found.skipped:
        parcel.skipped, parcel.bounce = found.skipped, bool(letter.report)
        return parcel
    try:
        content = found.content
        names, claim = _fill(parcel, content.attachments, content.text, content.html, settings)
    except Rejected as rejection:
        if found.relayed_by:  # staff's own mail, as before relays were read: not a hand-in
            parcel.skipped = f"from staff member {found.relayed_by}: not a submission"
            return parcel
        rejection.student = rejection.student or letter.address
        rejection.forged, rejection.subject = check.refused, letter.subject
        raise
    if found.relayed_by and settings.roster is not None:
        relay(found, settings.roster, names, bool(parcel.pieces or parcel.links))
        parcel.relayed_by = found.relayed_by
    outer = [letter.subject, letter.text] if found.content is not letter else []
    name_student(found, settings.roster, names, claim, outer)
    parcel.student, parcel.unattributed, parcel.skipped = (
        found.student,
        found.unattributed,
        found.skipped,
    )
    parcel.notes = found.notes + [note for note in parcel.notes if note not in found.notes]
    if check.refused:
        _refuse(parcel, check.refused, settings.roster)
    return parcel


def _refuse(parcel: Parcel, why: str, roster: Roster | None) -> None:
    """Not the hand-in of the student its From: names: listed as unattributed, saying why, and
    that student (by the roster, else as attributed) kept to be told."""
    person = roster.by_email(parcel.sender) if roster is not None else None
    claimed = (
        person.student_record() if person is not None and not person.is_staff else parcel.student
    )
    named = f" {claimed['id']} ({claimed['name']})" if claimed else ""
    parcel.refused = (
        f"{why}: a forged sender, so not attributed to{named or ' anyone'}; if it is theirs, "
        "they send it again from their own mailbox"
    )
    parcel.claimed, parcel.student, parcel.relayed_by = claimed, None, ""
    parcel.unattributed = parcel.refused
