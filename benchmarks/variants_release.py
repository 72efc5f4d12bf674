"""`grader assign --per-student` for a class: the release time per student, against one
class-wide release of the same assignment in the same process (issue 55: a release for 500
students takes seconds, not minutes).

A `grader init` course of ``--students`` whose rnn_gradients declares three parameters and uses
them in a question and a constants cell (tests/kits/variants_kit.py, as tests/variants/ do).

    .venv/bin/python benchmarks/variants_release.py --students 200
"""

from __future__ import annotations

import argparse
import contextlib
import io
import sys
import tempfile
import time
from pathlib import Path

ROOT = Path(__file__).resolve().parent.parent
sys.path.insert(0, str(ROOT / "tests" / "kits"))

from variants_kit import roster, with_variants  # noqa: E402

from grader.assignment import load_assignment  # noqa: E402
from grader.assignment.releasing import release  # noqa: E402
from grader.cli import main  # noqa: E402


def course(folder: Path, students: int) -> Path:
    with contextlib.redirect_stdout(io.StringIO()):
        assert main(["init", str(folder)]) == 0
    (folder / "roster.csv").write_text(roster(students), encoding="utf-8")
    assignment = folder / "assignments" / "rnn_gradients"
    with_variants(assignment)
    return assignment


def main_benchmark() -> None:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--students", type=int, default=200)
    args = parser.parse_args()
    with tempfile.TemporaryDirectory() as scratch:
        assignment = course(Path(scratch) / "course", args.students)
        load_assignment(assignment)  # imports warmed, as in one command's run
        began, cpu = time.perf_counter(), time.process_time()
        release(assignment, Path(scratch) / "class")
        class_wide = time.perf_counter() - began
        class_wide_cpu = time.process_time() - cpu
        began, cpu = time.perf_counter(), time.process_time()
        with contextlib.redirect_stderr(io.StringIO()), contextlib.redirect_stdout(io.StringIO()):
            code = main(
                [
                    "assign",
                    str(assignment),
                    "--per-student",
                    "--out",
                    str(Path(scratch) / "each"),
                ]
            )
        per_student = time.perf_counter() - began
        per_student_cpu = time.process_time() - cpu
        assert code == 0
    each, each_cpu = per_student / args.students, per_student_cpu / args.students
    # CPU seconds besides wall-clock ones: on a shared machine the wall clock counts the others
    print(f"class-wide release: {class_wide:.3f} s ({class_wide_cpu:.3f} s CPU)")
    print(
        f"per-student release of {args.students} students: {per_student:.2f} s"
        f" ({per_student_cpu:.2f} s CPU), {each * 1000:.1f} ms ({each_cpu * 1000:.1f} ms CPU)"
        f" per student, {each / class_wide:.2f}x one class-wide release"
    )


if __name__ == "__main__":
    main_benchmark()
