"""Regrades as background jobs: a click queues one and the page answers at once.

At most one job per student is queued or running, at most :data:`WEB.regrades_waiting` in all, and
:data:`WEB.regrades_at_once` grading runs at a time (each is a whole sandboxed notebook run). Every
job's state is a row of the course gradebook (``<out>/gradebook.sqlite``, table
``serve_regrades``), so the student's page shows it after a reload or a restart; a job the
server stopped before it ended says so.
"""

from __future__ import annotations

import sqlite3
import threading
from collections.abc import Callable, Iterator
from concurrent.futures import ThreadPoolExecutor
from contextlib import closing, contextmanager
from dataclasses import dataclass
from datetime import UTC, datetime
from pathlib import Path

from grader.gradebook import schema
from grader.limits import WEB

ACTIVE = ("queued", "running")

_SCHEMA = """
CREATE TABLE IF NOT EXISTS serve_regrades (
    id INTEGER PRIMARY KEY,
    student TEXT NOT NULL,
    component TEXT NOT NULL,
    state TEXT NOT NULL,
    message TEXT NOT NULL,
    requested_at TEXT NOT NULL,
    finished_at TEXT
);
"""


@dataclass(frozen=True)
class Job:
    student: str
    component: str
    state: str  # queued, running, done, failed, interrupted
    message: str
    requested_at: str

    @property
    def active(self) -> bool:
        return self.state in ACTIVE

    @property
    def ok(self) -> bool:
        return self.state != "failed" and self.state != "interrupted"


def _now() -> str:
    return datetime.now(UTC).isoformat(timespec="seconds")


class JobStore:
    """The jobs' rows in the course gradebook, one short connection per use (any thread)."""

    def __init__(self, path: Path):
        self.path = path
        with closing(sqlite3.connect(self.path, timeout=30.0)) as db:
            schema.bring_forward(db, self.path)
        with self._db() as db:
            db.executescript(_SCHEMA)
            db.execute(
                "UPDATE serve_regrades SET state = 'interrupted', finished_at = ?, message = "
                "'the server stopped before this regrade ended; start it again' "
                "WHERE state IN ('queued', 'running')",
                (_now(),),
            )

    @contextmanager
    def _db(self) -> Iterator[sqlite3.Connection]:
        db = sqlite3.connect(self.path, timeout=30.0)
        try:
            with db:  # one transaction, committed on leaving
                yield db
        finally:
            db.close()

    def add(self, student: str, component: str, message: str) -> int:
        with self._db() as db:
            cursor = db.execute(
                "INSERT INTO serve_regrades (student, component, state, message, requested_at) "
                "VALUES (?, ?, 'queued', ?, ?)",
                (student, component, message, _now()),
            )
        return int(cursor.lastrowid or 0)

    def update(self, job_id: int, state: str, message: str) -> None:
        finished = None if state in ACTIVE else _now()
        with self._db() as db:
            db.execute(
                "UPDATE serve_regrades SET state = ?, message = ?, finished_at = ? WHERE id = ?",
                (state, message, finished, job_id),
            )

    def active(self) -> list[Job]:
        return self._jobs("state IN ('queued', 'running') ORDER BY id")

    def latest_of(self, student: str) -> list[Job]:
        """The newest job of each component for one student."""
        return self._jobs(
            "id IN (SELECT MAX(id) FROM serve_regrades WHERE student = ? GROUP BY component) "
            "ORDER BY component",
            (student,),
        )

    def _jobs(self, where: str, params: tuple = ()) -> list[Job]:
        with self._db() as db:
            found = db.execute(
                "SELECT student, component, state, message, requested_at FROM serve_regrades "
                f"WHERE {where}",
                params,
            ).fetchall()
        return [Job(*row) for row in found]


class RegradeQueue:
    """Runs ``run(student, component) -> (ok, message)`` in the background, within bounds."""

    def __init__(self, store: JobStore, run: Callable[[str, str], tuple[bool, str]]):
        self.store = store
        self._run = run
        self._lock = threading.Lock()  # checking the bounds and adding a job is one step
        self._pool = ThreadPoolExecutor(WEB.regrades_at_once, thread_name_prefix="regrade")

    def submit(self, student: str, component: str) -> str:
        """``queued``; ``busy`` when this student already has a job; ``full`` when
        :data:`WEB.regrades_waiting` jobs are waiting."""
        with self._lock:
            active = self.store.active()
            if any(job.student == student for job in active):
                return "busy"
            if len(active) >= WEB.regrades_waiting:
                return "full"
            job_id = self.store.add(student, component, "queued")
        self._pool.submit(self._work, job_id, student, component)
        return "queued"

    def _work(self, job_id: int, student: str, component: str) -> None:
        self.store.update(job_id, "running", "regrading now")
        try:
            ok, message = self._run(student, component)
        except Exception as error:  # a fault of the grader: the page says so, the queue goes on
            ok, message = (
                False,
                f"the regrade failed in the grader: {type(error).__name__}: {error}",
            )
        self.store.update(job_id, "done" if ok else "failed", message)
