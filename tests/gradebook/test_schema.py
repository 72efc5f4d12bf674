"""The gradebook's schema version across the grader's own upgrades (issue 71): a gradebook an
earlier grader made (no version, none of this version's columns) is brought forward once, in
one transaction, with a line that says so, and keeps every row; each result, run and mark then
records the grader build that wrote it; a gradebook a newer grader brought forward is refused
in one line, and left as it was."""

from __future__ import annotations

import sqlite3
from pathlib import Path

import pytest

from grader import __version__
from grader.errors import UserError
from grader.gradebook import book_reading, schema
from grader.gradebook.course_book import CourseBook
from grader.gradebook.results import Gradebook, Row
from grader.marking.written_answers import AnswerStore
from grader.watch.state import WatchBook

EARLIER_MARKS = """
CREATE TABLE marks (student TEXT NOT NULL, component TEXT NOT NULL, criterion TEXT NOT NULL,
    points REAL, comment TEXT NOT NULL DEFAULT '', marked_by TEXT NOT NULL,
    marked_at TEXT NOT NULL, source TEXT NOT NULL, PRIMARY KEY (student, component, criterion));
"""
# A gradebook as grader 0.1.0 left it: its tables, no grader_version columns, user_version 0.
EARLIER = (
    """
CREATE TABLE runs (id INTEGER PRIMARY KEY, started_at TEXT NOT NULL, assignment TEXT NOT NULL,
    options TEXT NOT NULL);
CREATE TABLE results (id INTEGER PRIMARY KEY, run_id INTEGER NOT NULL REFERENCES runs(id),
    student TEXT NOT NULL, source TEXT NOT NULL, sha256 TEXT NOT NULL, seed INTEGER,
    status TEXT NOT NULL, reason TEXT, score REAL NOT NULL, max_score REAL NOT NULL,
    late INTEGER, graded_at TEXT NOT NULL, functions TEXT NOT NULL, phases TEXT, variant TEXT);
"""
    + EARLIER_MARKS
    + """
INSERT INTO runs VALUES (1, '2026-10-01T10:00:00+00:00', 'lstm_gates', '{}');
INSERT INTO results (run_id, student, source, sha256, status, score, max_score, graded_at,
    functions) VALUES (1, 'asha', 'a.ipynb', 'abc', 'graded', 87.5, 100,
    '2026-10-01T10:01:00+00:00', '{}');
INSERT INTO marks VALUES ('asha', 'project1', 'clarity', 4, '', 'ta', '2026-10-02', 'web');
"""
)


def _earlier(path: Path) -> Path:
    with sqlite3.connect(path) as db:
        db.executescript(EARLIER)
    return path


def _version(path: Path) -> int:
    with sqlite3.connect(path) as db:
        return db.execute("PRAGMA user_version").fetchone()[0]


def test_an_earlier_gradebook_is_brought_forward_once_and_keeps_its_rows(tmp_path, capsys):
    path = _earlier(tmp_path / "gradebook.sqlite")
    with Gradebook(path) as book:
        (kept,) = book.latest()
        run = book.start_run("lstm_gates", {})
        book.record(run, Row("bhavin", "b.ipynb", "def", None, "graded", None, 50, 100, False, {}))
    said = capsys.readouterr().err
    assert said.count("brought forward from schema 0 to") == 1, said
    assert kept.score == 87.5
    assert _version(path) == schema.VERSION
    with sqlite3.connect(path) as db:
        versions = dict(db.execute("SELECT student, grader_version FROM results"))
        assert versions == {"asha": None, "bhavin": __version__}  # who wrote which
        assert db.execute("SELECT grader_version FROM runs WHERE id = ?", (run,)).fetchone() == (
            __version__,
        )
    with CourseBook(path) as book:
        book.set_mark("asha", "project1", "clarity", 5, by="ta")
    with sqlite3.connect(path) as db:
        assert db.execute("SELECT points, grader_version FROM marks").fetchone() == (
            5,
            __version__,
        )
    assert "brought forward" not in capsys.readouterr().err  # once


def test_a_new_gradebook_says_nothing_and_has_every_column(tmp_path, capsys):
    path = tmp_path / "gradebook.sqlite"
    with Gradebook(path) as book:
        book.start_run("lstm_gates", {})
    with CourseBook(path) as book:
        book.set_mark("asha", "project1", "clarity", 5, by="ta")
    assert capsys.readouterr().err == ""
    assert _version(path) == schema.VERSION


def test_a_table_an_earlier_grader_made_after_the_upgrade_gets_the_columns(tmp_path):
    """The earlier grader, run on the folder again, makes its marks table without them."""
    path = tmp_path / "gradebook.sqlite"
    with Gradebook(path):
        pass
    with sqlite3.connect(path) as db:
        db.executescript(EARLIER_MARKS)
    with CourseBook(path) as book:
        book.set_mark("asha", "project1", "clarity", 5, by="ta")
    with sqlite3.connect(path) as db:
        assert db.execute("SELECT grader_version FROM marks").fetchone() == (__version__,)


def test_a_gradebook_of_a_newer_grader_is_refused_in_one_line(tmp_path):
    path = _earlier(tmp_path / "gradebook.sqlite")
    with sqlite3.connect(path) as db:
        db.execute(f"PRAGMA user_version = {schema.VERSION + 1}")
    with pytest.raises(UserError) as refused:
        Gradebook(path)
    said = str(refused.value)
    assert "\n" not in said and "newer grader" in said and __version__ in said
    assert _version(path) == schema.VERSION + 1
    with sqlite3.connect(path) as db:  # left as it was
        columns = {row[1] for row in db.execute("PRAGMA table_info(results)")}
    assert "grader_version" not in columns


