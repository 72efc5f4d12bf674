"""Which files of a hand-in cannot be read, and why: an empty file, a zip that does not open or
whose members do not read back, a bundle's file whose bytes no longer match its manifest. Each
is listed by its own name with its reason, and the rest of the hand-in is collected as if it
came alone. (A notebook that does not open and a PDF that cannot be read are kept and reported
by the checks of the student's folder: the student may still be marked on them.)"""

from __future__ import annotations

from pathlib import PurePosixPath

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
