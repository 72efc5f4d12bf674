"""``grader mail``: each student's marks and feedback pages, written as .eml files to review
or sent."""

from __future__ import annotations

import argparse
import os
import sys
from pathlib import Path

from grader.course.commands import add_components, chosen_components, load
from grader.course.config import Course
from grader.course.options import add_common
from grader.disk_full import DiskFull, met_anywhere, no_space
from grader.errors import UserError
from grader.gradebook.course_book import BOOK_NAME, CourseBook
from grader.lms.final import grades_of
from grader.mail import composing as mail
from grader.mail import figures, mailed, smtp


def add_arguments(parser: argparse.ArgumentParser) -> None:
    parser.add_argument("--from", dest="sender", required=True, help="'Name <address>'")
    add_sending(parser)
    add_components(parser)
    add_common(parser)


def add_sending(parser: argparse.ArgumentParser) -> None:
    """The flags of a command that mails students: review as .eml files, or send by SMTP."""
    parser.add_argument("--send", action="store_true", help="send (default: write .eml files)")
    parser.add_argument(
        "--eml", default=None, help="folder for the .eml files (default: OUT/mail/)"
    )
    parser.add_argument("--smtp-host", default=os.environ.get("GRADER_SMTP_HOST"))
    parser.add_argument("--smtp-port", type=int, default=None, help="default 587, or 465 with tls")
    parser.add_argument("--security", choices=smtp.SECURITY, default="starttls")
    parser.add_argument(
        "--cafile", default=None, help="PEM of certificates to trust besides the system's"
    )


def deliver(messages: list[smtp.Outgoing], args: argparse.Namespace, out: Path) -> int:
    """Write the messages as .eml files for review, or (``--send``) send those not sent before
    and say what became of each."""
    if not args.send:
        folder = Path(args.eml) if args.eml else out / "mail"
        try:
            written = mail.write_eml(messages, folder)
        except OSError as error:
            if no_space(error):  # the line names the folder: the error names no file
                raise DiskFull(met_anywhere(error, folder)) from None
            raise
        print(f"wrote {len(written)} messages to {folder}/ for review; send them with --send")
        return 0
    if not args.smtp_host:
        raise UserError("--send needs --smtp-host (or GRADER_SMTP_HOST)")
    port = args.smtp_port or (465 if args.security == "tls" else 587)
    server = smtp.Smtp(
        args.smtp_host, port, args.security, Path(args.cafile) if args.cafile else None
    )
    with CourseBook(out / BOOK_NAME) as book:
        report = smtp.send(messages, server, book)
    print(
        f"sent {len(report.sent)}, already sent before {len(report.skipped)}, "
        f"rejected {len(report.rejected)}"
    )
    for student, why in report.rejected:
        print(f"  rejected: {student}: {why}", file=sys.stderr)
    if report.uncertain:
        print(
            f"uncertain {len(report.uncertain)}: an earlier run stopped after sending these and "
            "before recording them; each went again as the same message (same Message-ID: a "
            "mail client shows it once if both arrived):"
        )
    for student, message_id in report.uncertain:
        print(f"  uncertain: {student} {message_id}")
    return 1 if report.rejected else 0


def cli(args: argparse.Namespace) -> int:
    course, projects, out = load(args)
    course = chosen_components(course, args.components)
    grades = grades_of(course, projects, out)
    copies = mailed.review_folders(out, args.eml)
    with CourseBook(out / BOOK_NAME) as book:
        since = mailed.since_mailed(course, projects, book, out, grades, copies)
        news = mailed.for_students(since)
        messages = mail.build_messages(course, grades, projects, book, out, args.sender, news)
        told = {g.person.id: mailed.figures_now(course, book, out, g) for g in grades}
        mailed.remember(out, [(m.student, m.digest, told[m.student]) for m in messages])
        if args.send:
            _known_to_earlier_graders(book, course, messages, since.before, told)
    then = "each is mailed again" if args.send else "grader mail --send mails each again"
    for line in mailed.said(since, then):
        print(line)
    return deliver(messages, args, out)


def _known_to_earlier_graders(
    book: CourseBook,
    course: Course,
    messages: list[smtp.Outgoing],
    before: dict[str, mailed.Mailed],
    told: dict[str, figures.Figures],
) -> None:
    """Record as sent the messages a grader before this mail identity sent already: the same
    mail under an earlier identity, or an earlier build's mail whose figures and feedback pages
    are the ones now. An upgrade mails nobody again for its own rewording; a grade its rules
    changed goes out."""
    for outgoing in messages:
        if book.was_sent(outgoing.student, outgoing.digest):
            continue
        sent = {row["digest"]: row["message_id"] for row in book.sent(outgoing.student)}
        known = [sent[d] for d in outgoing.earlier_digests if d in sent]
        last = before.get(outgoing.student)
        if not known and last is not None and last.earlier_build and last.figures is not None:
            now = told[outgoing.student]
            pages = mailed.auto_pages(course, mailed.attachments(outgoing.message))
            if not figures.changes(course, last.figures, now, True) and (
                last.figures.get("pages") == pages
            ):
                known = [last.message_id]
        if known:
            book.record_sent(outgoing.student, outgoing.digest, known[0], outgoing.recipients)
