"""``grader mail``: one email per student with their marks (text and HTML) and their feedback
pages attached.

Without ``--send`` the messages are written as ``.eml`` files for review. With it they go out
through SMTP (STARTTLS or implicit TLS, certificates checked), with the user name and password
from ``GRADER_SMTP_USER`` / ``GRADER_SMTP_PASSWORD``, never from the command line. Each message
sent is recorded in the gradebook under a digest of its content, so a run started again after
a stop never sends the same message twice; a recipient the server refuses is reported and the
other students' mail goes on.
"""

from __future__ import annotations

import hashlib
import os
import smtplib
import ssl
import sys
from dataclasses import dataclass
from email.message import EmailMessage
from email.utils import formataddr, make_msgid, parseaddr
from html import escape
from pathlib import Path

from grader.course.book import CourseBook
from grader.course.config import Course
from grader.course.final import FinalGrade
from grader.course.pages import feedback_page
from grader.course.rubric import Projects
from grader.errors import UserError

USER_VARIABLE = "GRADER_SMTP_USER"
PASSWORD_VARIABLE = "GRADER_SMTP_PASSWORD"
SECURITY = ("starttls", "tls")


@dataclass(frozen=True)
class Outgoing:
    student: str
    recipients: list[str]
    message: EmailMessage
    digest: str  # of what the student reads: recipients, subject, bodies, attachments


@dataclass(frozen=True)
class Smtp:
    host: str
    port: int
    security: str  # starttls | tls
    cafile: Path | None = None  # extra trusted certificates (a self-signed server's)
    timeout: float = 60.0


def _text_and_html(course: Course, grade: FinalGrade, projects: Projects | None, book: CourseBook):
    lines = [f"Dear {grade.person.name},", "", f"your marks in {course.title}:", ""]
    rows = []
    for part in grade.parts:
        component = course.component(part.component)
        remark = part.explanation()
        lines.append(
            f"  {component.title}: {part.fraction * 100:.1f}%" + (f" ({remark})" if remark else "")
        )
        rows.append(
            f"<tr><td>{escape(component.title)}</td><td>{part.fraction * 100:.1f}%</td>"
            f"<td>{escape(remark)}</td></tr>"
        )
    lines += ["", f"Final grade: {grade.total:.2f} out of {course.scale:g}", ""]
    for component in course.projects:
        marks = book.marks(grade.person.id, component.id)
        if not marks or projects is None:
            continue
        lines.append(f"{component.title}, by criterion:")
        for criterion in projects.rubric.criteria:
            mark = next((m for m in marks if m.criterion == criterion.id), None)
            points = "-" if mark is None or mark.points is None else f"{mark.points:g}"
            comment = f": {mark.comment}" if mark is not None and mark.comment else ""
            lines.append(f"  {criterion.title}: {points}/{criterion.points:g}{comment}")
        lines.append("")
    lines += ["The feedback pages are attached.", "", "-- ", course.title]
    html = (
        f"<p>Dear {escape(grade.person.name)},</p><p>your marks in {escape(course.title)}:</p>"
        f"<table border='1' cellpadding='4' style='border-collapse:collapse'>"
        f"<tr><th>component</th><th>score</th><th>remark</th></tr>{''.join(rows)}</table>"
        f"<p><b>Final grade: {grade.total:.2f} out of {course.scale:g}</b></p>"
        f"<p>The feedback pages are attached.</p>"
    )
    return "\n".join(lines), html


def build_messages(
    course: Course,
    grades: list[FinalGrade],
    projects: Projects | None,
    book: CourseBook,
    out: Path,
    sender: str,
) -> list[Outgoing]:
    name, address = parseaddr(sender)
    if "@" not in address:
        raise UserError(f"--from {sender!r} is not an email address, e.g. 'Course <ta@uni.edu>'")
    messages = []
    for grade in grades:
        if not grade.person.emails:
            print(f"  {grade.person.id}: no email address on the roster; skipped", file=sys.stderr)
            continue
        message = EmailMessage()
        message["From"] = formataddr((name, address))
        message["To"] = formataddr((grade.person.name, grade.person.emails[0]))
        message["Subject"] = f"{course.title}: your marks and feedback"
        text, html = _text_and_html(course, grade, projects, book)
        message.set_content(text)
        message.add_alternative(html, subtype="html")
        attachments = _attachments(course, grade, projects, book, out)
        for filename, data in attachments:
            message.add_attachment(data, maintype="text", subtype="html", filename=filename)
        digest = hashlib.sha256()
        for piece in (message["To"], message["Subject"], text, html):
            digest.update(piece.encode() + b"\0")
        for filename, data in attachments:
            digest.update(filename.encode() + b"\0" + data)
        message["Message-ID"] = make_msgid(domain=address.rpartition("@")[2])
        messages.append(
            Outgoing(grade.person.id, [grade.person.emails[0]], message, digest.hexdigest())
        )
    return messages


