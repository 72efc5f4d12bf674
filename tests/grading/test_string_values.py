"""A graded function that returns a string (nbgrader's style: ``greeting(name)``), brought as
an nbgrader instructor brings it (``grader assign --from-nbgrader``) and graded for real in
the sandbox: a string is compared as a string, exactly, and a wrong one says what came back."""

from __future__ import annotations

import json
import re
from pathlib import Path

import nbformat
import pytest
from written_kit import grade

from grader import cli

SOLUTION = '''def greeting(name):
    """The greeting for ``name``."""
    ### BEGIN SOLUTION
    return "Hello, " + name
    ### END SOLUTION'''
TESTS = 'assert greeting("Ann") == "Hello, Ann"'
CASE = '    return Case("name = Ann", ("Ann",))'
UNWRITTEN = re.compile(r'    raise NotImplementedError\("write the cases of \w+ in grading.py"\)')


def _nbgrader_notebook(path: Path, solution: str) -> Path:
    def cell(source: str, grade_id: str, **flags: object) -> nbformat.NotebookNode:
        made = nbformat.v4.new_code_cell(source)
        made.metadata["nbgrader"] = {"grade_id": grade_id, "locked": False} | flags
        return made

    notebook = nbformat.v4.new_notebook()
    notebook.cells = [
        cell(solution, "greeting", solution=True, grade=False),
        cell(TESTS, "greeting_test", solution=False, grade=True, points=1),
    ]
    nbformat.write(notebook, path)
    return path


@pytest.fixture(scope="module")
def greeting(tmp_path_factory) -> Path:
    """The assignment folder made from an nbgrader notebook whose graded function returns a str."""
    made = tmp_path_factory.mktemp("strings")
    source = _nbgrader_notebook(made / "greeting.ipynb", SOLUTION)
    folder = made / "greeting"
    assert cli.main(["assign", "--from-nbgrader", str(source), "--out", str(folder)]) == 0
    grading = folder / "grading.py"
    grading.write_text(UNWRITTEN.sub(CASE, grading.read_text()))
    return folder


def _graded(folder: Path, student: Path, out: Path) -> dict:
    grade("--assignment", str(folder), "--out", str(out), str(student))
    return json.loads((out / student.stem / "results.json").read_text())


def test_the_solution_returning_a_string_scores_full_marks(greeting, tmp_path):
    student = _nbgrader_notebook(tmp_path / "right.ipynb", SOLUTION)
    results = _graded(greeting, student, tmp_path / "graded")
    assert results["score"] == 1, json.dumps(results, indent=1)[:3000]


def test_a_wrong_string_loses_the_marks_and_says_what_came_back(greeting, tmp_path):
    wrong = SOLUTION.replace('"Hello, " + name', '"Hello," + name')
    student = _nbgrader_notebook(tmp_path / "wrong.ipynb", wrong)
    results = _graded(greeting, student, tmp_path / "graded")
    assert results["score"] == 0, json.dumps(results, indent=1)[:3000]
    said = " ".join(t.get("output", "") for t in results["tests"])
    assert "returned 'Hello,Ann', expected 'Hello, Ann'" in said, said


def test_an_array_where_a_string_is_expected_says_so(greeting, tmp_path):
    numbers = SOLUTION.replace('"Hello, " + name', "[1.0, 2.0]")
    student = _nbgrader_notebook(tmp_path / "numbers.ipynb", numbers)
    results = _graded(greeting, student, tmp_path / "graded")
    assert results["score"] == 0
    said = " ".join(t.get("output", "") for t in results["tests"])
    assert "returned an array, expected a str" in said, said
