"""Reading one email: who sent it and when, its text, its attachments, the message it forwards.

Forwards come two ways: as an attached message (``message/rfc822``, Outlook's and Thunderbird's
"forward as attachment") or inline, under a marker that each client writes its own way (Gmail's
"---------- Forwarded message ---------", Thunderbird's "-------- Forwarded Message --------",
Apple Mail's "Begin forwarded message:", Outlook's rule and From/Sent/To/Subject block).
"""

from __future__ import annotations

import email
import email.errors
import email.utils
import hashlib
import re
import unicodedata
from dataclasses import dataclass, field
from datetime import UTC, datetime, tzinfo
from email.message import EmailMessage, Message

from dateutil import parser as dateparser

from grader.bundle import EMAIL
from grader.intake.common import MB, Limits, Rejected, safe_relpath
from grader.intake.message.bounces import delivery_report
from grader.intake.message.defects import DAMAGED_ENCODING, defect_notes
from grader.intake.message.header_policy import HEADERS_PARSED_ONCE
from grader.intake.message.mime_parts import (
    attached_message,
    decoded_content,
    decoded_text,
    is_embedded_image,
    leaf_parts,
    parts_digest,
)

_INLINE_MARKER = re.compile(
    r"^[ \t>]*(?:-{5,} ?Forwarded message ?-{5,}|-{5,} ?Forwarded Message ?-{5,}"
    r"|Begin forwarded message:|_{20,})[ \t]*$",
    re.IGNORECASE | re.MULTILINE,
)
MESSAGE_ID = "message-id:"  # how an identity by Message-ID begins
_HEADER_LINE = re.compile(r"^[ \t>]*\*?(From|Date|Sent|Subject|To|Cc)\*?:[ \t]*(.*)$", re.I)
_FORWARD_SUBJECT = re.compile(r"^\s*(fwd?|fw)\s*:", re.IGNORECASE)


@dataclass(frozen=True)
class Attachment:
    name: str
    data: bytes
    content_type: str


@dataclass
class Letter:
    """One message as the rest of intake needs it; ``forwarded`` is the message it forwards."""

    name: str
    address: str
    sent_at: datetime
    subject: str
    text: str
    html: str
    attachments: list[Attachment]
    labels: tuple[str, ...] = ()
    delivered_to: tuple[str, ...] = ()
    forwarded: Letter | None = None
    notes: list[str] = field(default_factory=list)
    message_id: str = ""
    report: str = ""  # what a mail server's report (a bounce) says, or '': see delivery_report
    parts: str = ""  # the digest of every part as decoded (see parts_digest)

    @property
    def identity(self) -> str:
        """The same message wherever it lies (each mailbox adds its own headers, so the bytes
        differ): its Message-ID with who sent it when, about what, saying what (its text, its
        spacing aside) and with which files, every part of it the same once decoded. Two
        messages that share a Message-ID but differ in any of these (a script's fixed
        Message-ID, a copy cut short, a message sent again with one more attachment or a new
        body under its old Message-ID) are two messages."""
        return self._identity(self.parts.encode())

    @property
    def earlier_identities(self) -> tuple[str, ...]:
        """The identities graders before 0.2 gave this message (without its parts' digest):
        what they recorded (a regrade request's) is this message's, read again after an
        upgrade."""
        return (self._identity(b""),)

    def _identity(self, seed: bytes) -> str:
        content = hashlib.sha256(seed)
        said = " ".join(self.text.split()) if self.text.strip() else " ".join(self.html.split())
        for text in (self.address, self.sent_at.isoformat(), self.subject, said):
            content.update(text.encode("utf-8", "replace") + b"\0")
        for attachment in self.attachments:
            name = attachment.name.encode("utf-8", "replace")
            content.update(name + hashlib.sha256(attachment.data).digest())
        if self.message_id:
            return f"{MESSAGE_ID}{self.message_id}:{content.hexdigest()}"
        return f"content:{content.hexdigest()}"

    @property
    def not_mail(self) -> str:
        """Why this Takeout entry is no mail that was sent (a draft, a chat), or ''."""
        labels = {label.strip().lower() for label in self.labels}
        if labels & {"draft", "drafts"}:
            return "an unsent draft (Gmail's Draft label)"
        if "chat" in labels:
            return "a Google Chat message (Gmail's Chat label), not mail"
        return ""

    @property
    def from_owner(self) -> str:
        """Why this message is the mailbox owner's own (a reason), or '' when it is not."""
        if any(label.strip().lower() == "sent" for label in self.labels):
            return "sent from the mailbox itself (Gmail's Sent label)"
        if self.address in self.delivered_to:
            return "sent from the mailbox itself (From is the Delivered-To address)"
        return ""