def _attachments(course, grade, projects, book, out) -> list[tuple[str, bytes]]:
    found = []
    for component in course.components:
        if component.kind == "auto":
            page = out / component.id / grade.person.id / "feedback.html"
            if page.is_file():
                found.append((f"{component.id}-feedback.html", page.read_bytes()))
        elif projects is not None:
            project = next((p for p in projects.projects if p.id == component.id), None)
            marks = book.marks(grade.person.id, component.id)
            if project is not None and marks:
                page = feedback_page(projects, project, grade.person.name, marks)
                found.append((f"{component.id}-feedback.html", page.encode()))
    return found


def write_eml(messages: list[Outgoing], folder: Path) -> list[Path]:
    folder.mkdir(parents=True, exist_ok=True)
    written = []
    for outgoing in messages:
        path = folder / f"{outgoing.student}.eml"
        path.write_bytes(outgoing.message.as_bytes())
        written.append(path)
    return written


def _connect(smtp: Smtp) -> smtplib.SMTP:
    context = ssl.create_default_context(cafile=str(smtp.cafile) if smtp.cafile else None)
    try:
        if smtp.security == "tls":
            client: smtplib.SMTP = smtplib.SMTP_SSL(
                smtp.host, smtp.port, timeout=smtp.timeout, context=context
            )
        else:
            client = smtplib.SMTP(smtp.host, smtp.port, timeout=smtp.timeout)
            client.starttls(context=context)
        user, password = os.environ.get(USER_VARIABLE), os.environ.get(PASSWORD_VARIABLE)
        if user and password:
            client.login(user, password)
        elif user or password:
            raise UserError(f"set both {USER_VARIABLE} and {PASSWORD_VARIABLE}, or neither")
        return client
    except smtplib.SMTPAuthenticationError as error:
        raise UserError(
            f"the SMTP server refused the login ({error.smtp_code}): check {USER_VARIABLE} "
            f"and {PASSWORD_VARIABLE}"
        ) from None
    except (OSError, smtplib.SMTPException) as error:
        raise UserError(
            f"cannot reach the SMTP server {smtp.host}:{smtp.port} with {smtp.security}: {error}"
        ) from None


@dataclass(frozen=True)
class SendReport:
    sent: list[str]
    skipped: list[str]  # sent before, by an earlier run
    rejected: list[tuple[str, str]]  # (student, why)


def send(
    messages: list[Outgoing],
    smtp: Smtp,
    book: CourseBook,
) -> SendReport:
    """Send what was not sent before; record each message as soon as the server took it."""
    sent, skipped, rejected = [], [], []
    todo = [m for m in messages if not book.was_sent(m.student, m.digest)]
    skipped = [m.student for m in messages if m not in todo]
    if not todo:
        return SendReport(sent, skipped, rejected)
    client = _connect(smtp)
    try:
        for number, outgoing in enumerate(todo, start=1):
            try:
                refused = client.send_message(outgoing.message, to_addrs=outgoing.recipients)
            except smtplib.SMTPRecipientsRefused as error:
                why = "; ".join(
                    f"{address}: {code} {_text(reply)}"
                    for address, (code, reply) in error.recipients.items()
                )
                rejected.append((outgoing.student, why))
                print(f"[{number}/{len(todo)}] {outgoing.student}: REJECTED {why}", file=sys.stderr)
                continue
            except smtplib.SMTPDataError as error:
                why = f"{error.smtp_code} {_text(error.smtp_error)}"
                rejected.append((outgoing.student, why))
                print(f"[{number}/{len(todo)}] {outgoing.student}: REJECTED {why}", file=sys.stderr)
                continue
            book.record_sent(
                outgoing.student,
                outgoing.digest,
                outgoing.message["Message-ID"],
                outgoing.recipients,
            )
            sent.append(outgoing.student)
            note = f" (refused: {', '.join(refused)})" if refused else ""
            print(f"[{number}/{len(todo)}] {outgoing.student}: sent{note}", file=sys.stderr)
    except (OSError, smtplib.SMTPServerDisconnected) as error:
        raise UserError(
            f"the SMTP connection broke after {len(sent)} messages ({error}); what was sent is "
            "recorded: run the same command again to send the rest"
        ) from None
    finally:
        try:
            client.quit()
        except (OSError, smtplib.SMTPException):
            pass
    return SendReport(sent, skipped, rejected)


def _text(reply: bytes | str) -> str:
    return reply.decode(errors="replace") if isinstance(reply, bytes) else reply
