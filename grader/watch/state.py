"""The watch's state in the course gradebook (``<out>/gradebook.sqlite``), each change committed
as it happens: the messages fetched (with their bytes, so a crash after the fetch loses none),
the gradings to do and done, the replies to send, the log. A restart reads it and goes on
where the last run stopped: nothing is graded twice, mailed twice or missed."""

from __future__ import annotations

import sqlite3
from dataclasses import dataclass
from datetime import UTC, datetime
from pathlib import Path

from grader.gradebook import schema
from grader.gradebook.database import open_database
from grader.intake.imap.mailbox import FetchedLog, MailboxUrl
from grader.intake.message.reading import body_digest

SCHEMA = """
CREATE TABLE IF NOT EXISTS watch_messages (
    key TEXT PRIMARY KEY,           -- mailbox;UIDVALIDITY=v;UID=u
    message_id TEXT NOT NULL,
    raw BLOB NOT NULL,
    fetched_at TEXT NOT NULL,
    done_at TEXT,                   -- handled: jobs made, receipts queued
    outcome TEXT NOT NULL DEFAULT ''
);
CREATE TABLE IF NOT EXISTS watch_jobs (
    id INTEGER PRIMARY KEY,
    message_key TEXT NOT NULL,
    student TEXT NOT NULL,
    address TEXT NOT NULL,
    assignment TEXT NOT NULL,
    notebook_name TEXT NOT NULL,
    notebook BLOB NOT NULL,
    submitted_at TEXT NOT NULL,
    not_before TEXT NOT NULL,       -- UTC; later than now when over the hourly cap
    status TEXT NOT NULL,           -- queued | graded | superseded | failed
    graded_at TEXT,
    note TEXT NOT NULL DEFAULT ''   -- the first line of its reply (a reply taken as a hand-in)
);
CREATE INDEX IF NOT EXISTS watch_jobs_by_student ON watch_jobs (student, assignment, status);
CREATE TABLE IF NOT EXISTS watch_outbox (
    digest TEXT PRIMARY KEY,        -- also mail_sent's digest: sent once
    student TEXT NOT NULL,
    recipient TEXT NOT NULL,
    message BLOB NOT NULL,
    queued_at TEXT NOT NULL,
    sent_at TEXT
);
CREATE TABLE IF NOT EXISTS watch_log (
    id INTEGER PRIMARY KEY,
    at TEXT NOT NULL,
    level TEXT NOT NULL,            -- info | error | poll (only the last)
    text TEXT NOT NULL
);
"""


def now() -> datetime:
    return datetime.now(UTC)


def stamp(when: datetime | None = None) -> str:
    return (when or now()).astimezone(UTC).isoformat(timespec="seconds")


@dataclass(frozen=True)
class Job:
    id: int
    message_key: str
    student: str
    address: str
    assignment: str
    notebook_name: str
    notebook: bytes
    submitted_at: str
    note: str = ""  # the first line of its reply


def message_key(url: MailboxUrl, uidvalidity: int, uid: int) -> str:
    """How the watch names a fetched message, in its book and its log."""
    return f"{url};UIDVALIDITY={uidvalidity};UID={uid}"


