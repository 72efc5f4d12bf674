"""A grading run starts its warm processes before it reads the submissions: the first run
forks from the warm process started early, and nothing else changes."""

from __future__ import annotations

import os
import subprocess
import sys
from pathlib import Path

import numpy as np
from sandbox_fence import write_notebook

from grader.engine import warm
from grader.execute import Limits, ProbeCall, run_submission, warm_up

LIMITS = Limits(cell_timeout=30, notebook_timeout=60)


def test_the_first_run_forks_from_the_warm_process_started_early(tmp_path):
    notebook = write_notebook(tmp_path / "double.ipynb", "def double(x):\n    return 2 * x")
    warm.stop_all()
    warm_up(LIMITS)
    (early,) = warm._POOL.values()  # started, and not waited for: the caller goes on
    assert early.alive()

    result = run_submission(notebook, [ProbeCall("double", (np.array([1.5]),))], LIMITS)

    assert result.status == "completed", result.reason
    assert result.probes[0].value.tolist() == [3.0]
    assert list(warm._POOL.values()) == [early]  # no second warm process was started
    warm_up(LIMITS)  # already warm: nothing new
    assert list(warm._POOL.values()) == [early]


def test_a_warm_up_without_a_sandbox_leaves_the_explaining_to_the_run(tmp_path, monkeypatch):
    monkeypatch.setenv("PATH", str(tmp_path))  # no bwrap to be found
    warm.stop_all()
    warm_up(LIMITS)
    assert warm._POOL == {}


def test_worker_processes_leave_no_warm_folder_behind(tmp_path):
    """Pool workers end without running ``atexit``: their warm processes are stopped anyway."""
    root = Path(__file__).resolve().parent.parent
    temporary = tmp_path / "tmp"
    temporary.mkdir()
    done = subprocess.run(
        [sys.executable, "-m", "grader.cli", "grade", "--assignment"]
        + [str(root / "assignments" / "lstm_gates"), "--out", str(tmp_path / "out")]
        + ["--workers", "2", str(root / "examples" / "lstm_gates" / "asha.ipynb")],
        env={**os.environ, "TMPDIR": str(temporary)},
        capture_output=True,
        text=True,
        check=False,
    )
    assert done.returncode == 0, done.stderr[-2000:]
    assert "100/100" in done.stdout
    assert sorted(p.name for p in temporary.iterdir()) == []
