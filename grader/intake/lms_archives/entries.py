"""An LMS archive opened: its entries by name, each checked as a bundle's members are (UTF-8
names, no links, no escape, sizes capped), read only when its submission is read."""

from __future__ import annotations

import stat
import unicodedata
import zipfile
import zlib
from dataclasses import dataclass, field
from pathlib import Path

from grader.errors import UserError
from grader.intake.common import TOOL_FILES, Limits, Rejected, safe_relpath
from grader.intake.unpack import member_name

_BROKEN = (zipfile.BadZipFile, zlib.error, EOFError, NotImplementedError, OSError)


@dataclass
class Entries:
    """The archive's files by name (NFC: macOS zips write names decomposed), and the names it
    holds that are no file of anyone's: why each was set aside."""

    path: Path
    infos: dict[str, zipfile.ZipInfo] = field(default_factory=dict)
    refused: dict[str, str] = field(default_factory=dict)  # entry -> why it cannot be read

    def read(self, name: str, limits: Limits) -> bytes:
        """An entry's bytes, or Rejected saying it is corrupt."""
        info = self.infos[name]
        try:
            with zipfile.ZipFile(self.path) as archive, archive.open(info) as stream:
                data = stream.read(info.file_size + 1)
        except _BROKEN as error:
            raise Rejected(f"{name}: a corrupt file in the archive ({error})") from None
        if len(data) != info.file_size or info.file_size > limits.max_member_bytes:
            raise Rejected(f"{name}: a corrupt file in the archive (not the size it says)")
        return data


def _reads(archive: zipfile.ZipFile, info: zipfile.ZipInfo, limits: Limits) -> bool:
    """Whether an entry unpacks to what its checksum says (a bit flipped in one upload spoils
    only that entry)."""
    if info.is_dir() or info.file_size > limits.max_member_bytes:
        return True  # refused by its size, unread
    try:
        with archive.open(info) as stream:
            while stream.read(1 << 20):
                pass
    except (zipfile.BadZipFile, zlib.error, EOFError):
        return False
    return True


def _why_refused(info: zipfile.ZipInfo, name: str, limits: Limits) -> str:
    kind = stat.S_IFMT(info.external_attr >> 16)
    if kind not in (0, stat.S_IFREG, stat.S_IFDIR):
        return "a link, device or pipe, not a file"
    if info.flag_bits & 0x1:
        return "encrypted"
    if info.file_size > limits.max_member_bytes:
        return f"{info.file_size} bytes, over the cap of {limits.max_member_bytes}"
    if info.file_size > limits.ratio_floor_bytes and info.file_size > limits.max_ratio * max(
        info.compress_size, 1
    ):
        return "it would unpack far beyond its packed size (a zip bomb?)"
    try:
        safe_relpath(name, "archive entry")
    except Rejected as rejection:
        return rejection.reason
    return ""


def open_entries(path: Path, limits: Limits) -> Entries:
    """The archive's entries; a file that is no readable zip is a :class:`UserError` naming it
    (nothing is written). An entry that cannot be a student's file is kept with its reason."""
    try:
        with zipfile.ZipFile(path) as archive:
            infos = archive.infolist()
            if len(infos) > limits.max_archive_entries:
                raise UserError(
                    f"{path} holds {len(infos)} entries, over the cap of "
                    f"{limits.max_archive_entries}: download the assignment's submissions alone"
                )
            broken = {info.orig_filename for info in infos if not _reads(archive, info, limits)}
    except _BROKEN as error:
        raise UserError(
            f"{path} is not a readable zip ({type(error).__name__}: {error}): a download cut "
            "short? Download it again from the LMS"
        ) from None
    entries = Entries(path)
    for info in infos:
        try:
            name = unicodedata.normalize("NFC", member_name(info))
        except Rejected as rejection:
            entries.refused[info.orig_filename] = rejection.reason
            continue
        if info.is_dir() or TOOL_FILES.search(name):
            continue
        why = _why_refused(info, name, limits)
        if info.orig_filename in broken:
            why = "a corrupt file in the archive (its checksum does not match)"
        if why:
            entries.refused[name] = why
        else:
            entries.infos[name] = info
    return entries
