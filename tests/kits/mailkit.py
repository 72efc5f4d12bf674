"""Mail as Gmail, Outlook and Thunderbird write it, for the intake tests.

Each builder sets the headers its client sets, the multipart/alternative body (or HTML only),
the transfer encodings it picks (Gmail: base64 attachments, quoted-printable HTML; Outlook:
quoted-printable text, ``winmail.dat``, inline signature images; Thunderbird: RFC 2231
file names), and each client's inline-forward block.
"""

from __future__ import annotations

import email.policy
import io
import json
import tempfile
import unicodedata
import zipfile
from collections.abc import Sequence
from datetime import UTC, datetime, timedelta
from email.message import EmailMessage
from email.utils import format_datetime, make_msgid
from pathlib import Path

from submission_kit import report_pdf

OWNER = "lstm.course@gmail.com"
_SMTP = email.policy.SMTP


def titled_report(title: str) -> bytes:
    """A one-page report PDF whose first line is ``title`` (as students head their reports)."""
    with tempfile.TemporaryDirectory() as folder:
        return report_pdf(Path(folder) / "report.pdf", title=title).read_bytes()


def notebook(first_cell: str, code: str = "x = 1") -> bytes:
    """A Colab notebook as "Download .ipynb" writes it: first a markdown cell."""
    cells = [
        {"cell_type": "markdown", "metadata": {"id": "a1"}, "source": [first_cell]},
        {
            "cell_type": "code",
            "execution_count": 1,
            "metadata": {"id": "b2"},
            "outputs": [],
            "source": [code],
        },
    ]
    metadata = {
        "colab": {"provenance": []},
        "kernelspec": {"display_name": "Python 3", "name": "python3"},
        "language_info": {"name": "python"},
    }
    body = {"cells": cells, "metadata": metadata, "nbformat": 4, "nbformat_minor": 0}
    return json.dumps(body, indent=1).encode()


def mac_zip(files: dict[str, bytes]) -> bytes:
    """A zip as macOS Finder's "Compress N items" makes it: names decomposed (NFD, as the
    Mac file system keeps them), __MACOSX/._ and .DS_Store too."""
    out = io.BytesIO()
    with zipfile.ZipFile(out, "w", zipfile.ZIP_DEFLATED) as archive:
        for composed, data in files.items():
            name = unicodedata.normalize("NFD", composed)
            archive.writestr(name, data)
            archive.writestr(f"__MACOSX/._{name}", b"\x00\x05\x16\x07\x00\x02\x00\x00Mac OS X")
        archive.writestr(".DS_Store", b"\x00\x00\x00\x01Bud1")
    return out.getvalue()


def _attach(mail: EmailMessage, name: str, data: bytes, rfc2231: bool = False) -> None:
    maintype, subtype = {
        ".pdf": ("application", "pdf"),
        ".zip": ("application", "zip"),
    }.get(Path(name).suffix.lower(), ("application", "octet-stream"))
    mail.add_attachment(data, maintype=maintype, subtype=subtype, filename=name)
    part = mail.get_payload()[-1]
    if rfc2231:  # Thunderbird: filename*=UTF-8''... even for long ASCII names
        part.replace_header("Content-Disposition", "attachment")
        part.set_param("filename", name, header="Content-Disposition", charset="utf-8")
    else:  # Gmail: an attachment id beside each attachment
        part["X-Attachment-Id"] = f"f_{abs(hash(name)) % 10**9}"
        part["Content-ID"] = f"<{part['X-Attachment-Id']}>"


def gmail(
    sender: str,
    sent: datetime,
    subject: str,
    text: str,
    *,
    html: str | None = None,
    attachments: Sequence[tuple[str, bytes]] = (),
    labels: str = "Inbox,Category Personal,Opened",
    to: str = f"LSTM Course <{OWNER}>",
) -> EmailMessage:
    """A message as it sits in a Gmail Takeout mbox (received in, or sent from, the course box)."""
    mail = EmailMessage(policy=_SMTP)
    mail["X-GM-THRID"] = "1755000000000000001"
    mail["X-Gmail-Labels"] = labels
    mail["Delivered-To"] = OWNER
    mail["MIME-Version"] = "1.0"
    mail["Date"] = format_datetime(sent)
    mail["Message-ID"] = make_msgid(domain="mail.gmail.com")
    mail["Subject"] = subject
    mail["From"] = sender
    mail["To"] = to
    mail.set_content(text)
    mail.add_alternative(
        html or f'<div dir="ltr">{text}</div>', subtype="html", cte="quoted-printable"
    )
    for name, data in attachments:
        _attach(mail, name, data)
    return mail


