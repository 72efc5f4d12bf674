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
