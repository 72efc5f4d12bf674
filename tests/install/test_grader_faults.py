"""A grader fault is never a score: with the sandbox's prepared files damaged, the trial run
refuses ``grader grade`` before any row, and a fault mid-run is an error whose submission
``--resume`` grades."""

from __future__ import annotations

import csv
import os
import shutil
import signal
import sqlite3
import subprocess
import sys
from pathlib import Path

import pytest
from install_kit import EXAMPLES, REPO, needs_debian_python

from grader.engine.runtime.preparation import prepare
from grader.engine.runtime.runtime_cache import (
    CACHE_VARIABLE,
    cache_root,
    runtime_cache,
    runtime_venv,
)
from grader.engine.runtime.shown_base import base_layer

pytestmark = needs_debian_python
SEED = 2026


@pytest.fixture
def own_cache(tmp_path, monkeypatch) -> Path:
    """A copy of this runtime's prepared sandbox files (its own and its base Python's, which
    the cache keeps apart) in a cache of the test's own."""
    theirs = prepare(None, say=lambda line: None)  # as `make venv` left it: nothing to do
    layer = base_layer(runtime_venv(None))
    if layer is None:  # Debian's python3, say, whose socket module is built in besides
        pytest.skip("this runtime's base Python is shown as it is (no layer to damage)")
    monkeypatch.setenv(CACHE_VARIABLE, str(tmp_path / "cache"))
    shutil.copytree(theirs, runtime_cache(None), symlinks=True)
    own_layer = cache_root() / "bases" / layer.name
    shutil.copytree(layer, own_layer, symlinks=True, ignore=_locks)
    socket_module = next(own_layer.glob("lib/python3*/lib-dynload/_socket.*.so"), None)
    if socket_module is None:
        pytest.skip("this runtime's base Python has its socket module built in: none to damage")
    return socket_module


def _locks(folder: str, names: list[str]) -> list[str]:
    return [name for name in names if name.endswith(".lock")]


def _grade_command(
    out: Path, *notebooks: Path, resume: bool = False, workers: int = 1
) -> list[str]:
    command = [str(Path(sys.executable).with_name("grader")), "grade", "--workers", str(workers)]
    command += ["--assignment", str(REPO / "assignments" / "lstm_gates"), "--out", str(out)]
    return [*command, "--seed", str(SEED), *(["--resume"] if resume else []), *map(str, notebooks)]


def _copies(tmp_path: Path, count: int) -> list[Path]:
    folder = tmp_path / "hand-ins"
    folder.mkdir()
    for number in range(count):
        shutil.copy(EXAMPLES / "lstm_gates" / "asha.ipynb", folder / f"s{number:02d}.ipynb")
    return sorted(folder.glob("*.ipynb"))


@pytest.mark.parametrize("workers", [1, 2])  # in the command's process, or in its pool
def test_a_warm_process_that_cannot_start_refuses_the_run_before_any_score(
    tmp_path, own_cache, workers
):
    """A damaged cache (the sandbox's socket module emptied) stops the warm process: the trial
    run refuses the command with the reason, and no student gets a row."""
    own_cache.write_bytes(b"")
    out = tmp_path / "graded"
    command = _grade_command(out, *_copies(tmp_path, 2), workers=workers)
    done = subprocess.run(command, capture_output=True, text=True, timeout=600)
    assert done.returncode == 2, done.stderr
    assert "could not run its trial notebook" in done.stderr
    assert "warm process could not start" in done.stderr and "_socket" in done.stderr
    assert "remove those folders and run `grader setup`" in done.stderr
    assert "Traceback" not in done.stderr
    assert not (out / "gradebook.sqlite").exists() and not (out / "grades.csv").exists()


def _children(pid: int) -> list[int]:
    found = []
    for stat in Path("/proc").glob("[0-9]*/stat"):
        try:
            fields = stat.read_text().rsplit(")", 1)[1].split()
        except OSError:
            continue
        if int(fields[1]) == pid:
            found.append(int(stat.parent.name))
    return found


def test_a_grader_fault_mid_run_is_an_error_not_a_score_and_resume_grades_it(tmp_path, own_cache):
    """After the first submission the warm process is killed and cannot start again: the rest
    are `error` rows without a score, the command exits 1 and says why; once the cause is
    gone, --resume grades exactly those."""
    notebooks = _copies(tmp_path, 6)
    out = tmp_path / "graded"
    intact = own_cache.read_bytes()
    grading = subprocess.Popen(
        _grade_command(out, *notebooks), stdout=subprocess.PIPE, stderr=subprocess.PIPE, text=True
    )
    lines = []
    for line in grading.stderr:
        lines.append(line)
        if line.startswith("[1/6]"):
            break
    os.kill(grading.pid, signal.SIGSTOP)  # nothing moves while the cause is set up
    try:
        own_cache.write_bytes(b"")
        for child in _children(grading.pid):  # bubblewrap, holding the warm process
            os.kill(child, signal.SIGKILL)
    finally:
        os.kill(grading.pid, signal.SIGCONT)
    stdout, stderr = grading.communicate(timeout=600)
    stderr = "".join(lines) + stderr
    assert grading.returncode == 1, stderr
    rows = list(csv.DictReader((out / "grades.csv").open(encoding="utf-8")))
    errors = [r for r in rows if r["status"] == "error"]
    assert len(rows) == 6 and 1 <= len(rows) - len(errors) <= 2, rows
    assert all(r["score"] == "100" for r in rows if r["status"] != "error")
    for row in errors:
        assert row["score"] == "" and row["forget_gate"] == "", row
        assert "could not grade this submission" in row["reason"]
        assert "warm process" in row["reason"], stderr
        assert not (out / row["student"] / "results.json").exists()
    assert f"{len(errors)} submissions could not be graded because of the grader" in stderr
    assert f"{6 - len(errors)} feedback folder" in stdout

    own_cache.write_bytes(intact)
    again = subprocess.run(
        _grade_command(out, *notebooks, resume=True), capture_output=True, text=True, timeout=600
    )
    assert again.returncode == 0, again.stderr
    assert f"{6 - len(errors)} already graded, {len(errors)} to grade" in again.stderr
    rows = list(csv.DictReader((out / "grades.csv").open(encoding="utf-8")))
    assert [(r["score"], r["status"]) for r in rows] == [("100", "graded")] * 6
    with sqlite3.connect(out / "gradebook.sqlite") as book:
        statuses = [s for (s,) in book.execute("SELECT status FROM results ORDER BY id")]
    assert statuses.count("error") == len(errors) and len(statuses) == 6 + len(errors)
