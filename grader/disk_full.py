"""A full file system said in one short line: which folder is full, and how much it needs.

A nearly full temporary folder used to end ``grader grade`` with a 3,000-character list of
file pairs (``shutil.Error``), a full home with SQLite's "database or disk is full" traceback.
SQLite rolls back what it could not write, files are written whole or not at all, so the line
can say that nothing is lost and the next run goes on."""

from __future__ import annotations

import contextlib
import errno
import shutil
import sqlite3
import tempfile
from collections.abc import Iterator
from pathlib import Path

from grader.errors import UserError
from grader.limits import GRADING, MiB

_NO_SPACE = {errno.ENOSPC, errno.EDQUOT}


class DiskFull(UserError):
    """A folder's file system is full; the message names it and what it needs."""


def no_space(error: BaseException) -> bool:
    """Whether ``error`` says a file system is full (shutil's copy errors included)."""
    if isinstance(error, sqlite3.OperationalError):
        return "disk is full" in str(error) or "disk I/O error" in str(error)
    if isinstance(error, shutil.Error):
        return any("No space left" in str(why) or "quota" in str(why) for *_, why in error.args[0])
    return isinstance(error, OSError) and error.errno in _NO_SPACE


def full_line(folder: Path, advice: str) -> str:
    """``<folder> is full (N MB free; the grader needs M MB there): <advice>``."""
    try:
        free = f"{shutil.disk_usage(folder).free / MiB:.1f} MB free"
    except OSError:
        free = "no space left"
    needed = f"the grader needs {GRADING.free_bytes // MiB} MB there"
    return f"{folder} is full ({free}; {needed}): {advice}"


def temp_full_line() -> str:
    """The line for a full temporary folder."""
    return full_line(
        Path(tempfile.gettempdir()),
        "free space there, or set TMPDIR to a folder with space, and run again",
    )


def check_temp_space() -> None:
    """Raise :class:`DiskFull` when the temporary folder has less free than the grader needs
    there: said before anything is prepared or run, in one line (a nearly full one let the
    sandbox's preparation start, and speak, first)."""
    try:
        free = shutil.disk_usage(tempfile.gettempdir()).free
    except OSError:  # no folder to measure: what writes there says so
        return
    if free < GRADING.free_bytes:
        raise DiskFull(f"nothing was graded: {temp_full_line()}")


@contextlib.contextmanager
def said_when_full(folder: Path, advice: str) -> Iterator[None]:
    """Within it, a full file system raises :class:`DiskFull` naming ``folder``."""
    try:
        yield
    except (OSError, sqlite3.OperationalError) as error:
        if not no_space(error):
            raise
        raise DiskFull(full_line(folder, advice)) from None


def met_anywhere(error: OSError | sqlite3.OperationalError, writing: Path | None = None) -> str:
    """The line for a full file system that a command met where it did not expect one: the
    folder it was writing (the error's file's, else ``writing``, else the current one), its
    free space, and what to do. Every command writes whole files (a temporary name, then a
    rename) and SQLite rolls back what it could not write, so the same command run again goes
    on from what was kept."""
    named = getattr(error, "filename", None)
    if isinstance(named, str | Path) and str(named):
        folder = Path(named).parent
    else:
        folder = writing if writing is not None else Path.cwd()
    while not folder.exists() and folder != folder.parent:
        folder = folder.parent
    try:
        free = f"{shutil.disk_usage(folder).free / MiB:.1f} MB free"
    except OSError:
        free = "no space left"
    return (
        f"the disk is full: {folder} ({free}; no space left on device). Free space on that "
        "disk (or set TMPDIR to a folder with space, if it is the temporary folder) and run "
        "the same command again: what was written so far is kept, and it goes on from there"
    )
