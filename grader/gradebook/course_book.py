"""The course's tables in the SQLite gradebook: project checks, rubric marks (with their whole
history: who, when, from where), and the feedback mail already sent.

Everything a marking UI needs goes through :class:`CourseBook`; each write is one transaction
(``BEGIN IMMEDIATE``), so two markers saving at once both land: the later save of a criterion
is the current mark and both are in the history. The file is ``<out>/gradebook.sqlite``, the
same file and WAL mode as :mod:`grader.gradebook.results`.
"""

from __future__ import annotations

import json
import sqlite3
from collections.abc import Iterable, Iterator
from contextlib import contextmanager
from dataclasses import dataclass, replace
from datetime import UTC, datetime
from pathlib import Path
from typing import Any

from grader import __version__
from grader.gradebook import audit
from grader.gradebook.database import open_database

BOOK_NAME = "gradebook.sqlite"

SCHEMA = """
CREATE TABLE IF NOT EXISTS project_checks (
    id INTEGER PRIMARY KEY,
    student TEXT NOT NULL,
    component TEXT NOT NULL,
    checked_at TEXT NOT NULL,
    submitted_at TEXT,
    checks TEXT NOT NULL
);
CREATE INDEX IF NOT EXISTS project_checks_by_student ON project_checks (student, component, id);
CREATE TABLE IF NOT EXISTS marks (
    student TEXT NOT NULL,
    component TEXT NOT NULL,
    criterion TEXT NOT NULL,
    points REAL,
    comment TEXT NOT NULL DEFAULT '',
    marked_by TEXT NOT NULL,
    marked_at TEXT NOT NULL,
    source TEXT NOT NULL,
    grader_version TEXT,             -- the grader build that wrote it (NULL: before 0.2)
    PRIMARY KEY (student, component, criterion)
);
CREATE TABLE IF NOT EXISTS mark_history (
    id INTEGER PRIMARY KEY,
    student TEXT NOT NULL,
    component TEXT NOT NULL,
    criterion TEXT NOT NULL,
    points REAL,
    comment TEXT NOT NULL DEFAULT '',
    marked_by TEXT NOT NULL,
    marked_at TEXT NOT NULL,
    source TEXT NOT NULL,
    grader_version TEXT
);
CREATE INDEX IF NOT EXISTS mark_history_by_student ON mark_history (student, component, id);
CREATE TABLE IF NOT EXISTS mail_sent (
    student TEXT NOT NULL,
    digest TEXT NOT NULL,
    message_id TEXT NOT NULL,
    recipients TEXT NOT NULL,
    sent_at TEXT NOT NULL,
    PRIMARY KEY (student, digest)
);
-- A send begun and not yet known to be taken: written before the SMTP transaction, removed
-- once the server took the message (with its mail_sent row). A row a crash left is a send
-- that may have arrived: it goes again with the same Message-ID and Date.
CREATE TABLE IF NOT EXISTS mail_sending (
    student TEXT NOT NULL,
    digest TEXT NOT NULL,
    message_id TEXT NOT NULL,
    date TEXT NOT NULL,
    started_at TEXT NOT NULL,
    refused TEXT NOT NULL DEFAULT '',  -- the server's refusal of the last attempt, if it was
    PRIMARY KEY (student, digest)
);
"""


@dataclass(frozen=True)
class Mark:
    """One criterion's mark: ``points`` None means not marked (a comment may still stand)."""

    student: str
    component: str
    criterion: str
    points: float | None
    comment: str
    marked_by: str
    marked_at: str  # ISO 8601, UTC
    source: str  # "web", "import:marks.csv", "cli", ...


@dataclass(frozen=True)
class ProjectChecks:
    student: str
    component: str
    checked_at: str
    submitted_at: str | None
    checks: dict[str, Any]


@dataclass(frozen=True)
class MarkChange:
    """One mark to write: what :meth:`CourseBook.set_marks` takes."""

    student: str
    component: str
    criterion: str
    points: float | None
    comment: str = ""


@dataclass(frozen=True)
class SendAttempt:
    """The headers a message goes with: the first attempt's, and whether that one may have
    arrived (a run stopped between the SMTP transaction and its record)."""

    message_id: str
    date: str
    uncertain: bool


