"""Turn an inbox of submissions into one folder per student.

The inbox is a folder of bundle zips and ``.eml`` messages, an mbox file, or a single zip or
message. Each submission becomes ``OUT/<student-id>/`` (the files and a ``manifest.json``); the
latest of a student's submissions is kept there and earlier ones under ``history/<time>/``.
Hostile input (zip slip, absolute paths, symlinks, zip bombs, huge attachments, undecodable
names, broken MIME) rejects that one submission, with its reason in ``OUT/REJECTED.csv``; nothing
is ever written outside ``OUT``. ``OUT/index.csv`` summarises every student and
``OUT/all_submissions.pdf`` holds every submission behind a clickable index.
"""

from __future__ import annotations

import argparse
import csv
import email
import email.policy
import email.utils
import hashlib
import io
import json
import mailbox
import math
import re
import shutil
import stat
import sys
import tempfile
import unicodedata
import uuid
import zipfile
import zlib
from collections.abc import Callable, Iterable, Iterator, Mapping, Sequence
from dataclasses import dataclass, field
from datetime import UTC, datetime
from email.message import EmailMessage
from pathlib import Path, PurePosixPath
from typing import Any, TypeVar

from pypdf import PdfReader, PdfWriter
from pypdf.annotations import Link
from reportlab.lib.colors import Color
from reportlab.lib.pagesizes import A4
from reportlab.lib.styles import ParagraphStyle
from reportlab.pdfgen.canvas import Canvas
from tqdm import tqdm

from grader.bundle import (
    DEFAULT_PROJECTS,
    EMAIL,
    MANIFEST_NAME,
    MANIFEST_SCHEMA,
    STUDENT_ID,
    check_notebook,
    find_colab_links,
    write_submission_pdf,
)
from grader.errors import UserError
from grader.fonts import SANS, draw_line, fonts

MB = 1024 * 1024
T = TypeVar("T")
HISTORY = "history"
REJECTED_CSV = "REJECTED.csv"
INDEX_CSV = "index.csv"
MERGED_PDF = "all_submissions.pdf"
# Student folders sit beside these; an id equal to one of them would overwrite it.
_RESERVED = {name.lower() for name in (REJECTED_CSV, INDEX_CSV, MERGED_PDF, HISTORY)}
# Files that zip tools add on their own; they are skipped, not held against the student.
_TOOL_FILES = re.compile(r"(^|/)(__MACOSX/.*|\.DS_Store|Thumbs\.db|desktop\.ini)$")
_DATA_SUFFIXES = {
    ".csv",
    ".tsv",
    ".txt",
    ".json",
    ".jsonl",
    ".xlsx",
    ".xls",
    ".parquet",
    ".feather",
    ".npy",
    ".npz",
    ".h5",
    ".hdf5",
    ".pkl",
    ".pickle",
    ".zip",
    ".gz",
    ".tar",
    ".xml",
    ".arff",
}
# Defects after which a message's parts or attachments cannot be trusted to be complete.
_FATAL_DEFECTS = (
    email.errors.NoBoundaryInMultipartDefect,
    email.errors.StartBoundaryNotFoundDefect,
    email.errors.CloseBoundaryNotFoundDefect,
    email.errors.MultipartInvariantViolationDefect,
    email.errors.FirstHeaderLineIsContinuationDefect,
    email.errors.InvalidBase64PaddingDefect,
    email.errors.InvalidBase64CharactersDefect,
    email.errors.InvalidBase64LengthDefect,
)


@dataclass(frozen=True)
class Limits:
    """Caps that keep one hostile submission from filling the disk or the memory."""

    max_members: int = 500
    max_member_bytes: int = 100 * MB
    max_total_bytes: int = 200 * MB
    max_ratio: float = 100.0
    # Small members may compress far better than max_ratio (a CSV of zeros) without harm.
    ratio_floor_bytes: int = 1 * MB
    max_message_bytes: int = 300 * MB
    max_attachment_bytes: int = 100 * MB
    max_manifest_bytes: int = 1 * MB


class Rejected(Exception):
    """A submission that cannot be collected; ``reason`` goes to REJECTED.csv."""

    def __init__(self, reason: str, student: str = "") -> None:
        super().__init__(reason)
        self.reason = reason
        self.student = student


@dataclass(frozen=True)
class Candidate:
    """A submission read and checked, its files staged in ``folder`` beside its manifest."""

    source: str
    folder: Path
    manifest: dict[str, Any]


@dataclass
class Summary:
    items: int = 0
    placed: list[str] = field(default_factory=list)
    to_history: list[str] = field(default_factory=list)
    already_collected: list[str] = field(default_factory=list)
    rejected: list[tuple[str, str, str]] = field(default_factory=list)
    students: int = 0
    late: int = 0
    merged_pdf: Path | None = None
    index_csv: Path | None = None
    rejected_csv: Path | None = None


# ---------------------------------------------------------------------------------------------
# Small pure helpers


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


def _parse_time(text: Any, what: str) -> datetime:
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


