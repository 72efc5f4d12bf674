"""nbgrader's own example, ``ps1/problem1`` (from the pinned nbgrader wheel), as an nbgrader
instructor brings it: ``grader assign --from-nbgrader``, the cases written from its tests, the
release, and ``grader grade`` (in the sandbox) of nbgrader's own solution notebook, which must
score full marks: ``squares(n)`` returns a Python list, one value, as the solution's list is."""

from __future__ import annotations

import json
import re
import shutil
from pathlib import Path

import nbformat
import pytest
from nbgrader_examples import nbgrader_ps1
from written_kit import grade

from grader import cli
from grader.assignment import releasing, written
from grader.scoring.written_check import written_report

# make_cases as an instructor writes them from nbgrader's asserts (squares(1), ..., (11)).
CASE = '    n = int(rng.integers(1, 12))\n    return Case(f"n = {n}", (n,))'
UNWRITTEN = re.compile(r'    raise NotImplementedError\("write the cases of \w+ in grading.py"\)')


@pytest.fixture(scope="module")
def ps1(tmp_path_factory) -> Path:
    return nbgrader_ps1(tmp_path_factory.mktemp("nbgrader"))


@pytest.fixture(scope="module")
def problem1(ps1, tmp_path_factory) -> tuple[Path, Path]:
    """(the assignment folder made from problem1, its cases written; nbgrader's solution)."""
    folder = tmp_path_factory.mktemp("nbgrader-problem1") / "problem1"
    code = cli.main(
        ["assign", "--from-nbgrader", str(ps1 / "problem1.ipynb"), "--out", str(folder)]
    )
    assert code == 0
    grading = folder / "grading.py"
    grading.write_text(UNWRITTEN.sub(CASE, grading.read_text()))
    return folder, ps1 / "problem1.ipynb"


def test_a_release_before_the_cases_are_written_says_so_in_one_line(ps1, tmp_path, capsys):
    folder = tmp_path / "problem1"
    assert (
        cli.main(["assign", "--from-nbgrader", str(ps1 / "problem1.ipynb"), "--out", str(folder)])
        == 0
    )
    capsys.readouterr()
    assert cli.main(["assign", str(folder), "--out", str(tmp_path / "release")]) == 2
    said = capsys.readouterr().err
    assert "make_cases('squares', ...) is not written yet" in said and "Traceback" not in said
    assert len(said.strip().splitlines()) == 1


def test_a_metadata_only_code_answer_is_released_as_nbgrader_releases_it(
    problem1, tmp_path, monkeypatch
):
    """Part D (``sum_of_squares_application``): a code cell nbgrader marks by its metadata
    alone (no BEGIN SOLUTION), released by nbgrader as its code stub."""
    folder, _ = problem1
    released_path = releasing.release(folder, tmp_path / "release")
    released = nbformat.read(released_path, as_version=4)
    answers = written.answer_cells(released)
    part_d = answers["sum_of_squares_application"]
    assert part_d.cell_type == "code"
    assert part_d.source == "# YOUR CODE HERE\nraise NotImplementedError()"
    assert "pyramidal_number" not in json.dumps(released)  # the model answer stays behind
    assert answers["sum_of_squares_equation"].source == "YOUR ANSWER HERE"  # markdown, as nbgrader
    assert written.is_unanswered(part_d.source)
    monkeypatch.setenv("JPY_SESSION_NAME", str(released_path))  # the self-check reads the file
    said = " ".join(written_report({}, list(answers), 0))
    assert "Still empty: " in said and "sum_of_squares_application" in said


def test_nbgrader_s_own_solution_scores_full_marks(problem1, tmp_path):
    folder, solution = problem1
    student = tmp_path / "nbgrader.ipynb"
    shutil.copy(solution, student)
    out = tmp_path / "graded"
    grade("--assignment", str(folder), "--out", str(out), str(student))
    results = json.loads((out / "nbgrader" / "results.json").read_text())
    tests = {t["name"]: t for t in results["tests"]}
    squares = [t for name, t in tests.items() if name.startswith("squares")]
    assert squares and all(t["score"] == t["max_score"] for t in squares), squares
    assert all("expected a tuple" not in t.get("output", "") for t in tests.values())
    assert results["score"] == 3, json.dumps(results, indent=1)[:3000]
