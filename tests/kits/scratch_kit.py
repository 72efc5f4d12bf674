"""Scratch folders (:mod:`grader.scratch`) held by runs of their own: one still running, or
one SIGKILLed, as a killed command leaves its folder for the next run of its kind to remove."""

from __future__ import annotations

import signal
import subprocess
import sys
import tempfile
from pathlib import Path

import pytest

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
    """A run of its own holding a scratch folder (with a folder ``parcel-1`` in it): the process
    and the folder."""
    process = subprocess.Popen(
        [sys.executable, "-c", HOLDER, str(parent), prefix], stdout=subprocess.PIPE, text=True
    )
    assert process.stdout is not None
    return process, Path(process.stdout.readline().strip())


def killed_runs_folder(parent: Path, prefix: str) -> Path:
    """The scratch folder of a run SIGKILLed while it held it."""
    killed, left = holding(parent, prefix)
    killed.send_signal(signal.SIGKILL)
    killed.wait(30)
    assert (left / "parcel-1").is_dir()
    return left


def temporary_after_a_killed_run(
    tmp_path: Path, monkeypatch: pytest.MonkeyPatch, prefix: str
) -> Path:
    """This process's temporary folder for the test: a new folder under ``tmp_path`` holding
    only the scratch folder of a run of kind ``prefix`` SIGKILLed while it held it."""
    temporary = tmp_path / "temporary"
    temporary.mkdir()
    killed_runs_folder(temporary, prefix)
    monkeypatch.setattr(tempfile, "tempdir", str(temporary))
    return temporary
