"""Per-student notebooks handed back as an LMS names them (``<id>_<assignment>.ipynb``), graded
inside the course that released them without ``--roster``: each is attributed by the course's
roster to its student, graded on that student's values and flagged as their own (they were
graded as students "S001_rnn_gradients", never released a notebook of their own, on the
class-wide values)."""

from __future__ import annotations

import csv
import json
import shutil

import nbformat
from variants_kit import answered, grade_inbox, roster

from grader.cli import main

STUDENTS = ("S001", "S002")


def test_lms_named_files_are_attributed_by_the_courses_roster(tmp_path):
    course = tmp_path / "lstm-course"
    assert main(["init", str(course)]) == 0
    (course / "roster.csv").write_text(roster(3), encoding="utf-8")
    assignment = course / "assignments" / "rnn_gradients"
    release = tmp_path / "r"
    assert main(["assign", str(assignment), "--per-student", "--out", str(release)]) == 0
    inbox = tmp_path / "from-the-lms"
    inbox.mkdir()
    for student in STUDENTS:
        name = f"{student}_rnn_gradients.ipynb"
        notebook = nbformat.read(release / "rnn_gradients" / name, as_version=4)
        nbformat.write(answered(notebook, assignment / "source.ipynb"), inbox / name)
    shutil.copy(inbox / f"{STUDENTS[0]}_rnn_gradients.ipynb", inbox / "nobody_rnn_gradients.ipynb")
    out = tmp_path / "graded"
    said = grade_inbox(assignment, inbox, out)
    assert "nobody_rnn_gradients.ipynb is not on the roster" in said
    with (out / "grades.csv").open(newline="") as handle:
        rows = {row["student"]: row for row in csv.DictReader(handle)}
    assert set(rows) == {*STUDENTS, "nobody_rnn_gradients"}
    for student in STUDENTS:
        assert rows[student]["variant"] == "own", rows[student]
        results = json.loads((out / student / "results.json").read_text())
        assert all(t["score"] == t["max_score"] for t in results["tests"]), results["output"]
