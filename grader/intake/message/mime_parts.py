"""The parts of a mail message as a hand-in is read from them: its leaves and attached messages,
each part's content with its transfer encoding undone, and its text."""

from __future__ import annotations

import hashlib
from collections.abc import Iterator
from email.message import Message


def leaf_parts(message: Message) -> Iterator[Message]:
    """Every leaf part and attached message, not descending into attached messages."""
    payload = message.get_payload()  # a multipart message's parts, as a list
    if message.get_content_type() == "message/rfc822" or not isinstance(payload, list):
        yield message
        return
    for part in payload:
        if isinstance(part, Message):  # (a part is always one: the list holds no text)
            yield from leaf_parts(part)


def attached_message(part: Message) -> Message | None:
    """The message a message/rfc822 part holds (its payload is a list of that one)."""
    payload = part.get_payload()
    first = payload[0] if isinstance(payload, list) and payload else None
    return first if isinstance(first, Message) else None


def decoded_content(part: Message) -> bytes:
    """A leaf part's content, its transfer encoding undone (empty when it has none)."""
    payload = part.get_payload(decode=True)
    return payload if isinstance(payload, bytes) else b""


def decoded_text(part: Message) -> str:
    payload = decoded_content(part)
    try:
        text = payload.decode(part.get_content_charset() or "utf-8", "replace")
    except LookupError:  # an unknown charset name
        text = payload.decode("utf-8", "replace")
    return text.replace("\r\n", "\n")


def parts_digest(message: Message, depth: int = 0) -> str:
    """The digest of every part of ``message`` as decoded (its type, its file name, its content;
    a text's line ends and trailing spaces aside), attached messages' parts included: equal
    for the same message in two mailboxes (each adds headers of its own, and may re-encode a
    part), different when any part differs, a file or a part nobody reads (a sound, a logo)
    included. An HTML body beside a plain-text one is left out: it renders the same text, and
    a client's export (Outlook's .msg) writes it anew."""
    leaves = list(leaf_parts(message))
    plain = any(_is_body(part, "text/plain") for part in leaves)
    digest = hashlib.sha256()
    for part in leaves:
        if plain and _is_body(part, "text/html"):
            continue
        digest.update(f"{part.get_content_type()}\0{part.get_filename() or ''}\0".encode())
        inner = attached_message(part) if part.get_content_type() == "message/rfc822" else None
        if inner is not None and depth < 3:
            for header in ("From", "Date", "Subject"):
                digest.update(str(inner.get(header, "") or "").encode("utf-8", "replace") + b"\0")
            digest.update(parts_digest(inner, depth + 1).encode())
        elif part.get_content_maintype() == "text":
            lines = decoded_content(part).replace(b"\r\n", b"\n").split(b"\n")
            digest.update(b"\n".join(line.rstrip() for line in lines).rstrip())
        else:
            digest.update(decoded_content(part))
        digest.update(b"\0")
    return digest.hexdigest()


def _is_body(part: Message, content_type: str) -> bool:
    return part.get_content_type() == content_type and part.get_filename() is None


def is_embedded_image(part: Message) -> bool:
    """An image shown inside the HTML body (a signature logo), not a file handed in."""
    return (
        part.get_content_maintype() == "image"
        and part.get("Content-ID") is not None
        and part.get_content_disposition() != "attachment"
    )
