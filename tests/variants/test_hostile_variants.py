"""Hand-ins of a per-student assignment made to mislead or to swamp the grader, graded for real
in the sandbox from a `grader init` course (rnn_gradients released per student, its shipped
W_rec): whatever the notebook's metadata or text holds, the feedback, results.json and the
dashboard quote it cut to a stated length (a 1.9 MB fingerprint was copied whole into the
note: a 3.1 MB feedback page); and the variant check reads the numbers the notebook runs with,
whatever its metadata claims or its text pretends (a classmate's notebook claiming to be the
class-wide one, a constant written as an expression, a decoy line inside a string)."""

from __future__ import annotations

import csv
import json
from pathlib import Path

import nbformat
import pytest
from variants_kit import answered, grade_inbox, roster

from grader.cli import main

HUGE = 1_900_000  # characters: the fingerprint that made a 3.1 MB feedback page
HONEST = "S000"
STUDENTS = 6
# What a hostile hand-in's results and page may hold beyond an honest one's: the output the
# feedback folds in (GRADING.feedback_output_chars) and a few notes, with room to spare.
ROOM = 64 * 1024


def _constants(notebook: nbformat.NotebookNode) -> nbformat.NotebookNode:
    return next(c for c in notebook.cells if c.get("id") == "own-weight")


def _huge_fingerprint(notebook: nbformat.NotebookNode, _: dict) -> None:
    notebook.metadata["grader"]["variant"]["fingerprint"] = "f" * HUGE


def _huge_everything(notebook: nbformat.NotebookNode, _: dict) -> None:
    """A constant of megabytes, an error message and printed output of megabytes."""
    _constants(notebook).source = f'W_REC = "{"w" * HUGE}"'
    notebook.cells.insert(
        len(notebook.cells) - 1,
        nbformat.v4.new_code_cell(f'print("z" * {3 * HUGE})\nraise ValueError("y" * {HUGE})'),
    )


def _claims_class_wide(notebook: nbformat.NotebookNode, _: dict) -> None:
    notebook.metadata["grader"]["variant"] = {"class_wide": True, "definition": "x"}


def _owners_value_as_an_expression(notebook: nbformat.NotebookNode, w_rec: dict) -> None:
    _constants(notebook).source = f"W_REC = 1 * {w_rec['S001']}"


def _decoy_in_a_string(notebook: nbformat.NotebookNode, w_rec: dict) -> None:
    decoy = f'NOTE = """\nW_REC = {w_rec["S005"]}\n"""\n'
    _constants(notebook).source = decoy + f"W_REC = {w_rec['S001']}"


# student -> (whose release they hand in, what they do to it, given every student's W_rec)
HANDED = {
    HONEST: (HONEST, None),
    "S001": ("S001", _huge_fingerprint),
    "S002": ("S002", _huge_everything),
    "S003": ("S001", _claims_class_wide),  # S001's whole notebook, said to be the class's
    "S004": ("S004", _owners_value_as_an_expression),
    "S005": ("S005", _decoy_in_a_string),
}


@pytest.fixture(scope="module")
def graded(tmp_path_factory) -> Path:
    root = tmp_path_factory.mktemp("hostile-variants")
    course = root / "lstm-course"
    assert main(["init", str(course)]) == 0
    (course / "roster.csv").write_text(roster(STUDENTS), encoding="utf-8")
    assignment = course / "assignments" / "rnn_gradients"
    assert main(["assign", str(assignment), "--per-student", "--out", str(root / "r")]) == 0
    record = json.loads((course / "variants" / "rnn_gradients.json").read_text())
    w_rec = {student: s["values"]["W_rec"] for student, s in record["students"].items()}
    inbox = root / "inbox"
    inbox.mkdir()
    for student, (released_to, change) in HANDED.items():
        release = root / "r" / "rnn_gradients" / f"{released_to}_rnn_gradients.ipynb"
        notebook = answered(nbformat.read(release, as_version=4), assignment / "source.ipynb")
        if change is not None:
            change(notebook, w_rec)
        nbformat.write(notebook, inbox / f"{student}.ipynb")
    out = root / "graded"
    grade_inbox(assignment, inbox, out)
    return out


def _sizes(out: Path, student: str) -> tuple[int, int]:
    folder = out / student
    return (folder / "results.json").stat().st_size, (folder / "feedback.html").stat().st_size


@pytest.mark.parametrize("student", ["S001", "S002"])
def test_what_the_notebook_holds_is_quoted_cut_short(graded, student):
    honest_results, honest_page = _sizes(graded, HONEST)
    results, page = _sizes(graded, student)
    assert results <= honest_results + ROOM, (results, honest_results)
    assert page <= honest_page + ROOM, (page, honest_page)
    said = json.loads((graded / student / "results.json").read_text())["output"]
    assert "f" * 1000 not in said and "w" * 1000 not in said


def test_the_fingerprint_is_named_by_its_start(graded):
    said = json.loads((graded / "S001" / "results.json").read_text())["output"]
    assert "Variant: the notebook's fingerprint 'fff" in said, said[:3000]
    assert "is none the course released" in said


def test_the_constant_is_named_by_its_start(graded):
    said = json.loads((graded / "S002" / "results.json").read_text())["output"]
    assert "Variant: the notebook's constants (W_rec = www" in said, said[:3000]
    assert "y" * 600 not in said and "z" * 30_000 not in said


def _flag(out: Path, student: str) -> str:
    with (out / "grades.csv").open(newline="") as handle:
        return next(row for row in csv.DictReader(handle) if row["student"] == student)["variant"]


@pytest.mark.parametrize("student", ["S003", "S004", "S005"])
def test_a_classmates_numbers_are_named_whatever_the_notebook_says(graded, student):
    assert _flag(graded, student) == (
        f"another student's numbers: released to S001, handed in by {student}"
    )
    said = json.loads((graded / student / "results.json").read_text())["output"]
    assert f"are the values released to S001, and it is handed in by {student}" in said, said


def test_the_honest_hand_in_is_its_own(graded):
    assert _flag(graded, HONEST) == "own"
