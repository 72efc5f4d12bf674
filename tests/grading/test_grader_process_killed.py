"""A grader process killed mid-run (the machine's OOM killer, a signal) costs no hand-in: on this
machine what its pool had not given back is graded again, one at a time, and every student gets
the score their notebook earns; on a Dask cluster, a hand-in whose every worker died is one
grader error that ``--resume`` grades again, and the others are graded; a project whose every
worker died is told in one line once the others are recorded. Never a traceback.

Each run goes through the tests' second fence (``unshare --pid``).
"""

from __future__ import annotations

import csv
import dataclasses
import os
import re
import shutil
import signal
import subprocess
import sys
import time
from pathlib import Path

import nbformat
import pytest
from project_class import hand_in, light_runtime
from project_notebooks import code, keras_forecaster
from sandbox_fence import FENCE

ROOT = Path(__file__).resolve().parents[2]
ASSIGNMENT = ROOT / "assignments" / "lstm_gates"
RIGHT = ROOT / "examples" / "lstm_gates" / "asha.ipynb"  # every function right: 100 of 100

pytestmark = pytest.mark.slow


def sleepers(folder: Path, names: list[str], seconds: int) -> list[Path]:
    """Copies of a right notebook whose last cell sleeps ``seconds``: still running when a
    grader process is killed."""
    notebooks = []
    for name in names:
        notebook = nbformat.read(RIGHT, as_version=4)
        notebook.cells.append(nbformat.v4.new_code_cell(f"import time\ntime.sleep({seconds})"))
        notebooks.append(folder / f"{name}.ipynb")
        nbformat.write(notebook, notebooks[-1])
    return notebooks


def grading(assignment: Path, out: Path, given: list[Path], *flags: str, env: dict | None = None):
    """``grader grade`` of ``given`` in the fence."""
    return subprocess.Popen(
        [*FENCE, sys.executable, "-m", "grader.cli", "grade", "--assignment", str(assignment),
         "--out", str(out), *flags, *map(str, given)],
        cwd=ROOT,
        stdout=subprocess.PIPE,
        stderr=subprocess.PIPE,
        text=True,
        env={**os.environ, **(env or {})},
    )  # fmt: skip


def started(out: Path, notebooks: list[Path], *flags: str, env: dict | None = None):
    """``grader grade`` of ``notebooks`` in the fence, its stderr read up to the end of the
    trial run."""
    process = grading(ASSIGNMENT, out, notebooks, *flags, env=env)
    for line in process.stderr:
        if "sandbox checked" in line:
            return process
    raise AssertionError("the run ended before grading: " + process.communicate()[1][-3000:])


def grader_processes(out: Path) -> dict[int, int]:
    """The run's grader processes (pid -> parent pid): the Pythons whose command names ``out``
    (not the fence's ``unshare``)."""
    found = {}
    for entry in Path("/proc").iterdir():
        try:
            command = (entry / "cmdline").read_bytes().split(b"\0")
            stat = (entry / "stat").read_text()
        except OSError:
            continue
        if command[0] == os.fsencode(sys.executable) and os.fsencode(str(out)) in command:
            found[int(entry.name)] = int(stat.rpartition(")")[2].split()[1])
    return found


def run_of(out: Path) -> int:
    """The run's own process: the grader process whose parent is none of them (the fence's)."""
    graders = grader_processes(out)
    (run,) = [pid for pid, parent in graders.items() if parent not in graders]
    return run


def pool_workers(out: Path) -> list[int]:
    """The run's pool workers: its children of its command line, in two looks a moment apart
    (a child forked for a moment, before it runs another program, has that command line too)."""
    run, looks = run_of(out), []
    for _ in range(2):
        looks.append({pid for pid, parent in grader_processes(out).items() if parent == run})
        time.sleep(0.2)
    return sorted(looks[0] & looks[1])


def kill_the_cluster_s_worker(out: Path) -> None:
    """SIGKILL to the one worker of the run's local Dask cluster: the processes multiprocessing
    spawned for the run (from the thread of the cluster's event loop)."""
    run, workers = run_of(out), []
    for task in Path(f"/proc/{run}/task").iterdir():
        for pid in map(int, (task / "children").read_text().split()):
            try:
                if b"multiprocessing.spawn" in Path(f"/proc/{pid}/cmdline").read_bytes():
                    workers.append(pid)
            except OSError:  # ended since it was listed
                continue
    assert len(workers) == 1, workers
    os.kill(workers[0], signal.SIGKILL)


def rows(out: Path) -> dict[str, dict[str, str]]:
    with (out / "grades.csv").open(newline="") as handle:
        return {row["student"]: row for row in csv.DictReader(handle)}


