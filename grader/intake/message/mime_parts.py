"""The parts of a mail message as a hand-in is read from them: its leaves and attached messages,
each part's content with its transfer encoding undone, and its text."""

from __future__ import annotations

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


def is_embedded_image(part: Message) -> bool:
    """An image shown inside the HTML body (a signature logo), not a file handed in."""
    return (
        part.get_content_maintype() == "image"
        and part.get("Content-ID") is not None
        and part.get_content_disposition() != "attachment"
    )
