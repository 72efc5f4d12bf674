"""The feedback mail a 0.1 build (284a878) sent, as it left it: the message as it composed it
(its text's lines, figures to one decimal and a total to two, an HTML part, the feedback pages
attached), sent over SMTP, the review copy its ``grader mail`` without ``--send`` wrote in
``<out>/mail/<id>.eml``, and its record in ``mail_sent``: the SHA-256 of the recipient,
subject, text, HTML and attachments (no scheme, no figures), with the Message-ID and the
recipients."""

from __future__ import annotations

import hashlib
import smtplib
import sqlite3
import ssl
from collections.abc import Collection
from dataclasses import dataclass
from datetime import UTC, datetime
from email.headerregistry import Address
from email.message import EmailMessage
from email.utils import formatdate, make_msgid
from pathlib import Path

from smtp_kit import PASSWORD, USER


@dataclass(frozen=True)
class Told:
    """What one student's mail said: each component's line ("pending (not graded yet)" or
    "70.0% (remark)") and its standing line."""

    student: str
    name: str
    address: str
    lines: dict[str, str]  # component title -> what follows "title: "
    standing: str  # e.g. "Standing so far: 70.00 out of 100, over the graded components only"
    pages: dict[str, bytes]


def _composed(course_title: str, told: Told) -> tuple[Address, str, str, str]:
    subject = f"{course_title}: your marks and feedback"
    lines = [f"Dear {told.name},", "", f"your marks in {course_title}:", ""]
    lines += [f"  {title}: {said}" for title, said in told.lines.items()]
    lines += ["", told.standing, "", "The feedback pages are attached.", "", "-- ", course_title]
    rows = "".join(f"<tr><td>{t}</td><td>{s}</td></tr>" for t, s in told.lines.items())
    html = (
        f'<!doctype html><html lang="en"><head><meta charset="utf-8"><title>Your marks in '
        f"{course_title}</title></head><body><p>Dear {told.name},</p><table>{rows}</table>"
        f"<p><b>{told.standing}</b></p><p>The feedback pages are attached.</p></body></html>"
    )
    return Address(display_name=told.name, addr_spec=told.address), subject, "\n".join(lines), html


def _message(sender: str, course_title: str, told: Told) -> tuple[EmailMessage, str]:
    to, subject, text, html = _composed(course_title, told)
    message = EmailMessage()
    message["From"] = sender
    message["To"] = to
    message["Subject"] = subject
    message["Date"] = formatdate(localtime=True)
    message["Message-ID"] = make_msgid(domain="example.edu")
    message.set_content(text)
    message.add_alternative(html, subtype="html")
    for name, data in told.pages.items():
        message.add_attachment(data, maintype="text", subtype="html", filename=name)
    digest = hashlib.sha256()
    for piece in (str(to), subject, text, html):
        digest.update(piece.encode() + b"\0")
    for name, data in told.pages.items():
        digest.update(name.encode() + b"\0" + data)
    return message, digest.hexdigest()


def mailed_by_0_1(
    out: Path,
    course_title: str,
    sender: str,
    told: list[Told],
    port: int,
    cafile: Path,
    sent_alone: Collection[str] = (),
) -> None:
    """Review copies written, then each message sent (a new Message-ID, as a second run of
    that build made it) over STARTTLS and recorded as that build recorded it. The students
    of ``sent_alone`` were mailed with ``--send`` alone: no review copy of theirs is left."""
    (out / "mail").mkdir(parents=True, exist_ok=True)
    sent = []
    for one in told:
        review, _ = _message(sender, course_title, one)
        if one.student not in sent_alone:
            (out / "mail" / f"{one.student}.eml").write_bytes(review.as_bytes())
        message, digest = _message(sender, course_title, one)
        sent.append((one, message, digest))
    context = ssl.create_default_context(cafile=str(cafile))
    with smtplib.SMTP("127.0.0.1", port, timeout=30) as client:
        client.starttls(context=context)
        client.login(USER, PASSWORD)
        for one, message, _ in sent:
            client.send_message(message, to_addrs=[one.address])
    with sqlite3.connect(out / "gradebook.sqlite") as book:
        book.execute(
            "CREATE TABLE IF NOT EXISTS mail_sent (student TEXT NOT NULL, digest TEXT NOT NULL,"
            " message_id TEXT NOT NULL, recipients TEXT NOT NULL, sent_at TEXT NOT NULL,"
            " PRIMARY KEY (student, digest))"
        )
        book.executemany(
            "INSERT INTO mail_sent VALUES (?, ?, ?, ?, ?)",
            [
                (one.student, digest, message["Message-ID"], one.address, _now())
                for one, message, digest in sent
            ],
        )


def _now() -> str:
    return datetime.now(UTC).isoformat(timespec="microseconds")
