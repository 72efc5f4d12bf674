"""``grader grade --assignment assignments/projects --dask ADDRESS`` on a real cluster that
shares no folder with the course: a ``dask scheduler`` and two ``dask worker`` processes on
loopback, each in its own folder (its cwd and TMPDIR) and in a mount namespace where an empty
file system lies over the course folder. The class of tests/kits/project_class.py is checked
on the cluster with the checks one machine gives, though the worker that checked the first
project is killed then; each project is checked once, each worker checks some, and nothing of
the course or the students is left on a worker once it ended (a killed worker's, once the next
one started in its folder, as on a machine whose worker is restarted): no file holding
the bytes of one of theirs; nor, while it still runs, on the worker that finished its share."""

from __future__ import annotations

import json
import os
import re
import shutil
import signal
import subprocess
import sys
from pathlib import Path

import pytest
from dask_kit import (
    DASK,
    computed_again,
    end_gracefully,
    hidden,
    let_go,
    said,
    stop,
    wait_for_workers,
)
from project_class import CLASS, light_runtime, project_class, untimed
from sandbox_fence import FENCE
from smtp_kit import free_port

pytestmark = pytest.mark.slow

ROOT = Path(__file__).resolve().parents[2]
PROJECTS = [(s, p) for s in CLASS for p in ("project1", "project2")]


def checked(folder: Path, out: str, environment: dict, *extra: str) -> subprocess.Popen:
    command = [sys.executable, "-m", "grader.cli", "grade", "--assignment"]
    command += ["assignments/projects", "--out", out, *extra]
    command += [f"submissions/{student}/" for student in CLASS]  # as the shell expands them
    return subprocess.Popen(
        [*FENCE, *command],
        cwd=folder,
        env=environment,
        stdout=subprocess.PIPE,
        stderr=subprocess.PIPE,
        text=True,
    )


def checks_of(out: Path) -> dict[tuple[str, str], dict]:
    return {
        (s, p): untimed(json.loads((out / s / f"{p}-checks.json").read_text())) for s, p in PROJECTS
    }


def test_a_class_s_projects_checked_on_a_cluster_that_sees_no_course_folder(tmp_path):
    folder = tmp_path / "course"
    shutil.copytree(ROOT / "assignments" / "projects", folder / "assignments" / "projects")
    project_class(folder / "submissions")
    runtime = light_runtime(tmp_path / "runtime")
    environment = {**os.environ, "GRADER_PROJECTS_RUNTIME": str(runtime)}
    alone = checked(folder, "alone", environment, "--workers", "2")
    answered = alone.communicate(timeout=900)
    assert alone.returncode == 0, answered[1][-3000:]

    port = free_port()
    address = f"tcp://127.0.0.1:{port}"
    logs, started = tmp_path / "logs", []
    logs.mkdir()

    def start(name: str, over: list[Path], command: list[str]) -> subprocess.Popen:
        own = tmp_path / name
        (own / "tmp").mkdir(parents=True, exist_ok=True)
        with (logs / f"{name}.log").open("a") as log:
            process = subprocess.Popen(
                hidden(over, own, command),
                stdout=log,
                stderr=log,
                env={**environment, "TMPDIR": str(own / "tmp")},
            )
        started.append(process)
        return process

    worker = [DASK, "worker", address, "--nthreads", "1", "--nworkers", "1", "--no-dashboard"]
    try:
        start(
            "scheduler",
            [folder, ROOT / "grader"],
            [DASK, "scheduler", "--host", "127.0.0.1", "--port", str(port), "--no-dashboard"],
        )
        workers = {name: start(name, [folder], [*worker, "--name", name]) for name in ("w1", "w2")}
        wait_for_workers(address, 2, logs)
        run = checked(folder, "graded", environment, "--dask", address)
        assert run.stderr is not None
        lines, killed = [], None
        for line in run.stderr:
            lines.append(line)
            first = re.search(r"^\[1/\d+\] (\S+) (\S+): .*on Dask worker (w\d)\)$", line)
            if first and killed is None:  # mid-run: the rest still to check
                student, project, killed = first.groups()
                # the run lets go of the result it wrote (else the scheduler makes it again
                # on the survivor once the killed worker that holds it is gone)
                let_go(address, "check-", f"-{student}-{project}-")
                workers[killed].send_signal(signal.SIGKILL)
                workers[killed].wait(60)
        printed = run.stdout.read() if run.stdout else ""
        run.wait(900)
        assert run.returncode == 0, "".join(lines)[-3000:] + said(logs)
        assert killed is not None, "".join(lines)
        # the other worker ends as a worker is stopped; the killed one's successor starts in
        # its folder (and clears what the killed one left), then ends
        survivor = "w2" if killed == "w1" else "w1"
        # a worker that finished its share keeps none of the assignment's files while it lives
        settings = {p.read_bytes() for p in (folder / "assignments" / "projects").iterdir()}
        kept = [p for p in (tmp_path / survivor).rglob("*") if p.is_file()]
        assert not [p for p in kept if p.read_bytes() in settings], survivor
        # the project written before the kill was not checked again on the survivor
        assert not [k for k in computed_again(address, "check-") if f"-{student}-{project}-" in k]
        end_gracefully(workers[survivor])
        successor = start(killed, [folder], [*worker, "--name", f"{killed}-again"])
        wait_for_workers(address, 1, logs)
        end_gracefully(successor)
    finally:
        for process in started:
            stop(process)

    on_cluster, one_machine = checks_of(folder / "graded"), checks_of(folder / "alone")
    assert on_cluster == one_machine
    assert on_cluster["s01", "project1"]["pitfalls"]  # the planted one, as one machine found
    progress = [re.match(r"\[\d+/\d+\] (\S+) (\S+): .*on Dask worker (\w+)\)$", x) for x in lines]
    by_worker = [m.groups() for m in progress if m]
    assert sorted((s, p) for s, p, _ in by_worker) == sorted(PROJECTS)  # each checked once
    assert {w for _, _, w in by_worker} == {"w1", "w2"}  # each worker checked some
    assert (
        f"checking {len(PROJECTS)} projects on the Dask cluster ({address}): 2 workers"
        in "".join(lines)
    )
    assert "Traceback" not in "".join(lines) and "s03" in printed
    # nothing of the course or the students on a worker: no file holding the bytes of one
    # (what is left is Dask's locks and, where a worker was killed, the grader's own warm
    # folder, removed by the next grading there)
    course_files = {p.read_bytes() for p in folder.rglob("*") if p.is_file() and p.stat().st_size}
    for name in ("w1", "w2"):
        left = [p for p in (tmp_path / name).rglob("*") if p.is_file()]
        scratch = {p.name for p in left if "dask-scratch-space" in p.parts}
        assert scratch == {"global.lock", "purge.lock"}, name
        assert not [p for p in left if p.read_bytes() in course_files], name
        assert not [p for p in left if any(s in p.parts for s in CLASS)], name
