"""An LMS archive opened: its entries by name, each checked as a bundle's members are (UTF-8
names, no links, no escape, sizes capped), read only when its submission is read."""

from __future__ import annotations

import unicodedata
import zipfile
from dataclasses import dataclass, field
from pathlib import Path

from grader.errors import UserError
from grader.intake.common import TOOL_FILES, Limits, Rejected
from grader.intake.zips import BROKEN, CORRUPT, member_name, member_problem, not_readable


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
        except BROKEN as error:
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
    except CORRUPT:
        return False
    return True


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
    except BROKEN as error:
        raise UserError(
            f"{path} is {not_readable(error)}: a download cut short? Download it again from the LMS"
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
        problem = member_problem(info, name, limits)
        why = f"the archive entry {problem}" if problem else ""
        if info.orig_filename in broken:
            why = "a corrupt file in the archive (its checksum does not match)"
        if why:
            entries.refused[name] = why
        else:
            entries.infos[name] = info
    return entries
