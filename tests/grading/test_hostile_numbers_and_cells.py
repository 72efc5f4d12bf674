"""Hand-ins that ended a whole submission's grading, graded for real in the sandbox (behind the
second fence): a gradient that explodes to the largest float (the hint engine raised
OverflowError: the row was ``error``, the run exited 1, and ``--resume`` crashed the same way),
and a cell larger than the runner's message once was (4 MiB: "the kernel died while running
cell N (exit code 70)", every point 0) in a notebook far smaller than the intake accepts."""

from __future__ import annotations

import csv
import json
import subprocess
import sys
from pathlib import Path

import nbformat
import pytest
from sandbox_fence import FENCE

from grader.limits import MiB

ROOT = Path(__file__).resolve().parents[2]
ASSIGNMENT = ROOT / "assignments" / "rnn_gradients"
SAMPLE = ROOT / "examples" / "rnn_gradients" / "asha.ipynb"  # full marks
LARGEST = "1.7976931348623157e308"
EXPLODING = f'''def gradient_norms(x, h0, params):
    """The gradient explodes to the largest float there is (finite)."""
    T = x.shape[0]
    return np.full(T, {{sign}}{LARGEST})
'''
BIG_CELL_BYTES = 6 * MiB  # past the 4 MiB the runner once took; far below the intake's 50 MB


def _notebook(path: Path, replace: dict[str, str] = (), append: str = "") -> Path:
    """The full-marks sample with the cells defining ``replace``'s functions replaced, and a
    cell ``append``-ed before its last."""
    notebook = nbformat.read(SAMPLE, as_version=4)
    for cell in notebook.cells:
        for name, source in dict(replace).items():
            if cell.cell_type == "code" and f"def {name}(" in cell.source:
                cell.source = source
    if append:
        notebook.cells.insert(len(notebook.cells) - 1, nbformat.v4.new_code_cell(append))
    nbformat.write(notebook, path)
    return path


def _grade(out: Path, notebooks: list[Path], *options: str) -> subprocess.CompletedProcess:
    return subprocess.run(
        [*FENCE, sys.executable, "-m", "grader.cli", "grade", "--assignment", str(ASSIGNMENT)]
        + ["--out", str(out), "--seed", "5", *options, *map(str, notebooks)],
        capture_output=True,
        text=True,
        timeout=900,
        cwd=ROOT,
        check=False,
    )


@pytest.fixture(scope="module")
def graded(tmp_path_factory) -> tuple[Path, list[Path], subprocess.CompletedProcess]:
    folder = tmp_path_factory.mktemp("hostile")
    notebooks = [
        _notebook(folder / "up.ipynb", {"gradient_norms": EXPLODING.format(sign="")}),
        _notebook(folder / "down.ipynb", {"gradient_norms": EXPLODING.format(sign="-")}),
        _notebook(folder / "big.ipynb", append=f'PADDING = "{"x" * BIG_CELL_BYTES}"\n'),
    ]
    out = folder / "out"
    return out, notebooks, _grade(out, notebooks)


def _rows(out: Path) -> dict[str, dict]:
    with (out / "grades.csv").open(newline="") as handle:
        return {row["student"]: row for row in csv.DictReader(handle)}


def _results(out: Path, student: str) -> dict:
    return json.loads((out / student / "results.json").read_text())


def _full(results: dict) -> float:
    return sum(test["max_score"] for test in results["tests"])


def test_a_gradient_at_the_largest_float_is_scored_with_a_reason(graded):
    out, _, done = graded
    assert done.returncode == 0, done.stderr[-3000:]
    rows = _rows(out)
    for student in ("up", "down"):
        assert rows[student]["status"] != "error", rows[student]
        results = _results(out, student)
        norms = [t for t in results["tests"] if t["name"].startswith("gradient_norms")]
        assert norms and all(t["score"] == 0 for t in norms), norms
        assert "largest error" in norms[0]["output"], norms[0]["output"]
        assert 0 < results["score"] < _full(results)  # the other functions keep their points


def test_resume_after_them_grades_nothing_again_and_ends_well(graded):
    out, notebooks, _ = graded
    again = _grade(out, notebooks, "--resume")
    assert again.returncode == 0, again.stderr[-3000:]
    assert {row["status"] for row in _rows(out).values()} != {"error"}


def test_a_cell_larger_than_4_mib_runs_like_any_other(graded):
    out, _, _ = graded
    row = _rows(out)["big"]
    results = _results(out, "big")
    assert row["status"] != "error", row
    assert results["score"] == _full(results), json.dumps(results, indent=1)[:3000]
    assert "kernel died" not in (out / "big" / "feedback.html").read_text()