class CourseBook:
    """``with CourseBook(out / "gradebook.sqlite") as book: ...``"""

    def __init__(self, path: Path):
        self.path = Path(path)
        self.path.parent.mkdir(parents=True, exist_ok=True)
        self._db = open_database(self.path, isolation_level=None)
        self._db.executescript(SCHEMA)
        self._db.executescript(audit.SCHEMA)

    def __enter__(self) -> CourseBook:
        return self

    def __exit__(self, *exc: object) -> None:
        self.close()

    def close(self) -> None:
        self._db.close()

    @contextmanager
    def _transaction(self) -> Iterator[sqlite3.Connection]:
        self._db.execute("BEGIN IMMEDIATE")
        try:
            yield self._db
        except BaseException:
            self._db.execute("ROLLBACK")
            raise
        self._db.execute("COMMIT")

    # --- marks -------------------------------------------------------------------------

    def set_mark(
        self,
        student: str,
        component: str,
        criterion: str,
        points: float | None,
        comment: str = "",
        *,
        by: str,
        source: str = "web",
    ) -> Mark:
        """Record one criterion's mark now (the web UI's save); returns what was stored.

        Does not check the rubric: :func:`grader.marking.marks.record_mark` does."""
        return self.set_marks(
            [MarkChange(student, component, criterion, points, comment)], by=by, source=source
        )[0]

    def set_marks(
        self, changes: Iterable[MarkChange], *, by: str, source: str, why: str = ""
    ) -> list[Mark]:
        """Record several marks in one transaction: all of them land, or none; each changed
        number with its audit row (``why``: the reason, else the comment, else the source)."""
        stored = []
        with self._transaction() as db:
            now = _now()
            for change in changes:
                old = db.execute(
                    "SELECT points FROM marks "
                    "WHERE student = ? AND component = ? AND criterion = ?",
                    (change.student, change.component, change.criterion),
                ).fetchone()
                new = None if change.points is None else float(change.points)
                if (None if old is None else old[0]) != new:
                    reason = why or change.comment or source
                    kind = audit.kind_of_source(source)
                    audit.write(
                        db,
                        [
                            audit.Change(
                                now,
                                change.student,
                                change.component,
                                change.criterion,
                                None if old is None else old[0],
                                new,
                                by,
                                kind,
                                reason,
                            )
                        ],
                    )
                mark = Mark(
                    change.student,
                    change.component,
                    change.criterion,
                    None if change.points is None else float(change.points),
                    change.comment,
                    by,
                    now,
                    source,
                )
                db.execute(_insert("INSERT INTO mark_history"), _values(mark))
                db.execute(_insert("INSERT OR REPLACE INTO marks"), _values(mark))
                stored.append(mark)
        return stored

    def marks(self, student: str | None = None, component: str | None = None) -> list[Mark]:
        """The current marks, ordered by student, component and criterion."""
        where, params = _filter(student=student, component=component)
        return self._marks("marks", f"{where} ORDER BY student, component, criterion", params)

    def mark_history(
        self, student: str, component: str | None = None, criterion: str | None = None
    ) -> list[Mark]:
        """Every save of a student's marks, oldest first."""
        where, params = _filter(student=student, component=component, criterion=criterion)
        return self._marks("mark_history", f"{where} ORDER BY id", params)

    def marked_students(self) -> list[str]:
        """Every student id that marks (current or past) are stored under, as stored."""
        query = "SELECT student FROM marks UNION SELECT student FROM mark_history ORDER BY 1"
        return [student for (student,) in self._db.execute(query)]

    def move_marks(self, old: str, new: str) -> int:
        """Store what is kept under the id ``old`` under ``new`` instead (one student's id
        spelled two ways), in one transaction. Where both hold a mark for a criterion, the later
        save stands, as if both had been saved under ``new``; the history keeps every save.
        Returns how many current marks now come from ``old``."""
        taken = 0
        with self._transaction() as db:
            for mark in self._marks("marks", "WHERE student = ?", (old,)):
                newer = db.execute(
                    "SELECT 1 FROM marks WHERE student = ? AND component = ? AND criterion = ?"
                    " AND marked_at >= ?",
                    (new, mark.component, mark.criterion, mark.marked_at),
                ).fetchone()
                if newer is None:
                    moved = replace(mark, student=new)
                    db.execute(_insert("INSERT OR REPLACE INTO marks"), _values(moved))
                    taken += 1
            db.execute("DELETE FROM marks WHERE student = ?", (old,))
            db.execute("UPDATE mark_history SET student = ? WHERE student = ?", (new, old))
        return taken

    def _marks(self, table: str, where: str, params: tuple) -> list[Mark]:
        query = f"SELECT {', '.join(_MARK_COLUMNS)} FROM {table} {where}"
        return [Mark(*row) for row in self._db.execute(query, params)]

    # --- automatic project checks ------------------------------------------------------

    def record_checks(
        self, student: str, component: str, submitted_at: str | None, checks: dict[str, Any]
    ) -> None:
        with self._transaction() as db:
            db.execute(
                "INSERT INTO project_checks (student, component, checked_at, submitted_at, checks)"
                " VALUES (?, ?, ?, ?, ?)",
                (student, component, _now(), submitted_at, json.dumps(checks, sort_keys=True)),
            )

    def latest_checks(
        self, student: str | None = None, component: str | None = None
    ) -> list[ProjectChecks]:
        """The newest checks of every (student, component), or of the ones asked for."""
        where, params = _filter(student=student, component=component)
        latest = "id IN (SELECT MAX(id) FROM project_checks GROUP BY student, component)"
        where = f"{where} AND {latest}" if where else f"WHERE {latest}"
        return self._checks(where + " ORDER BY student, component", params)

    def checks_history(self, student: str, component: str) -> list[ProjectChecks]:
        return self._checks("WHERE student = ? AND component = ? ORDER BY id", (student, component))

    def _checks(self, where: str, params: tuple) -> list[ProjectChecks]:
        query = (
            "SELECT student, component, checked_at, submitted_at, checks FROM project_checks "
            + where
        )
        return [
            ProjectChecks(s, c, at, submitted, json.loads(checks))
            for s, c, at, submitted, checks in self._db.execute(query, params)
        ]

    # --- mail --------------------------------------------------------------------------

    def was_sent(self, student: str, digest: str) -> bool:
        found = self._db.execute(
            "SELECT 1 FROM mail_sent WHERE student = ? AND digest = ?", (student, digest)
        ).fetchone()
        return found is not None

    def begin_send(self, student: str, digest: str, message_id: str, date: str) -> SendAttempt:
        """Record that this message is about to go, before the SMTP transaction; the first
        attempt's Message-ID and Date when an earlier one was left unsettled, with whether it
        may have arrived (a crash, not a refusal, ended it)."""
        with self._transaction() as db:
            found = db.execute(
                "SELECT message_id, date, refused FROM mail_sending"
                " WHERE student = ? AND digest = ?",
                (student, digest),
            ).fetchone()
            if found is None:
                db.execute(
                    "INSERT INTO mail_sending (student, digest, message_id, date, started_at)"
                    " VALUES (?, ?, ?, ?, ?)",
                    (student, digest, message_id, date, _now()),
                )
                return SendAttempt(message_id, date, uncertain=False)
            db.execute(
                "UPDATE mail_sending SET refused = '' WHERE student = ? AND digest = ?",
                (student, digest),
            )
            return SendAttempt(found[0], found[1], uncertain=not found[2])

    def send_refused(self, student: str, digest: str, why: str) -> None:
        """The server refused the message: it did not arrive (its Message-ID is kept)."""
        with self._transaction() as db:
            db.execute(
                "UPDATE mail_sending SET refused = ? WHERE student = ? AND digest = ?",
                (why or "refused", student, digest),
            )

    def record_sent(
        self, student: str, digest: str, message_id: str, recipients: list[str]
    ) -> None:
        """The server took the message: sent, and no longer in flight."""
        with self._transaction() as db:
            db.execute(
                "INSERT OR IGNORE INTO mail_sent (student, digest, message_id, recipients, sent_at)"
                " VALUES (?, ?, ?, ?, ?)",
                (student, digest, message_id, ", ".join(recipients), _now()),
            )
            db.execute(
                "DELETE FROM mail_sending WHERE student = ? AND digest = ?", (student, digest)
            )

    def sent(self, student: str | None = None) -> list[dict[str, str]]:
        where, params = _filter(student=student)
        keys = ("student", "digest", "message_id", "recipients", "sent_at")
        query = f"SELECT {', '.join(keys)} FROM mail_sent {where} ORDER BY sent_at"
        return [dict(zip(keys, row, strict=True)) for row in self._db.execute(query, params)]


_MARK_COLUMNS = tuple(Mark.__dataclass_fields__)


def _insert(into: str) -> str:
    """``into`` ("INSERT INTO table") with a mark's columns, and the grader version that writes
    it, and their placeholders."""
    columns = [*_MARK_COLUMNS, "grader_version"]
    return f"{into} ({', '.join(columns)}) VALUES ({', '.join('?' * len(columns))})"


def _values(mark: Mark) -> tuple:
    return (*(mark.__dict__[column] for column in _MARK_COLUMNS), __version__)


def _filter(**wanted: str | None) -> tuple[str, tuple]:
    given = {key: value for key, value in wanted.items() if value is not None}
    if not given:
        return "", ()
    return "WHERE " + " AND ".join(f"{key} = ?" for key in given), tuple(given.values())


def _now() -> str:
    return datetime.now(UTC).isoformat(timespec="microseconds")
