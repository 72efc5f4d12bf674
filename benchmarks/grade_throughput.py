"""Grading throughput against plain nbclient, measured in the same run.

    .venv/bin/python benchmarks/grade_throughput.py [--copies N] [--workers W]

Grades N copies of a correct submission with ``grader grade`` (sandbox, probes, scoring,
gradebook, feedback pages), then executes the same N notebooks with plain nbclient, one kernel
per notebook and no sandbox, and prints seconds per submission for each and their ratio.
The notebooks are the shipped full-marks sample, so the baseline may run them unsandboxed.
"""

from __future__ import annotations

import argparse
import shutil
import sys
import tempfile
import time
from pathlib import Path

import nbformat
from nbclient import NotebookClient

from grader import grade

ROOT = Path(__file__).resolve().parent.parent
ASSIGNMENT = ROOT / "assignments" / "lstm_gates"
SAMPLE = ROOT / "examples" / "lstm_gates" / "asha.ipynb"


def plain_nbclient(notebooks: list[Path]) -> float:
    """Seconds to execute every notebook with nbclient, a fresh kernel for each."""
    started = time.perf_counter()
    for path in notebooks:
        nb = nbformat.read(path, as_version=4)
        NotebookClient(
            nb,
            timeout=120,
            kernel_name="python3",
            resources={"metadata": {"path": str(path.parent)}},
        ).execute()
    return time.perf_counter() - started


def graded(notebooks: list[Path], out: Path, workers: int) -> float:
    """Seconds for ``grader grade`` over every notebook."""
    started = time.perf_counter()
    rows = grade.grade(notebooks, ASSIGNMENT, out, seed=1, workers=workers)
    elapsed = time.perf_counter() - started
    wrong = [r.student for r in rows if r.score != r.max_score]
    if wrong:
        raise SystemExit(f"benchmark submissions did not get full marks: {wrong}")
    return elapsed


def main(argv: list[str] | None = None) -> int:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--copies", type=int, default=6, help="submissions (default 6)")
    parser.add_argument("--workers", type=int, default=1, help="grader workers (default 1)")
    args = parser.parse_args(argv)
    with tempfile.TemporaryDirectory(prefix="grade-bench-") as tmp:
        inbox = Path(tmp) / "inbox"
        inbox.mkdir()
        notebooks = []
        for n in range(args.copies):
            notebooks.append(inbox / f"student{n:03d}.ipynb")
            shutil.copy(SAMPLE, notebooks[-1])
        grader_s = graded(notebooks, Path(tmp) / "out", args.workers)
        baseline_s = plain_nbclient(notebooks)
    per_grade, per_plain = grader_s / args.copies, baseline_s / args.copies
    print(f"submissions: {args.copies}, grader workers: {args.workers}")
    print(f"grader grade (sandbox + probe + score + feedback): {per_grade:.2f} s per submission")
    print(f"plain nbclient, one kernel per notebook:           {per_plain:.2f} s per submission")
    print(f"ratio grader / plain nbclient: {per_grade / per_plain:.2f}")
    return 0


if __name__ == "__main__":
    sys.exit(main())
