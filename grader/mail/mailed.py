"""What each student was last mailed, by its figures (:mod:`grader.mail.figures`), and whose
grades changed since.

The figures of every marks mail this grader makes are recorded beside its identity (table
``mail_figures`` of the course gradebook, by student and identity), so the mail a student last
had (``mail_sent``'s newest row) says what it told them. A mail an earlier build recorded
(0.1: a digest of the rendered message, no figures) is read from the message itself: the copy
``grader mail`` wrote for review (``<out>/mail/<id>.eml``, or the ``--eml`` folder), taken when
it is the very message sent (its Message-ID, or the earlier build's digest of its recipient,
subject, text, HTML and attachments, the same); its figures are then recorded, so a later
review run that writes over the copy loses nothing. An earlier build's mail with no such copy
cannot be compared: it is mailed again, and the instructor is told so.
"""

from __future__ import annotations

import email
import email.policy
import hashlib
import json
from collections.abc import Sequence
from dataclasses import dataclass
from email.message import EmailMessage
from pathlib import Path

from grader.course.config import Course
from grader.course.rubric import Projects
from grader.gradebook import book_reading
from grader.gradebook.course_book import BOOK_NAME, CourseBook
from grader.gradebook.database import open_database
from grader.lms.final import FinalGrade
from grader.mail import figures
from grader.mail.identity import EARLIER_SCHEMES, SCHEME

SCHEMA = """
CREATE TABLE IF NOT EXISTS mail_figures (
    student TEXT NOT NULL,
    digest TEXT NOT NULL,            -- the mail's identity, as mail_sent holds it
    figures TEXT NOT NULL,           -- JSON: what it tells (grader.mail.figures)
    PRIMARY KEY (student, digest)
);
"""
NO_COPY = (
    "mailed by an earlier build (marks, or another mail), whose figures are not on record, and "
    "no copy of it is here ({looked}): not known to have changed"
)


@dataclass(frozen=True)
class Mailed:
    """The mail a student last had: its figures (None where nothing says them), whether an
    earlier build sent it, and its Message-ID."""

    figures: figures.Figures | None
    earlier_build: bool
    message_id: str


def remember(out: Path, told: Sequence[tuple[str, str, figures.Figures]]) -> None:
    """Record the figures of each (student, identity) not recorded before."""
    db = open_database(out / BOOK_NAME, isolation_level=None)
    try:
        db.executescript(SCHEMA)
        db.execute("BEGIN IMMEDIATE")
        db.executemany(
            "INSERT OR IGNORE INTO mail_figures (student, digest, figures) VALUES (?, ?, ?)",
            [(student, digest, json.dumps(said, sort_keys=True)) for student, digest, said in told],
        )
        db.execute("COMMIT")
    finally:
        db.close()


def last_mailed(
    course: Course,
    projects: Projects | None,
    book: CourseBook,
    student: str,
    copies: Sequence[Path],
) -> Mailed | None:
    """The marks mail ``student`` last had (None if never mailed), read as the module says.

    ``mail_sent`` holds the watch's replies and the variants' handouts too: a reply is known by
    the watch's outbox, and a row of an earlier build's (a digest without a scheme) is taken
    for its marks mail when its copy says so, or, with no copy, when no marks mail of this
    grader's is on record (then it cannot be compared)."""
    replies = book_reading.rows(
        book.path, "watch_outbox", "SELECT digest FROM watch_outbox WHERE student = ?", (student,)
    )
    rows = [row for row in book.sent(student) if (row["digest"],) not in replies]
    for row in reversed(rows):
        earlier = not row["digest"].startswith((SCHEME, *EARLIER_SCHEMES))
        recorded = book_reading.rows(
            book.path,
            "mail_figures",
            "SELECT figures FROM mail_figures WHERE student = ? AND digest = ?",
            (student, row["digest"]),
        )
        if recorded:
            return Mailed(json.loads(recorded[0][0]), earlier, row["message_id"])
        if not earlier:  # a marks mail recorded before its figures were
            return Mailed(None, earlier, row["message_id"])
        copy = _copy(copies, student, row)
        if copy is not None:
            text = copy.get_body(("plain",))
            said = figures.from_text(course, projects, text.get_content() if text else "")
            said["pages"] = auto_pages(course, attachments(copy))
            remember(book.path.parent, [(student, row["digest"], said)])
            return Mailed(said, earlier, row["message_id"])
    return Mailed(None, True, rows[-1]["message_id"]) if rows else None


def _copy(folders: Sequence[Path], student: str, sent: dict[str, str]) -> EmailMessage | None:
    """The review copy of the message ``sent`` records, where one is the very message."""
    for folder in folders:
        path = folder / f"{student}.eml"
        try:
            message = email.message_from_bytes(path.read_bytes(), policy=email.policy.default)
        except OSError:
            continue
        if not isinstance(message, EmailMessage):
            continue
        if message["Message-ID"] == sent["message_id"] or earlier_digest(message) == sent["digest"]:
            return message
    return None


