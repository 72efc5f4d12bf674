"""``grader collect`` on a disk that fills midway: one line naming the folder and what to do,
never a traceback, nothing listed as the students' fault; once space is freed, the same command
run again ends as one run on a disk with space. Each run is in a mount namespace of its own,
where a small tmpfs stands for the full disk."""

from __future__ import annotations

import csv
import sys
from datetime import UTC, datetime
from pathlib import Path

from disk_kit import needs_root_mounts, with_full
from mailkit import gmail

ROOT = Path(__file__).resolve().parents[2]
SAMPLES = ROOT / "examples" / "lstm_gates"

pytestmark = needs_root_mounts


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
    then = f'{collect}; echo "exit $?"; rm "$FILLER"; {collect}; echo "exit $?"; '
    then += f'ls -A "{out}"; cat "{out}/index.csv"'
    done = with_full(disk, then, size="10M", taken=9_300_000, cwd=ROOT)
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
