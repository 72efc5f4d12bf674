"""The same hand-in graded again keeps its score (issue 89): ``grader grade`` run on the class a
second time grades every notebook on the seed recorded for its bytes, so a wrong function whose
partial credit depends on the cases drawn keeps it; a student's new hand-in gets a fresh seed,
and ``--draw-again`` or ``--seed`` draw anew when the instructor asks. Each run goes through
``unshare --pid --fork --mount-proc`` as a second fence behind the product's own sandbox."""

from __future__ import annotations

import csv
import sqlite3
import subprocess
import sys
from contextlib import closing
from pathlib import Path

import pytest
from partial_credit_kit import GATES, clipping
from sandbox_fence import FENCE

from grader.assignment import load_config

ROOT = Path(__file__).resolve().parents[2]
ASSIGNMENT = ROOT / "assignments" / "lstm_gates"
FUNCTIONS = [f.name for f in load_config(ASSIGNMENT).functions]


def grade(out: Path, hand_ins: Path, *flags: str, code: int = 0) -> subprocess.CompletedProcess:
    done = subprocess.run(
        [*FENCE, sys.executable, "-m", "grader.cli", "grade", "--assignment", str(ASSIGNMENT)]
        + ["--out", str(out), "--workers", "1", *flags]
        + sorted(str(p) for p in hand_ins.glob("*.ipynb")),
        capture_output=True,
        text=True,
        timeout=900,
        cwd=ROOT,
    )
    assert done.returncode == code, done.stderr[-3000:]
    assert "Traceback" not in done.stderr
    return done


def grades(out: Path) -> dict[str, dict[str, str]]:
    """Each student's row of grades.csv: the score, every function's points, the seed."""
    with (out / "grades.csv").open(newline="") as handle:
        return {
            row["student"]: {k: row[k] for k in ("score", "seed", *FUNCTIONS)}
            for row in csv.DictReader(handle)
        }


def graded_seeds(out: Path) -> list[tuple[str, int]]:
    """Every grading's student and seed, in the gradebook's order."""
    with closing(sqlite3.connect(out / "gradebook.sqlite")) as db:
        return db.execute("SELECT student, seed FROM results ORDER BY id").fetchall()


@pytest.mark.slow
def test_a_class_graded_again_keeps_every_score_and_a_new_hand_in_draws_anew(tmp_path) -> None:
    hand_ins, out = tmp_path / "hand-ins", tmp_path / "graded"
    hand_ins.mkdir()
    limits = {"asha": 4, "bhavin": 3, "chitra": 5}
    for student, limit in limits.items():
        (hand_ins / f"{student}.ipynb").write_bytes(clipping(limit))

    grade(out, hand_ins)
    first = grades(out)
    # the clipped gates lose points on some cases only: partial credit that the cases decide
    for row in first.values():
        assert any(0 < float(row[gate]) < 10 for gate in GATES), row

    again = grade(out, hand_ins)  # the same command, the same bytes: after an upgrade, say
    assert grades(out) == first
    assert "seeds: 3 as recorded for the same notebooks" in again.stderr, again.stderr
    assert "changed from their previous grading" not in again.stdout

    # bhavin hands in again (a new version, other bytes): only his seed is drawn anew
    (hand_ins / "bhavin.ipynb").write_bytes(clipping(3.5))
    handed_again = grade(out, hand_ins)
    now = grades(out)
    assert now["bhavin"]["seed"] != first["bhavin"]["seed"]
    assert {s: now[s] for s in ("asha", "chitra")} == {s: first[s] for s in ("asha", "chitra")}
    assert "2 as recorded for the same notebooks" in handed_again.stderr
    assert "1 drawn for new hand-ins" in handed_again.stderr

    # the instructor asks for new cases: every seed drawn anew, and kept from then on
    drawn = grade(out, hand_ins, "--draw-again")
    redrawn = grades(out)
    assert all(redrawn[s]["seed"] != now[s]["seed"] for s in limits), (now, redrawn)
    assert "seeds: 3 drawn anew (--draw-again)" in drawn.stderr
    grade(out, hand_ins)
    assert grades(out) == redrawn

    grade(out, hand_ins, "--seed", "5")
    assert {row["seed"] for row in grades(out).values()} == {"5"}
    assert [seed for _, seed in graded_seeds(out)[-3:]] == [5, 5, 5]

    both = grade(out, hand_ins, "--seed", "5", "--draw-again", code=2)
    assert "--draw-again and --seed" in both.stderr


@pytest.mark.slow
def test_a_dask_run_grades_what_one_machine_graded_on_its_recorded_seeds(tmp_path) -> None:
    hand_ins, out = tmp_path / "hand-ins", tmp_path / "graded"
    hand_ins.mkdir()
    for student, limit in {"asha": 4, "bhavin": 3}.items():
        (hand_ins / f"{student}.ipynb").write_bytes(clipping(limit))
    grade(out, hand_ins)
    alone = grades(out)
    on_dask = grade(out, hand_ins, "--dask", "local")
    assert grades(out) == alone
    assert "seeds: 2 as recorded for the same notebooks" in on_dask.stderr, on_dask.stderr