def _check_student_id(student_id: str) -> str:
    if not STUDENT_ID.fullmatch(student_id) or student_id.lower() in _RESERVED:
        raise Rejected(f"student id {student_id!r} is not a safe folder name", student_id)
    return student_id


def student_id_from_address(address: str) -> str:
    """The id of a student known only by the address they sent from: its local part."""
    local = address.rpartition("@")[0].lower()
    student_id = re.sub(r"[^a-z0-9._-]+", "-", local).strip("._-")[:64]
    return _check_student_id(student_id)


def missing_items(projects: Sequence[Mapping[str, Any]], required: int) -> list[str]:
    """What a submission lacks: projects, Colab links, notebooks, reports."""
    missing = []
    if len(projects) < required:
        missing.append(f"{required - len(projects)} of the {required} projects")
    for number, project in enumerate(projects, 1):
        missing.extend(
            f"project {number}: {what}"
            for key, what in (
                ("colab", "Colab link"),
                ("notebook", "notebook"),
                ("report", "report PDF"),
            )
            if not project.get(key)
        )
    return missing


def check_manifest(data: Any) -> dict[str, Any]:
    """A bundle manifest with every field checked, or Rejected saying what is wrong."""
    if not isinstance(data, dict) or data.get("schema") != MANIFEST_SCHEMA:
        raise Rejected(f"manifest.json is not a bundle manifest of schema {MANIFEST_SCHEMA}")
    student = data.get("student")
    if not isinstance(student, dict) or not all(
        isinstance(student.get(key), str) for key in ("id", "name", "email")
    ):
        raise Rejected("manifest.json has no student id, name and email")
    _check_student_id(student["id"])
    files = data.get("files")
    if not isinstance(files, dict):
        raise Rejected("manifest.json lists no files", student["id"])
    for relpath, digest in files.items():
        first = safe_relpath(relpath, "manifest file").parts[0]
        if first in (HISTORY, MANIFEST_NAME) or relpath != safe_relpath(relpath).as_posix():
            raise Rejected(f"manifest file name {relpath!r} is reserved or not normal")
        if not isinstance(digest, str) or not re.fullmatch(r"[0-9a-f]{64}", digest):
            raise Rejected(f"manifest.json gives no SHA-256 for {relpath!r}", student["id"])
    projects = data.get("projects")
    if not isinstance(projects, list) or not all(isinstance(p, dict) for p in projects):
        raise Rejected("manifest.json has no list of projects", student["id"])
    checked_projects = []
    for project in projects:
        checked = {}
        for key in ("title", "colab", "notebook", "report", "dataset", "dataset_link"):
            value = project.get(key)
            if value is not None and not isinstance(value, str):
                raise Rejected(f"manifest.json project {key} is not text", student["id"])
            if (
                key in ("notebook", "report", "dataset")
                and value is not None
                and value not in files
            ):
                raise Rejected(f"manifest.json project {key} {value!r} is not among its files")
            checked[key] = value
        checked_projects.append(checked)
    created = data.get("created")
    _parse_time(created, "manifest.json created time")
    return {
        "schema": MANIFEST_SCHEMA,
        "student": {key: student[key] for key in ("id", "name", "email")},
        "projects": checked_projects,
        "created": created,
        "files": dict(files),
    }


def load_manifest(student_dir: Path) -> dict[str, Any]:
    """The manifest of a student folder written by ``grader collect``.

    File paths in it are relative to ``student_dir``; UserError when the folder is not one.
    """
    path = student_dir / MANIFEST_NAME
    try:
        data = json.loads(path.read_text(encoding="utf-8"))
        check_manifest(data)
        for key in ("submitted_at", "late", "source", "missing"):
            if key not in data:
                raise Rejected(f"manifest.json has no {key!r}")
    except FileNotFoundError:
        raise UserError(
            f"{student_dir} has no {MANIFEST_NAME}: give a student folder written by grader collect"
        ) from None
    except (json.JSONDecodeError, UnicodeDecodeError, Rejected) as error:
        raise UserError(
            f"{path} is not a collected manifest ({error}): collect the submission again"
        ) from None
    return data


def _write_new(root: Path, relpath: PurePosixPath, chunks: Iterable[bytes], cap: int) -> str:
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


def _write_manifest(folder: Path, manifest: Mapping[str, Any]) -> None:
    text = json.dumps(manifest, indent=2, ensure_ascii=False) + "\n"
    (folder / MANIFEST_NAME).write_text(text, encoding="utf-8")


# ---------------------------------------------------------------------------------------------
# Bundle zips


def _member_name(info: zipfile.ZipInfo) -> str:
    """The member's name as UTF-8, or Rejected when it is in another encoding."""
    if "\x00" in info.orig_filename:
        raise Rejected(f"zip member name {info.orig_filename!r} holds a NUL byte")
    if info.flag_bits & 0x800:
        return info.orig_filename
    raw = info.orig_filename.encode("cp437")  # zipfile read the bytes as cp437
    try:
        return raw.decode("utf-8")
    except UnicodeDecodeError:
        raise Rejected(
            f"zip member name {raw!r} is not UTF-8: zip the files again with names in plain "
            "characters (or with a tool that writes UTF-8 names)"
        ) from None


