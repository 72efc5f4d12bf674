"""``grader grade --dask`` on a real cluster that shares no folder with the course: a
``dask scheduler`` and two ``dask worker`` processes on loopback, each in a mount namespace of
its own where an empty file system lies over the course folder (and, for the scheduler, over
the grader's package: it has dask alone). The docs' command, with relative paths, grades every
submission once with the one-machine run's grades, though one worker is killed mid-run."""

from __future__ import annotations

import json
import shutil
import signal
import subprocess
import sys
from pathlib import Path

import pytest
from dask_kit import DASK, computed_again, hidden, let_go, moves, said, wait_for_workers
from sandbox_fence import FENCE
from smtp_kit import free_port

from grader.gradebook.results import Gradebook

pytestmark = pytest.mark.slow

ROOT = Path(__file__).resolve().parents[2]
SAMPLES = ROOT / "examples" / "lstm_gates"
STUDENTS = [f"s{n:02d}" for n in range(8)]


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

    port = free_port()
    address = f"tcp://127.0.0.1:{port}"
    grader_package = ROOT / "grader"
    logs, started = tmp_path / "logs", []
    logs.mkdir()

    def start(name: str, over: list[Path], command: list[str]) -> subprocess.Popen:
        own = tmp_path / name
        own.mkdir()
        with (logs / f"{name}.log").open("w") as log:
            process = subprocess.Popen(hidden(over, own, command), stdout=log, stderr=log)
        started.append(process)
        return process

    probe = [sys.executable, "-c", "import grader.cli"]
    seen = subprocess.run(hidden([folder, grader_package], tmp_path, probe), capture_output=True)
    assert seen.returncode != 0  # the scheduler's namespace has no grader to import
    try:
        start(
            "scheduler",
            [folder, grader_package],
            [DASK, "scheduler", "--host", "127.0.0.1", "--port", str(port), "--no-dashboard"],
        )
        worker = [DASK, "worker", address, "--nthreads", "1", "--nworkers", "1"]
        workers = [
            start(name, [folder], [*worker, "--name", name, "--no-dashboard"])
            for name in ("w1", "w2")
        ]
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
