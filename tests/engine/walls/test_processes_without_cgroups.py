"""A submission's processes without cgroups (an ordinary user): every one of them ends with its
run (its pid namespace is killed), and a probe process that could not be started at all is the
grader's failure ("not graded — grader error"), never a value the function is scored on.

Runs as the tests' ordinary user (``sandbox_fence.ordinary_user_prefix``), in a pid namespace
of the test's own, where the grader can make no cgroup."""

from __future__ import annotations

from collections.abc import Iterator
from pathlib import Path

import pytest
from sandbox_fence import hoard, run_fenced, run_spec, shared_scratch, write_notebook

from grader.engine.run.results import NOT_GRADED

pytestmark = pytest.mark.slow

DOUBLE = "def double(x):\n    return x * 2"
MARKER = "4343.25"  # the argument of `sleep` in the processes looked for after the run
ESCAPES = (
    "import os, subprocess\n"
    f"subprocess.Popen(['sleep', '{MARKER}'], start_new_session=True)\n"
    f"!setsid --fork sleep {MARKER} > /dev/null 2>&1; sleep 0.5\n"
    f"os.system('nohup sleep {MARKER} > /dev/null 2>&1 &')"
)
# Threads of the runner itself hold every process the run may have: the runner cannot end
# them as it ends the cells' processes, so no probe process can be made.
THREADS = (
    "import threading, time\nthreading.stack_size(64 * 1024)\nheld = []\ntry:\n"
    "    while True:\n        held.append(threading.Thread(target=time.sleep, args=(60,)))\n"
    "        held[-1].start()\nexcept RuntimeError:\n    pass\nprint('threads', len(held))"
)


HOARD = hoard(20)


@pytest.fixture
def folder() -> Iterator[Path]:
    yield from shared_scratch("grader-processes-test")


def _notebook(folder: Path, name: str, *cells: str) -> Path:
    notebook = write_notebook(folder / f"{name}.ipynb", *cells)
    notebook.chmod(0o644)
    return notebook


def test_processes_left_running_end_with_the_run(folder):
    notebook = _notebook(folder, "escapes", ESCAPES, DOUBLE)
    runs = [run_spec(notebook, [("double", [[1.0]])])]
    report = run_fenced(folder, runs, marker=MARKER, as_ordinary_user=True)

    assert report["results"][0]["status"] == "completed"
    assert report["cgroup_support"] is not None
    assert report["leftover"] == []  # looked for as soon as the run returned


def test_a_probe_that_could_not_start_is_not_graded_never_scored(folder):
    notebook = _notebook(folder, "threads", THREADS, DOUBLE)
    limits = {"max_processes": 64, "cell_timeout": 60, "notebook_timeout": 120}
    runs = [run_spec(notebook, [("double", [[1.0]])], **limits)]
    report = run_fenced(folder, runs, as_ordinary_user=True)
    result = report["results"][0]

    assert result["grader_fault"].startswith(NOT_GRADED), result["grader_fault"]
    assert "the probe process of double could not start" in result["grader_fault"]
    assert result["probes"][0]["value"] is None


def test_a_fork_loop_holds_its_own_processes_not_the_users(folder):
    """The user may have 150 processes; a run 60. The hoarder takes its 60 while the other
    run, started with it, waits in a cell and then makes its probe process."""
    hoarder = _notebook(folder, "hoarder", HOARD, DOUBLE)
    waiting = _notebook(folder, "waiting", "import time\ntime.sleep(8)", DOUBLE)
    limits = {"max_processes": 60, "cell_timeout": 60, "notebook_timeout": 120}
    runs = [run_spec(nb, [("double", [[1.0]])], **limits) for nb in (hoarder, waiting)]
    report = run_fenced(folder, runs, parallel=2, as_ordinary_user=True, user_processes=150)
    hoarded, waited = report["results"]

    assert 40 < int(hoarded["output"].split("held ")[1].split()[0]) < 60
    assert waited["grader_fault"] is None
    assert waited["probes"][0] == {"value": [2.0], "error": None, "dtype": "float64"}
