"""``grader grade --dask`` on a real cluster that shares no folder with the course: a
``dask scheduler`` and two ``dask worker`` processes on loopback, each in a mount namespace of
its own where an empty file system lies over the course folder (and, for the scheduler, over
the grader's package: it has dask alone). The docs' command, with relative paths, grades every
submission once with the one-machine run's grades, though one worker is killed mid-run."""

from __future__ import annotations

import json
import os
import shutil
import signal
import subprocess
import sys
from pathlib import Path

import pytest
from dask_kit import (
    DASK,
    computed_again,
    hidden,
    let_go,
    moves,
    said,
    stop,
    wait_for_workers,
)
from project_class import hand_in, light_runtime
from project_notebooks import keras_forecaster
from sandbox_fence import FENCE
from smtp_kit import free_port

from grader.gradebook.results import Gradebook

pytestmark = pytest.mark.slow

ROOT = Path(__file__).resolve().parents[2]
SAMPLES = ROOT / "examples" / "lstm_gates"
STUDENTS = [f"s{n:02d}" for n in range(8)]
GRADER_PACKAGE = ROOT / "grader"


def course(tmp_path: Path) -> Path:
    folder = tmp_path / "course"
    shutil.copytree(ROOT / "assignments" / "lstm_gates", folder / "assignments" / "lstm_gates")
    for n, student in enumerate(STUDENTS):
        own = folder / "submissions" / student
        own.mkdir(parents=True)
        samples = sorted(SAMPLES.glob("*.ipynb"))
        shutil.copy(samples[n % len(samples)], own / "lstm_gates.ipynb")
        (own / "manifest.json").write_text(json.dumps({"student": {"id": student}}))
    return folder


def graded(folder: Path, out: str, *extra: str) -> subprocess.Popen:
    command = [sys.executable, "-m", "grader.cli", "grade", "--assignment"]
    command += ["assignments/lstm_gates", "--out", out, "--seed", "11", *extra]
    command += [f"submissions/{student}/" for student in STUDENTS]  # as the shell expands them
    return subprocess.Popen(
        [*FENCE, *command], cwd=folder, stdout=subprocess.DEVNULL, stderr=subprocess.PIPE, text=True
    )


def scheduler(address: str) -> list[str]:
    port = address.rsplit(":", 1)[1]
    return [DASK, "scheduler", "--host", "127.0.0.1", "--port", port, "--no-dashboard"]


def worker(address: str, name: str) -> list[str]:
    worker_options = ["--nthreads", "1", "--nworkers", "1", "--no-dashboard"]
    return [DASK, "worker", address, *worker_options, "--name", name]


def started_in(own: Path, over: list[Path], command: list[str], log: Path) -> subprocess.Popen:
    """``command`` started in the new folder ``own``, each of ``over`` hidden from it
    (dask_kit.hidden), what it says written to ``log``."""
    own.mkdir()
    with log.open("w") as written:
        return subprocess.Popen(hidden(over, own, command), stdout=written, stderr=written)


def results(out: Path) -> dict[str, tuple]:
    with Gradebook(out / "gradebook.sqlite") as book:
        rows = {row.student: (row.score, row.status, row.functions) for row in book.latest()}
    for student in rows:
        page = json.loads((out / student / "results.json").read_text())
        rows[student] += (page["score"], [t["output"] for t in page["tests"]])
    return rows


