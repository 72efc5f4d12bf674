"""A marker's change of an automatically graded function's points (a regrade request
accepted): kept in the course gradebook (table ``score_overrides``) with its audit row, and
applied over the grading it was made on wherever the score is read (``grader final``, the LMS
exports, the dashboard). A new hand-in is graded afresh: the change was about the notebook it
was made on, and it stays in the trail.
"""

from __future__ import annotations

import sqlite3
from dataclasses import replace
from pathlib import Path

from grader.gradebook import audit, book_reading, schema
from grader.gradebook.course_book import BOOK_NAME
from grader.gradebook.results import Row
from grader.limits import COURSE

SCHEMA = """
CREATE TABLE IF NOT EXISTS score_overrides (
    id INTEGER PRIMARY KEY,
    student TEXT NOT NULL,
    component TEXT NOT NULL,
    part TEXT NOT NULL,             -- the graded function
    points REAL NOT NULL,
    sha256 TEXT NOT NULL,           -- the graded notebook it was made on
    by TEXT NOT NULL,
    at TEXT NOT NULL,
    why TEXT NOT NULL
);
"""


def _connect(out: Path) -> sqlite3.Connection:
    db = sqlite3.connect(out / BOOK_NAME, timeout=COURSE.book_busy_s, isolation_level=None)
    schema.bring_forward(db, out / BOOK_NAME)
    db.executescript(SCHEMA)
    db.executescript(audit.SCHEMA)
    return db


def set_points(
    out: Path, row: Row, component: str, part: str, points: float, *, by: str, why: str
) -> audit.Change:
    """Give ``part`` of the grading ``row`` these points, with the audit row, in one
    transaction; the old value is the one the student has now (an earlier change included)."""
    current = applied(out, component, {row.student: row})[row.student]
    old = current.functions.get(part)
    change = audit.Change(
        audit.now(), row.student, component, part, old, points, by, audit.REGRADE, why
    )
    db = _connect(out)
    try:
        db.execute("BEGIN IMMEDIATE")
        db.execute(
            "INSERT INTO score_overrides (student, component, part, points, sha256, by, at, why)"
            " VALUES (?, ?, ?, ?, ?, ?, ?, ?)",
            (row.student, component, part, points, row.sha256, by, change.at, why),
        )
        total = audit.Change(
            change.at,
            row.student,
            component,
            "",
            current.score,
            current.score - (old or 0.0) + points,
            by,
            audit.REGRADE,
            why,
        )
        audit.write(db, [change, total] if old != points else [])
        db.execute("COMMIT")
    finally:
        db.close()
    return change


def applied(out: Path, component: str, rows: dict[str, Row]) -> dict[str, Row]:
    """``rows`` (student -> newest grading) with the markers' changes made on those gradings."""
    found = book_reading.rows(
        out / BOOK_NAME,
        "score_overrides",
        "SELECT student, part, points, sha256 FROM score_overrides WHERE component = ? ORDER BY id",
        (component,),
    )
    current = dict(rows)
    for student, part, points, sha256 in found:
        row = current.get(student)
        if row is None or row.sha256 != sha256 or part not in row.functions:
            continue
        functions = {**row.functions, part: points}
        score = row.score - row.functions[part] + points
        current[student] = replace(row, functions=functions, score=score)
    return current
