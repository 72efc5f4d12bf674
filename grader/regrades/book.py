"""Regrade requests in the course gradebook (``<out>/gradebook.sqlite``, table
``regrade_requests``): each student's reply to a feedback mail that asks for a regrade, as
``grader watch`` or ``grader collect`` read it, with what the marker decided.

A request keeps what its answers need (the student's Message-ID, References, Subject and
address), so whichever command read it, the watch answers it in the student's thread: the
acknowledgement (or, outside the window, the reason) and later the decision. Each answer is
queued under a digest made of the request's number and the answer's kind, so a watch killed at
any point sends each answer once.
"""

from __future__ import annotations

import json
from collections.abc import Sequence
from dataclasses import dataclass
from datetime import UTC, datetime
from pathlib import Path

from grader.gradebook.course_book import CourseBook

SCHEMA = """
CREATE TABLE IF NOT EXISTS regrade_requests (
    id INTEGER PRIMARY KEY,
    identity TEXT NOT NULL UNIQUE,   -- the student's message: read by collect and watch, once
    student TEXT NOT NULL,
    component TEXT NOT NULL,
    parts TEXT NOT NULL,             -- JSON list: functions, criteria, written answers named
    message TEXT NOT NULL,           -- what the student wrote (quotes left out)
    received_at TEXT NOT NULL,       -- the reply's date, UTC
    feedback_id TEXT NOT NULL,       -- Message-ID of the feedback mail it answers
    feedback_sent_at TEXT NOT NULL,
    window_closes TEXT NOT NULL,
    message_id TEXT NOT NULL,        -- the student's, for In-Reply-To
    refs TEXT NOT NULL,              -- the student's References, space separated
    subject TEXT NOT NULL,
    recipient TEXT NOT NULL,         -- 'Name <address>' the answers go to
    state TEXT NOT NULL,             -- open | accepted | declined | outside
    decided_by TEXT,
    decided_at TEXT,
    answer TEXT,                     -- the marker's comment or reason, as mailed
    acknowledged TEXT,               -- when the acknowledgement was queued
    answered TEXT                    -- when the decision's mail was queued
);
"""

OPEN, ACCEPTED, DECLINED, OUTSIDE = "open", "accepted", "declined", "outside"


@dataclass(frozen=True)
class Request:
    id: int
    identity: str
    student: str
    component: str
    parts: tuple[str, ...]
    message: str
    received_at: str
    feedback_id: str
    feedback_sent_at: str
    window_closes: str
    message_id: str
    refs: str
    subject: str
    recipient: str
    state: str
    decided_by: str | None
    decided_at: str | None
    answer: str | None
    acknowledged: str | None
    answered: str | None

    @property
    def decided(self) -> bool:
        return self.state in (ACCEPTED, DECLINED)


_COLUMNS = tuple(Request.__dataclass_fields__)


def now() -> str:
    return datetime.now(UTC).isoformat(timespec="seconds")


class RequestBook(CourseBook):
    """The course gradebook's requests: ``with RequestBook(out / "gradebook.sqlite") as book``;
    each write one transaction."""

    def __init__(self, path: Path):
        super().__init__(path)
        self._db.executescript(SCHEMA)

    def __enter__(self) -> RequestBook:
        return self

    def add(self, earlier: Sequence[str] = (), **fields: object) -> tuple[Request, bool]:
        """Store a request read from a reply; (the request, whether it is new). The same reply
        read again (collect, then the watch, or a later grader version) is the request stored
        the first time: ``earlier`` are the identities earlier graders gave its message."""
        for identity in earlier:
            stored = self.find(identity=identity)
            if stored is not None:
                return stored, False
        parts = fields["parts"]
        assert isinstance(parts, tuple | list)
        fields = {**fields, "parts": json.dumps(list(parts))}
        names = [name for name in _COLUMNS if name in fields]
        with self._transaction() as db:
            cursor = db.execute(
                f"INSERT OR IGNORE INTO regrade_requests ({', '.join(names)}) "
                f"VALUES ({', '.join('?' * len(names))})",
                [fields[name] for name in names],
            )
        found = self.find(identity=str(fields["identity"]))
        assert found is not None  # just stored, or stored before
        return found, cursor.rowcount == 1

    def find(self, *, identity: str | None = None, number: int | None = None) -> Request | None:
        if number is not None:
            rows = self._rows("WHERE id = ?", (number,))
        else:
            rows = self._rows("WHERE identity = ?", (identity,))
        return rows[0] if rows else None

    def all(self, student: str | None = None) -> list[Request]:
        if student is None:
            return self._rows("ORDER BY id", ())
        return self._rows("WHERE student = ? ORDER BY id", (student,))

    def open_requests(self) -> list[Request]:
        return self._rows("WHERE state = ? ORDER BY id", (OPEN,))

    def decide(self, number: int, state: str, answer: str, by: str) -> Request:
        """Record the marker's decision; it is mailed by the watch. A request already decided
        keeps its first decision (two markers on one request: the first stands)."""
        with self._transaction() as db:
            db.execute(
                "UPDATE regrade_requests SET state = ?, answer = ?, decided_by = ?, "
                "decided_at = ? WHERE id = ? AND state = ?",
                (state, answer, by, now(), number, OPEN),
            )
        found = self.find(number=number)
        assert found is not None
        return found

    def to_acknowledge(self) -> list[Request]:
        return self._rows("WHERE acknowledged IS NULL ORDER BY id", ())

    def to_answer(self) -> list[Request]:
        return self._rows(
            "WHERE answered IS NULL AND state IN (?, ?) ORDER BY id", (ACCEPTED, DECLINED)
        )

    def note_queued(self, number: int, column: str) -> None:
        """The acknowledgement (``acknowledged``) or answer (``answered``) is in the outbox."""
        assert column in ("acknowledged", "answered")
        with self._transaction() as db:
            db.execute(f"UPDATE regrade_requests SET {column} = ? WHERE id = ?", (now(), number))

    def _rows(self, where: str, params: tuple) -> list[Request]:
        query = f"SELECT {', '.join(_COLUMNS)} FROM regrade_requests {where}"
        found = []
        for values in self._db.execute(query, params):
            record = dict(zip(_COLUMNS, values, strict=True))
            record["parts"] = tuple(json.loads(record["parts"]))
            found.append(Request(**record))
        return found
