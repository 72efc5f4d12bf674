"""Files that stall a run (issue 51): a named pipe, a device, a symlink loop and a 300 MB
notebook, given as the path or lying in a hand-in folder, each end in one line naming the file;
the rest of the batch is graded, and the grader never blocks on them nor reads them whole."""

from __future__ import annotations

import csv
import os
import shutil
import subprocess
import sys
from pathlib import Path

import pytest
from sandbox_fence import FENCE

ROOT = Path(__file__).resolve().parents[2]
ASSIGNMENT = ROOT / "assignments" / "lstm_gates"
SAMPLE = ROOT / "examples" / "lstm_gates" / "asha.ipynb"


def _hand_ins(folder: Path) -> list[Path]:
    os.mkfifo(folder / "pipe.ipynb")  # given as the path
    loop = folder / "loop.ipynb"
    loop.symlink_to(loop)
    huge = folder / "huge.ipynb"
    with huge.open("wb") as file:
        file.truncate(300 * 1024 * 1024)  # sparse: 300 MB to the grader, nothing on disk
    in_folder = folder / "pipa"  # a student folder as `grader collect` writes it
    in_folder.mkdir()
    os.mkfifo(in_folder / "lstm_gates.ipynb")
    os.mkfifo(in_folder / "helper.py")
    paths = [folder / "pipe.ipynb", loop, huge, in_folder]
    if os.geteuid() == 0:  # only root makes device nodes
        device = folder / "device.ipynb"
        os.mknod(device, 0o600 | 0o020000, os.makedev(1, 5))  # /dev/zero: endless
        paths.append(device)
    shutil.copy(SAMPLE, folder / "asha.ipynb")
    return [*paths, folder / "asha.ipynb"]


@pytest.fixture(scope="module")
def graded(tmp_path_factory) -> tuple[subprocess.CompletedProcess, dict[str, dict[str, str]]]:
    folder = tmp_path_factory.mktemp("stalling")
    out = folder / "out"
    done = subprocess.run(
        [*FENCE, sys.executable, "-m", "grader.cli", "grade", "--assignment", str(ASSIGNMENT)]
        + ["--out", str(out), "--seed", "11", *map(str, _hand_ins(folder))],
        capture_output=True,
        text=True,
        timeout=600,  # before, the pipe held the run for ever
        cwd=ROOT,
        check=False,
    )
    with (out / "grades.csv").open(newline="") as handle:
        return done, {row["student"]: row for row in csv.DictReader(handle)}


def test_the_rest_of_the_batch_is_graded(graded):
    done, rows = graded
    assert "Traceback" not in done.stderr
    assert float(rows["asha"]["score"]) == float(rows["asha"]["max_score"])


@pytest.mark.parametrize(
    ("student", "reason"),
    [
        ("pipe", "pipe.ipynb is a named pipe (FIFO), not a notebook file"),
        ("pipa", "lstm_gates.ipynb is a named pipe (FIFO), not a notebook file"),
        ("loop", "cannot read loop.ipynb: Too many levels of symbolic links"),
        ("huge", "huge.ipynb is 300 MB, over the cap of 50 MB for a notebook"),
        ("device", "device.ipynb is a device, not a notebook file"),
    ],
)
def test_each_file_ends_in_one_line_naming_it(graded, student, reason):
    done, rows = graded
    if student == "device" and os.geteuid() != 0:
        pytest.skip("only root makes device nodes")
    assert rows[student]["status"] == "invalid"
    assert reason in rows[student]["reason"]
    assert "\n" not in rows[student]["reason"]