def _sender(message: Message) -> tuple[str, str]:
    name, address = email.utils.parseaddr(str(message.get("From", "")))
    if not EMAIL.fullmatch(address):
        raise Rejected("the message has no valid From address")
    return name, address.lower()


def _parsed_date(text: str) -> datetime | None:
    try:
        moment = email.utils.parsedate_to_datetime(text.strip())
    except (TypeError, ValueError, IndexError):
        return None
    if moment.tzinfo is None:  # "-0000": the sender's zone is unknown, the time is UTC
        moment = moment.replace(tzinfo=UTC)
    return moment


def _newest_received(message: Message) -> datetime | None:
    """The latest time a mail server stamped on the message (after the last ';' of each
    ``Received`` header), or None."""
    times = [
        moment
        for header in message.get_all("Received", [])
        if ";" in str(header)
        and (moment := _parsed_date(str(header).rpartition(";")[2])) is not None
    ]
    return max(times, default=None)


def _sent_at(message: Message, envelope: datetime | None) -> tuple[datetime, str]:
    """When the message was sent, and a note when the ``Date`` header could not tell.

    Without a valid ``Date``, the mbox ``From_`` line's time (``envelope``) or the newest
    ``Received`` header's is taken: both are when the mail arrived, which is what a deadline
    is about.
    """
    date = str(message.get("Date", "") or "")
    moment = _parsed_date(date)
    if moment is not None:
        return moment, ""
    what = f"its Date header {date.strip()!r} is not a date" if date.strip() else "it has no Date"
    if envelope is not None:
        return envelope, f"{what}: its time is the mbox 'From ' line's, when it arrived"
    received = _newest_received(message)
    if received is not None:
        return received, f"{what}: its time is the newest Received header's, when it arrived"
    raise Rejected(
        f"{what} and no Received header, so its time is unknown: ask the student to send it again"
    )


def _attachment(part: Message, limits: Limits) -> tuple[Attachment, str]:
    """The attached file, and a note when its encoding was damaged."""
    name = unicodedata.normalize("NFC", (part.get_filename() or "").strip())
    if "/" in name or "\\" in name:
        raise Rejected(f"attachment name {name!r} holds a path")
    safe_relpath(name, "attachment name")  # encoding, control characters, length
    encoded = part.get_payload()
    if not isinstance(encoded, str) or len(encoded) * 3 // 4 > limits.max_attachment_bytes:
        raise Rejected(
            f"attachment {name!r} is over the cap of {limits.max_attachment_bytes // MB} MB"
        )
    data = decoded_content(part)
    note = ""
    if any(isinstance(defect, DAMAGED_ENCODING) for defect in part.defects):
        note = (  # decoding records broken base64 on the part
            f"{name}: its base64 encoding is damaged, so the file may be incomplete; ask the "
            "student to send it again if it does not open"
        )
    if len(data) > limits.max_attachment_bytes:
        raise Rejected(f"attachment {name!r} takes the message over the size cap")
    return Attachment(name, data, part.get_content_type()), note


