"""What a zip member may be and what makes a zip a bundle: the one policy every reader asks
(a mail's attachment, a bundle in the inbox, each LMS's download).

A member is refused when its name is not UTF-8 or leaves its folder, when it is a link, a device
or encrypted, or when it would unpack beyond the caps (its size, its ratio to its packed size).
A zip is a bundle when ``manifest.json`` is at its top or in the one folder that holds everything.
"""

from __future__ import annotations

import io
import stat
import zipfile
import zlib
from collections.abc import Iterable, Iterator
from contextlib import contextmanager
from pathlib import Path

from grader.bundle import MANIFEST_NAME
from grader.intake.common import TOOL_FILES, Limits, Rejected, safe_relpath

# What the zip module raises on a member whose bytes are corrupt; and on a zip that is cut short,
# corrupt or of a kind it cannot read.
CORRUPT = (zipfile.BadZipFile, zlib.error, EOFError)
BROKEN = (*CORRUPT, NotImplementedError, OSError)


def not_readable(error: BaseException) -> str:
    """Why a zip does not read, in words a student can act on (the reason is shown on the
    feedback page and the receipt): what the zip module said, without Python's class names."""
    if isinstance(error, zlib.error):
        said = "a member's packed data is damaged"
    elif isinstance(error, EOFError):
        said = "it ends too early: a download or a copy cut short"
    elif isinstance(error, NotImplementedError):
        said = f"packed in a way this tool cannot unpack: {error}"
    else:
        said = str(getattr(error, "strerror", None) or error) or "its bytes are not a zip's"
    return f"not a readable zip ({said[0].lower()}{said[1:]})"


def member_name(info: zipfile.ZipInfo) -> str:
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


def member_problem(info: zipfile.ZipInfo, name: str, limits: Limits) -> str:
    """Why the member ``name`` cannot be unpacked ('' when it can): what follows its name in
    the reason given ("is a symbolic link", "is encrypted: ...")."""
    try:
        safe_relpath(name, "zip member")
    except Rejected as rejection:
        return rejection.reason.removeprefix(f"zip member {name!r} ")
    kind = stat.S_IFMT(info.external_attr >> 16)
    if kind == stat.S_IFLNK:
        return "is a symbolic link"
    if kind not in (0, stat.S_IFREG, stat.S_IFDIR):
        return "is a device, pipe or socket, not a file"
    if info.flag_bits & 0x1:
        return "is encrypted: send it without a password"
    if info.is_dir() or TOOL_FILES.search(name):
        return ""  # never unpacked
    if info.file_size > limits.max_member_bytes:
        return f"unpacks to {info.file_size} bytes, over the cap of {limits.max_member_bytes}"
    packed = max(info.compress_size, 1)
    if info.file_size > limits.ratio_floor_bytes and info.file_size > limits.max_ratio * packed:
        return (
            f"would unpack {info.file_size / packed:.0f} times its packed size (a zip bomb?); "
            f"the cap is {limits.max_ratio:.0f}"
        )
    return ""


def refusal(info: zipfile.ZipInfo, name: str, limits: Limits) -> Rejected | None:
    """:func:`member_problem` as the rejection naming the member; None when it may be unpacked."""
    problem = member_problem(info, name, limits)
    return Rejected(f"zip member {name!r} {problem}") if problem else None


def bundle_prefix(names: Iterable[str]) -> str | None:
    """Where a zip holding ``names`` keeps its bundle: '' when ``manifest.json`` is at the top,
    'folder/' when the whole bundle was zipped in one folder; None: it is no bundle. The
    files zip tools add (``__MACOSX/``, ``.DS_Store``) count for nothing."""
    kept = [name for name in names if not TOOL_FILES.search(name)]
    if MANIFEST_NAME in kept:
        return ""
    tops = {name.split("/", 1)[0] for name in kept}
    if len(tops) == 1 and f"{next(iter(tops))}/{MANIFEST_NAME}" in kept:
        return f"{next(iter(tops))}/"
    return None


def names_of(source: Path | bytes) -> list[str] | None:
    """The member names of a zip; None when it is no readable zip."""
    try:
        with opened(source) as archive:
            return archive.namelist()
    except (Rejected, ValueError):
        return None


def is_bundle(source: Path | bytes) -> bool:
    """Whether a zip is a student's bundle (see :func:`bundle_prefix`)."""
    names = names_of(source)
    return names is not None and bundle_prefix(names) is not None


@contextmanager
def opened(source: Path | bytes) -> Iterator[zipfile.ZipFile]:
    """The open zip; whatever the zip module raises on a broken one becomes Rejected."""
    try:
        with zipfile.ZipFile(source if isinstance(source, Path) else io.BytesIO(source)) as archive:
            yield archive
    except UnicodeDecodeError:
        raise Rejected(
            "a zip member name is marked as UTF-8 but is not: zip the files again"
        ) from None
    except BROKEN as error:
        raise Rejected(not_readable(error)) from None


def zip_problem(data: bytes) -> str:
    """Why the bytes of a file named ``.zip`` are no readable zip ('' when every member reads
    back as its checksum says): kept whole, as a dataset, where it is not unpacked."""
    try:
        with opened(data) as archive:
            bad = archive.testzip()
    except Rejected as rejection:
        return rejection.reason
    except CORRUPT as error:
        return not_readable(error)
    return f"not a readable zip (its member {bad} is corrupt)" if bad else ""