def outlook(
    sender: str,
    sent: datetime,
    subject: str,
    text: str,
    html: str,
    attachments: Sequence[tuple[str, bytes, str]] = (),
    signature_logo: bool = True,
) -> EmailMessage:
    """Outlook: quoted-printable text and HTML, an inline logo, ``(name, data, type)`` files."""
    mail = EmailMessage(policy=_SMTP)
    mail["From"] = sender
    mail["To"] = f'"{OWNER}" <{OWNER}>'
    mail["Subject"] = subject
    mail["Thread-Topic"] = subject
    mail["Date"] = format_datetime(sent)
    mail["Message-ID"] = make_msgid(domain="PN2PR01MB1234.INDPRD01.PROD.OUTLOOK.COM")
    mail["Accept-Language"] = "en-US"
    mail["X-MS-Has-Attach"] = "yes" if attachments else ""
    mail["X-MS-TNEF-Correlator"] = ""
    mail["MIME-Version"] = "1.0"
    mail["Delivered-To"] = OWNER
    mail.set_content(text, cte="quoted-printable")
    mail.add_alternative(html, subtype="html", cte="quoted-printable")
    if signature_logo:
        html_part = mail.get_payload()[1]
        html_part.add_related(
            b"\x89PNG\r\n\x1a\n" + b"\x00" * 64,
            maintype="image",
            subtype="png",
            cid="<image001.png@01D92901.5F3C2A10>",
            filename="image001.png",
            disposition="inline",
        )
    for name, data, content_type in attachments:
        maintype, subtype = content_type.split("/")
        mail.add_attachment(data, maintype=maintype, subtype=subtype, filename=name)
    return mail


def thunderbird(
    sender: str,
    sent: datetime,
    subject: str,
    text: str,
    attachments: Sequence[tuple[str, bytes]] = (),
    to: str = OWNER,
) -> EmailMessage:
    """Thunderbird: plain text only (its default), RFC 2231 file names."""
    mail = EmailMessage(policy=_SMTP)
    mail["Message-ID"] = make_msgid(domain="example.edu")
    mail["Date"] = format_datetime(sent)
    mail["MIME-Version"] = "1.0"
    mail["User-Agent"] = "Mozilla Thunderbird"
    mail["Content-Language"] = "en-US"
    mail["To"] = to
    mail["From"] = sender
    mail["Subject"] = subject
    mail.set_content(text, cte="quoted-printable")
    for name, data in attachments:
        _attach(mail, name, data, rfc2231=True)
    return mail


def forward_as_attachment(
    forwarder: str, sent: datetime, original: EmailMessage, note: str
) -> EmailMessage:
    """Thunderbird's (and Outlook's) "Forward as Attachment": the original as message/rfc822."""
    mail = thunderbird(forwarder, sent, f"Fwd: {original['Subject']}", note)
    mail.add_attachment(original, filename="Forwarded message.eml")
    return mail


def gmail_inline_forward(
    forwarder: str,
    sent: datetime,
    original: EmailMessage,
    original_sent_shown: str,
    attachments: Sequence[tuple[str, bytes]],
    labels: str = "Inbox,Opened",
) -> EmailMessage:
    """Gmail's Forward: the original's header block inline, its attachments attached again."""
    body = original.get_body(("plain",)).get_content()
    block = (
        "---------- Forwarded message ---------\n"
        f"From: {original['From']}\n"
        f"Date: {original_sent_shown}\n"
        f"Subject: {original['Subject']}\n"
        f"To: {original['To']}\n\n\n{body}"
    )
    return gmail(
        forwarder,
        sent,
        f"Fwd: {original['Subject']}",
        f"FYI, forwarding.\n\n{block}",
        attachments=attachments,
        labels=labels,
    )


def takeout_mbox(
    path: Path,
    messages: Sequence[EmailMessage],
    arrived: Sequence[datetime] | None = None,
    raw: dict[int, bytes] | None = None,
) -> Path:
    """An mbox as Google Takeout writes it: a 'From <id>@xxx <date>' line before each, the
    date when the mail arrived, in UTC (``arrived``, or a minute apart from 2023-01-01);
    ``raw`` replaces the bytes of the messages at those positions (mail as it was damaged)."""
    path.parent.mkdir(parents=True, exist_ok=True)
    with path.open("wb") as stream:
        for number, mail in enumerate(messages):
            when = (
                arrived[number].astimezone(UTC)
                if arrived
                else datetime(2023, 1, 1) + timedelta(minutes=number)
            )
            stream.write(
                f"From 17550000000000{number:05d}@xxx {when:%a %b %d %H:%M:%S +0000 %Y}\n".encode()
            )
            data = (raw or {}).get(number) or mail.as_bytes(policy=_SMTP)
            data = data.replace(b"\r\n", b"\n").replace(b"\nFrom ", b"\n>From ")
            stream.write(data.rstrip(b"\n") + b"\n\n")
    return path


