"""An LMS archive as items of ``grader collect``: one per submission (a student's attempt),
read into a parcel as a mail is (:func:`grader.intake.parcels.fill_files`), attributed through
the LMS's export, and one per entry that is no one's file, with its reason."""

from __future__ import annotations

import argparse
import functools
import hashlib
import re
from collections.abc import Sequence
from dataclasses import dataclass
from datetime import UTC, datetime, tzinfo
from pathlib import Path, PurePosixPath

from grader.course.config import Course
from grader.errors import UserError
from grader.hand_in_time import UNKNOWN, HandInTime
from grader.intake.common import Rejected
from grader.intake.inbox import Item
from grader.intake.lms_archives.entries import Entries, open_entries
from grader.intake.lms_archives.exports import ExportRow, read_export
from grader.intake.lms_archives.join import Joined, join
from grader.intake.lms_archives.model import Archive, Upload
from grader.intake.lms_archives.recognise import is_archive, reader_of
from grader.intake.pairing import ASSIGNMENT_SLOT, Piece
from grader.intake.parcels import Parcel, Settings, fill_files

_REFRESH = re.compile(r"""url=([^"'>\s]+)""", re.IGNORECASE)


@dataclass(frozen=True)
class LmsOptions:
    """What ``grader collect`` is told about its LMS archives."""

    export: Path | None = None  # --lms-export
    assignment: str | None = None  # --assignment: the assignment unmarked notebooks are for
    zone: tzinfo = UTC  # the course's zone, for the times an LMS writes without one


def _file_under(parcel: Parcel, assignment: str | None) -> None:
    """A notebook no release mark or name tells the assignment of: ``--assignment``'s."""
    slot = f"{ASSIGNMENT_SLOT}{assignment}"
    if not assignment or any(piece.slot == slot for piece in parcel.pieces):
        return
    for number, piece in enumerate(parcel.pieces):
        if piece.slot.startswith("project") and piece.slot.endswith("/notebook"):
            name = PurePosixPath(piece.relpath).name
            parcel.pieces[number] = Piece(slot, f"{assignment}/{name}", piece.data)
            parcel.notes = [n for n in parcel.notes if not n.startswith(f"{name}: which project")]
            return


def _read(
    submission: Upload,
    archive: Archive,
    entries: Entries,
    joined: Joined,
    source: str,
    settings: Settings,
    options: LmsOptions,
) -> Parcel:
    """One submission as a parcel: its files and text entries, its time or the LMS's late
    verdict, its student."""
    limits = settings.limits
    files, unreadable = [], {}
    for entry in submission.entries:
        try:
            files.append((submission.names[entry], entries.read(entry, limits)))
        except Rejected as rejection:  # the rest of the submission is read all the same
            unreadable[submission.names[entry]] = rejection.reason
    pages = [entries.read(e, limits).decode("utf-8", "replace") for e in submission.text_entries]
    html = "\n".join(pages)
    urls = [url for page in pages for url in _REFRESH.findall(page)]  # Canvas's _link.html
    lms = archive.lms.split(" (")[0]  # Moodle's, in folders or flat alike
    digest = hashlib.sha256(f"{lms}\0{submission.who.key}\0{submission.attempt}".encode())
    for name, data in sorted(files):
        digest.update(f"\0{name}\0{hashlib.sha256(data).hexdigest()}".encode())
    digest.update(html.encode())
    parcel = Parcel(source, digest.hexdigest(), f"lms:{digest.hexdigest()}")
    parcel.sender, parcel.subject = f"{archive.lms} {submission.who.key}", submission.label
    parcel.time = HandInTime(submission.sent_at or joined.sent_at, submission.late_verdict)
    if not submission.sent_at and joined.sent_at:
        parcel.notes.append(f"its time is the export's, which has no zone: {_zone_said(options)}")
    parcel.unreadable = unreadable
    text = "\n".join([submission.text, *urls])
    claim = fill_files(parcel, files, text, html, settings)
    if claim is None:  # a bundle says itself what each file is for
        _file_under(parcel, options.assignment)
    parcel.notes += submission.notes
    if parcel.time == UNKNOWN:
        parcel.notes.append(f"{archive.lms} gives no hand-in time for it")
    person = joined.person
    if person is None:  # a test student too: listed with the reason, as mail no one's is
        parcel.unattributed = joined.how
        return parcel
    parcel.student = person.student_record()
    if joined.how.startswith("by name alone"):
        parcel.notes.append(f"attributed {joined.how}")
    if claim and claim.get("id") not in ("", person.id):
        parcel.notes.append(f"the bundle uploaded names {claim.get('id')}, not {person.id}")
    return parcel


