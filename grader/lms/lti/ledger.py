"""The record of every push to the LMS, in the course's gradebook (``<out>/gradebook.sqlite``,
beside the marks): each run, each line item made, each score with the LMS's answer.

A score is written as ``sending`` before it is posted and given the LMS's answer after, each
step its own transaction, so a run killed between the two leaves a ``sending`` row the next run
settles (by reading the LMS's result) before it posts anything: nothing is posted twice.
"""

from __future__ import annotations

from dataclasses import astuple, dataclass
from datetime import UTC, datetime
from pathlib import Path

from grader.gradebook.course_book import CourseBook

SCHEMA = """
CREATE TABLE IF NOT EXISTS lti_runs (
    id INTEGER PRIMARY KEY,
    started_at TEXT NOT NULL,
    finished_at TEXT,
    lms TEXT NOT NULL,
    summary TEXT NOT NULL DEFAULT ''
);
CREATE TABLE IF NOT EXISTS lti_line_items (
    component TEXT PRIMARY KEY,
    url TEXT NOT NULL,
    label TEXT NOT NULL,
    score_maximum REAL NOT NULL,
    run INTEGER NOT NULL,
    made_at TEXT NOT NULL
);
CREATE TABLE IF NOT EXISTS lti_scores (
    id INTEGER PRIMARY KEY,
    run INTEGER NOT NULL,
    student TEXT NOT NULL,
    component TEXT NOT NULL,
    user_id TEXT NOT NULL,
    line_item TEXT NOT NULL,
    digest TEXT NOT NULL,
    payload TEXT NOT NULL,
    timestamp TEXT NOT NULL,
    state TEXT NOT NULL,
    answer TEXT NOT NULL DEFAULT '',
    sent_at TEXT NOT NULL,
    answered_at TEXT
);
CREATE INDEX IF NOT EXISTS lti_scores_by_student ON lti_scores (student, component, id);
"""

SENDING = "sending"
ACCEPTED = "accepted"  # the LMS said 2xx
CONFIRMED = "confirmed"  # the answer was lost (a killed run); the LMS's result shows it landed
REFUSED = "refused"  # the LMS said no: the answer says why
LOST = "lost"  # a killed run's post the LMS does not hold: posted again
LANDED = (ACCEPTED, CONFIRMED)


@dataclass(frozen=True)
class Outgoing:
    """A score about to be posted, as the record keeps it."""

    student: str
    component: str
    user_id: str
    line_item: str
    digest: str  # of the line item and the payload without its timestamp
    payload: str  # the JSON posted
    timestamp: str


@dataclass(frozen=True)
class ScoreRow:
    id: int
    run: int
    student: str
    component: str
    user_id: str
    line_item: str
    digest: str
    payload: str
    timestamp: str
    state: str
    answer: str
    sent_at: str
    answered_at: str | None


class Ledger(CourseBook):
    """``with Ledger(out / "gradebook.sqlite") as ledger: ...``: the course book with the
    push record's tables."""

    def __init__(self, path: Path):
        super().__init__(path)
        self._db.executescript(SCHEMA)

    def __enter__(self) -> Ledger:
        return self

    def start_run(self, lms: str) -> int:
        with self._transaction() as db:
            cursor = db.execute(
                "INSERT INTO lti_runs (started_at, lms) VALUES (?, ?)", (_now(), lms)
            )
        return int(cursor.lastrowid or 0)

    def finish_run(self, run: int, summary: str) -> None:
        with self._transaction() as db:
            db.execute(
                "UPDATE lti_runs SET finished_at = ?, summary = ? WHERE id = ?",
                (_now(), summary, run),
            )

    def runs(self) -> list[dict[str, object]]:
        keys = ("id", "started_at", "finished_at", "lms", "summary")
        query = f"SELECT {', '.join(keys)} FROM lti_runs ORDER BY id"
        return [dict(zip(keys, row, strict=True)) for row in self._db.execute(query)]

    def made_line_item(
        self, run: int, component: str, url: str, label: str, score_maximum: float
    ) -> None:
        with self._transaction() as db:
            db.execute(
                "INSERT OR REPLACE INTO lti_line_items VALUES (?, ?, ?, ?, ?, ?)",
                (component, url, label, score_maximum, run, _now()),
            )

    def sending(self, run: int, score: Outgoing) -> int:
        """Write a score as about to be posted; returns its row."""
        with self._transaction() as db:
            cursor = db.execute(
                "INSERT INTO lti_scores (run, student, component, user_id, line_item, digest,"
                " payload, timestamp, state, sent_at) VALUES (?, ?, ?, ?, ?, ?, ?, ?, ?, ?)",
                (run, *astuple(score), SENDING, _now()),
            )
        return int(cursor.lastrowid or 0)

    def answered(self, row: int, state: str, answer: str) -> None:
        with self._transaction() as db:
            db.execute(
                "UPDATE lti_scores SET state = ?, answer = ?, answered_at = ? WHERE id = ?",
                (state, answer, _now(), row),
            )

    def scores(self, student: str | None = None, state: str | None = None) -> list[ScoreRow]:
        """Every score row, oldest first (of one student, or in one state, if asked)."""
        where, params = [], []
        for column, value in (("student", student), ("state", state)):
            if value is not None:
                where.append(f"{column} = ?")
                params.append(value)
        clause = f"WHERE {' AND '.join(where)}" if where else ""
        columns = ", ".join(ScoreRow.__dataclass_fields__)
        query = f"SELECT {columns} FROM lti_scores {clause} ORDER BY id"
        return [ScoreRow(*row) for row in self._db.execute(query, params)]

    def latest(self) -> dict[tuple[str, str], ScoreRow]:
        """The newest score row per (student, component)."""
        latest: dict[tuple[str, str], ScoreRow] = {}
        for row in self.scores():
            latest[(row.student, row.component)] = row
        return latest

    def landed(self) -> dict[tuple[str, str], ScoreRow]:
        """The newest score the LMS holds per (student, component), by this record."""
        landed: dict[tuple[str, str], ScoreRow] = {}
        for row in self.scores():
            if row.state in LANDED:
                landed[(row.student, row.component)] = row
        return landed


def _now() -> str:
    return datetime.now(UTC).isoformat(timespec="microseconds")