class WatchBook:
    """The watch's tables; each method is one transaction."""

    def __init__(self, path: Path):
        path.parent.mkdir(parents=True, exist_ok=True)
        self.db = open_database(path)
        self.db.executescript(SCHEMA)  # an earlier watch_jobs got its note in schema step 1
        self.fetched = FetchedLog(self.db)
        self.db.commit()

    def close(self) -> None:
        self.db.close()

    def store(self, url: MailboxUrl, uidvalidity: int, uid: int, raw: bytes) -> bool:
        """Keep one fetched message and note its UID, together; False if it was stored before
        (the same UID, or the same message from another folder: its Message-ID and body). A
        message that shares a Message-ID with another but differs (a form that writes one
        Message-ID on every hand-in) is a message of its own."""
        key = message_key(url, uidvalidity, uid)
        with self.db:
            self.fetched.record(url, uidvalidity, uid, raw)
            mid = self.db.execute(
                "SELECT message_id FROM imap_fetched WHERE mailbox=? AND uidvalidity=? AND uid=?",
                (str(url), uidvalidity, uid),
            ).fetchone()[0]
            if mid:
                same_id = self.db.execute(
                    "SELECT raw FROM watch_messages WHERE message_id = ?", (mid,)
                )
                body = body_digest(raw)
                if any(body_digest(stored) == body for (stored,) in same_id):
                    return False
            cursor = self.db.execute(
                "INSERT OR IGNORE INTO watch_messages (key, message_id, raw, fetched_at) "
                "VALUES (?, ?, ?, ?)",
                (key, mid, raw, stamp()),
            )
        return cursor.rowcount == 1

    def pending_messages(self, limit: int) -> list[tuple[str, bytes]]:
        """The first ``limit`` messages fetched and not handled yet, oldest first."""
        return self.db.execute(
            "SELECT key, raw FROM watch_messages WHERE done_at IS NULL ORDER BY rowid LIMIT ?",
            (limit,),
        ).fetchall()

    def finish_message(
        self, key: str, outcome: str, jobs: list[dict], replies: list[tuple[str, str, str, bytes]]
    ) -> None:
        """Mark a message handled, with the gradings it asks for and the replies it gets."""
        with self.db:
            for job in jobs:
                self.db.execute(
                    "INSERT INTO watch_jobs (message_key, student, address, assignment, "
                    "notebook_name, notebook, submitted_at, not_before, note, status) "
                    "VALUES (:message_key, :student, :address, :assignment, :notebook_name, "
                    ":notebook, :submitted_at, :not_before, :note, 'queued')",
                    job,
                )
            self._queue(replies)
            self.db.execute(
                "UPDATE watch_messages SET done_at = ?, outcome = ? WHERE key = ?",
                (stamp(), outcome, key),
            )

    def queue(self, replies: list[tuple[str, str, str, bytes]]) -> None:
        """Replies to send that no message or grading made (the regrade requests' answers)."""
        with self.db:
            self._queue(replies)

    def _queue(self, replies: list[tuple[str, str, str, bytes]]) -> None:
        for digest, student, recipient, message in replies:
            self.db.execute(
                "INSERT OR IGNORE INTO watch_outbox (digest, student, recipient, message, "
                "queued_at) VALUES (?, ?, ?, ?, ?)",
                (digest, student, recipient, message, stamp()),
            )

    def gradings_since(self, student: str, assignment: str, since: datetime) -> list[str]:
        """When this student's notebooks for this assignment were graded since ``since``."""
        rows = self.db.execute(
            "SELECT graded_at FROM watch_jobs WHERE student = ? AND assignment = ? AND "
            "status = 'graded' AND graded_at >= ? ORDER BY graded_at",
            (student, assignment, stamp(since)),
        )
        return [row[0] for row in rows]

    def due_jobs(self) -> list[Job]:
        """The queued gradings whose time has come, only the latest per student and
        assignment (the earlier ones are superseded: the latest hand-in counts)."""
        with self.db:
            self.db.execute(
                "UPDATE watch_jobs SET status = 'superseded' WHERE status = 'queued' AND id < "
                "(SELECT MAX(later.id) FROM watch_jobs later WHERE later.student = "
                "watch_jobs.student AND later.assignment = watch_jobs.assignment AND "
                "later.status IN ('queued', 'graded'))"
            )
        rows = self.db.execute(
            "SELECT id, message_key, student, address, assignment, notebook_name, notebook, "
            "submitted_at, note FROM watch_jobs WHERE status = 'queued' AND not_before <= ? "
            "ORDER BY id",
            (stamp(),),
        )
        return [Job(*row) for row in rows]

    def queued_keys(self) -> set[str]:
        """The messages with a grading still queued."""
        rows = self.db.execute(
            "SELECT DISTINCT message_key FROM watch_jobs WHERE status = 'queued'"
        )
        return {row[0] for row in rows}

    def next_due(self) -> str | None:
        row = self.db.execute(
            "SELECT MIN(not_before) FROM watch_jobs WHERE status = 'queued'"
        ).fetchone()
        return row[0]

    def graded(self, job: Job, replies: list[tuple[str, str, str, bytes]]) -> None:
        with self.db:
            self.db.execute(
                "UPDATE watch_jobs SET status = 'graded', graded_at = ? WHERE id = ?",
                (stamp(), job.id),
            )
            self._queue(replies)

    def defer(self, job: Job, until: datetime, replies: list[tuple[str, str, str, bytes]]) -> None:
        """Over the hourly cap: grade this one at ``until``; say so once."""
        with self.db:
            self.db.execute(
                "UPDATE watch_jobs SET not_before = ? WHERE id = ?", (stamp(until), job.id)
            )
            self._queue(replies)

    def unsent(self) -> list[tuple[str, str, str, bytes]]:
        return self.db.execute(
            "SELECT digest, student, recipient, message FROM watch_outbox WHERE sent_at IS NULL "
            "ORDER BY queued_at, rowid"
        ).fetchall()

    def mark_sent(self, digests: list[str]) -> None:
        with self.db:
            self.db.executemany(
                "UPDATE watch_outbox SET sent_at = ? WHERE digest = ?",
                [(stamp(), d) for d in digests],
            )

    def message(self, key: str) -> bytes:
        return self.db.execute("SELECT raw FROM watch_messages WHERE key = ?", (key,)).fetchone()[0]

    def failed(self, job: Job) -> None:
        """The grader could not grade it: never a score; the log says why."""
        with self.db:
            self.db.execute("UPDATE watch_jobs SET status = 'failed' WHERE id = ?", (job.id,))

    def note_poll(self) -> None:
        self.log("poll", "mailbox read", keep_one=True)

    def log(self, level: str, text: str, keep_one: bool = False) -> None:
        """One line of the log; ``keep_one``: only the latest of this level is kept."""
        with self.db:
            if keep_one:
                self.db.execute("DELETE FROM watch_log WHERE level = ?", (level,))
            self.db.execute(
                "INSERT INTO watch_log (at, level, text) VALUES (?, ?, ?)", (stamp(), level, text)
            )


