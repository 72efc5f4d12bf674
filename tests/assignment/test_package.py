"""A fourth assignment added as a folder, without touching grader/: the complete example of
assignments/README.md is built in a temporary directory, released, self-checked, and graded
through `grader grade` in the pid fence."""

from __future__ import annotations

import contextlib
import csv
import io
import json
import re
import subprocess
import sys
from pathlib import Path

import nbformat
import pytest
from nbformat.v4 import new_code_cell, new_notebook
from sandbox_fence import FENCE

from grader import cli
from grader.assignment import function_rng, load_assignment

ROOT = Path(__file__).resolve().parents[2]
GUIDE = ROOT / "assignments" / "README.md"
BLOCK = re.compile(r"<!-- file: (\S+) -->\n```\w+\n(.*?)```", re.S)


def guide_files() -> dict[str, str]:
    return dict(BLOCK.findall(GUIDE.read_text(encoding="utf-8")))


@pytest.fixture(scope="module")
def folder(tmp_path_factory) -> Path:
    """assignments/sigmoid/ as the guide writes it, in a temporary directory."""
    files = guide_files()
    assert set(files) == {"assignment.toml", "source.ipynb", "grading.py"}
    folder = tmp_path_factory.mktemp("assignments") / "sigmoid"
    folder.mkdir()
    (folder / "assignment.toml").write_text(files["assignment.toml"])
    (folder / "grading.py").write_text(files["grading.py"])
    cells = [new_code_cell(c.strip("\n")) for c in files["source.ipynb"].split("# %%\n")]
    nbformat.write(new_notebook(cells=cells), folder / "source.ipynb")
    return folder


@pytest.fixture(scope="module")
def release(folder, tmp_path_factory) -> nbformat.NotebookNode:
    out = tmp_path_factory.mktemp("release")
    assert cli.main(["assign", str(folder), "--out", str(out)]) == 0
    return nbformat.read(out / "sigmoid.ipynb", as_version=4)


def with_body(release: nbformat.NotebookNode, body: str | None) -> nbformat.NotebookNode:
    """The release with the stub of sigmoid replaced by ``body`` (None: left as it is)."""
    nb = nbformat.from_dict(json.loads(json.dumps(release)))
    if body is not None:
        (cell,) = [c for c in nb.cells if "def sigmoid(" in c.source]
        stub = "    # YOUR CODE HERE\n    raise NotImplementedError()"
        cell.source = cell.source.replace(stub, body)
    return nb


SOLUTION = re.search(
    r"### BEGIN SOLUTION\n(.*?)[ \t]*### END SOLUTION", guide_files()["source.ipynb"], re.S
).group(1)
BODIES = {
    "right": SOLUTION.rstrip("\n"),
    "naive": "    return 1.0 / (1.0 + np.exp(-z))",  # right: exp overflows to inf, 1/inf = 0
    "tanh": "    return np.tanh(z)",
    "clipped": "    return np.clip(0.5 + z / 4, 0.0, 1.0)",
    "stub": None,
}


def self_check(nb: nbformat.NotebookNode) -> str:
    namespace: dict = {}
    out = io.StringIO()
    with contextlib.redirect_stdout(out):
        for cell in nb.cells:
            if cell.cell_type == "code" and not cell.source.startswith("check"):
                exec(cell.source, namespace)
        namespace["check"]()
    return out.getvalue()


def test_the_folder_loads_with_its_own_cases(folder):
    assignment = load_assignment(folder)
    assert assignment.functions == ["sigmoid"]
    cases = assignment.hidden_cases(5)["sigmoid"]
    assert len(cases) == 3 and "|z| <= 40" in cases[-1].label
    # the expected values come from the source notebook's solution (no REFERENCE)
    z = cases[0].args[0]
    assert abs(cases[0].expected - 1 / (1 + __import__("numpy").exp(-z))).max() < 1e-12
    first = function_rng(5, "sigmoid").uniform()
    assert first != function_rng(5, "other").uniform()


def test_release_self_checks_the_solution_and_names_the_mistakes(release):
    text = json.dumps(release)
    assert "np.where(z >= 0" not in text and "grading" not in text
    assert "sigmoid: PASS (2 public cases" in self_check(with_body(release, BODIES["right"]))
    printed = self_check(with_body(release, BODIES["tanh"]))
    assert "sigmoid: FAIL" in printed and "matches tanh(z)" in printed
    printed = self_check(with_body(release, BODIES["clipped"]))
    assert "values sit exactly at 0 or 1" in printed
    assert "NOT IMPLEMENTED YET" in self_check(release)


def test_graded_through_grader_grade(folder, release, tmp_path):
    paths = []
    for student, body in BODIES.items():
        path = tmp_path / "hand-ins" / f"{student}.ipynb"
        path.parent.mkdir(exist_ok=True)
        nbformat.write(with_body(release, body), path)
        paths.append(str(path))
    out = tmp_path / "graded"
    done = subprocess.run(
        [*FENCE, sys.executable, "-m", "grader.cli", "grade", "--assignment", str(folder)]
        + ["--out", str(out), "--seed", "3", *paths],
        capture_output=True,
        text=True,
        timeout=600,
        cwd=ROOT,
        check=False,
    )
    assert done.returncode == 0, done.stderr
    with (out / "grades.csv").open(newline="") as handle:
        rows = {row["student"]: row for row in csv.DictReader(handle)}
    assert {s: rows[s]["sigmoid"] for s in rows} == {
        "right": "10",
        "naive": "10",
        "tanh": "0",
        "clipped": "0",
        "stub": "0",
    }
    assert all(row["status"] == "graded" for row in rows.values())

    def output(student):
        return json.loads((out / student / "results.json").read_text())["tests"][0]["output"]

    assert "Hint [tanh-for-sigmoid]: sigmoid matches tanh(z)" in output("tanh")
    assert "Hint [clipped]" in output("clipped")
    assert "Hint" not in output("right") and "Hint" not in output("naive")
    assert "not implemented yet" in output("stub")
    assert "Grader cell changed" not in (out / "right" / "results.json").read_text()
