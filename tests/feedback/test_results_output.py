"""results.json's top-level output says what happened to the notebook's cells, as
feedback.html does: cells that raised (cell, line, error) and cells interrupted at the time
limit; graded through `grader grade` in the sandbox behind the pid fence."""

from __future__ import annotations

import html
import json
import shutil
import subprocess
import sys
from pathlib import Path

import nbformat
import numpy as np
import pytest
from nbformat.v4 import new_code_cell
from sandbox_fence import FENCE

from grader.assignment.releasing import release

ROOT = Path(__file__).resolve().parents[2]
ASSIGNMENT = ROOT / "assignments" / "lstm_gates"


def grade(notebook: Path, out: Path, *flags: str) -> Path:
    """``grader grade`` of one notebook of the LSTM gates, behind the pid fence; ``out``."""
    done = subprocess.run(
        [*FENCE, sys.executable, "-m", "grader.cli", "grade", "--assignment", str(ASSIGNMENT)]
        + ["--out", str(out), *flags, str(notebook)],
        capture_output=True,
        text=True,
        timeout=600,
        cwd=ROOT,
        check=False,
    )
    assert done.returncode == 0, done.stderr
    return out


def test_raised_and_interrupted_cells_reach_results_json(tmp_path):
    from diagnosis_corpus import Entry, filled

    released = nbformat.read(release(ASSIGNMENT, tmp_path / "release"), as_version=4)
    nb = filled(released, Entry("correct"))
    position = next(i for i, c in enumerate(nb.cells) if c.get("id") == "grader-check-all")
    nb.cells.insert(position, new_code_cell("total = 1\nprint(total)\ntotal(2)\n"))
    nb.cells.insert(position + 1, new_code_cell("import time\nwhile True:\n    time.sleep(0.1)\n"))
    path = tmp_path / "student.ipynb"
    nbformat.write(nb, path)
    out = grade(path, tmp_path / "graded", "--seed", "5", "--timeout", "4")
    document = json.loads((out / "student" / "results.json").read_text())
    output = document["output"]
    assert f"cell {position + 1}, line 3: TypeError: 'int' object is not callable" in output
    assert f"cell {position + 2}" in output and "interrupted" in output
    assert document["score"] == 100  # the functions keep their marks
    page = (out / "student" / "feedback.html").read_text()
    assert "line 3: TypeError" in page and "interrupted" in page


def test_a_buggy_sample_gets_a_pasteable_smallest_case(tmp_path):
    """examples/lstm_gates/bhavin.ipynb (tanh in the forget gate), graded in the sandbox: its
    results.json and feedback page show the smallest failing case as code that, run as
    pasted, rebuilds the hidden case to the last bit, and the reference answers it with the
    expected value shown; the plot names h and c."""
    from grader.assignment import load_assignment

    notebook = ROOT / "examples" / "lstm_gates" / "bhavin.ipynb"
    out = grade(notebook, tmp_path / "graded", "--seed", "11")
    document = json.loads((out / "bhavin" / "results.json").read_text())
    outputs = {test["name"]: test["output"] for test in document["tests"]}
    assignment = load_assignment(ASSIGNMENT)
    cases = assignment.hidden_cases(11)
    page = html.unescape((out / "bhavin" / "feedback.html").read_text())
    for function in ("forget_gate", "lstm_cell"):
        intro = f"paste this into a cell below your {function}.\n"
        code = outputs[function].split(intro, 1)[1].split("\n\nCases (", 1)[0]  # the detail after
        assert code in page
        smallest = min(cases[function], key=lambda c: sum(np.size(a) for a in leaves(c.args)))
        namespace = {function: assignment.reference(function)}
        exec(code, namespace)  # noqa: S102 - the grader's own text
        parameters = assignment.parameters(function)
        shown = [namespace[p] for p in parameters]
        assert all(
            np.array_equal(a, b) for a, b in zip(leaves(shown), leaves(smallest.args), strict=True)
        )
        for name in ("yours", "expected"):
            got = namespace[name] if isinstance(namespace[name], tuple) else (namespace[name],)
            want = smallest.expected if function == "lstm_cell" else (smallest.expected,)
            assert all(np.array_equal(a, b) for a, b in zip(got, want, strict=True)), name
        assert not np.allclose(leaves(namespace["returned"])[0], leaves(smallest.expected)[0])
    assert "alt=\"lstm_cell's returned values against the right ones on case" in page
    screenshot(out / "bhavin" / "feedback.html", tmp_path / "feedback.png")


def leaves(value) -> list:
    if isinstance(value, dict):
        return [leaf for key in sorted(value) for leaf in leaves(value[key])]
    if isinstance(value, tuple | list):
        return [leaf for item in value for leaf in leaves(item)]
    return [value]


def screenshot(page: Path, png: Path) -> None:
    """The page in Debian's chromium, headless; the PNG shows more than a blank page."""
    if not shutil.which("chromium"):
        pytest.fail("this test needs Debian's chromium: apt-get install chromium")
    subprocess.run(
        ["chromium", "--headless", "--no-sandbox", "--disable-gpu", f"--screenshot={png}"]
        + ["--window-size=1100,2600", page.as_uri()],
        check=True,
        capture_output=True,
        timeout=120,
    )
    from PIL import Image

    with Image.open(png) as image:
        colours = image.convert("RGB").resize((110, 260)).getcolors(110 * 260)
    assert colours and len(colours) > 20
