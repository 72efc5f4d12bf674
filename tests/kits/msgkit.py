"""Outlook ``.msg`` files as Outlook saves a received mail (drag it to a folder, or File > Save
As > Outlook Message Format - Unicode), for the intake tests.

A ``.msg`` is a Compound File (MS-CFB, version 3, 512-byte sectors) holding the message's MAPI
properties (MS-OXMSG): fixed-size ones in ``__properties_version1.0``, strings (UTF-16LE, type
001F) and binaries (0102) in ``__substg1.0_<tag>`` streams, one storage per recipient and per
attachment, and the internet headers the mail arrived with (PR_TRANSPORT_MESSAGE_HEADERS).
Streams under 4096 bytes live in the mini stream, as Outlook writes them.
"""

from __future__ import annotations

import struct
from collections.abc import Sequence
from dataclasses import dataclass, field
from datetime import UTC, datetime
from email.message import EmailMessage
from email.utils import format_datetime, getaddresses, parseaddr, parsedate_to_datetime

_FREE, _END, _FATSECT = 0xFFFFFFFF, 0xFFFFFFFE, 0xFFFFFFFD
_SECTOR, _MINI, _CUTOFF = 512, 64, 4096
_STRING, _BINARY, _LONG, _TIME = 0x001F, 0x0102, 0x0003, 0x0040


@dataclass
class _Entry:
    name: str
    kind: int  # 1 storage, 2 stream, 5 root
    data: bytes = b""
    children: list[_Entry] = field(default_factory=list)
    start: int = _END
    left: int = _FREE
    right: int = _FREE
    child: int = _FREE


def _order(entry: _Entry) -> tuple[int, str]:
    """MS-CFB's sibling order: shorter names first, then by upper-case name."""
    return (len(entry.name), entry.name.upper())


def _flatten(root: _Entry) -> list[_Entry]:
    """Every entry in directory order, siblings linked as a right-leaning chain (a valid
    binary search tree; readers do not check the red-black colours' balance)."""
    entries = [root]

    def place(parent: _Entry) -> None:
        kids = sorted(parent.children, key=_order)
        first = len(entries)
        entries.extend(kids)
        for number, kid in enumerate(kids):
            kid.right = first + number + 1 if number + 1 < len(kids) else _FREE
        parent.child = first if kids else _FREE
        for kid in kids:
            place(kid)

    place(root)
    return entries


def _chain(fat: list[int], start: int, count: int) -> None:
    for sector in range(start, start + count):
        fat[sector] = sector + 1 if sector + 1 < start + count else _END