def _plan_members(archive: zipfile.ZipFile, limits: Limits) -> dict[str, zipfile.ZipInfo]:
    """Every regular member by safe relative path, after checking names, kinds and sizes."""
    infos = archive.infolist()
    if len(infos) > limits.max_members:
        raise Rejected(f"zip holds {len(infos)} members, over the cap of {limits.max_members}")
    members: dict[str, zipfile.ZipInfo] = {}
    total = 0
    for info in infos:
        name = _member_name(info)
        relpath = safe_relpath(name, "zip member").as_posix()
        kind = stat.S_IFMT(info.external_attr >> 16)
        if kind == stat.S_IFLNK:
            raise Rejected(f"zip member {name!r} is a symbolic link")
        if kind not in (0, stat.S_IFREG, stat.S_IFDIR):
            raise Rejected(f"zip member {name!r} is a device, pipe or socket, not a file")
        if info.flag_bits & 0x1:
            raise Rejected(f"zip member {name!r} is encrypted: send it without a password")
        if info.is_dir() or _TOOL_FILES.search(relpath):
            continue
        if info.file_size > limits.max_member_bytes:
            raise Rejected(f"zip member {name!r} unpacks to {info.file_size} bytes, over the cap")
        if info.file_size > limits.ratio_floor_bytes and info.file_size > limits.max_ratio * max(
            info.compress_size, 1
        ):
            ratio = info.file_size / max(info.compress_size, 1)
            raise Rejected(
                f"zip member {name!r} would unpack {ratio:.0f} times its packed size "
                f"(a zip bomb?); the cap is {limits.max_ratio:.0f}"
            )
        total += info.file_size
        if total > limits.max_total_bytes:
            raise Rejected(f"zip unpacks to more than the cap of {limits.max_total_bytes} bytes")
        if relpath in members:
            raise Rejected(f"zip holds {relpath!r} twice")
        members[relpath] = info
    return members


def _manifest_prefix(members: Mapping[str, zipfile.ZipInfo]) -> str:
    """'' when manifest.json is at the top, 'dir/' when the whole bundle was zipped in a folder."""
    if MANIFEST_NAME in members:
        return ""
    tops = {relpath.split("/", 1)[0] for relpath in members}
    if len(tops) == 1 and f"{next(iter(tops))}/{MANIFEST_NAME}" in members:
        return f"{next(iter(tops))}/"
    raise Rejected(
        "the zip has no manifest.json, so it is not a bundle: build it with `grader bundle`"
    )


def _chunks(stream: io.BufferedIOBase) -> Iterator[bytes]:
    yield from iter(lambda: stream.read(1 << 20), b"")


def extract_bundle(source: Path | bytes, dest: Path, limits: Limits = Limits()) -> dict[str, Any]:
    """Check a bundle zip and unpack its listed files into the empty folder ``dest``.

    Returns the checked manifest (also written to ``dest``); raises Rejected with the reason.
    Each member is written by hand after its path is checked; nothing is extracted wholesale.
    """
    try:
        with zipfile.ZipFile(source if isinstance(source, Path) else io.BytesIO(source)) as archive:
            members = _plan_members(archive, limits)
            prefix = _manifest_prefix(members)
            manifest_info = members[prefix + MANIFEST_NAME]
            if manifest_info.file_size > limits.max_manifest_bytes:
                raise Rejected("manifest.json is too large to be a bundle manifest")
            try:
                manifest = check_manifest(json.loads(archive.read(manifest_info)))
            except (json.JSONDecodeError, UnicodeDecodeError) as error:
                raise Rejected(f"manifest.json is not valid JSON ({error})") from None
            student_id = manifest["student"]["id"]
            budget = limits.max_total_bytes
            for relpath, expected in manifest["files"].items():
                info = members.get(prefix + relpath)
                if info is None:
                    raise Rejected(
                        f"manifest.json lists {relpath} but the zip lacks it", student_id
                    )
                cap = min(info.file_size, budget)
                with archive.open(info) as stream:
                    digest = _write_new(dest, PurePosixPath(relpath), _chunks(stream), cap)
                budget -= info.file_size
                if digest != expected:
                    raise Rejected(
                        f"{relpath} does not match its SHA-256 in manifest.json: it "
                        "changed after bundling; bundle again",
                        student_id,
                    )
            listed = {prefix + relpath for relpath in manifest["files"]} | {prefix + MANIFEST_NAME}
            if unlisted := sorted(set(members) - listed):
                manifest["notes"] = [
                    f"ignored files the manifest does not list: {', '.join(unlisted[:10])}"
                ]
    except UnicodeDecodeError:
        raise Rejected(
            "a zip member name is marked as UTF-8 but is not: zip the files again"
        ) from None
    except (zipfile.BadZipFile, zlib.error, EOFError, NotImplementedError, OSError) as error:
        raise Rejected(f"not a readable zip ({type(error).__name__}: {error})") from None
    _write_manifest(dest, manifest)
    return manifest


