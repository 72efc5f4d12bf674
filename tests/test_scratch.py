"""Scratch folders (:mod:`grader.scratch`): a killed run's is removed by the next run of its
kind; one whose run goes on is never touched, nor another kind's."""

from __future__ import annotations

import signal
import subprocess
import sys
from pathlib import Path

from grader.scratch import Scratch

HOLDER = """
import sys, time
from pathlib import Path
from grader.scratch import Scratch
scratch = Scratch(Path(sys.argv[1]), sys.argv[2])
(scratch.path / "parcel-1").mkdir()
print(scratch.path, flush=True)
time.sleep(600)
"""


def holding(parent: Path, prefix: str) -> tuple[subprocess.Popen, Path]:
    """A run of its own holding a scratch folder: the process and the folder."""
    process = subprocess.Popen(
        [sys.executable, "-c", HOLDER, str(parent), prefix], stdout=subprocess.PIPE, text=True
    )
    assert process.stdout is not None
    return process, Path(process.stdout.readline().strip())


def test_a_killed_runs_folder_goes_at_the_next_run_and_a_running_ones_stays(tmp_path):
    killed, left = holding(tmp_path, ".collect-")
    killed.send_signal(signal.SIGKILL)
    killed.wait(30)
    assert (left / "parcel-1").is_dir()
    other, others = holding(tmp_path, "grader-bundles-")  # another kind: leaves it
    assert left.is_dir()
    running, kept = holding(tmp_path, ".collect-")  # the next run of its kind removes it
    try:
        assert not left.exists()
        with Scratch(tmp_path, ".collect-") as ours:
            assert ours.is_dir() and ours != kept
            assert kept.is_dir() and others.is_dir()  # their runs go on
        assert not ours.exists()
    finally:
        for process in (running, other):
            process.kill()
            process.wait(30)
    with Scratch(tmp_path, ".collect-") as again:
        assert not kept.exists() and others.is_dir() and again.is_dir()
