"""results.json's top-level output says what happened to the notebook's cells, as
feedback.html does: cells that raised (cell, line, error) and cells interrupted at the time
limit; graded through `grader grade` in the sandbox behind the pid fence."""

from __future__ import annotations

import json
import subprocess
import sys
from pathlib import Path

import nbformat
from nbformat.v4 import new_code_cell
from sandbox_fence import FENCE

from grader.assignment import release

ROOT = Path(__file__).resolve().parent.parent


def test_raised_and_interrupted_cells_reach_results_json(tmp_path):
    from diagnosis_corpus import ASSIGNMENT, Entry, filled

    released = nbformat.read(release(ASSIGNMENT, tmp_path / "release"), as_version=4)
    nb = filled(released, Entry("correct"))
    position = next(i for i, c in enumerate(nb.cells) if c.get("id") == "grader-check-all")
    nb.cells.insert(position, new_code_cell("total = 1\nprint(total)\ntotal(2)\n"))
    nb.cells.insert(position + 1, new_code_cell("import time\nwhile True:\n    time.sleep(0.1)\n"))
    path = tmp_path / "student.ipynb"
    nbformat.write(nb, path)
    out = tmp_path / "graded"
    done = subprocess.run(
        [*FENCE, sys.executable, "-m", "grader.cli", "grade", "--assignment", str(ASSIGNMENT)]
        + ["--out", str(out), "--seed", "5", "--timeout", "4", str(path)],
        capture_output=True,
        text=True,
        timeout=600,
        cwd=ROOT,
        check=False,
    )
    assert done.returncode == 0, done.stderr
    document = json.loads((out / "student" / "results.json").read_text())
    output = document["output"]
    assert f"cell {position + 1}, line 3: TypeError: 'int' object is not callable" in output
    assert f"cell {position + 2}" in output and "interrupted" in output
    assert document["score"] == 100  # the functions keep their marks
    page = (out / "student" / "feedback.html").read_text()
    assert "line 3: TypeError" in page and "interrupted" in page