def _is_bundle(data: bytes) -> bool:
    try:
        with zipfile.ZipFile(io.BytesIO(data)) as archive:
            names = archive.namelist()
    except (zipfile.BadZipFile, zlib.error, EOFError, NotImplementedError, UnicodeDecodeError):
        return False
    return any(name == MANIFEST_NAME or name.endswith("/" + MANIFEST_NAME) for name in names)


def read_zip(path: Path, folder: Path, limits: Limits, deadline: datetime | None) -> Candidate:
    """A bundle zip from a folder: its time is the manifest's created time."""
    manifest = extract_bundle(path, folder, limits)
    return _candidate(path.name, folder, manifest, manifest["created"], deadline)


def _candidate(
    source: str,
    folder: Path,
    manifest: dict[str, Any],
    submitted_at: str,
    deadline: datetime | None,
    required: int = DEFAULT_PROJECTS,
) -> Candidate:
    manifest = manifest | {
        "submitted_at": submitted_at,
        "late": is_late(submitted_at, deadline),
        "source": source,
        "missing": missing_items(manifest["projects"], required),
        "notes": manifest.get("notes", []),
    }
    _write_manifest(folder, manifest)
    return Candidate(source=source, folder=folder, manifest=manifest)


# ---------------------------------------------------------------------------------------------
# Email messages


@dataclass(frozen=True)
class _Attachment:
    name: str
    data: bytes


def _check_defects(message: EmailMessage) -> None:
    for part in message.walk():
        fatal = [type(d).__name__ for d in part.defects if isinstance(d, _FATAL_DEFECTS)]
        if fatal:
            raise Rejected(f"malformed MIME ({', '.join(fatal)}): ask the student to send it again")


def _sender(message: EmailMessage) -> tuple[str, str]:
    name, address = email.utils.parseaddr(str(message.get("From", "")))
    if not EMAIL.fullmatch(address):
        raise Rejected("the message has no valid From address")
    return name, address.lower()


def _sent_at(message: EmailMessage) -> str:
    try:
        moment = email.utils.parsedate_to_datetime(str(message.get("Date", "")))
    except (TypeError, ValueError, IndexError):
        raise Rejected("the message has no valid Date header, so its time is unknown") from None
    if moment.tzinfo is None:  # "-0000": the sender's zone is unknown, the time is UTC
        moment = moment.replace(tzinfo=UTC)
    return moment.isoformat(timespec="seconds")


def _attachments(message: EmailMessage, limits: Limits) -> list[_Attachment]:
    found = []
    total = 0
    for part in message.walk():
        if part.is_multipart():
            continue
        raw_name = part.get_filename()
        if raw_name is None:
            continue
        name = raw_name.strip()
        if "/" in name or "\\" in name:
            raise Rejected(f"attachment name {name!r} holds a path")
        safe_relpath(name, "attachment name")  # encoding, control characters, length
        encoded = part.get_payload()
        if not isinstance(encoded, str) or len(encoded) * 3 // 4 > limits.max_attachment_bytes:
            raise Rejected(
                f"attachment {name!r} is over the cap of {limits.max_attachment_bytes // MB} MB"
            )
        data = part.get_payload(decode=True) or b""
        _check_defects(part)  # decoding records broken base64 on the part
        total += len(data)
        if len(data) > limits.max_attachment_bytes or total > limits.max_total_bytes:
            raise Rejected(f"attachment {name!r} takes the message over the size cap")
        found.append(_Attachment(name, data))
        if len(found) > limits.max_members:
            raise Rejected(f"the message has more than {limits.max_members} attachments")
    return found


def _body_text(message: EmailMessage) -> str:
    texts = []
    for part in message.walk():
        if part.get_content_maintype() != "text" or part.get_filename() is not None:
            continue
        payload = part.get_payload(decode=True) or b""
        charset = part.get_content_charset() or "utf-8"
        try:
            texts.append(payload.decode(charset, "replace"))
        except LookupError:  # an unknown charset name
            texts.append(payload.decode("utf-8", "replace"))
    return "\n".join(texts)


def _natural_key(name: str) -> list[Any]:
    return [int(piece) if piece.isdigit() else piece.lower() for piece in re.split(r"(\d+)", name)]


