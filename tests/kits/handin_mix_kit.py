"""Students' hand-ins as each source brings them: a mail (.eml, a Takeout mbox, an Outlook
.msg) and each LMS's download with its export (Canvas, Moodle in folders and flat, Blackboard,
D2L, Gradescope), named as those sources name them (lms_archive_kit, mailkit, msgkit); and what
``grader collect`` must make of any mix of readable and unreadable files in them."""

from __future__ import annotations

import csv
import hashlib
import io
import unicodedata
from collections.abc import Sequence
from dataclasses import dataclass
from datetime import UTC, datetime
from pathlib import Path, PurePosixPath

from lms_archive_kit import (
    blackboard_attempt,
    blackboard_grade_center,
    canvas_gradebook,
    canvas_prefix,
    canvas_upload,
    d2l_entry,
    d2l_grades,
    gradescope_metadata,
    moodle_entry,
    moodle_worksheet,
    zipped,
)
from mailkit import OWNER, gmail, takeout_mbox
from msgkit import saved_from_outlook

from grader.intake.manifest import load_manifest

SENT = datetime(2026, 12, 10, 9, tzinfo=UTC)
MAIL = ("mail", "mbox", "outlook")
LMS = ("canvas", "moodle in folders", "moodle flat", "blackboard", "d2l", "gradescope")
SOURCES = MAIL + LMS
BROKEN_ZIP = b"PK\x03\x04 not a zip: the upload was cut short"


@dataclass(frozen=True)
class Student:
    id: str
    first: str
    last: str
    lms_id: int  # the LMS's own id (Canvas user id, Moodle participant, ...)
    files: tuple[tuple[str, bytes], ...]

    @property
    def name(self) -> str:
        return f"{self.first} {self.last}"

    @property
    def login(self) -> str:
        return f"s{self.id}"

    @property
    def email(self) -> str:
        return f"{self.login}@example.edu"


def unreadable(name: str, data: bytes) -> bool:
    """What the test holds unreadable: an empty file, a ``.zip`` that is no zip."""
    return not data or (PurePosixPath(name).suffix == ".zip" and data == BROKEN_ZIP)


def roster_csv(students: Sequence[Student]) -> str:
    out = io.StringIO()
    writer = csv.writer(out, lineterminator="\n")
    writer.writerow(["id", "name", "email", "role"])
    writer.writerows([s.id, s.name, s.email, "student"] for s in students)
    return out.getvalue()


def _mail(student: Student):
    sender = f"{student.name} <{student.email}>"
    return gmail(sender, SENT, "Assignment 1", "My work.", attachments=student.files)


def _lms_entries(source: str, students: Sequence[Student], folder: Path) -> tuple[dict, Path]:
    """The download's entries and its export, written in ``folder``."""
    entries: dict[str, bytes] = {}
    if source == "canvas":
        for s in students:
            prefix = canvas_prefix(f"{s.last}, {s.first}", s.lms_id, False)
            for number, (name, data) in enumerate(s.files):
                entries[canvas_upload(prefix, s.lms_id * 100 + number, name)] = data
        rows = [(f"{s.last}, {s.first}", s.lms_id, s.id, s.login) for s in students]
        return entries, canvas_gradebook(rows, folder / "gradebook.csv")
    if source.startswith("moodle"):
        folders = source == "moodle in folders"
        for s in students:
            for name, data in s.files:
                entries[moodle_entry(s.name, s.lms_id, name, folders)] = data
        when = "Thursday, 10 December 2026, 2:30 PM"
        rows = [(s.lms_id, s.name, s.email, s.id, when) for s in students]
        return entries, moodle_worksheet(rows, folder / "worksheet.csv")
    if source == "blackboard":
        for s in students:
            entries |= blackboard_attempt(
                "Assignment 1", s.login, s.name, "2026-12-10-14-30-00",
                "Thursday, 10 December 2026 14:30:00 o'clock IST", dict(s.files),
            )  # fmt: skip
        rows = [(s.last, s.first, s.login, s.id) for s in students]
        return entries, blackboard_grade_center(rows, folder / "gc.xls")
    if source == "d2l":
        for s in students:
            for name, data in s.files:
                entries[d2l_entry(f"{s.lms_id}-1", s.name, "Dec 10, 2026 230 PM", name)] = data
        rows = [(s.id, s.login, s.last, s.first, s.email) for s in students]
        return entries, d2l_grades(rows, folder / "grades.csv")
    assert source == "gradescope", source
    records = {
        f"submission_{s.lms_id}": {
            "submitters": [(s.name, s.id, s.email)],
            "created_at": "2026-12-10 09:00:00.000000000 Z",
        }
        for s in students
    }
    entries["assignment_1_export/submission_metadata.yml"] = gradescope_metadata(records)
    for s in students:
        for name, data in s.files:
            entries[f"assignment_1_export/submission_{s.lms_id}/{name}"] = data
    export = folder / "roster.csv"
    with export.open("w", newline="", encoding="utf-8") as stream:
        writer = csv.writer(stream)
        writer.writerow(["First Name", "Last Name", "SID", "Email"])
        writer.writerows([s.first, s.last, s.id, s.email] for s in students)
    return entries, export


def handed_in(source: str, students: Sequence[Student], folder: Path) -> tuple[Path, Path | None]:
    """The inbox ``grader collect`` reads, made in ``folder``; and the LMS's export (None for
    mail)."""
    folder.mkdir(parents=True, exist_ok=True)
    if source == "mail":
        inbox = folder / "inbox"
        inbox.mkdir()
        for s in students:
            (inbox / f"{s.id}.eml").write_bytes(bytes(_mail(s)))
        return inbox, None
    if source == "mbox":
        return takeout_mbox(folder / "Inbox.mbox", [_mail(s) for s in students]), None
    if source == "outlook":
        inbox = folder / "inbox"
        inbox.mkdir()
        for s in students:
            (inbox / f"{s.id}.msg").write_bytes(saved_from_outlook(_mail(s), OWNER, SENT))
        return inbox, None
    entries, export = _lms_entries(source, students, folder)
    archive = folder / "submissions.zip"
    archive.write_bytes(zipped(entries))
    return archive, export


def _sha(data: bytes) -> str:
    return hashlib.sha256(data).hexdigest()


def _nfc(text: str) -> str:
    return unicodedata.normalize("NFC", text)


def check_collected(out: Path, students: Sequence[Student], rejected: list[dict]) -> None:
    """Every readable file is in its student's folder, every unreadable one is listed by its
    name with its reason in REJECTED.csv, and no folder holds anyone else's file."""
    ids = {s.id for s in students}
    made = {p.name for p in out.iterdir() if p.is_dir() and not p.name.startswith(".")}
    assert made <= ids, f"folders for no student: {made - ids}"
    for s in students:
        readable = {_sha(d) for n, d in s.files if not unreadable(n, d)}
        if readable:
            held = set(load_manifest(out / s.id)["files"].values())
            assert readable <= held, f"{s.id}: readable files not collected"
            assert held <= readable, f"{s.id}: holds files that are not theirs"
        else:
            assert s.id not in made, f"{s.id}: a folder with nothing readable in it"
        for name, data in s.files:
            if not unreadable(name, data):
                continue
            rows = [r for r in rejected if f"{_nfc(name)}: " in _nfc(r["reason"])]
            assert rows, f"{name!r} of {s.id} is not listed in REJECTED.csv"
            if readable:  # collected: the row names the student
                assert any(r["student"] == s.id for r in rows), (name, rows)
