"""The inboxes as items to read, one per message or bundle zip.

An inbox is a folder of bundle zips, ``.eml`` and Outlook ``.msg`` files and mbox files, or one
such file (an mbox is what Gmail Takeout and Thunderbird export). Several inboxes (the course's
two addresses) are read as one: their items' sources are then prefixed with the inbox's name.
"""

from __future__ import annotations

import functools
import hashlib
import mailbox
from collections.abc import Callable, Mapping, Sequence
from dataclasses import dataclass
from datetime import UTC, datetime
from pathlib import Path

from dateutil import parser as dateparser

from grader.errors import UserError
from grader.intake.common import MB, Rejected, natural_key
from grader.intake.message.received import Received
from grader.intake.parcels import Parcel, Settings, read_message, read_received, read_zip_item

_KINDS = (".zip", ".eml", ".msg", ".mbox")


@dataclass(frozen=True)
class Item:
    source: str
    read: Callable[[], Parcel]
    in_archive: bool = False  # an entry of an LMS's download: index.csv lists it, filed or not


def _capped_bytes(path: Path, settings: Settings) -> bytes:
    cap = settings.limits.max_message_bytes
    if path.stat().st_size > cap:
        raise Rejected(f"the message is over the cap of {cap // MB} MB")
    return path.read_bytes()


def _read_outlook_msg(path: Path, source: str, settings: Settings) -> Parcel:
    """An Outlook ``.msg`` file (File > Save As, or dragged out of Outlook): its headers (the
    internet headers Outlook keeps, or ones made from its properties), body and attachments,
    read as the message they came from."""
    data = _capped_bytes(path, settings)
    try:
        import extract_msg
        from extract_msg.msg_classes import MessageBase
    except ImportError:
        raise Rejected(
            "an Outlook .msg file, and the extract-msg package that reads them is not "
            "installed: pip install extract-msg, or save the message as .eml"
        ) from None
    try:
        with extract_msg.openMsg(data) as outlook:
            if not isinstance(outlook, MessageBase):  # a contact or a task: no mail in it
                raise TypeError(f"{type(outlook).__name__} is not a mail message")
            message = outlook.asEmailMessage()
            if not message["Subject"] and outlook.subject:  # headers made from properties
                message["Subject"] = outlook.subject
            raw = message.as_bytes()
    except Exception:  # any damage in a file from the wild is its reason, never a crash
        raise Rejected(
            "an Outlook .msg file that cannot be read (damaged, or not a mail message): "
            "ask the student to send the mail itself"
        ) from None
    parcel = read_message(raw, source, settings)
    parcel.digest = hashlib.sha256(data).hexdigest()  # the conversion's MIME boundaries vary
    return parcel


def _envelope_time(from_line: bytes) -> datetime | None:
    """The time on an mbox ``From_`` line ("From sender Sun Jan 15 19:00:00 2023", Takeout's
    with "+0000"), in UTC when it names no zone; None when it has none."""
    words = from_line.decode("ascii", "replace").split(None, 2)
    if len(words) < 3:
        return None
    try:
        moment = dateparser.parse(words[2], fuzzy=True)
    except (ValueError, OverflowError):
        return None
    return moment if moment.tzinfo else moment.replace(tzinfo=UTC)


def _mbox_items(path: Path, name: str, settings: Settings) -> list[Item]:
    box = mailbox.mbox(path, create=False)
    cap = settings.limits.max_message_bytes

    def read(key: str, source: str) -> Parcel:
        with box.get_file(key, from_=True) as stream:
            from_line = stream.readline()
            raw = stream.read(cap + 1)
        return read_message(raw, source, settings, _envelope_time(from_line))

    return [
        Item(f"{name}#{n}", functools.partial(read, key, f"{name}#{n}"))
        for n, key in enumerate(box.keys(), 1)
    ]


def _file_items(path: Path, source: str, settings: Settings) -> list[Item]:
    suffix = path.suffix.lower()
    if suffix == ".zip":
        return [Item(source, lambda: read_zip_item(path, source, settings))]
    if suffix == ".eml":
        return [Item(source, lambda: read_message(_capped_bytes(path, settings), source, settings))]
    if suffix == ".msg":
        return [Item(source, lambda: _read_outlook_msg(path, source, settings))]
    return _mbox_items(path, source, settings)


def _one_inbox(inbox: Path, prefix: str, settings: Settings) -> list[Item]:
    """The items of a folder (their sources ``prefix`` + file name) or of one file (its
    source ``prefix`` itself)."""
    if inbox.is_dir():
        items: list[Item] = []
        for path in sorted(inbox.iterdir(), key=lambda p: natural_key(p.name)):
            if path.is_file() and path.suffix.lower() in _KINDS:
                items.extend(_file_items(path, f"{prefix}{path.name}", settings))
        if not items:
            raise UserError(
                f"{inbox} holds no .zip, .eml, .msg or .mbox files: give the folder where "
                "the bundles or exported messages are"
            )
        return items
    if not inbox.is_file():
        raise UserError(f"{inbox} does not exist: give a folder of bundles or messages, or an mbox")
    if inbox.suffix.lower() not in (".zip", ".eml", ".msg"):
        with inbox.open("rb") as stream:
            if stream.read(5) != b"From ":
                raise UserError(
                    f"{inbox} is not a folder, a .zip, an .eml, a .msg or an mbox file (an mbox "
                    "starts with 'From '): export the mailbox as mbox"
                )
    return _file_items(inbox, prefix, settings)


def inbox_items(inboxes: Sequence[Path], settings: Settings) -> list[Item]:
    """Every item of every inbox, in order. A file's source is its name (``Inbox.mbox#3``);
    an item of a folder is named by its file, and with several inboxes by its folder too
    (``outlook-box/hand-in.msg``). Two inboxes of one name (two Takeout exports) are told
    apart by the folders they are in."""
    resolved = [inbox.resolve() for inbox in inboxes]
    names = [inbox.name for inbox in resolved]
    if len(set(names)) < len(names):
        names = [f"{inbox.parent.name}/{inbox.name}" for inbox in resolved]
    items: list[Item] = []
    for inbox, name in zip(inboxes, names, strict=True):
        if inbox.is_dir():
            items.extend(_one_inbox(inbox, f"{name}/" if len(inboxes) > 1 else "", settings))
        else:
            items.extend(_one_inbox(inbox, name, settings))
    return items


def received_items(messages: Mapping[str, Received], settings: Settings) -> list[Item]:
    """Messages read already (``grader watch``'s), by the names an inbox folder of them as
    ``.eml`` files would list them by, in that folder's order."""
    return [
        Item(name, functools.partial(read_received, messages[name], name, settings))
        for name in sorted(messages, key=natural_key)
    ]