def _loose_submission(
    message: EmailMessage,
    attachments: Sequence[_Attachment],
    folder: Path,
    sender: tuple[str, str],
    sent_at: str,
    limits: Limits,
    required: int,
) -> dict[str, Any]:
    """A manifest for an email without a bundle: links from its body, attachments by type."""
    from grader.report import check_pdf

    name, address = sender
    student_id = student_id_from_address(address)
    by_kind: dict[str, list[_Attachment]] = {"notebook": [], "report": [], "dataset": []}
    others = []
    for attachment in sorted(attachments, key=lambda a: _natural_key(a.name)):
        suffix = PurePosixPath(attachment.name).suffix.lower()
        kind = {".ipynb": "notebook", ".pdf": "report"}.get(
            suffix, "dataset" if suffix in _DATA_SUFFIXES else None
        )
        (by_kind[kind] if kind else others).append(attachment)
    links = find_colab_links(_body_text(message))
    files: dict[str, str] = {}
    notes: list[str] = []

    def store(folder_name: str, attachment: _Attachment) -> str:
        relpath = f"{folder_name}/{attachment.name}"
        stem, suffix = PurePosixPath(attachment.name).stem, PurePosixPath(attachment.name).suffix
        copy = 2
        while relpath in files:
            relpath = f"{folder_name}/{stem}-{copy}{suffix}"
            copy += 1
        files[relpath] = _write_new(
            folder, PurePosixPath(relpath), [attachment.data], limits.max_attachment_bytes
        )
        return relpath

    projects = []
    for number in range(1, required + 1):
        project: dict[str, Any] = {"title": f"Project {number}", "dataset_link": None}
        project["colab"] = links[number - 1] if number <= len(links) else None
        for kind, kind_files in by_kind.items():
            project[kind] = (
                store(f"project{number}", kind_files[number - 1])
                if number <= len(kind_files)
                else None
            )
        if project["notebook"] and (reason := check_notebook(folder / project["notebook"])):
            notes.append(f"project {number}: the notebook does not open ({reason})")
        if project["report"]:
            report = folder / project["report"]
            notes.extend(
                f"project {number} report: {problem.removeprefix(f'{report}: ')}"
                for problem in check_pdf(report)
            )
        projects.append(project)
    extras = others + [a for kind_files in by_kind.values() for a in kind_files[required:]]
    for attachment in extras:
        store("other", attachment)
    if len(links) > required:
        notes.append(f"more Colab links than projects: {', '.join(links[required:])}")
    if extras:
        notes.append(f"{len(extras)} more attachment(s) kept under other/")
    return {
        "schema": MANIFEST_SCHEMA,
        "student": {"id": student_id, "name": name, "email": address},
        "projects": projects,
        "created": sent_at,
        "files": files,
        "notes": notes,
    }


def read_email(
    raw: bytes,
    source: str,
    folder: Path,
    limits: Limits,
    deadline: datetime | None,
    required: int = DEFAULT_PROJECTS,
) -> Candidate:
    """One message: its bundle zip if it has one, else its links and attachments by type."""
    if len(raw) > limits.max_message_bytes:
        raise Rejected(f"the message is over the cap of {limits.max_message_bytes // MB} MB")
    message = email.message_from_bytes(raw, policy=email.policy.default)
    sender = _sender(message)
    try:
        _check_defects(message)
        sent_at = _sent_at(message)
        attachments = _attachments(message, limits)
        bundles = [a for a in attachments if a.name.lower().endswith(".zip") and _is_bundle(a.data)]
        if len(bundles) > 1:
            raise Rejected(f"the message holds {len(bundles)} bundles: send one per message")
        if bundles:
            manifest = extract_bundle(bundles[0].data, folder, limits)
            if manifest["student"]["email"].lower() != sender[1]:
                manifest.setdefault("notes", []).append(
                    f"sent from {sender[1]}, the bundle names {manifest['student']['email']}"
                )
        else:
            manifest = _loose_submission(
                message, attachments, folder, sender, sent_at, limits, required
            )
    except Rejected as rejection:
        rejection.student = rejection.student or sender[1]
        raise
    return _candidate(source, folder, manifest, sent_at, deadline, required)


# ---------------------------------------------------------------------------------------------
# The inbox


@dataclass(frozen=True)
class _Item:
    source: str
    read: Callable[[Path], Candidate]


def _inbox_items(
    inbox: Path, limits: Limits, deadline: datetime | None, required: int
) -> list[_Item]:
    def zip_item(path: Path) -> _Item:
        return _Item(path.name, lambda folder: read_zip(path, folder, limits, deadline))

    def eml_item(path: Path) -> _Item:
        def read(folder: Path) -> Candidate:
            if path.stat().st_size > limits.max_message_bytes:
                raise Rejected(
                    f"the message is over the cap of {limits.max_message_bytes // MB} MB"
                )
            return read_email(path.read_bytes(), path.name, folder, limits, deadline, required)

        return _Item(path.name, read)

    def mbox_items(path: Path) -> list[_Item]:
        box = mailbox.mbox(path, create=False)

        def read(key: str, source: str, folder: Path) -> Candidate:
            with box.get_file(key) as stream:
                raw = stream.read(limits.max_message_bytes + 1)
            return read_email(raw, source, folder, limits, deadline, required)

        return [
            _Item(
                f"{path.name}#{number}",
                lambda folder, k=key, n=number: read(k, f"{path.name}#{n}", folder),
            )
            for number, key in enumerate(box.keys(), 1)
        ]

    if inbox.is_dir():
        items: list[_Item] = []
        for path in sorted(inbox.iterdir(), key=lambda p: _natural_key(p.name)):
            suffix = path.suffix.lower()
            if not path.is_file():
                continue
            if suffix == ".zip":
                items.append(zip_item(path))
            elif suffix == ".eml":
                items.append(eml_item(path))
            elif suffix == ".mbox":
                items.extend(mbox_items(path))
        if not items:
            raise UserError(
                f"{inbox} holds no .zip, .eml or .mbox files: give the folder where "
                "the bundles or exported messages are"
            )
        return items
    if not inbox.is_file():
        raise UserError(f"{inbox} does not exist: give a folder of bundles or messages, or an mbox")
    if inbox.suffix.lower() == ".zip":
        return [zip_item(inbox)]
    if inbox.suffix.lower() == ".eml":
        return [eml_item(inbox)]
    with inbox.open("rb") as stream:
        if stream.read(5) != b"From ":
            raise UserError(
                f"{inbox} is not a folder, a .zip, an .eml or an mbox file (an mbox "
                "starts with 'From '): export the mailbox as mbox"
            )
    return mbox_items(inbox)


