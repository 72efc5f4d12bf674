"""Reading a gradebook without writing to it: a query on a table another command may not have
made yet (the watch's, the requests', the audit's) is no error, only nothing found."""

from __future__ import annotations

import sqlite3
from pathlib import Path

from grader.gradebook import schema
from grader.limits import COURSE


def rows(path: Path, table: str, query: str, params: tuple = ()) -> list[tuple]:
    """The rows of ``query`` on the SQLite file ``path`` opened read-only; [] when the file or
    ``table`` is not there."""
    if not path.is_file():
        return []
    uri = f"{path.resolve().as_uri()}?mode=ro"
    db = sqlite3.connect(uri, uri=True, timeout=COURSE.book_busy_s)
    try:
        schema.check_readable(db, path)
        found = db.execute("SELECT 1 FROM sqlite_master WHERE name = ?", (table,)).fetchone()
        return db.execute(query, params).fetchall() if found else []
    finally:
        db.close()