def earlier_digest(message: EmailMessage) -> str:
    """The identity 0.1 builds recorded for a message they sent: SHA-256 of its recipient,
    subject, text and HTML (each as composed: lines end in LF, and the newline a MIME part
    ends with is not the text's; a copy saved from the wire has CRLF), then each attachment's
    file name and bytes."""
    digest = hashlib.sha256()
    bodies = [message.get_body((kind,)) for kind in ("plain", "html")]
    texts = [
        body.get_content().replace("\r\n", "\n").removesuffix("\n") if body else ""
        for body in bodies
    ]
    for piece in (str(message["To"]), str(message["Subject"]), *texts):
        digest.update(piece.encode() + b"\0")
    for name, data in attachments(message):
        digest.update(name.encode() + b"\0" + data)
    return digest.hexdigest()


def attachments(message: EmailMessage) -> list[tuple[str, bytes]]:
    """Each attachment's file name and bytes."""
    found = []
    for part in message.iter_attachments():
        data = part.get_payload(decode=True)
        found.append((part.get_filename() or "", data if isinstance(data, bytes) else b""))
    return found


def auto_pages(course: Course, attachments: Sequence[tuple[str, bytes]]) -> dict[str, str]:
    """The SHA-256 of each auto-graded feedback page among ``attachments``, by file name (a
    project's page is its marks, compared as such)."""
    names = {f"{c.id}-feedback.html" for c in course.components if c.kind == "auto"}
    return {name: hashlib.sha256(data).hexdigest() for name, data in attachments if name in names}


def regrades(out: Path, student: str) -> dict[str, int]:
    """How many regrade changes were accepted on each of ``student``'s components."""
    found = book_reading.rows(
        out / BOOK_NAME,
        "score_overrides",
        "SELECT component, count(*) FROM score_overrides WHERE student = ? GROUP BY component",
        (student,),
    )
    return dict(found)


def figures_now(course: Course, book: CourseBook, out: Path, grade: FinalGrade) -> figures.Figures:
    """What a mail of ``grade`` tells now."""
    student = grade.person.id
    marks = {c.id: book.marks(student, c.id) for c in course.projects}
    return figures.figures_of(grade, marks, regrades(out, student))


def class_mailed(
    course: Course,
    projects: Projects | None,
    book: CourseBook,
    grades: Sequence[FinalGrade],
    copies: Sequence[Path],
) -> dict[str, Mailed]:
    """The mail each student of ``grades`` last had, of those mailed before."""
    found = {}
    for grade in grades:
        mailed = last_mailed(course, projects, book, grade.person.id, copies)
        if mailed is not None:
            found[grade.person.id] = mailed
    return found


Changes = list[tuple[str, list[tuple[str, str]]]]  # (student, [(what changed, why)])


@dataclass(frozen=True)
class SinceMailed:
    """Since each student's last mail: the mail each had (``before``, by student), whose
    figures changed (what, and why), and whose last mail cannot be compared (``not_known``:
    an earlier build's, its figures not on record and no copy of it here; why, by student)."""

    before: dict[str, Mailed]
    changed: Changes
    not_known: dict[str, str]


def since_mailed(
    course: Course,
    projects: Projects | None,
    book: CourseBook,
    out: Path,
    grades: Sequence[FinalGrade],
    copies: Sequence[Path],
) -> SinceMailed:
    """What each student of ``grades`` was last mailed, and what changed since: read before a
    run writes its own copies for review over an earlier build's (``copies``: where they are).
    Each student mailed before whose figures are not the ones mailed: what changed, and why; an
    earlier build's mail that cannot be compared is said to be that, never a change."""
    before = class_mailed(course, projects, book, grades, copies)
    changed: Changes = []
    not_known = {}
    looked = " or ".join(str(folder) for folder in copies)
    for grade in grades:
        mailed = before.get(grade.person.id)
        if mailed is None:
            continue
        if mailed.figures is None:
            if mailed.earlier_build:
                not_known[grade.person.id] = NO_COPY.format(looked=looked)
            continue
        now = figures_now(course, book, out, grade)
        said = figures.changes(course, mailed.figures, now, mailed.earlier_build)
        if said:
            changed.append((grade.person.id, said))
    return SinceMailed(before, changed, not_known)


def review_folders(out: Path, eml: str | None) -> list[Path]:
    """Where ``grader mail`` writes its copies for review: the ``--eml`` folder, else OUT/mail."""
    return [Path(eml)] if eml else [out / "mail"]


def said(since: SinceMailed, then: str) -> list[str]:
    """The lines that tell the instructor whose grades changed since their last mail, and
    why; then, apart, whose last mail's figures are not on record (not a change: not known).
    ``then``: what happens to each (``grader mail --send`` mails each again)."""
    lines = []
    if since.changed:
        lines = [f"grades changed since the student's last mail ({len(since.changed)}): {then}"]
    for student, changes in since.changed:
        lines += [
            f"  {student}: " + " ".join(filter(None, [what, why and f"({why})"]))
            for what, why in changes
        ]
    if since.not_known:
        lines.append(
            f"grades changed since the student's last mail: not known for {len(since.not_known)}"
            f" (what their last mail said is not on record): {then}, with the figures now"
        )
    lines += [f"  {student}: {why}" for student, why in since.not_known.items()]
    return lines


def for_students(since: SinceMailed) -> dict[str, list[str]]:
    """What each student's mail says changed since their last one."""
    return {student: [what for what, _ in changes if what] for student, changes in since.changed}