def _progress(items: Sequence[T], step: str, name: Callable[[T], str]) -> Iterator[T]:
    """The items, with a tqdm bar on a terminal and a plain line per item otherwise."""
    if sys.stderr.isatty():
        yield from tqdm(items, desc=step, unit="submission")
        return
    for number, item in enumerate(items, 1):
        print(f"{step} {number}/{len(items)}: {name(item)}", file=sys.stderr)
        yield item


# ---------------------------------------------------------------------------------------------
# Placing submissions into student folders


def _fingerprint(manifest: Mapping[str, Any]) -> str:
    return json.dumps([manifest.get("submitted_at"), manifest.get("files")], sort_keys=True)


def _history_name(history: Path, submitted_at: str) -> str:
    stamp = datetime.fromisoformat(submitted_at).astimezone(UTC).strftime("%Y%m%dT%H%M%SZ")
    name, copy = stamp, 2
    while (history / name).exists():
        name, copy = f"{stamp}-{copy}", copy + 1
    return name


def _known_fingerprints(student_dir: Path) -> set[str]:
    manifests = [student_dir / MANIFEST_NAME, *(student_dir / HISTORY).glob(f"*/{MANIFEST_NAME}")]
    return {_fingerprint(json.loads(path.read_text(encoding="utf-8"))) for path in manifests}


def place(candidate: Candidate, out: Path, staging: Path) -> str:
    """Move a staged submission into ``out/<id>/``; returns placed, history or already collected.

    The latest submission (by submitted_at) is the student folder; earlier ones move to
    ``history/<time>/``. Every step is a rename within ``out``, so nothing half-written shows.
    """
    student_dir = out / candidate.manifest["student"]["id"]
    if not student_dir.exists():
        candidate.folder.rename(student_dir)
        return "placed"
    if _fingerprint(candidate.manifest) in _known_fingerprints(student_dir):
        shutil.rmtree(candidate.folder)
        return "already collected"
    current = json.loads((student_dir / MANIFEST_NAME).read_text(encoding="utf-8"))
    newer = datetime.fromisoformat(candidate.manifest["submitted_at"]) > datetime.fromisoformat(
        current["submitted_at"]
    )
    if not newer:
        history = student_dir / HISTORY
        history.mkdir(exist_ok=True)
        candidate.folder.rename(
            history / _history_name(history, candidate.manifest["submitted_at"])
        )
        return "history"
    old = staging / f"old-{uuid.uuid4().hex}"
    student_dir.rename(old)
    if (old / HISTORY).exists():
        (old / HISTORY).rename(candidate.folder / HISTORY)
    history = candidate.folder / HISTORY
    history.mkdir(exist_ok=True)
    old.rename(history / _history_name(history, current["submitted_at"]))
    candidate.folder.rename(student_dir)
    return "placed"


def _student_dirs(out: Path) -> list[Path]:
    return sorted(
        (
            path
            for path in out.iterdir()
            if path.is_dir() and not path.name.startswith(".") and (path / MANIFEST_NAME).is_file()
        ),
        key=lambda path: _natural_key(path.name),
    )


def _current_students(out: Path, deadline: datetime | None) -> list[tuple[Path, dict[str, Any]]]:
    """Every student folder in ``out`` with its manifest, late flags set by ``deadline``."""
    students = []
    for student_dir in _student_dirs(out):
        try:
            manifest = load_manifest(student_dir)
        except UserError as error:  # a folder damaged by hand must not stop the others
            print(f"skipped: {error}", file=sys.stderr)
            continue
        if deadline is not None and manifest["late"] != is_late(manifest["submitted_at"], deadline):
            manifest["late"] = not manifest["late"]
            _write_manifest(student_dir, manifest)
        students.append((student_dir, manifest))
    return students


def _write_csv(path: Path, header: Sequence[str], rows: Iterable[Sequence[Any]]) -> None:
    with path.open("w", newline="", encoding="utf-8") as stream:
        writer = csv.writer(stream)
        writer.writerow(header)
        writer.writerows(rows)