def checked(out: Path) -> list[tuple[str, str]]:
    """The projects the class-wide table lists: (student, project)."""
    with (out / "projects-checks.csv").open(newline="") as handle:
        return [(row["student"], row["project"]) for row in csv.DictReader(handle)]


def test_a_pool_worker_killed_mid_run_costs_no_hand_in(tmp_path):
    notebooks = sleepers(tmp_path, ["ada", "bo", "cy"], seconds=6)
    out = tmp_path / "out"
    process = started(out, notebooks, "--workers", "2")
    time.sleep(1)  # the hand-ins handed out, two of them running
    pool = pool_workers(out)
    assert len(pool) == 2, pool
    os.kill(pool[0], signal.SIGKILL)
    said, told = process.communicate(timeout=600)

    assert process.returncode == 0, told[-3000:]
    assert "Traceback" not in told, told[-3000:]
    # all three, unless a busy machine let one finish before the kill
    assert re.search(r"grading [123] again, one at a time", told), told[-3000:]
    assert "was killed" in told, told[-3000:]
    graded = rows(out)
    assert {s: (r["status"], r["score"]) for s, r in graded.items()} == {
        name: ("graded", "100") for name in ("ada", "bo", "cy")
    }, said


def test_a_hand_in_whose_dask_workers_died_is_a_grader_error_and_the_rest_are_graded(tmp_path):
    # The scheduler lets a task kill no worker (Dask's default: 3), so that the first death
    # brings the KilledWorker that a hand-in killing its workers brings after the third. One
    # worker: the run has the cluster take its hand-ins in turn (remote.in_turn), so ada's is in
    # before zed's starts, and the worker killed then held zed's alone.
    notebooks = sleepers(tmp_path, ["ada"], seconds=0) + sleepers(tmp_path, ["zed"], seconds=120)
    out = tmp_path / "out"
    process = started(
        out,
        notebooks,
        *("--dask", "local", "--workers", "1"),
        env={"DASK_DISTRIBUTED__SCHEDULER__ALLOWED_FAILURES": "0"},
    )
    for line in process.stderr:
        if "] ada: " in line:  # ada's row is in; zed's cell sleeps
            break
    kill_the_cluster_s_worker(out)
    said, told = process.communicate(timeout=600)

    assert process.returncode == 1, told[-3000:]
    assert "Traceback" not in told, told[-3000:]
    graded = rows(out)
    assert (graded["ada"]["status"], graded["ada"]["score"]) == ("graded", "100"), said
    assert (graded["zed"]["status"], graded["zed"]["score"]) == ("error", ""), said
    assert "every Dask worker that ran it died" in graded["zed"]["reason"]
    assert "1 submission could not be graded because of the grader" in told, told[-3000:]


def test_a_project_whose_dask_workers_died_is_told_and_the_others_are_recorded(tmp_path):
    forecaster = keras_forecaster()  # stops at its import of TensorFlow: quick
    sleeper = dataclasses.replace(
        forecaster, cells=[code("import time\ntime.sleep(30)")] + forecaster.cells
    )
    shutil.copytree(ROOT / "assignments" / "projects", tmp_path / "projects")
    # project 1 quick, project 2 sleeping: one worker checks them in that order (as above)
    student = hand_in(tmp_path / "submissions", "s00", (forecaster, sleeper))
    out = tmp_path / "out"
    env = {
        "GRADER_PROJECTS_RUNTIME": str(light_runtime(tmp_path / "runtime")),
        "DASK_DISTRIBUTED__SCHEDULER__ALLOWED_FAILURES": "0",  # as in the test above
    }
    allowed = {"DASK_DISTRIBUTED__SCHEDULER__ALLOWED_FAILURES": "3"}  # Dask's own, again
    command = (tmp_path / "projects", out, [student], "--dask", "local", "--workers", "1")
    process = grading(*command, env=env)
    deadline = time.monotonic() + 300
    while not (out / "s00" / "project1-checks.json").exists():  # then project 2 sleeps
        if process.poll() is not None or time.monotonic() > deadline:
            raise AssertionError(process.communicate()[1][-3000:])
        time.sleep(0.2)
    kill_the_cluster_s_worker(out)
    _, told = process.communicate(timeout=600)

    assert process.returncode == 2, told[-3000:]
    assert "Traceback" not in told, told[-3000:]
    assert (
        "grader grade: 1 project not checked (s00's project2: every Dask worker that ran it died"
    ) in told, told[-3000:]
    assert "run the same command with --resume to check the rest" in told
    assert checked(out) == [("s00", "project1")]

    again = grading(*command, "--resume", env={**env, **allowed})
    _, told = again.communicate(timeout=600)
    assert again.returncode == 0, told[-3000:]
    assert "resuming: 1 checked already, 1 to check" in told, told[-3000:]
    assert sorted(checked(out)) == [("s00", "project1"), ("s00", "project2")]