def _zone_said(options: LmsOptions) -> str:
    return f"read in the course's zone ({datetime.now(options.zone).strftime('%z')})"


def _refused(reason: str) -> Parcel:
    raise Rejected(reason)


def _export_rows(options: LmsOptions, key: str) -> dict[str, ExportRow | None] | None:
    if options.export is None:
        return None
    rows: dict[str, ExportRow | None] = {}
    for row in read_export(options.export, key, options.zone):
        rows[row.who.key] = None if row.who.key in rows else row  # None: two rows share it
    return rows


def archive_items(path: Path, settings: Settings, options: LmsOptions) -> list[Item]:
    """The items of one LMS archive (see the module's docstring); says which LMS made it."""
    entries = open_entries(path, settings.limits)
    names = sorted(entries.infos)
    reader = reader_of(path, names + sorted(entries.refused))
    archive = reader.read(names, lambda name: entries.read(name, settings.limits), options.zone)
    rows = _export_rows(options, archive.export_key)
    items: list[Item] = []
    for submission in archive.submissions:
        joined = join(submission.who, rows, settings.roster, archive.lms.split(" ")[0])
        source = f"{path.name}:{submission.label}"
        if submission.attempt:
            source += f"@{submission.attempt}"
        read = functools.partial(
            _read, submission, archive, entries, joined, source, settings, options
        )
        items.append(Item(source, read, in_archive=True))
    for entry, why in sorted((entries.refused | archive.set_aside).items()):
        source = f"{path.name}:{entry}"
        items.append(Item(source, functools.partial(_refused, why), in_archive=True))
    print(
        f"{path}: a {archive.lms} download, {len(archive.submissions)} submission(s)"
        + (f", {len(archive.receipts)} record(s) of the LMS read" if archive.receipts else "")
        + (f", joined through {options.export.name}" if options.export else "")
    )
    return items


def split_archives(
    inboxes: Sequence[Path], settings: Settings, options: LmsOptions
) -> tuple[list[Item], list[Path]]:
    """The items of the inboxes that are LMS archives; and the other inboxes (mail, bundles)."""
    items: list[Item] = []
    others = []
    for inbox in inboxes:
        if is_archive(inbox):
            items += archive_items(inbox, settings, options)
        else:
            others.append(inbox)
    if options.export is not None and len(others) == len(inboxes):
        raise UserError(
            f"--lms-export {options.export} joins an LMS's download to the roster, and none of "
            "the inboxes is one: give the archive the LMS made, or leave --lms-export out"
        )
    return items, others


def lms_options(args: argparse.Namespace, course: Course | None) -> LmsOptions:
    """``--lms-export`` and ``--assignment`` checked against the course; the course's zone (its
    deadlines' offset: the assignment's, else the first deadline's) for times the LMS writes
    without one."""
    assignment = getattr(args, "assignment", None)
    autos = [c for c in course.components if c.kind == "auto"] if course else []
    if assignment and course is not None and assignment not in [c.id for c in autos]:
        raise UserError(
            f"--assignment {assignment} is no auto-graded assignment of {course.path} "
            f"(its assignments: {', '.join(c.id for c in autos)})"
        )
    export = getattr(args, "lms_export", None)
    if export and not Path(export).is_file():
        raise UserError(f"--lms-export {export} does not exist: give the LMS's export (a CSV)")
    named = course.component(assignment) if course and assignment else None
    deadlines = [c.deadline for c in ([named] if named else course.components if course else [])]
    zone = next((d.tzinfo for d in deadlines if d is not None and d.tzinfo), UTC)
    return LmsOptions(Path(export) if export else None, assignment, zone)
