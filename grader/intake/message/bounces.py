"""Mail a mail server writes about another message: a bounce (a delivery status notification,
RFC 3464, in a ``multipart/report``, RFC 6522) returns the message it could not deliver, the
course's own release mail with its notebook most often. It is never a hand-in and never
answered, whether or not it says ``Auto-Submitted`` (Postfix does; Exchange and many relays
do not)."""

from __future__ import annotations

import email.utils
from email.message import Message

# The senders mail servers write their reports as (RFC 5321 §4.5.1, and every MTA's habit).
_MAIL_SYSTEM = ("mailer-daemon", "postmaster", "mail-daemon", "mailerdaemon")


def delivery_report(message: Message) -> str:
    """What a mail server's report on another message says (a bounce: it returns the message it
    could not deliver, attachments and all), or '' when ``message`` is no such report: a
    ``multipart/report`` (RFC 6522), a null ``Return-Path`` (RFC 5321 §4.5.5: only reports are
    sent from ``<>``), or From the mail system itself (MAILER-DAEMON, postmaster). Reads the
    headers only, so a message parsed without its body is told too."""
    address = email.utils.parseaddr(str(message.get("From", "")))[1].lower()
    sender = address.partition("@")[0]
    report_type = str(message.get_param("report-type", "", header="content-type") or "")
    null_path = any(str(path).strip() == "<>" for path in message.get_all("Return-Path", []))
    if message.get_content_type() == "multipart/report":
        kind = {"delivery-status": "a delivery report"}.get(report_type.lower(), "a report")
    elif null_path or sender in _MAIL_SYSTEM:
        kind = "a delivery report"
    else:
        return ""
    said = f"{kind} from {address or 'the mail system'}"
    failed = _failed_recipients(message)
    if failed:
        said += f": the message to {', '.join(failed)} could not be delivered"
    return said


def _failed_recipients(message: Message) -> list[str]:
    """The recipients a delivery status part (RFC 3464) names, when the body is at hand."""
    found: list[str] = []
    for part in message.walk():
        if part.get_content_type() != "message/delivery-status":
            continue
        blocks = part.get_payload()
        for block in blocks if isinstance(blocks, list) else []:
            if not isinstance(block, Message):
                continue
            recipient = str(block.get("Final-Recipient", "") or "").partition(";")[2].strip()
            if recipient and recipient not in found:
                found.append(recipient)
    return found
