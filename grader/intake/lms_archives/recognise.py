"""Which LMS made an archive, told by how its entries are named (and Gradescope's by its
``submission_metadata.yml``); an archive no LMS's names fit is refused in one line."""

from __future__ import annotations

from pathlib import Path
from types import ModuleType

from grader.errors import UserError
from grader.intake.lms_archives import blackboard, canvas, d2l, gradescope, moodle
from grader.intake.zips import bundle_prefix, names_of

READERS: tuple[ModuleType, ...] = (canvas, moodle, blackboard, d2l, gradescope)
_WHAT_TO_DO = (
    "give the archive as the LMS made it (Canvas 'Download Submissions', Moodle 'Download all "
    "submissions', Blackboard 'Assignment File Download', D2L's folder 'Download', Gradescope "
    "'Export Submissions'), or a student's bundle zip"
)


def is_archive(path: Path) -> bool:
    """A zip given as an inbox that is no student's bundle (no manifest.json at its top or in
    its one folder): an LMS's download, or something that is neither."""
    if not path.is_file() or path.suffix.lower() != ".zip":
        return False
    names = names_of(path)
    return names is None or bundle_prefix(names) is None  # unreadable: refused in one line


def reader_of(path: Path, names: list[str]) -> ModuleType:
    """The reader whose names fit the most entries; one line saying what the archive is not
    when none fits any."""
    if not names:
        raise UserError(f"{path} is an empty zip: download the submissions again from the LMS")
    fits = [(reader.matches(names), reader) for reader in READERS]
    count, best = max(fits, key=lambda fit: fit[0])
    if count == 0:
        shown = ", ".join(names[:3])
        raise UserError(
            f"{path} is no LMS's download of submissions nor a bundle (its entries, such as "
            f"{shown}, are named as no LMS names them): {_WHAT_TO_DO}"
        )
    return best
