"""The schema version of every SQLite file the grader keeps (SQLite's ``PRAGMA user_version``:
the gradebooks, the IMAP collect's state), and of its JSON records (their ``"schema"``:
:func:`check_record`), so that a course's state survives the grader's own upgrades: a file
made by an earlier grader is brought forward once, in one transaction, with a line that says
so; a file a newer grader has brought forward is refused in one line, never read as this
grader's.

Version 0 is every gradebook made before versions were kept (grader 0.1.0), whose tables the
earlier graders added columns to as they went: a version-0 file has some, all or none of step
1's first columns. Each step names the columns it adds to tables that already exist; a table
made later is made by its module with every column (each ``CREATE TABLE`` holds them), so a
step never needs it. Every opening that writes brings the file forward here, before its module
makes its tables: no module adds a column of its own.
"""

from __future__ import annotations

import sqlite3
import sys
from pathlib import Path

from grader import __version__
from grader.errors import UserError

# version -> (table, column, type) added to a gradebook of the version before
STEPS: dict[int, tuple[tuple[str, str, str], ...]] = {
    1: (
        # the columns graders before versions added as they went, each at its first opening:
        # seconds by phase of each grading, a per-student release's word on the variant, the
        # written answers' length and flags, the watch's reply note
        ("results", "phases", "TEXT"),
        ("results", "variant", "TEXT"),
        ("written_answers", "chars", "INTEGER NOT NULL DEFAULT 0"),
        ("written_answers", "flags", "TEXT NOT NULL DEFAULT '[]'"),
        ("watch_jobs", "note", "TEXT NOT NULL DEFAULT ''"),
        # which grader build wrote each run, result and mark (issue 71)
        ("runs", "grader_version", "TEXT"),
        ("results", "grader_version", "TEXT"),
        ("marks", "grader_version", "TEXT"),
        ("mark_history", "grader_version", "TEXT"),
    ),
    # when the graded version of each result was handed in, its late penalty's measure (issue 77)
    2: (("results", "handed_in_at", "TEXT"),),
}
VERSION = max(STEPS)


def bring_forward(db: sqlite3.Connection, path: Path) -> None:
    """Check the schema version of the gradebook ``db`` (at ``path``) and bring an earlier one
    forward to :data:`VERSION`; a later one is refused (:class:`UserError`). A table an
    earlier grader made after that (it knows no version) gets this version's columns too."""
    found = _version(db)
    if found > VERSION:
        raise _newer(path, found)
    if found == VERSION and not _missing(db):
        return
    db.execute("BEGIN IMMEDIATE")  # one process brings it forward; the others wait, then see it
    try:
        found = _version(db)
        fresh = found == 0 and not _tables(db)
        if found <= VERSION:
            for table, column, kind in _missing(db):
                db.execute(f"ALTER TABLE {table} ADD COLUMN {column} {kind}")
            db.execute(f"PRAGMA user_version = {VERSION}")
    except BaseException:
        db.execute("ROLLBACK")
        raise
    db.execute("COMMIT")
    if found > VERSION:
        raise _newer(path, found)
    if found < VERSION and not fresh:
        print(
            f"{path}: brought forward from schema {found} to {VERSION} by grader {__version__}"
            " (once; the earlier grader still reads it)",
            file=sys.stderr,
            flush=True,
        )


def check_readable(db: sqlite3.Connection, path: Path) -> None:
    """Refuse, for a reader that writes nothing, a file a newer grader brought forward (an
    earlier one is read as it is: its columns are a subset)."""
    found = _version(db)
    if found > VERSION:
        raise _newer(path, found)


def _missing(db: sqlite3.Connection) -> list[tuple[str, str, str]]:
    """The columns of every step that a table present lacks."""
    tables = _tables(db)
    return [
        (table, column, kind)
        for step in sorted(STEPS)
        for table, column, kind in STEPS[step]
        if table in tables and column not in _columns(db, table)
    ]


class NewerState(UserError):
    """A file of the course a newer grader wrote: refused, whatever else a reader skips (the
    whole course is that grader's now, not one damaged file)."""


def _newer(path: Path, found: int, known: int = VERSION) -> NewerState:
    return NewerState(
        f"{path} was written by a newer grader (schema {found}; grader {__version__} reads up"
        f" to {known}): run the newer grader on this course, never this one"
    )


def check_record(path: Path, data: object, known: int) -> int:
    """The layout of a JSON state the grader wrote (``data``, read from ``path``): its
    ``"schema"``, 0 for one written before it had any. One later than ``known`` is refused
    (:class:`UserError`, one line): a newer grader's, never read as this one's. Each writer
    writes its layout's number under ``"schema"``; every reader that reads one back, those that
    only read included, asks here first."""
    found = data.get("schema") if isinstance(data, dict) else None
    if isinstance(found, int) and not isinstance(found, bool):
        if found > known:
            raise _newer(path, found, known)
        return found
    return 0


def _version(db: sqlite3.Connection) -> int:
    return int(db.execute("PRAGMA user_version").fetchone()[0])


def _tables(db: sqlite3.Connection) -> set[str]:
    return {row[0] for row in db.execute("SELECT name FROM sqlite_master WHERE type = 'table'")}


def _columns(db: sqlite3.Connection, table: str) -> set[str]:
    return {row[1] for row in db.execute(f"PRAGMA table_info({table})")}
