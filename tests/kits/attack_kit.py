"""The red team's tools: the shipped full-marks sample with a few cells changed the way a hostile
student would change them, graded through ``grader grade`` in the second fence with a secret in
the grader's environment. Used by the attacks in tests/engine/, the run-time forbidden watch's
tests and the JSON input's."""

from __future__ import annotations

import csv
import json
import os
import subprocess
import sys
from pathlib import Path

import nbformat
from sandbox_fence import FENCE

ROOT = Path(__file__).resolve().parents[2]
ASSIGNMENT = ROOT / "assignments" / "lstm_gates"
SAMPLE = ROOT / "examples" / "lstm_gates" / "asha.ipynb"
SECRET = "s3cret-smtp-password-7f1e"
FULL = {
    "forget_gate": 10.0,
    "input_gate": 10.0,
    "candidate_memory": 10.0,
    "output_gate": 10.0,
    "cell_state": 15.0,
    "hidden_state": 15.0,
    "lstm_cell": 15.0,
    "lstm_forward": 15.0,
}
# True only when the probe itself calls the function, not when another of the student's
# functions does: the attacks hit the probe and leave the rest of the notebook intact.
CALLED_BY_PROBE = "sys._getframe(1).f_code.co_name == '_call'"


def attack(path: Path, replace: dict[str, str] = (), append: tuple[str, ...] = ()) -> Path:
    """The sample notebook with the cells defining ``replace``'s functions replaced and cells
    ``append``-ed before its last cell."""
    notebook = nbformat.read(SAMPLE, as_version=4)
    for cell in notebook.cells:
        for name, source in dict(replace).items():
            if cell.cell_type == "code" and cell.source.startswith(f"def {name}("):
                cell.source = source
    last = notebook.cells.pop()
    notebook.cells += [nbformat.v4.new_code_cell(source) for source in append] + [last]
    path.parent.mkdir(parents=True, exist_ok=True)
    nbformat.write(notebook, path)
    return path


def grade(
    tmp_path: Path, *notebooks: Path, options: tuple[str, ...] = (), timeout: float = 900
) -> dict[str, dict]:
    """Grade ``notebooks`` with a secret in the grader's environment; per student, the row of
    grades.csv and the results.json and feedback.html written back. ``options``: more of
    ``grader grade``'s; ``timeout``: how long before the grader is taken to hang."""
    out = tmp_path / "out"
    done = subprocess.run(
        [*FENCE, sys.executable, "-m", "grader.cli", "grade", "--assignment", str(ASSIGNMENT)]
        + ["--out", str(out), "--seed", "5", *options, *map(str, notebooks)],
        capture_output=True,
        text=True,
        timeout=timeout,
        cwd=ROOT,
        env={**os.environ, "GRADER_SMTP_PASSWORD": SECRET},
        check=False,
    )
    assert done.returncode == 0, done.stderr[-3000:]
    with (out / "grades.csv").open(newline="") as handle:
        rows = {row["student"]: row for row in csv.DictReader(handle)}
    return {
        student: {
            "row": row,
            "results": json.loads((out / student / "results.json").read_text()),
            "feedback": (out / student / "feedback.html").read_text(),
        }
        for student, row in rows.items()
    }


def marks(graded: dict) -> dict[str, float]:
    return {name: float(graded["row"][name]) for name in FULL}
