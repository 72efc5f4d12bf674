"""Opening the gradebook's SQLite file, as every part that shares it does (``grader grade``,
the watch, the dashboard's threads, the course commands): several processes and threads open
it at once, so each connection waits for the others' locks (the busy timeout, set as it
connects, before its first statement), and the switch to WAL, which SQLite refuses at once
rather than wait while another connection holds the write lock, is tried again within the same
time. A file that stays locked past it is a clear error, never a lost write. A file an earlier
grader made is brought forward to this grader's schema, and a later one refused
(:mod:`grader.gradebook.schema`)."""

from __future__ import annotations

import sqlite3
import time
from pathlib import Path
from typing import Any

from grader.errors import UserError
from grader.gradebook import schema
from grader.limits import DATABASE


def open_database(path: Path, **options: Any) -> sqlite3.Connection:
    """A connection to ``path`` in WAL mode; ``options`` as :func:`sqlite3.connect` takes them
    (``isolation_level``), the timeout excepted."""
    db = sqlite3.connect(path, timeout=DATABASE.busy_timeout_s, **options)
    try:
        _use_wal(db, path)
        schema.bring_forward(db, Path(path))
    except BaseException:
        db.close()
        raise
    return db


def _use_wal(db: sqlite3.Connection, path: Path) -> None:
    deadline = time.monotonic() + DATABASE.busy_timeout_s
    while True:
        try:
            db.execute("PRAGMA journal_mode=WAL").fetchall()
            return
        except sqlite3.OperationalError as error:
            if not _is_busy(error):
                raise
            if time.monotonic() > deadline:
                raise UserError(
                    f"{path} stayed locked by another program for {DATABASE.busy_timeout_s:g} s "
                    "(a database browser left open?): close it and run the command again; "
                    "nothing was written"
                ) from None
        time.sleep(DATABASE.wal_retry_s)


def _is_busy(error: sqlite3.OperationalError) -> bool:
    name = getattr(error, "sqlite_errorname", "")
    return name.startswith(("SQLITE_BUSY", "SQLITE_LOCKED")) or "locked" in str(error)
