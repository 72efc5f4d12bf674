"""`grader assign --per-student` for a class: the release time per student, against one
class-wide release of the same assignment in the same process (issue 55: a release for 500
students takes seconds, not minutes).

A `grader init` course of ``--students`` whose rnn_gradients declares three parameters and uses
them in a question and a constants cell, as tests/variants/test_variants.py does.

    .venv/bin/python benchmarks/variants_release.py --students 200
"""

from __future__ import annotations

import argparse
import contextlib
import io
import tempfile
import time
from pathlib import Path

import nbformat

from grader.assignment import load_assignment, release
from grader.cli import main

VARIANTS = """
[variants.W_rec]
kind = "float"
min = 0.5
max = 0.99
digits = 2

[variants.steps]
kind = "int"
min = 10
max = 40
step = 5

[variants.activation]
kind = "choice"
choices = ["tanh", "relu", "sigmoid"]
"""


def course(folder: Path, students: int) -> Path:
    with contextlib.redirect_stdout(io.StringIO()):
        assert main(["init", str(folder)]) == 0
    rows = [f"S{n:04d},Student {n},s{n}@example.edu,student" for n in range(students)]
    (folder / "roster.csv").write_text("id,name,email,role\n" + "\n".join(rows) + "\n")
    assignment = folder / "assignments" / "rnn_gradients"
    toml = assignment / "assignment.toml"
    toml.write_text(toml.read_text() + VARIANTS)
    notebook = nbformat.read(assignment / "source.ipynb", as_version=4)
    notebook.cells[3:3] = [
        nbformat.v4.new_markdown_cell("With W_rec = {{W_rec}}, {{steps}} steps, {{activation}}"),
        nbformat.v4.new_code_cell("W_REC = {{W_rec}}\nSTEPS = {{steps}}\nACT = {{activation}}"),
    ]
    nbformat.write(notebook, assignment / "source.ipynb")
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
