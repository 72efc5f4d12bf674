"""The gradebook: one SQLite file, each result committed as soon as it is known.

Every grading of a submission is a new row of ``results``; earlier rows stay as the history.
A submission is identified by its student id and the sha256 of what was graded, so
``--resume`` can tell what a killed run had already finished.
"""

from __future__ import annotations

import json
from dataclasses import dataclass, field
from datetime import UTC, datetime
from pathlib import Path

from grader import __version__
from grader.gradebook import audit
from grader.gradebook.database import open_database

SCHEMA = """
CREATE TABLE IF NOT EXISTS runs (
    id INTEGER PRIMARY KEY,
    started_at TEXT NOT NULL,
    assignment TEXT NOT NULL,
    options TEXT NOT NULL,
    grader_version TEXT              -- the grader build that ran it (NULL: before 0.2)
);
CREATE TABLE IF NOT EXISTS results (
    id INTEGER PRIMARY KEY,
    run_id INTEGER NOT NULL REFERENCES runs(id),
    student TEXT NOT NULL,
    source TEXT NOT NULL,
    sha256 TEXT NOT NULL,
    seed INTEGER,
    status TEXT NOT NULL,
    reason TEXT,
    score REAL NOT NULL,
    max_score REAL NOT NULL,
    late INTEGER,
    graded_at TEXT NOT NULL,
    functions TEXT NOT NULL,
    phases TEXT,
    variant TEXT,
    grader_version TEXT,             -- the grader build that graded it (NULL: before 0.2)
    handed_in_at TEXT                -- when the graded version was handed in (NULL: not known)
);
CREATE INDEX IF NOT EXISTS results_by_student ON results (student, id);
"""
# Columns added since the first gradebooks (one made before gets them as it is brought forward:
# grader.gradebook.schema's steps).
# phases (step 1): JSON, seconds by phase of the grading (start, cells, probes, diagnosis, files);
# NULL where not timed (the grader failed, or the row is older than the column).
# variant (step 1): a per-student assignment's word on the hand-in's variant
# (grader.variants.attribution: "own", "another student's: released to S003, handed in by
# S002", ...); NULL otherwise.
# handed_in_at (step 2): when the graded version of the notebook was
# handed in (its own mail's time, grader.intake.handed_in), what its late penalty is measured
# by; NULL where not known (a notebook graded alone, or a row graded before the column).


# The status of a submission the grader itself failed on: it has no score, and ``--resume``
# grades it again.
GRADER_ERROR = "error"


@dataclass(frozen=True)
class Row:
    """One grading of one submission."""

    student: str
    source: str
    sha256: str
    seed: int | None
    status: str
    reason: str | None
    score: float
    max_score: float
    late: bool | None
    functions: dict[str, float]  # graded function -> points earned
    graded_at: str = ""
    phases: dict[str, float] = field(default_factory=dict)  # phase -> seconds; {}: not timed
    variant: str = ""  # the variant's verdict, for an assignment with [variants] or [[pools]]
    handed_in_at: str | None = None  # when the graded version was handed in, where known