def _letter(
    message: Message, limits: Limits, depth: int = 0, envelope: datetime | None = None
) -> Letter:
    name, address = _sender(message)
    sent_at, date_note = _sent_at(message, envelope)
    notes = [date_note] if date_note else []
    notes += defect_notes(message)
    texts, htmls, attachments = [], [], []
    attached: list[Message] = []
    for part in leaf_parts(message):
        if part.get_content_type() == "message/rfc822":
            inner = attached_message(part)
            attached += [inner] if inner is not None else []
        elif part.get_filename() is not None and not is_embedded_image(part):
            attachment, note = _attachment(part, limits)
            attachments.append(attachment)
            notes += [note] if note else []
        elif part.get_content_type() == "text/plain":
            texts.append(decoded_text(part))
        elif part.get_content_type() == "text/html":
            htmls.append(decoded_text(part))
    if sum(len(a.data) for a in attachments) > limits.max_total_bytes:
        raise Rejected("the attachments take the message over the size cap")
    if len(attachments) > limits.max_members:
        raise Rejected(f"the message has more than {limits.max_members} attachments")
    letter = Letter(
        name=name,
        address=address,
        sent_at=sent_at,
        subject=str(message.get("Subject", "")),
        text="\n".join(texts),
        html="\n".join(htmls),
        attachments=attachments,
        labels=tuple(str(message.get("X-Gmail-Labels", "")).split(",")),
        delivered_to=tuple(
            addr.lower()
            for _, addr in email.utils.getaddresses(message.get_all("Delivered-To", []))
        ),
        notes=notes,
        message_id=message_id_of(message),
        report=delivery_report(message) if depth == 0 else "",
        parts=parts_digest(message) if depth == 0 else "",
    )
    if letter.report:  # the message it returns is the course's own, not a hand-in
        return letter
    if attached and depth < 3:
        try:
            letter.forwarded = _letter(attached[0], limits, depth + 1)
        except Rejected as rejection:
            letter.notes.append(f"the attached message could not be read: {rejection.reason}")
        if len(attached) > 1:
            letter.notes.append(f"{len(attached)} messages attached; only the first was read")
    elif depth == 0:
        letter.forwarded = _inline_forward(letter)
    return letter


def message_id_of(message: Message) -> str:
    """The Message-ID without its brackets and spaces, or ''."""
    return str(message.get("Message-ID", "") or "").strip().strip("<>").strip()


def read_letter(raw: bytes, limits: Limits, envelope: datetime | None = None) -> Letter:
    """The message in ``raw``; Rejected with the reason when it cannot be trusted.

    ``envelope`` is the time of the mbox ``From_`` line, for a message without a valid Date.
    """
    check_size(raw, limits)
    return letter_of(parse_mail(raw), raw, limits, envelope)


def check_size(raw: bytes, limits: Limits) -> None:  # before it is parsed
    if len(raw) > limits.max_message_bytes:
        raise Rejected(f"the message is over the cap of {limits.max_message_bytes // MB} MB")


def parse_mail(raw: bytes) -> EmailMessage:
    """``raw`` parsed; Rejected when its parts nest too deep to parse."""
    try:
        message = email.message_from_bytes(raw, policy=HEADERS_PARSED_ONCE)
    except RecursionError:
        rejection = Rejected(_TOO_DEEP)
        rejection.identity = hashlib.sha256(raw).hexdigest()
        raise rejection from None
    assert isinstance(message, EmailMessage)
    return message


def letter_of(
    message: EmailMessage, raw: bytes, limits: Limits, envelope: datetime | None = None
) -> Letter:
    """The parsed ``message`` (of ``raw``) as a letter; Rejected as by :func:`read_letter`."""
    try:
        try:
            return _letter(message, limits, envelope=envelope)
        except RecursionError:
            raise Rejected(_TOO_DEEP) from None
    except Rejected as rejection:
        address = email.utils.parseaddr(str(message.get("From", "")))[1].lower()
        rejection.student = rejection.student or (address if EMAIL.fullmatch(address) else "")
        rejection.identity = _headers_identity(message, raw)
        raise


_TOO_DEEP = (
    "its parts or enclosed messages nest deeper than any mail program writes (a damaged or "
    "crafted message), so it cannot be read: ask the student to send the files as plain "
    "attachments"
)