def test_a_reader_that_writes_nothing_refuses_a_newer_gradebook_too(tmp_path):
    path = _earlier(tmp_path / "gradebook.sqlite")
    assert book_reading.rows(path, "runs", "SELECT id FROM runs") == [(1,)]  # an earlier one
    with sqlite3.connect(path) as db:
        db.execute(f"PRAGMA user_version = {schema.VERSION + 1}")
    with pytest.raises(UserError, match="newer grader"):
        book_reading.rows(path, "runs", "SELECT id FROM runs")


# The first shapes of the tables whose later columns the earlier graders added as they went,
# as those builds made them: results before phases and variant (df2c407^), written answers
# before chars and flags (3cdb520^), the watch's jobs before their note (f30e122^).
FIRST_SHAPES = """
CREATE TABLE runs (id INTEGER PRIMARY KEY, started_at TEXT NOT NULL, assignment TEXT NOT NULL,
    options TEXT NOT NULL);
CREATE TABLE results (id INTEGER PRIMARY KEY, run_id INTEGER NOT NULL REFERENCES runs(id),
    student TEXT NOT NULL, source TEXT NOT NULL, sha256 TEXT NOT NULL, seed INTEGER,
    status TEXT NOT NULL, reason TEXT, score REAL NOT NULL, max_score REAL NOT NULL,
    late INTEGER, graded_at TEXT NOT NULL, functions TEXT NOT NULL);
CREATE TABLE written_answers (student TEXT NOT NULL, question TEXT NOT NULL,
    sha256 TEXT NOT NULL, kind TEXT NOT NULL, text TEXT NOT NULL, outputs TEXT NOT NULL,
    code TEXT NOT NULL, recorded_at TEXT NOT NULL, PRIMARY KEY (student, question));
CREATE TABLE watch_jobs (id INTEGER PRIMARY KEY, message_key TEXT NOT NULL,
    student TEXT NOT NULL, address TEXT NOT NULL, assignment TEXT NOT NULL,
    notebook_name TEXT NOT NULL, notebook BLOB NOT NULL, submitted_at TEXT NOT NULL,
    not_before TEXT NOT NULL, status TEXT NOT NULL, graded_at TEXT);
INSERT INTO runs VALUES (1, '2026-10-01T10:00:00+00:00', 'lstm_gates', '{}');
INSERT INTO results (run_id, student, source, sha256, status, score, max_score, graded_at,
    functions) VALUES (1, 'asha', 'a.ipynb', 'abc', 'graded', 87.5, 100,
    '2026-10-01T10:01:00+00:00', '{"forget_gate": 40}');
INSERT INTO written_answers VALUES ('asha', 'q1', 'abc', 'markdown', 'The gate forgets.', '[]',
    '', '2026-10-01T10:01:00+00:00');
INSERT INTO watch_jobs VALUES (1, 'imap://x;UIDVALIDITY=1;UID=7', 'asha', 'asha@uni.example',
    'lstm_gates', 'a.ipynb', x'7b7d', '2026-10-01T09:00:00+00:00', '2000-01-01T00:00:00+00:00',
    'queued', NULL);
"""


def test_the_columns_earlier_graders_added_as_they_went_are_schema_steps(tmp_path, capsys):
    """A gradebook of the first shapes is brought forward once, every table of it by the first
    opening (whichever module opens it), and each module then reads its rows."""
    path = tmp_path / "gradebook.sqlite"
    with sqlite3.connect(path) as db:
        db.executescript(FIRST_SHAPES)
    with AnswerStore(path) as store:
        (answer,) = store.answers()
    assert (answer.text, answer.chars, answer.flags) == ("The gate forgets.", 17, ())
    said = capsys.readouterr().err
    assert said.count("brought forward from schema 0 to") == 1, said
    assert _version(path) == schema.VERSION
    with sqlite3.connect(path) as db:
        for table, column, _ in (c for step in schema.STEPS.values() for c in step):
            if table != "marks" and table != "mark_history":  # none in this course yet
                assert column in {row[1] for row in db.execute(f"PRAGMA table_info({table})")}
    with Gradebook(path) as book:
        (kept,) = book.latest()
    assert (kept.score, kept.functions, kept.phases, kept.variant) == (
        87.5,
        {"forget_gate": 40},
        {},
        "",
    )
    book = WatchBook(path)
    try:
        (job,) = book.due_jobs()
    finally:
        book.close()
    assert (job.student, job.note) == ("asha", "")
    assert capsys.readouterr().err == ""  # once


def test_a_gradebook_of_schema_1_is_brought_forward_to_this_one(tmp_path, capsys):
    """As issue 71's first build left it: grader_version columns, no handed_in_at."""
    path = _earlier(tmp_path / "gradebook.sqlite")
    with sqlite3.connect(path) as db:
        for table, column, kind in schema.STEPS[1]:
            if table in ("runs", "results", "marks") and column == "grader_version":
                db.execute(f"ALTER TABLE {table} ADD COLUMN {column} {kind}")
        db.execute("PRAGMA user_version = 1")
    with Gradebook(path) as book:
        (kept,) = book.latest()
    assert kept.score == 87.5 and kept.handed_in_at is None
    assert "brought forward from schema 1 to" in capsys.readouterr().err
    assert _version(path) == schema.VERSION
