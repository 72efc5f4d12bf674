"""The gradebook's results (:mod:`grader.gradebook.results`), a real SQLite file: rows, history,
and the opening of a gradebook made by an earlier version of the grader."""

from __future__ import annotations

import sqlite3

from grader.gradebook.results import Gradebook, Row

# The schema of the gradebooks made before the phases of a grading were timed, as they were.
SCHEMA_BEFORE_PHASES = """
CREATE TABLE IF NOT EXISTS runs (
    id INTEGER PRIMARY KEY,
    started_at TEXT NOT NULL,
    assignment TEXT NOT NULL,
    options TEXT NOT NULL
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
    functions TEXT NOT NULL
);
CREATE INDEX IF NOT EXISTS results_by_student ON results (student, id);
"""
PHASES = {"start": 0.412, "cells": 3.1, "probes": 1.25, "diagnosis": 0.3, "files": 0.2}


def _row(student: str, score: float, phases: dict[str, float] | None = None) -> Row:
    return Row(
        student, f"{student}.ipynb", "ab" * 32, 7, "graded", None, score, 100.0, False,
        {"forget_gate": score}, phases=phases or {},
    )  # fmt: skip


def test_a_gradebook_made_before_phases_were_timed_opens_keeps_its_rows_and_times_new_ones(
    tmp_path,
):
    path = tmp_path / "gradebook.sqlite"
    with sqlite3.connect(path) as db:
        db.executescript(SCHEMA_BEFORE_PHASES)
        db.execute("INSERT INTO runs VALUES (1, '2026-01-05T10:00:00+00:00', 'lstm_gates', '{}')")
        db.execute(
            "INSERT INTO results VALUES (1, 1, 'asha', 'asha.ipynb', ?, 7, 'graded', NULL, 80.0,"
            " 100.0, 0, '2026-01-05T10:01:00+00:00', '{\"forget_gate\": 80.0}')",
            ("ab" * 32,),
        )
    db.close()

    with Gradebook(path) as book:
        (old,) = book.latest()
        assert (old.student, old.score, old.functions, old.phases) == (
            "asha", 80.0, {"forget_gate": 80.0}, {}
        )  # fmt: skip
        assert book.has_result("asha", "ab" * 32)
        run = book.start_run("lstm_gates", {"resume": True})
        book.record(run, _row("asha", 100.0, PHASES))
        book.record(run, _row("bhavin", 60.0))  # not timed (as a grader fault's row)
    with Gradebook(path) as book:  # opened again: nothing to add any more
        assert [row.phases for row in book.history("asha")] == [{}, PHASES]
        assert {row.student: row.phases for row in book.latest()} == {"asha": PHASES, "bhavin": {}}
    with sqlite3.connect(path) as db:
        stored = db.execute("SELECT student, phases FROM results ORDER BY id").fetchall()
    db.close()
    assert stored[0] == ("asha", None) and stored[2] == ("bhavin", None)
    assert stored[1][0] == "asha" and '"cells": 3.1' in stored[1][1]
