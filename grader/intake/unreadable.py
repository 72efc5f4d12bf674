"""Which files of a hand-in cannot be read, and why: an empty file, a zip that does not open or
whose members do not read back, a bundle's file whose bytes no longer match its manifest. Each
is listed by its own name with its reason, and the rest of the hand-in is collected as if it
came alone. (A notebook that does not open and a PDF that cannot be read are kept and reported
by the checks of the student's folder: the student may still be marked on them.)"""

from __future__ import annotations

from collections.abc import Mapping
from pathlib import PurePosixPath
from typing import Any

from grader.intake.zips import zip_problem

EMPTY = "an empty file (0 bytes): nothing in it to collect"
CHANGED = (
    "its bytes no longer match its SHA-256 in manifest.json (it changed after bundling): "
    "bundle again with `grader bundle` and send the new zip"
)


def why_unreadable(name: str, data: bytes) -> str:
    """Why the file ``name`` holding ``data`` cannot be read ('' when it can)."""
    if not data:
        return EMPTY
    if PurePosixPath(name).suffix.lower() == ".zip":
        return zip_problem(data)
    return ""


def could_not_be_read(unreadable: Mapping[str, str], rest: str) -> str:
    """One plain line naming each file of a hand-in that could not be read, with why, then
    ``rest``: what became of the others ("the rest was collected"). The student's folder's
    notes, the watch's receipt and the feedback page say it in these words."""
    named = "; ".join(f"{name} could not be read ({why})" for name, why in unreadable.items())
    return f"{named}: {rest}"


def held_unreadable(manifest: Mapping[str, Any], source: str | None = None) -> dict[str, str]:
    """The files a student folder's ``manifest.json`` lists under ``unreadable`` (name -> why),
    only those the item ``source`` brought where it is given; what is not such a list reads
    as none."""
    listed = manifest.get("unreadable")
    if not isinstance(listed, list):
        return {}
    return {
        entry["name"]: entry["reason"]
        for entry in listed
        if isinstance(entry, dict)
        and isinstance(entry.get("name"), str)
        and isinstance(entry.get("reason"), str)
        and (source is None or entry.get("source") in (None, source))
    }
