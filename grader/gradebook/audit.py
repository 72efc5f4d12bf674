"""The audit trail: every change of a mark or a score, with who, when, the old and the new value
and why, in the SQLite file the change lands in (table ``audit``): rubric marks and regrade
decisions in the course gradebook (``<out>/gradebook.sqlite``), automatic gradings in their
assignment's (``<out>/<assignment>/gradebook.sqlite``), each written in the same transaction as
the change itself, so no change is without its row.

Kinds: ``manual`` (a mark entered in the dashboard or by ``grader marks set``), ``import``
(``grader marks import``), ``regrade`` (a regrade request decided), ``grading`` (an automatic
grading: the first, a new hand-in, or the same notebook graded again after a fix of the
grading code). ``part`` is the criterion or graded function; "" is an assignment's whole score.
"""

from __future__ import annotations

import getpass
import sqlite3
from collections.abc import Iterable
from dataclasses import dataclass
from datetime import UTC, datetime
from pathlib import Path

from grader.gradebook import book_reading
from grader.outputs.csvfile import csv_text

SCHEMA = """
CREATE TABLE IF NOT EXISTS audit (
    id INTEGER PRIMARY KEY,
    at TEXT NOT NULL,
    student TEXT NOT NULL,
    component TEXT NOT NULL,
    part TEXT NOT NULL,             -- criterion or graded function; '' the whole score
    old REAL,                       -- NULL: none before (not marked, never graded)
    new REAL,                       -- NULL: cleared
    by TEXT NOT NULL,
    kind TEXT NOT NULL,             -- manual | import | regrade | grading
    why TEXT NOT NULL,
    run_id INTEGER                  -- the grading run, for kind grading
);
CREATE INDEX IF NOT EXISTS audit_by_student ON audit (student, id);
"""

MANUAL, IMPORT, REGRADE, GRADING = "manual", "import", "regrade", "grading"
CSV_HEADER = ("at", "student", "component", "part", "old", "new", "change", "by", "kind", "why")


@dataclass(frozen=True)
class Change:
    at: str
    student: str
    component: str
    part: str
    old: float | None
    new: float | None
    by: str
    kind: str
    why: str
    run_id: int | None = None

    @property
    def delta(self) -> float | None:
        return None if self.old is None or self.new is None else self.new - self.old

    def cells(self) -> list[str]:
        delta = self.delta
        return [
            self.at,
            self.student,
            self.component,
            self.part,
            _number(self.old),
            _number(self.new),
            "" if delta is None else f"{delta:+g}",
            self.by,
            self.kind,
            self.why,
        ]


_COLUMNS = tuple(Change.__dataclass_fields__)


def now() -> str:
    return datetime.now(UTC).isoformat(timespec="microseconds")


def user() -> str:
    """Who runs this command: the login name (a watch or grade run's author)."""
    try:
        return getpass.getuser()
    except (KeyError, OSError):  # no login name in a container
        return "unknown"


def write(db: sqlite3.Connection, changes: Iterable[Change]) -> None:
    """Insert changes inside the caller's transaction (the change and its row land together)."""
    db.executemany(
        f"INSERT INTO audit ({', '.join(_COLUMNS)}) VALUES ({', '.join('?' * len(_COLUMNS))})",
        [tuple(getattr(change, column) for column in _COLUMNS) for change in changes],
    )


def kind_of_source(source: str) -> str:
    """A mark's source (CourseBook) as an audit kind: web and cli are manual."""
    if source.startswith("import"):
        return IMPORT
    if source.startswith("regrade"):
        return REGRADE
    return MANUAL


def read(path: Path, student: str | None = None) -> list[Change]:
    """The changes kept in one SQLite file, oldest first (none if it has no trail)."""
    where, params = ("WHERE student = ?", (student,)) if student else ("", ())
    query = f"SELECT {', '.join(_COLUMNS)} FROM audit {where} ORDER BY id"
    return [Change(*row) for row in book_reading.rows(path, "audit", query, params)]


def to_csv(changes: Iterable[Change]) -> str:
    return csv_text([CSV_HEADER, *(change.cells() for change in changes)])


def _number(value: float | None) -> str:
    return "" if value is None else f"{value:g}"


def run_changes(path: Path, run_id: int) -> list[str]:
    """What a grading run changed of scores given before, one line per student: what a
    regrade of a whole assignment after a fix shows before anything is mailed."""
    by_student: dict[str, list[Change]] = {}
    for change in read(path):
        if change.run_id == run_id and change.kind == GRADING and change.old is not None:
            by_student.setdefault(change.student, []).append(change)
    lines = []
    for student, changes in sorted(by_student.items()):
        whole = next((c for c in changes if c.part == ""), None)
        parts = ", ".join(
            f"{c.part} {_number(c.old)} -> {_number(c.new)}" for c in changes if c.part
        )
        head = f"{_number(whole.old)} -> {_number(whole.new)} ({whole.delta:+g})" if whole else ""
        lines.append(f"  {student}: {head}" + (f"; {parts}" if parts else ""))
    return lines
