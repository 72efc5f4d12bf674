"""What every intake stage shares: caps, the rejection, names, times and safe writing."""

from __future__ import annotations

import hashlib
import json
import re
import unicodedata
from collections.abc import Iterable, Mapping
from datetime import UTC, datetime
from pathlib import Path, PurePosixPath
from typing import Any

from grader.bundle import MANIFEST_NAME, MANIFEST_SCHEMA
from grader.errors import UserError
from grader.gradebook import schema
from grader.limits import INTAKE, IntakeLimits

MB = 1024 * 1024
HISTORY = "history"
REJECTED_CSV = "REJECTED.csv"
UNATTRIBUTED_CSV = "UNATTRIBUTED.csv"
NO_HANDIN_CSV = "NO_HANDIN.csv"
RELAYED_CSV = "RELAYED.csv"  # students' hand-ins staff sent in their own mail: to confirm
REPLACED_CSV = "REPLACED.csv"  # every hand-in that replaced an earlier one, every run's
INDEX_CSV = "index.csv"
COPIES_CSV = "COPIES.csv"  # identical copies folded, and messages sharing a Message-ID
MERGED_PDF = "all_submissions.pdf"
# Student folders sit beside these; an id equal to one of them would overwrite it.
RESERVED = {
    name.lower()
    for name in (
        REJECTED_CSV,
        UNATTRIBUTED_CSV,
        NO_HANDIN_CSV,
        RELAYED_CSV,
        REPLACED_CSV,
        INDEX_CSV,
        COPIES_CSV,
        MERGED_PDF,
        HISTORY,
    )
}
# Files that zip tools add on their own (macOS "Compress" adds __MACOSX/ and ._ resource forks);
# they are skipped, not held against the student.
TOOL_FILES = re.compile(r"(^|/)(__MACOSX/.*|\.DS_Store|\._[^/]*|Thumbs\.db|desktop\.ini)$")
DATA_SUFFIXES = frozenset(
    ".csv .tsv .txt .json .jsonl .xlsx .xls .parquet .feather .npy .npz .h5 .hdf5 .pkl .pickle"
    " .zip .gz .tar .xml .arff".split()
)


Limits = IntakeLimits  # the intake's caps, defined with every other limit
DEFAULT_LIMITS = INTAKE


class Rejected(Exception):
    """A submission that cannot be collected; ``reason`` goes to REJECTED.csv."""

    def __init__(self, reason: str, student: str = "") -> None:
        super().__init__(reason)
        self.reason = reason
        self.student = student
        self.identity = ""  # the message's, when known: a copy in another inbox is the same
        # The trusted server says its From: is forged (why), and its subject: nobody answers
        # the From:; the student it names is told at the roster's address.
        self.forged, self.subject = "", ""


def unreadable_words(unreadable: Mapping[str, str]) -> str:
    """The files of a hand-in that cannot be read, each by its name with why."""
    return "; ".join(f"{name}: {why}" for name, why in unreadable.items())


def parse_deadline(text: str) -> datetime:
    """An ISO 8601 time with a UTC offset, e.g. ``2023-01-15T23:59+05:30``."""
    try:
        moment = datetime.fromisoformat(text.strip())
    except ValueError:
        raise UserError(
            f"--deadline {text!r} is not an ISO 8601 time: write it like 2023-01-15T23:59+05:30"
        ) from None
    if moment.tzinfo is None:
        raise UserError(
            f"--deadline {text!r} has no UTC offset, so it is ambiguous: add the course's "
            f"offset, e.g. {text.strip()}+05:30, or Z for UTC"
        )
    return moment


def parse_time(text: Any, what: str) -> datetime:
    if not isinstance(text, str):
        raise Rejected(f"{what} is missing")
    try:
        moment = datetime.fromisoformat(text)
    except ValueError:
        raise Rejected(f"{what} {text!r} is not an ISO 8601 time") from None
    if moment.tzinfo is None:
        raise Rejected(f"{what} {text!r} has no UTC offset")
    return moment


def is_late(submitted_at: str, deadline: datetime | None) -> bool:
    return deadline is not None and datetime.fromisoformat(submitted_at) > deadline


def time_stamp(moment: str) -> str:
    """A folder name for a time: ``20230115T133000Z``."""
    return datetime.fromisoformat(moment).astimezone(UTC).strftime("%Y%m%dT%H%M%SZ")


def _check_name(name: str, what: str) -> None:
    if "\ufffd" in name or any("\ud800" <= ch <= "\udfff" for ch in name):
        raise Rejected(f"{what} {name!r} is not valid UTF-8: rename it with plain characters")
    if any(unicodedata.category(ch) == "Cc" for ch in name):
        raise Rejected(f"{what} {name!r} holds control characters")


def safe_relpath(name: str, what: str = "file name") -> PurePosixPath:
    """``name`` as a relative path that stays inside its folder, or Rejected saying why."""
    _check_name(name, what)
    if "\\" in name:
        raise Rejected(f"{what} {name!r} holds a backslash (a Windows path)")
    path = PurePosixPath(name)
    if path.is_absolute() or re.match(r"[A-Za-z]:", name):
        raise Rejected(f"{what} {name!r} is an absolute path")
    if ".." in path.parts:
        raise Rejected(f"{what} {name!r} climbs out of its folder with '..'")
    parts = [part for part in path.parts if part != "."]
    if not parts or len(parts) > 16 or any(len(part.encode()) > 255 for part in parts):
        raise Rejected(f"{what} {name!r} is empty, too deep or too long")
    return PurePosixPath(*parts)


def write_new(root: Path, relpath: PurePosixPath, chunks: Iterable[bytes], cap: int) -> str:
    """Write a new file at ``root/relpath`` (never through a link or over a file); its SHA-256."""
    target = root.joinpath(*relpath.parts)
    if not target.resolve().is_relative_to(root.resolve()):
        raise Rejected(f"file name {relpath.as_posix()!r} leads outside the submission folder")
    target.parent.mkdir(parents=True, exist_ok=True)
    digest, written = hashlib.sha256(), 0
    with target.open("xb") as stream:
        for chunk in chunks:
            written += len(chunk)
            if written > cap:
                raise Rejected(f"{relpath.as_posix()} is larger than it says or than the cap")
            digest.update(chunk)
            stream.write(chunk)
    return digest.hexdigest()


def held_manifest(folder: Path) -> dict[str, Any]:
    """The manifest ``grader collect`` keeps in a student folder; a newer grader's layout is
    refused in one line (UserError), never read as this one's."""
    path = folder / MANIFEST_NAME
    data = json.loads(path.read_text(encoding="utf-8"))
    schema.check_record(path, data, MANIFEST_SCHEMA)
    return data


def write_manifest(folder: Path, manifest: Mapping[str, Any]) -> None:
    text = json.dumps(manifest, indent=2, ensure_ascii=False) + "\n"
    temporary = folder / f".{MANIFEST_NAME}.tmp"
    temporary.write_text(text, encoding="utf-8")
    temporary.replace(folder / MANIFEST_NAME)


def natural_key(name: str) -> list[Any]:
    return [int(piece) if piece.isdigit() else piece.lower() for piece in re.split(r"(\d+)", name)]
