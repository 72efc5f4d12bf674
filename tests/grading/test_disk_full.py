"""A full temporary folder or a full output folder (the home, for an ordinary user) ends
`grader grade` in one short line naming the folder and what it needs, with nothing written
half, and the next run, once space is freed, goes on (issue 51): before, a 3,000-character
list of file pairs, and SQLite's "database or disk is full" traceback.

Each run is in a mount namespace of its own, where a small tmpfs stands for the full disk."""

from __future__ import annotations

import subprocess
import sys
from pathlib import Path

import pytest
from disk_kit import needs_root_mounts, with_full

ROOT = Path(__file__).resolve().parents[2]
GRADE = [sys.executable, "-m", "grader.cli", "grade", "--assignment", "assignments/lstm_gates"]
SAMPLES = ["examples/lstm_gates/asha.ipynb", "examples/lstm_gates/esha.ipynb"]

pytestmark = needs_root_mounts


# A small tmpfs over /tmp hides what lies under it: a checkout or a Python there.
covers_the_checkout = pytest.mark.skipif(
    any(Path(p).absolute().is_relative_to("/tmp") for p in (ROOT, sys.executable)),
    reason="the checkout or its Python is under /tmp, which this test covers with a small tmpfs",
)


def _with_full(folder: Path, then: str) -> subprocess.CompletedProcess:
    """``then`` (a shell line) with ``folder`` a 1 MB tmpfs nearly filled, in a mount and pid
    namespace of its own; ``$FILLER`` is the file that fills it."""
    return with_full(folder, then, cwd=ROOT)


def _said(stderr: str, name: str) -> list[str]:
    return [line for line in stderr.splitlines() if line.startswith(f"grader {name}: ")]


@covers_the_checkout
def test_a_full_temporary_folder_is_one_line_and_nothing_is_graded(tmp_path):
    done = _with_full(Path("/tmp"), " ".join([*GRADE, "--out", str(tmp_path / "out"), *SAMPLES]))
    assert done.returncode == 2
    assert "Traceback" not in done.stderr
    assert _said(done.stderr, "grade") == [
        next(line for line in done.stderr.splitlines() if "is full" in line)
    ]
    line = _said(done.stderr, "grade")[0]
    assert line.startswith("grader grade: nothing was graded: /tmp is full (")
    assert "the grader needs 16 MB there" in line and len(line) < 300
    assert not (tmp_path / "out" / "gradebook.sqlite").exists()


def test_a_full_output_folder_is_one_line_and_the_next_run_goes_on(tmp_path):
    out = tmp_path / "home"
    out.mkdir()
    grade = " ".join([*GRADE, "--out", f"{out}/graded", *SAMPLES])
    # Full: the run ends in one line; the space freed, the next run (--resume) grades all.
    check = f"import sqlite3; print(sqlite3.connect('{out}/graded/gradebook.sqlite')" + (
        ".execute('pragma integrity_check').fetchone()[0])"
    )
    done = _with_full(
        out,
        f'{grade}; echo "exit $?"; rm "$FILLER"; {grade} --resume; echo "exit $?"; '
        f'cat {out}/graded/grades.csv; {sys.executable} -c "{check}"',
    )
    first_run = done.stdout.split("exit ")[0]
    assert "exit 2" in done.stdout, done.stderr
    assert "Traceback" not in done.stderr
    full = [line for line in _said(done.stderr, "grade") if "is full" in line]
    assert len(full) == 1 and full[0].startswith(f"grader grade: {out}/graded is full (")
    assert "run again with --resume" in full[0] and len(full[0]) < 300
    assert "asha" not in first_run
    # Nothing written half: the gradebook is whole, and the resumed run graded both.
    second_run = done.stdout.split("exit 2", 1)[1]
    assert "exit 0" in second_run and second_run.rstrip().endswith("ok")
    grades = second_run.split("exit 0", 1)[1]
    assert "\nasha," in grades and "\nesha," in grades


@covers_the_checkout
def test_a_temporary_folder_short_of_space_is_one_line_before_the_sandbox_is_prepared(tmp_path):
    """1 MB free in /tmp, and a runtime whose sandbox is not prepared yet (a cache of its
    own): the one line about space, and nothing about preparing (issue 95: nine lines about a
    sandbox "not prepared for this runtime yet", none about space)."""
    cache = tmp_path / "cache"
    grade = " ".join([*GRADE, "--out", str(tmp_path / "out"), *SAMPLES])
    done = with_full(
        Path("/tmp"), f"GRADER_CACHE={cache} {grade}", size="2M", taken=1_000_000, cwd=ROOT
    )
    assert done.returncode == 2
    [line] = done.stderr.splitlines()
    assert line.startswith("grader grade: nothing was graded: /tmp is full (")
    assert "MB free; the grader needs 16 MB there)" in line