def _headers_identity(message: Message, raw: bytes) -> str:
    """A rejected message's identity: its Message-ID with its sender, Date, Subject and body as
    written (a copy in another inbox has the same; a copy cut short differs), else the digest
    of its bytes."""
    found = message_id_of(message)
    if not found:
        return hashlib.sha256(raw).hexdigest()
    content = hashlib.sha256()
    for name in ("From", "Date", "Subject"):
        content.update(str(message.get(name, "") or "").encode("utf-8", "replace") + b"\0")
    content.update(body_digest(raw))
    return f"{MESSAGE_ID}{found}:{content.hexdigest()}"


def body_digest(raw: bytes) -> bytes:
    """The digest of a message's body as written, line ends and trailing spaces aside: the
    same in every mailbox that holds the message (each adds headers of its own), different
    for a copy cut short or a body rewritten under the same Message-ID."""
    body = re.split(rb"\r?\n\r?\n", raw, maxsplit=1)[1:] or [b""]
    lines = b"\n".join(line.rstrip() for line in body[0].splitlines()).rstrip()
    return hashlib.sha256(lines).digest()


def shared_message_id(identity: str) -> str:
    """The Message-ID an identity carries, or '' (an identity by content alone)."""
    if not identity.startswith(MESSAGE_ID):
        return ""
    return identity.removeprefix(MESSAGE_ID).rsplit(":", 1)[0]


def _forward_time(text: str, zone: tzinfo | None) -> tuple[datetime | None, str]:
    """The time in a forwarded header block, and a note when its zone had to be guessed."""
    try:  # RFC 5322, as Thunderbird writes it; without a zone it misreads "6:05 PM"
        moment = email.utils.parsedate_to_datetime(text)
    except (TypeError, ValueError, IndexError):
        moment = None
    if moment is None or moment.tzinfo is None or not re.search(r"[+-]\d{4}|GMT|UTC", text):
        cleaned = re.sub(r"\bat\b", " ", text)
        # Apple Mail writes "GMT+5:30"; dateutil would read that POSIX-style, sign reversed.
        cleaned = re.sub(
            r"GMT([+-])(\d{1,2}):?(\d{2})?",
            lambda m: f"{m[1]}{int(m[2]):02d}{m[3] or '00'}",
            cleaned,
        )
        try:
            moment = dateparser.parse(cleaned, fuzzy=True)
        except (ValueError, OverflowError):
            return None, f"the forwarded message's date {text!r} could not be read"
    if moment.tzinfo is None:
        moment = moment.replace(tzinfo=zone or UTC)
        return moment, (
            f"the forwarded message's date {text!r} names no time zone: read in the "
            f"forwarder's zone (UTC{moment.strftime('%z')})"
        )
    return moment, ""


def _inline_forward(letter: Letter) -> Letter | None:
    """The message forwarded inline in ``letter``'s text, or None when it forwards none."""
    match = _INLINE_MARKER.search(letter.text)
    if match is None:
        return None
    if match.group(0).strip().startswith("_") and not _FORWARD_SUBJECT.match(letter.subject):
        return None  # Outlook writes the same block above a quoted reply
    headers: dict[str, str] = {}
    lines = letter.text[match.end() :].lstrip("\r\n").splitlines()
    body_start = len(lines)
    for number, line in enumerate(lines):
        if found := _HEADER_LINE.match(line):
            headers.setdefault(found[1].lower(), found[2].strip())
        elif headers or line.strip():
            body_start = number
            break
    name, address = email.utils.parseaddr(headers.get("from", "").replace("mailto:", ""))
    if not EMAIL.fullmatch(address):
        return None
    when = headers.get("date") or headers.get("sent") or ""
    moment, note = _forward_time(when, letter.sent_at.tzinfo)
    if moment is None:
        moment, note = letter.sent_at, note + "; the forward's own time is used"
    notes = [note] if note else []
    return Letter(
        name=name,
        address=address.lower(),
        sent_at=moment,
        subject=headers.get("subject", ""),
        text="\n".join(lines[body_start:]),
        html=letter.html,
        attachments=letter.attachments,
        notes=notes,
    )