class Gradebook:
    """A gradebook file; open it with ``Gradebook(path)`` and use it as a context manager."""

    def __init__(self, path: Path):
        self.path = Path(path)
        self.path.parent.mkdir(parents=True, exist_ok=True)
        self._db = open_database(self.path)
        self._db.executescript(SCHEMA)
        self._db.executescript(audit.SCHEMA)
        self._db.commit()

    def __enter__(self) -> Gradebook:
        return self

    def __exit__(self, *exc) -> None:
        self.close()

    def close(self) -> None:
        self._db.close()

    def start_run(self, assignment: str, options: dict) -> int:
        cursor = self._db.execute(
            "INSERT INTO runs (started_at, assignment, options, grader_version)"
            " VALUES (?, ?, ?, ?)",
            (_now(), assignment, json.dumps(options, sort_keys=True), __version__),
        )
        self._db.commit()
        assert cursor.lastrowid is not None  # an INSERT's
        return cursor.lastrowid

    def record(self, run_id: int, row: Row) -> None:
        """Store one result and commit it at once, with the audit rows of the scores it changes
        (against this student's previous result)."""
        previous = self._rows(
            "student = ? AND status != ? ORDER BY id DESC LIMIT 1", (row.student, GRADER_ERROR)
        )
        if row.status != GRADER_ERROR:
            audit.write(self._db, _score_changes(run_id, self._assignment(run_id), previous, row))
        self._db.execute(
            "INSERT INTO results (run_id, student, source, sha256, seed, status, reason, score,"
            " max_score, late, graded_at, functions, phases, variant, handed_in_at,"
            " grader_version) VALUES (?, ?, ?, ?, ?, ?, ?, ?, ?, ?, ?, ?, ?, ?, ?, ?)",
            (
                run_id,
                row.student,
                row.source,
                row.sha256,
                row.seed,
                row.status,
                row.reason,
                row.score,
                row.max_score,
                None if row.late is None else int(row.late),
                _now(),
                json.dumps(row.functions),
                json.dumps(row.phases) if row.phases else None,
                row.variant or None,
                row.handed_in_at,
                __version__,
            ),
        )
        self._db.commit()

    def _assignment(self, run_id: int) -> str:
        found = self._db.execute("SELECT assignment FROM runs WHERE id = ?", (run_id,)).fetchone()
        return found[0] if found else ""

    def last_run(self) -> int | None:
        return self._db.execute("SELECT MAX(id) FROM runs").fetchone()[0]

    def has_result(self, student: str, sha256: str) -> bool:
        """Whether this exact submission of this student was graded already (a grading the
        grader itself failed on does not count)."""
        found = self._db.execute(
            "SELECT 1 FROM results WHERE student = ? AND sha256 = ? AND status != ? LIMIT 1",
            (student, sha256, GRADER_ERROR),
        ).fetchone()
        return found is not None

    def seeds_of(self, assignment: str) -> dict[tuple[str, str], int]:
        """The seed each hand-in of ``assignment`` was graded on, by (student, sha256): the
        newest grading's that gave a score (else the newest's), so the same bytes graded again
        draw the same cases and keep their score."""
        found = self._db.execute(
            "SELECT results.student, results.sha256, results.seed FROM results"
            " JOIN runs ON runs.id = results.run_id"
            " WHERE runs.assignment = ? AND results.seed IS NOT NULL"
            " ORDER BY results.status != ?, results.id",
            (assignment, GRADER_ERROR),
        ).fetchall()
        return {(student, sha256): seed for student, sha256, seed in found}

    def latest(self) -> list[Row]:
        """The newest result of every student, ordered by student."""
        return self._rows("id IN (SELECT MAX(id) FROM results GROUP BY student) ORDER BY student")

    def latest_statuses(self) -> dict[str, str]:
        """The status of every student's newest result: a question about the whole class
        without reading every result."""
        newest = "SELECT MAX(id) FROM results GROUP BY student"
        query = f"SELECT student, status FROM results WHERE id IN ({newest})"
        return dict(self._db.execute(query).fetchall())

    def history(self, student: str) -> list[Row]:
        """Every result of one student, oldest first."""
        return self._rows("student = ? ORDER BY id", (student,))

    def _rows(self, where: str, params: tuple = ()) -> list[Row]:
        query = f"SELECT {', '.join(_ROW_COLUMNS)} FROM results WHERE {where}"
        rows = []
        for values in self._db.execute(query, params):
            record = dict(zip(_ROW_COLUMNS, values, strict=True))
            record["late"] = None if record["late"] is None else bool(record["late"])
            record["functions"] = json.loads(record["functions"])
            record["phases"] = json.loads(record["phases"]) if record["phases"] else {}
            record["variant"] = record["variant"] or ""
            rows.append(Row(**record))
        return rows


_ROW_COLUMNS = tuple(Row.__dataclass_fields__)


def _score_changes(
    run_id: int, assignment: str, previous: list[Row], row: Row
) -> list[audit.Change]:
    """The whole score's change and each graded function's, against the previous result."""
    before = previous[0] if previous else None
    if before is None:
        why = "first grading"
    elif before.sha256 == row.sha256:
        why = f"the same notebook graded again (run {run_id}): the grading changed"
    else:
        why = f"a new hand-in graded (run {run_id})"
    at, by = audit.now(), audit.user()
    changes = []
    pairs = [("", None if before is None else before.score, row.score)]
    pairs += [
        (name, None if before is None else before.functions.get(name), points)
        for name, points in row.functions.items()
    ]
    for part, old, new in pairs:
        if old != new:
            changes.append(
                audit.Change(
                    at, row.student, assignment, part, old, new, by, audit.GRADING, why, run_id
                )
            )
    return changes


def _now() -> str:
    return datetime.now(UTC).isoformat(timespec="seconds")
