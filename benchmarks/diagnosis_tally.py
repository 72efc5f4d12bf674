"""How well the feedback names the mistake: the corpus of tests/kits/diagnosis_corpus.py (buggy
notebooks, one per mistake class, and correct ones in unusual styles) graded by `grader grade`
in the sandbox, behind a second fence (a pid namespace of its own).

    .venv/bin/python benchmarks/diagnosis_tally.py [--workers 2] [--keep DIR]

Prints: mistakes named / buggy notebooks, false hints, and marks that differ from the expected.
"""

from __future__ import annotations

import argparse
import subprocess
import sys
import tempfile
import time
from pathlib import Path

import nbformat

ROOT = Path(__file__).resolve().parent.parent
sys.path.insert(0, str(ROOT / "tests" / "kits"))  # the corpus is one of the tests' kits

from diagnosis_corpus import ASSIGNMENTS, build, tally  # noqa: E402

from grader.assignment.releasing import release  # noqa: E402

FENCE = ["unshare", "--pid", "--fork", "--mount-proc", "--kill-child"]


def grade_corpus(work: Path, workers: int) -> tuple[dict, Path]:
    """Build the corpus in ``work`` and grade it, one `grader grade` run per assignment;
    (entries, graded folder holding ``<assignment>/<name>/results.json``)."""
    names = ("lstm_gates", "rnn_gradients", "lstm_backward")
    releases = {
        name: nbformat.read(release(ASSIGNMENTS / name, work / "release"), as_version=4)
        for name in names
    }
    entries = build(releases, work / "corpus")
    graded = work / "graded"
    for name in names:
        paths = sorted(str(p) for p in (work / "corpus" / name).glob("*.ipynb"))
        command = [sys.executable, "-m", "grader.cli", "grade", "--assignment"]
        command += [str(ASSIGNMENTS / name), "--out", str(graded / name), "--seed", "7"]
        command += ["--workers", str(workers), *paths]
        done = subprocess.run(
            [*FENCE, *command], capture_output=True, text=True, cwd=ROOT, check=False
        )
        if done.returncode != 0:
            raise SystemExit(f"grader grade failed ({done.returncode}):\n{done.stderr[-3000:]}")
    return entries, graded


def main() -> int:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--workers", type=int, default=2)
    parser.add_argument("--keep", help="build and grade in this folder (kept) instead of a temp")
    args = parser.parse_args()
    started = time.monotonic()
    with tempfile.TemporaryDirectory(prefix="diagnosis-corpus-") as scratch:
        work = Path(args.keep or scratch)
        entries, graded = grade_corpus(work, args.workers)
        result = tally(entries, graded)
    print(
        f"corpus: {len(entries)} notebooks ({result.buggy} buggy), graded in "
        f"{time.monotonic() - started:.0f} s"
    )
    print(f"mistakes named: {result.named} / {result.buggy} buggy notebooks")
    print(f"false hints: {len(result.false_hints)}")
    for line in result.false_hints + result.unnamed + result.wrong_marks:
        print(f"  {line}")
    print(f"marks as expected: {len(entries) - len(result.wrong_marks)} / {len(entries)}")
    return 0


if __name__ == "__main__":
    sys.exit(main())