def test_workers_that_see_no_course_folder_grade_it_and_one_killed_changes_nothing(tmp_path):
    folder = course(tmp_path)
    alone = graded(folder, "alone", "--workers", "2")
    answered = alone.communicate(timeout=900)
    assert alone.returncode == 0, answered[1][-3000:]

    address, logs, started = f"tcp://127.0.0.1:{free_port()}", tmp_path / "logs", []
    logs.mkdir()

    def start(name: str, over: list[Path], command: list[str]) -> subprocess.Popen:
        started.append(started_in(tmp_path / name, over, command, logs / f"{name}.log"))
        return started[-1]

    probe = [sys.executable, "-c", "import grader.cli"]
    seen = subprocess.run(hidden([folder, GRADER_PACKAGE], tmp_path, probe), capture_output=True)
    assert seen.returncode != 0  # the scheduler's namespace has no grader to import
    try:
        start("scheduler", [folder, GRADER_PACKAGE], scheduler(address))
        workers = [start(name, [folder], worker(address, name)) for name in ("w1", "w2")]
        wait_for_workers(address, 2, logs)
        run = graded(folder, "graded/lstm_gates", "--dask", address)
        assert run.stderr is not None
        lines = []
        for line in run.stderr:
            lines.append(line)
            if line.startswith("[1/") and workers[0].poll() is None:
                first = line.split("] ")[1].split(":")[0]
                let_go(address, "grade-", f"-{first}-")  # the run lets go of what it wrote
                workers[0].send_signal(signal.SIGKILL)  # mid-run: the rest still to grade
                workers[0].wait(60)
        run.wait(900)
        assert run.returncode == 0, "".join(lines)[-3000:] + said(logs)
        # the hand-in written before the kill was not graded again on the survivor (where
        # the killed worker held its result and the run still held it too)
        assert not [k for k in computed_again(address, "grade-") if f"-{first}-" in k]
        # each worker's warm start ran (none cancelled): one task per worker, its result in
        warmed = {key for key, state in moves(address, "grader-warm-") if state == "memory"}
        assert len(warmed) == 2, moves(address, "grader-warm-")
    finally:
        for process in started:
            if process.poll() is None:
                process.send_signal(signal.SIGKILL)
                process.wait(60)
    assert workers[0].returncode is not None
    on_cluster, one_machine = results(folder / "graded" / "lstm_gates"), results(folder / "alone")
    assert sorted(on_cluster) == STUDENTS
    assert on_cluster == one_machine
    counted = [line.split("] ")[1].split(":")[0] for line in lines if line.startswith("[")]
    assert sorted(counted) == STUDENTS  # each graded once
    assert "Traceback" not in "".join(lines)
    assert not (tmp_path / "w2" / "graded").exists()  # nothing written where the worker runs


def test_a_cluster_with_no_worker_or_a_worker_without_the_grader_is_told_in_one_line(tmp_path):
    """Nothing is graded, and the command says why in one line: where the scheduler has no
    worker (it waited for one for ever, saying nothing), and where a worker has no grader to
    import (the run's functions are loaded there by name: a traceback)."""
    folder = course(tmp_path)
    address, logs, started = f"tcp://127.0.0.1:{free_port()}", tmp_path / "logs", []
    logs.mkdir()
    try:
        started.append(
            started_in(
                tmp_path / "scheduler", [folder, GRADER_PACKAGE], scheduler(address), logs / "s.log"
            )
        )
        wait_for_workers(address, 0, logs)  # the scheduler answers
        alone = graded(folder, "graded", "--dask", address)
        told = alone.communicate(timeout=300)[1]
        assert alone.returncode == 2, told[-3000:]
        assert f"grader grade: --dask {address}: the cluster has no workers (none joined in" in told
        assert f"start them (`dask worker {address}`) where the grader is installed" in told

        started.append(
            started_in(
                tmp_path / "w0", [folder, GRADER_PACKAGE], worker(address, "w0"), logs / "w0"
            )
        )
        wait_for_workers(address, 1, logs)
        without = graded(folder, "graded", "--dask", address)
        told += without.communicate(timeout=300)[1]
        assert without.returncode == 2, told[-3000:]
        assert (
            "grader grade: nothing was graded; the trial notebook: its task failed on the" in told
        )
        assert "No module named 'grader" in told and "install it on every worker" in told

        # a projects run's first task, each worker's setting up, fails there alike
        shutil.copytree(ROOT / "assignments" / "projects", tmp_path / "projects")
        student = hand_in(tmp_path / "submissions", "s00", (keras_forecaster(),))
        command = [sys.executable, "-m", "grader.cli", "grade", "--assignment", "projects"]
        command += ["--out", "checked", "--dask", address, str(student)]
        runtime = {"GRADER_PROJECTS_RUNTIME": str(light_runtime(tmp_path / "runtime"))}
        projects = subprocess.run(
            [*FENCE, *command], cwd=tmp_path, capture_output=True, text=True, timeout=300,
            env={**os.environ, **runtime},
        )  # fmt: skip
        told += projects.stderr
        assert projects.returncode == 2, told[-3000:]
        assert "grader grade: nothing was checked; a worker setting up: its task failed" in told
        assert "install it on every worker" in projects.stderr
    finally:
        for process in started:
            stop(process)
    assert "Traceback" not in told, told[-3000:] + said(logs)
    assert not list((folder / "graded").rglob("results.json"))
    assert not list((tmp_path / "checked").rglob("*-checks.json"))