def watch_status(path: Path) -> dict | None:
    """What ``grader serve`` shows of the watch: the last poll, the queue, the last errors;
    None when no watch has run on this gradebook (the file is only read)."""
    if not path.is_file():
        return None
    db = sqlite3.connect(f"{path.resolve().as_uri()}?mode=ro", uri=True, timeout=10)
    try:
        schema.check_readable(db, path)
        tables = {row[0] for row in db.execute("SELECT name FROM sqlite_master")}
        if "watch_log" not in tables:
            return None

        def one(query: str) -> object:
            return db.execute(query).fetchone()[0]

        # A reply is sent once the SMTP server took it: `mail_sent` records that message by
        # message, the outbox's own mark comes after the batch (a watch killed in between
        # sends nothing twice, and the page says what the students have).
        taken = (
            " OR EXISTS (SELECT 1 FROM mail_sent m WHERE m.student = o.student"
            " AND m.digest = o.digest)"
            if "mail_sent" in tables
            else ""
        )

        return {
            "last_poll": one("SELECT MAX(at) FROM watch_log WHERE level = 'poll'"),
            "messages": one("SELECT COUNT(*) FROM watch_messages"),
            "waiting": one("SELECT COUNT(*) FROM watch_messages WHERE done_at IS NULL"),
            "queued": one("SELECT COUNT(*) FROM watch_jobs WHERE status = 'queued'"),
            "graded": one("SELECT COUNT(*) FROM watch_jobs WHERE status = 'graded'"),
            "unsent": one(
                f"SELECT COUNT(*) FROM watch_outbox o WHERE NOT (o.sent_at IS NOT NULL{taken})"
            ),
            "sent": one(f"SELECT COUNT(*) FROM watch_outbox o WHERE o.sent_at IS NOT NULL{taken}"),
            "errors": db.execute(
                "SELECT at, text FROM watch_log WHERE level = 'error' ORDER BY id DESC LIMIT 5"
            ).fetchall(),
        }
    finally:
        db.close()
