"""``grader collect`` on a disk that fills midway: one line naming the folder and what to do,
never a traceback, nothing listed as the students' fault; once space is freed, the same command
run again ends as one run on a disk with space. Each run is in a mount namespace of its own,
where a small tmpfs stands for the full disk."""

from __future__ import annotations

import csv
import os
import shutil
import subprocess
import sys
from datetime import UTC, datetime
from pathlib import Path

import pytest
from mailkit import gmail

ROOT = Path(__file__).resolve().parents[2]
SAMPLES = ROOT / "examples" / "lstm_gates"

pytestmark = pytest.mark.skipif(
    os.geteuid() != 0 or shutil.which("unshare") is None, reason="mounts a tmpfs: needs root"
)


def test_a_disk_that_fills_midway_is_one_line_and_the_rerun_collects_everything(tmp_path):
    inbox = tmp_path / "inbox"
    inbox.mkdir()
    students = [f"student{n:02d}" for n in range(12)]
    for number, student in enumerate(students):
        mail = gmail(
            f"{student} <{student}@example.edu>",
            datetime(2026, 1, 10, 9, number, tzinfo=UTC),
            "Assignment 1",
            "My notebook is attached.",
            attachments=[("lstm_gates.ipynb", (SAMPLES / "asha.ipynb").read_bytes())],
        )
        (inbox / f"{student}.eml").write_bytes(bytes(mail))
    disk = tmp_path / "disk"
    disk.mkdir()
    out = disk / "submissions"
    collect = f"{sys.executable} -m grader.cli collect {inbox} --out {out}"
    # 10 MB with 9.3 MB taken: room for a few students' folders, not for twelve (2.6 MB).
    script = (
        f'mount -t tmpfs -o size=10M tmpfs "{disk}" && '
        f'head -c 9300000 /dev/zero > "{disk}/filler" && '
        f'{collect}; echo "exit $?"; rm "{disk}/filler"; {collect}; echo "exit $?"; '
        f'ls -A "{out}"; cat "{out}/index.csv"'
    )
    done = subprocess.run(
        ["unshare", "--mount", "--pid", "--fork", "--mount-proc", "sh", "-c", script],
        capture_output=True,
        text=True,
        timeout=600,
        cwd=ROOT,
        check=False,
    )
    first, rest = done.stdout.split("exit ", 1)
    assert rest.startswith("2"), done.stdout + done.stderr
    assert "Traceback" not in done.stderr
    said = [line for line in done.stderr.splitlines() if line.startswith("grader collect: ")]
    assert len(said) == 1, done.stderr
    assert said[0].startswith(f"grader collect: the disk is full: {out}")
    assert "run the same command again" in said[0] and len(said[0]) < 400
    second = rest.split("exit ", 1)[1]
    assert second.startswith("0"), done.stderr
    listing, index = second.split("student,", 1)
    assert not [name for name in listing.split() if name.startswith(".collect-")]
    rows = list(csv.DictReader(("student," + index).splitlines()))
    assert sorted(row["student"] for row in rows) == students
    assert all(row["assignments"] == "lstm_gates" for row in rows)
    assert "could not be read" not in first
