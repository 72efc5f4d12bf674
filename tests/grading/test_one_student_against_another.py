"""One student's processes never cost another student points: as an ordinary user (no cgroups,
one process limit for the whole user), with two workers, a submission that takes every process
it can leaves the others' scores what they are when graded alone. A probe that could not start
is graded again after the batch, alone, and is never scored 0."""

from __future__ import annotations

import csv
import os
import shutil
import subprocess
import sys
from collections.abc import Iterator
from pathlib import Path

import nbformat
import pytest
from sandbox_fence import FENCE, hoard, ordinary_user_prefix, shared_scratch

pytestmark = pytest.mark.slow

ROOT = Path(__file__).resolve().parents[2]
ASSIGNMENT = ROOT / "assignments" / "lstm_gates"
SAMPLES = ROOT / "examples" / "lstm_gates"
GRADE = ROOT / "tests" / "kits" / "grade_unprepared.py"
# Enough of them that the other worker grades most while the hoarder holds its processes.
OTHERS = tuple(f"{name}{copy}" for copy in range(2) for name in ("bhavin", "chitra", "dhaval"))
# The user's process limit for the run: room for the grader and a few submissions, so that the
# hoarder can take what is left of it in a second.
USER_PROCESSES = 150
# Takes every process it can, for 30 s, while the other worker grades the others.
HOARD = hoard(30)


@pytest.fixture
def folder() -> Iterator[Path]:
    yield from shared_scratch("grader-hoard-test")


def _grade(folder: Path, out: str, workers: int, *notebooks: Path) -> subprocess.CompletedProcess:
    inner = ["unshare", "--map-current-user", *FENCE[1:]] if os.getuid() == 0 else FENCE
    command = [
        *ordinary_user_prefix(USER_PROCESSES),
        *inner,
        *(sys.executable, str(GRADE), "grade", "--assignment", str(ASSIGNMENT)),
        *("--out", str(folder / out), "--seed", "5", "--workers", str(workers)),
        *map(str, notebooks),
    ]
    environment = {**os.environ, "HOME": str(folder)}
    return subprocess.run(
        command, capture_output=True, text=True, timeout=900, cwd=ROOT, env=environment
    )


def _scores(folder: Path, out: str) -> dict[str, dict[str, str]]:
    with (folder / out / "grades.csv").open(newline="") as handle:
        rows = {row["student"]: row for row in csv.DictReader(handle)}
    kept = ("score", "status", "forget_gate", "input_gate", "output_gate", "cell_state")
    return {student: {k: v for k, v in row.items() if k in kept} for student, row in rows.items()}


def test_a_fork_loop_leaves_the_other_submissions_scores_as_graded_alone(folder):
    others = []
    for name in OTHERS:
        others.append(folder / f"{name}.ipynb")
        shutil.copy(SAMPLES / f"{name[:-1]}.ipynb", others[-1])
    hoarder = nbformat.read(SAMPLES / "asha.ipynb", as_version=4)
    hoarder.cells.insert(0, nbformat.v4.new_code_cell(HOARD))
    nbformat.write(hoarder, folder / "zoe.ipynb")
    for path in folder.glob("*.ipynb"):
        path.chmod(0o644)

    alone = _grade(folder, "alone", 1, *others)
    assert alone.returncode == 0, alone.stderr[-3000:]
    together = _grade(folder, "together", 2, folder / "zoe.ipynb", *others)

    graded = _scores(folder, "together")
    assert {s: graded[s] for s in OTHERS} == _scores(folder, "alone"), together.stderr[-3000:]
    assert together.returncode == 0, together.stderr[-3000:]


def test_a_probe_that_cannot_start_even_alone_is_not_graded_never_zero(folder):
    # Threads of the kernel itself hold the processes: no probe process can start, even alone.
    threads = (
        "import threading, time\nthreading.stack_size(64 * 1024)\nheld = []\ntry:\n"
        "    while True:\n        held.append(threading.Thread(target=time.sleep, args=(90,)))\n"
        "        held[-1].start()\nexcept RuntimeError:\n    pass"
    )
    notebook = nbformat.read(SAMPLES / "asha.ipynb", as_version=4)
    notebook.cells.append(nbformat.v4.new_code_cell(threads))
    nbformat.write(notebook, folder / "yann.ipynb")
    (folder / "yann.ipynb").chmod(0o644)

    done = _grade(folder, "threads", 1, folder / "yann.ipynb")

    assert done.returncode == 1, done.stderr[-3000:]
    with (folder / "threads" / "grades.csv").open(newline="") as handle:
        (row,) = csv.DictReader(handle)
    assert (row["status"], row["score"], row["forget_gate"]) == ("error", "", "")
    assert "not graded — grader error: the probe process of" in row["reason"]
    assert "grading 1 again, one at a time" in done.stderr
    assert "  yann: the grader could not grade this submission: not graded" in done.stderr