def _index_rows(students: Sequence[tuple[Path, dict[str, Any]]]) -> Iterator[list[Any]]:
    for student_dir, manifest in students:
        history = student_dir / HISTORY
        earlier = sum(1 for p in history.iterdir() if p.is_dir()) if history.is_dir() else 0
        yield [
            manifest["student"]["id"],
            manifest["student"]["name"],
            manifest["student"]["email"],
            manifest["submitted_at"],
            "yes" if manifest["late"] else "no",
            manifest["source"],
            len(manifest["projects"]),
            "; ".join(manifest["missing"]),
            earlier,
            "; ".join(manifest.get("notes", [])),
        ]


# ---------------------------------------------------------------------------------------------
# The merged PDF


_ROW, _ROWS_PER_PAGE, _MARGIN = 15.0, 44, 45.0
_INDEX_HINT = (
    "Click a row to open that submission; the bookmarks list every cover, report, notebook."
)
_COLUMNS = (
    ("#", 22),
    ("Student", 82),
    ("Name", 118),
    ("Submitted", 130),
    ("Late", 32),
    ("Missing", 80),
    ("Page", 36),
)
_LATE_COLOR, _LINK_COLOR = (0.69, 0.0, 0.13), (0.1, 0.34, 0.77)


def _index_styles() -> dict[str, ParagraphStyle]:
    registry = fonts()
    text = ParagraphStyle("index", fontName=registry.face(SANS), fontSize=8.5, leading=10)
    bold = registry.face(SANS, bold=True)
    return {
        "title": ParagraphStyle("index-title", text, fontName=bold, fontSize=15, leading=18),
        "note": ParagraphStyle("index-note", text, fontSize=9, leading=11),
        "heading": ParagraphStyle("index-heading", text, fontName=bold),
        "cell": text,
        "link": ParagraphStyle("index-link", text, textColor=Color(*_LINK_COLOR)),
        "late": ParagraphStyle("index-late", text, textColor=Color(*_LATE_COLOR)),
    }


def _index_pdf(
    rows: Sequence[Sequence[str]], title: str, subtitle: str, footer: str
) -> tuple[bytes, list[list[tuple[float, float, float, float]]]]:
    """Index pages listing one row per student; also each page's row rectangles, for links."""
    styles = _index_styles()
    buffer = io.BytesIO()
    canvas = Canvas(buffer, pagesize=A4, initialFontName=styles["cell"].fontName)
    canvas.setTitle(title)
    width, height = A4
    pages = max(1, math.ceil(len(rows) / _ROWS_PER_PAGE))
    rects: list[list[tuple[float, float, float, float]]] = []
    for page in range(pages):
        y = height - _MARGIN - 10
        heading = title + (" (continued)" if page else "")
        draw_line(canvas, _MARGIN, y, heading, styles["title"], width - 2 * _MARGIN)
        draw_line(canvas, _MARGIN, y - 16, subtitle, styles["note"], width - 2 * _MARGIN)
        draw_line(canvas, _MARGIN, y - 28, _INDEX_HINT, styles["note"], width - 2 * _MARGIN)
        y -= 52
        x = _MARGIN
        for name, column in _COLUMNS:
            draw_line(canvas, x, y, name, styles["heading"], column - 6)
            x += column
        canvas.line(_MARGIN, y - 4, width - _MARGIN, y - 4)
        page_rects = []
        for row in rows[page * _ROWS_PER_PAGE : (page + 1) * _ROWS_PER_PAGE]:
            y -= _ROW
            x = _MARGIN
            for (name, column), cell in zip(_COLUMNS, row, strict=True):
                style = (
                    styles["late"]
                    if cell == "LATE"
                    else styles["link"]
                    if name in ("Student", "Page")
                    else styles["cell"]
                )
                draw_line(canvas, x, y, cell, style, column - 6)
                x += column
            page_rects.append((_MARGIN - 2, y - 4, width - _MARGIN + 2, y + _ROW - 4))
        if page == pages - 1 and footer:
            draw_line(canvas, _MARGIN, y - 2.2 * _ROW, footer, styles["note"], width - 2 * _MARGIN)
        rects.append(page_rects)
        canvas.showPage()
    canvas.save()
    return buffer.getvalue(), rects