def compound_file(root: _Entry) -> bytes:
    """The compound file of ``root``'s tree."""
    entries = _flatten(root)
    sectors: list[bytes] = []
    fat: list[int] = []
    mini_stream, mini_fat = b"", []

    for entry in entries[1:]:
        if entry.kind != 2 or not entry.data:
            continue
        if len(entry.data) < _CUTOFF:
            count = -(-len(entry.data) // _MINI)
            entry.start = len(mini_stream) // _MINI
            mini_fat.extend(range(entry.start + 1, entry.start + count))
            mini_fat.append(_END)
            mini_stream += entry.data.ljust(count * _MINI, b"\0")
        else:
            count = -(-len(entry.data) // _SECTOR)
            entry.start = len(sectors)
            fat.extend([0] * count)
            _chain(fat, entry.start, count)
            padded = entry.data.ljust(count * _SECTOR, b"\0")
            sectors += [padded[i : i + _SECTOR] for i in range(0, len(padded), _SECTOR)]

    def add_run(data: bytes) -> int:
        count = max(1, -(-len(data) // _SECTOR))
        start = len(sectors)
        fat.extend([0] * count)
        _chain(fat, start, count)
        padded = data.ljust(count * _SECTOR, b"\0")
        sectors.extend(padded[i : i + _SECTOR] for i in range(0, len(padded), _SECTOR))
        return start

    root.start = add_run(mini_stream) if mini_stream else _END
    root.data = mini_stream
    mini_fat_bytes = struct.pack(f"<{len(mini_fat)}I", *mini_fat)
    mini_fat_bytes += struct.pack("<I", _FREE) * ((-len(mini_fat)) % (_SECTOR // 4))
    mini_fat_start = add_run(mini_fat_bytes) if mini_fat else _END
    mini_fat_sectors = len(mini_fat_bytes) // _SECTOR if mini_fat else 0
    directory = b"".join(_directory_entry(entry) for entry in entries)
    directory += _directory_entry(None) * ((-len(entries)) % (_SECTOR // 128))
    directory_start = add_run(directory)
    fat_sectors = 1
    while (len(sectors) + fat_sectors) > fat_sectors * (_SECTOR // 4):
        fat_sectors += 1
    assert fat_sectors <= 109, "too large for a header-only DIFAT"
    fat_start = len(sectors)
    fat.extend([_FATSECT] * fat_sectors)
    fat.extend([_FREE] * (fat_sectors * (_SECTOR // 4) - len(fat)))
    fat_bytes = struct.pack(f"<{len(fat)}I", *fat)
    sectors.extend(fat_bytes[i : i + _SECTOR] for i in range(0, len(fat_bytes), _SECTOR))
    difat = list(range(fat_start, fat_start + fat_sectors)) + [_FREE] * (109 - fat_sectors)
    header = (
        bytes.fromhex("D0CF11E0A1B11AE1")
        + b"\0" * 16
        + struct.pack("<HHHHH", 0x3E, 3, 0xFFFE, 9, 6)
        + b"\0" * 6
        + struct.pack("<III", 0, fat_sectors, directory_start)
        + struct.pack("<IIIIII", 0, _CUTOFF, mini_fat_start, mini_fat_sectors, _END, 0)
        + struct.pack("<109I", *difat)
    )
    return header + b"".join(sectors)


def _directory_entry(entry: _Entry | None) -> bytes:
    if entry is None:
        return b"\0" * 64 + struct.pack("<HBBIII", 0, 0, 0, _FREE, _FREE, _FREE) + b"\0" * 52
    name = entry.name.encode("utf-16-le") + b"\0\0"
    return (
        name.ljust(64, b"\0")
        + struct.pack("<HBB", len(name), entry.kind, 1)
        + struct.pack("<III", entry.left, entry.right, entry.child)
        + b"\0" * 16  # class id
        + b"\0" * 4  # state bits
        + b"\0" * 16  # creation and modification times
        + struct.pack("<IQ", entry.start, len(entry.data))
    )


def _filetime(moment: datetime) -> int:
    return int((moment.astimezone(UTC) - datetime(1601, 1, 1, tzinfo=UTC)).total_seconds() * 1e7)


def _properties(storage: _Entry, header: bytes, props: Sequence[tuple[int, int, object]]) -> None:
    """``(id, type, value)`` properties into ``storage``: the fixed table and substg streams."""
    table = header
    for prop_id, kind, value in props:
        tag = (prop_id << 16) | kind
        if kind == _STRING:  # the table's size counts the terminator the stream leaves out
            data = str(value).encode("utf-16-le")
        elif kind == _BINARY:
            assert isinstance(value, bytes)
            data = value
        else:
            fixed = _filetime(value) if kind == _TIME else int(value)  # type: ignore[arg-type]
            table += struct.pack("<IIQ", tag, 6, fixed)
            continue
        storage.children.append(_Entry(f"__substg1.0_{tag:08X}", 2, data))
        table += struct.pack("<IIII", tag, 6, len(data) + (2 if kind == _STRING else 0), 0)
    storage.children.append(_Entry("__properties_version1.0", 2, table))


def outlook_msg(
    headers: str,
    sender: tuple[str, str],
    sent: datetime,
    subject: str,
    body: str,
    recipients: Sequence[tuple[str, str, int]],
    attachments: Sequence[tuple[str, bytes, str]] = (),
) -> bytes:
    """A received mail saved from Outlook: ``headers`` as it arrived (CRLF lines), the
    sender ``(name, address)``, recipients ``(name, address, 1 To / 2 Cc)``, attachments
    ``(name, data, MIME type)``."""
    root = _Entry("Root Entry", 5)
    nameid = _Entry("__nameid_version1.0", 1)
    for tag in ("00020102", "00030102", "00040102"):
        nameid.children.append(_Entry(f"__substg1.0_{tag}", 2, b""))
    root.children.append(nameid)
    for number, (name, address, kind) in enumerate(recipients):
        storage = _Entry(f"__recip_version1.0_#{number:08X}", 1)
        _properties(
            storage,
            b"\0" * 8,
            [(0x3001, _STRING, name), (0x3003, _STRING, address), (0x0C15, _LONG, kind)]
            + [(0x3002, _STRING, "SMTP"), (0x39FE, _STRING, address)],
        )
        root.children.append(storage)
    for number, (name, data, mime) in enumerate(attachments):
        storage = _Entry(f"__attach_version1.0_#{number:08X}", 1)
        _properties(
            storage,
            b"\0" * 8,
            [
                (0x3705, _LONG, 1),  # ATTACH_BY_VALUE
                (0x3707, _STRING, name),
                (0x3704, _STRING, name[:8]),
                (0x3703, _STRING, name.rpartition(".")[2] and "." + name.rpartition(".")[2]),
                (0x370E, _STRING, mime),
                (0x3701, _BINARY, data),
                (0x0E21, _LONG, number),
            ],
        )
        root.children.append(storage)
    message_header = struct.pack(
        "<8xIIII8x", len(recipients), len(attachments), len(recipients), len(attachments)
    )
    _properties(
        root,
        message_header,
        [
            (0x001A, _STRING, "IPM.Note"),
            (0x0037, _STRING, subject),
            (0x0E1D, _STRING, subject),
            (0x0C1A, _STRING, sender[0]),
            (0x0C1F, _STRING, sender[1]),
            (0x0C1E, _STRING, "SMTP"),
            (0x5D01, _STRING, sender[1]),
            (0x0039, _TIME, sent),
            (0x0E06, _TIME, sent),
            (0x0E07, _LONG, 1 | (0x10 if attachments else 0)),  # read, has attachments
            (0x1000, _STRING, body),
            (0x007D, _STRING, headers),
        ],
    )
    return compound_file(root)


def saved_from_outlook(mail: EmailMessage, mailbox: str, arrived: datetime) -> bytes:
    """``mail`` as it arrived in the Outlook (Exchange) mailbox ``mailbox`` and was then saved
    as a ``.msg``: its internet headers kept as they came, a Received header added by the
    server, the text body and attachments as properties."""
    stamp = format_datetime(arrived)
    received = (
        f"Received: from mail-sor-f41.google.com (209.85.220.41) by "
        f"PN3PR01MB5678.INDPRD01.PROD.OUTLOOK.COM with HTTPS; {stamp}\r\n"
    )
    headers = received + "".join(f"{name}: {value}\r\n" for name, value in mail.items()) + "\r\n"
    body = mail.get_body(("plain",))
    files = [
        (part.get_filename() or "", part.get_content(), part.get_content_type())
        for part in mail.iter_attachments()
    ]
    name, address = parseaddr(str(mail["From"]))
    to = [(n, a, 1) for n, a in getaddresses(mail.get_all("To", []))]
    cc = [(n, a, 2) for n, a in getaddresses(mail.get_all("Cc", []))]
    assert any(a == mailbox for _, a, _ in to + cc), "the mail must be addressed to the mailbox"
    return outlook_msg(
        headers,
        (name, address),
        parsedate_to_datetime(str(mail["Date"])),
        str(mail["Subject"]),
        body.get_content() if body is not None else "",
        to + cc,
        files,
    )