def bounce(
    returned: bytes, recipient: str, sent: datetime, *, auto_submitted: bool, to: str = OWNER
) -> bytes:
    """A non-delivery report as Postfix writes one and the course's mailbox stores it (with its
    null ``Return-Path``): a notification, the delivery status (RFC 3464) and the message that
    could not be delivered, returned whole with its attachments. Postfix marks its bounces
    ``Auto-Submitted: auto-replied``; Exchange's and many relays' carry no such header."""
    queue = "4F1A22C0D1E"
    boundary = f"{queue}.{int(sent.timestamp())}/mail.example.edu"
    stamp = format_datetime(sent)
    auto = "Auto-Submitted: auto-replied\r\n" if auto_submitted else ""
    head = (
        f"Return-Path: <>\r\nDelivered-To: {to}\r\n"
        f"Received: by mail.example.edu (Postfix)\r\n\tid {queue}; {stamp}\r\n"
        f"Date: {stamp}\r\nFrom: MAILER-DAEMON@mail.example.edu (Mail Delivery System)\r\n"
        f"Subject: Undelivered Mail Returned to Sender\r\nTo: {to}\r\n{auto}"
        "MIME-Version: 1.0\r\nContent-Type: multipart/report; report-type=delivery-status;\r\n"
        f'\tboundary="{boundary}"\r\nContent-Transfer-Encoding: 8bit\r\n'
        f"Message-Id: {make_msgid(domain='mail.example.edu')}\r\n\r\n"
        "This is a MIME-encapsulated message.\r\n\r\n"
    )
    notification = (
        f"--{boundary}\r\nContent-Description: Notification\r\n"
        "Content-Type: text/plain; charset=utf-8\r\nContent-Transfer-Encoding: 8bit\r\n\r\n"
        "This is the mail system at host mail.example.edu.\r\n\r\n"
        "I'm sorry to have to inform you that your message could not\r\n"
        "be delivered to one or more recipients. It's attached below.\r\n\r\n"
        "                   The mail system\r\n\r\n"
        f"<{recipient}>: host mx.example.edu[10.0.0.5] said: 550 5.1.1\r\n"
        f"    <{recipient}>: Recipient address rejected: User unknown in virtual\r\n"
        "    mailbox table (in reply to RCPT TO command)\r\n\r\n"
    )
    status = (
        f"--{boundary}\r\nContent-Description: Delivery report\r\n"
        "Content-Type: message/delivery-status\r\n\r\n"
        f"Reporting-MTA: dns; mail.example.edu\r\nX-Postfix-Queue-ID: {queue}\r\n"
        f"X-Postfix-Sender: rfc822; {to}\r\nArrival-Date: {stamp}\r\n\r\n"
        f"Final-Recipient: rfc822; {recipient}\r\nOriginal-Recipient: rfc822;{recipient}\r\n"
        "Action: failed\r\nStatus: 5.1.1\r\nRemote-MTA: dns; mx.example.edu\r\n"
        f"Diagnostic-Code: smtp; 550 5.1.1 <{recipient}>: Recipient address\r\n"
        "    rejected: User unknown in virtual mailbox table\r\n\r\n"
    )
    undelivered = (
        f"--{boundary}\r\nContent-Description: Undelivered Message\r\n"
        "Content-Type: message/rfc822\r\nContent-Transfer-Encoding: 8bit\r\n\r\n"
    )
    closing = f"\r\n--{boundary}--\r\n"
    return (head + notification + status + undelivered).encode() + returned + closing.encode()


def release_mail(
    sender: str, recipient: str, greeting: str, sent: datetime, name: str, data: bytes
) -> bytes:
    """The course's own mail releasing an assignment to one student, its notebook attached."""
    mail = thunderbird(
        sender,
        sent,
        "Assignment 1 released",
        f"Dear {greeting},\n\nthe notebook of assignment 1 is attached; hand it in by replying.",
        attachments=[(name, data)],
        to=recipient,
    )
    return mail.as_bytes()