def write_merged_pdf(
    students: Sequence[tuple[Path, dict[str, Any]]],
    output: Path,
    staging: Path,
    deadline: datetime | None,
    rejected: int,
) -> Path:
    """One PDF of every submission: an index whose rows link to each student, and bookmarks."""
    parts = []
    pdf_step = _progress(students, "merged PDF", lambda student: student[0].name)
    for number, (student_dir, manifest) in enumerate(pdf_step):
        path = staging / f"student-{number}.pdf"
        parts.append((path, write_submission_pdf(manifest, student_dir, path)))
    pages_per_index = max(1, math.ceil(len(students) / _ROWS_PER_PAGE))
    writer = PdfWriter()
    starts, page = [], pages_per_index
    for path, _ in parts:
        starts.append(page)
        page += len(PdfReader(path).pages)
    rows = []
    for number, ((_, manifest), start) in enumerate(zip(students, starts, strict=True), 1):
        rows.append(
            [
                str(number),
                manifest["student"]["id"],
                manifest["student"]["name"],
                manifest["submitted_at"].replace("T", " "),
                "LATE" if manifest["late"] else "",
                f"{len(manifest['missing'])} item(s)" if manifest["missing"] else "",
                str(start + 1),
            ]
        )
    deadline_text = f"deadline {deadline.isoformat()}" if deadline else "no deadline given"
    late = sum(1 for _, manifest in students if manifest["late"])
    subtitle = (
        f"{len(students)} students · {late} late · {deadline_text} · "
        f"collected {datetime.now().astimezone().isoformat(timespec='minutes')}"
    )
    footer = f"{rejected} submission(s) rejected: see {REJECTED_CSV}." if rejected else ""
    index, rects = _index_pdf(rows, "Submissions", subtitle, footer)
    writer.append(io.BytesIO(index), import_outline=False)
    for path, _ in parts:
        writer.append(path, import_outline=False)
    writer.add_outline_item(title="Index", page_number=0)
    for (_, manifest), (_, sections), start in zip(students, parts, starts, strict=True):
        student = manifest["student"]
        late_mark = " (late)" if manifest["late"] else ""
        parent = writer.add_outline_item(
            title=f"{student['id']}: {student['name']}{late_mark}", page_number=start, is_open=False
        )
        for title, offset in sections:
            writer.add_outline_item(title=title, page_number=start + offset, parent=parent)
    flat_rects = [(page, rect) for page, page_rects in enumerate(rects) for rect in page_rects]
    for (page, rect), start in zip(flat_rects, starts, strict=True):
        writer.add_annotation(page_number=page, annotation=Link(rect=rect, target_page_index=start))
    writer.add_metadata({"/Title": "All submissions"})
    temporary = staging / MERGED_PDF
    with temporary.open("wb") as stream:
        writer.write(stream)
    temporary.replace(output)
    return output


# ---------------------------------------------------------------------------------------------


def collect(
    inbox: Path,
    out: Path,
    deadline: datetime | None = None,
    *,
    limits: Limits = Limits(),
    projects_required: int = DEFAULT_PROJECTS,
) -> Summary:
    """Collect every submission in ``inbox`` into ``out``; see the module docstring."""
    if out.resolve() == inbox.resolve() or inbox.resolve().is_relative_to(out.resolve()):
        raise UserError(f"--out {out} must not be the inbox or hold it: give another folder")
    items = _inbox_items(inbox, limits, deadline, projects_required)
    out.mkdir(parents=True, exist_ok=True)
    summary = Summary(items=len(items))
    staging = Path(tempfile.mkdtemp(dir=out, prefix=".collect-"))
    try:
        candidates = []
        for number, item in enumerate(_progress(items, "collect", lambda item: item.source)):
            folder = staging / f"item-{number}"
            folder.mkdir()
            try:
                candidates.append(item.read(folder))
            except Rejected as rejection:
                summary.rejected.append((item.source, rejection.student, rejection.reason))
            except Exception as error:  # a broken submission is a row, never a crashed run
                summary.rejected.append(
                    (
                        item.source,
                        "",
                        f"could not be read ({type(error).__name__}: {error}); please report this",
                    )
                )
        for candidate in sorted(
            candidates, key=lambda c: (datetime.fromisoformat(c.manifest["submitted_at"]), c.source)
        ):
            outcome = place(candidate, out, staging)
            {
                "placed": summary.placed,
                "history": summary.to_history,
                "already collected": summary.already_collected,
            }[outcome].append(candidate.source)

        summary.rejected_csv = out / REJECTED_CSV
        _write_csv(summary.rejected_csv, ["source", "student", "reason"], summary.rejected)
        students = _current_students(out, deadline)
        summary.students = len(students)
        summary.late = sum(1 for _, manifest in students if manifest["late"])
        summary.index_csv = out / INDEX_CSV
        _write_csv(
            summary.index_csv,
            [
                "student",
                "name",
                "email",
                "submitted_at",
                "late",
                "source",
                "projects",
                "missing",
                "earlier",
                "notes",
            ],
            _index_rows(students),
        )
        if students:
            summary.merged_pdf = write_merged_pdf(
                students, out / MERGED_PDF, staging, deadline, len(summary.rejected)
            )
    finally:
        shutil.rmtree(staging, ignore_errors=True)
    return summary


def cli(args: argparse.Namespace) -> int:
    deadline = parse_deadline(args.deadline) if args.deadline else None
    summary = collect(Path(args.inbox), Path(args.out), deadline)
    print(
        f"Read {summary.items} item(s): {len(summary.placed)} collected, "
        f"{len(summary.to_history)} kept as earlier versions, "
        f"{len(summary.already_collected)} already collected, "
        f"{len(summary.rejected)} rejected."
    )
    for source, student, reason in summary.rejected:
        print(f"  rejected {source}{f' ({student})' if student else ''}: {reason}")
    print(f"{summary.students} student(s), {summary.late} late. Summary: {summary.index_csv}")
    if summary.rejected:
        print(f"Rejected: {summary.rejected_csv}")
    if summary.merged_pdf:
        print(f"All submissions in one PDF: {summary.merged_pdf}")
    return 0
