"""`grader grade` of the same hand-ins with and without per-student variants, in the same process
(issue 55: variants add at most 10% to grading), and the per-student release time.

A `grader init` course of ``--students`` whose rnn_gradients declares three parameters used in a
question and a constants cell (tests/kits/variants_kit.py) is released per student; each
student's own notebook is answered with the source's solutions. The same notebooks are graded
twice through the product's sandbox (`grader grade` inside a pid namespace, as a course does):
by the assignment without `[variants]` (its constants filled with the class-wide values, outside
any course: the baseline, which reads no variant) and by the assignment with them (each hand-in
checked against its student's release record: fingerprint and numbers). One warm-up grading
first, so that neither run pays for the sandbox's preparation.

    .venv/bin/python benchmarks/variants_grading.py --students 200
"""

from __future__ import annotations

import argparse
import contextlib
import csv
import io
import resource
import shutil
import subprocess
import sys
import tempfile
import time
from pathlib import Path

import nbformat

ROOT = Path(__file__).resolve().parent.parent
sys.path.insert(0, str(ROOT / "tests" / "kits"))

from pools_kit import answered  # noqa: E402
from sandbox_fence import FENCE  # noqa: E402
from variants_kit import roster, with_variants  # noqa: E402

from grader.assignment import variant_substitute  # noqa: E402
from grader.assignment.config import load_config  # noqa: E402
from grader.cli import main  # noqa: E402
from grader.variants.release import definition_of  # noqa: E402


def quietly(*argv: str) -> None:
    with contextlib.redirect_stdout(io.StringIO()), contextlib.redirect_stderr(io.StringIO()):
        assert main(list(argv)) == 0, argv


def plain_copy(assignment: Path, into: Path) -> Path:
    """The assignment without [variants], its notebook's constants the class-wide values."""
    config = load_config(assignment)
    copy = Path(shutil.copytree(assignment, into / assignment.name))
    toml = copy / "assignment.toml"
    toml.write_text(toml.read_text(encoding="utf-8").split("\n[variants.")[0] + "\n")
    source = nbformat.read(copy / "source.ipynb", as_version=4)
    filled = variant_substitute.filled(source, definition_of(config).class_wide())
    nbformat.write(filled, copy / "source.ipynb")
    return copy


def grade(assignment: Path, notebooks: list[Path], out: Path) -> tuple[float, float]:
    """Wall-clock and CPU seconds (of every process it started) of one `grader grade`."""
    command = [sys.executable, "-m", "grader.cli", "grade", "--assignment", str(assignment)]
    command += ["--out", str(out), "--seed", "3", "--workers", "2", *map(str, notebooks)]
    before = resource.getrusage(resource.RUSAGE_CHILDREN)
    began = time.perf_counter()
    done = subprocess.run([*FENCE, *command], capture_output=True, text=True, check=False)
    wall = time.perf_counter() - began
    after = resource.getrusage(resource.RUSAGE_CHILDREN)
    if done.returncode != 0:
        raise SystemExit(f"grader grade failed ({done.returncode}):\n{done.stderr[-3000:]}")
    cpu = (after.ru_utime + after.ru_stime) - (before.ru_utime + before.ru_stime)
    return wall, cpu


def full_marks(out: Path) -> int:
    with (out / "grades.csv").open(encoding="utf-8") as rows:
        return sum(row["score"] == row["max_score"] for row in csv.DictReader(rows))


def main_benchmark() -> None:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--students", type=int, default=200)
    args = parser.parse_args()
    with tempfile.TemporaryDirectory() as scratch_name:
        scratch = Path(scratch_name)
        course = scratch / "course"
        quietly("init", str(course))
        (course / "roster.csv").write_text(roster(args.students), encoding="utf-8")
        assignment = course / "assignments" / "rnn_gradients"
        with_variants(assignment)
        plain = plain_copy(assignment, scratch / "plain")
        began = time.perf_counter()
        quietly("assign", str(assignment), "--per-student", "--out", str(scratch / "release"))
        release = time.perf_counter() - began
        inbox = scratch / "inbox"
        inbox.mkdir()
        for number in range(args.students):
            student = f"S{number:03d}"
            own = scratch / "release" / "rnn_gradients" / f"{student}_rnn_gradients.ipynb"
            notebook = answered(nbformat.read(own, as_version=4), assignment / "source.ipynb")
            nbformat.write(notebook, inbox / f"{student}.ipynb")
        hand_ins = sorted(inbox.iterdir())
        grade(plain, hand_ins[:2], scratch / "warm-up")
        without = grade(plain, hand_ins, scratch / "without")
        with_variants_run = grade(assignment, hand_ins, scratch / "with")
        marks = (full_marks(scratch / "without"), full_marks(scratch / "with"))
    n = args.students
    print(
        f"per-student release of {n} students: {release:.2f} s, {release / n * 1000:.1f} ms"
        f" per student"
    )
    for name, (wall, cpu) in (("without variants", without), ("with variants", with_variants_run)):
        print(
            f"grading {n} hand-ins {name}: {wall:.1f} s ({cpu:.1f} s CPU),"
            f" {wall / n * 1000:.0f} ms per hand-in"
        )
    print(f"full marks: {marks[0]} without, {marks[1]} with variants, of {n}")
    print(
        f"with / without variants: {with_variants_run[0] / without[0]:.3f} wall-clock,"
        f" {with_variants_run[1] / without[1]:.3f} CPU (at most 1.10 asked)"
    )


if __name__ == "__main__":
    main_benchmark()
