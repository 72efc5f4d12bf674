"""An assignment released per student, graded again (issue 89): each student's hand-in is graded
on their own values and on the seed recorded for its bytes, so a function whose partial credit
depends on the cases drawn keeps it, and the variant's verdict with it."""

from __future__ import annotations

import csv
from pathlib import Path

import nbformat
import pytest
from variants_kit import answered, grade_inbox, roster, with_variants

from grader.assignment import load_config
from grader.cli import main

pytestmark = pytest.mark.slow

RIGHT = "return np.tanh(x_t @ W_xh.T + h_prev @ W_hh.T + b_h)"
CLIPPED = "return np.tanh(np.clip(x_t @ W_xh.T + h_prev @ W_hh.T + b_h, -2.5, 2.5))"
# The course's secret, fixed: it draws each student's values and hidden cases, and the clipped
# step is right on every case of about one draw in twenty (and wrong on every case of as many).
SECRET = b"per-student regrade, fixed draws"


def grade(assignment: Path, inbox: Path, out: Path) -> dict[str, dict[str, str]]:
    """`grader grade` of the inbox as the instructor types it (no --seed, no --roster: the
    release's roster names the students); grades.csv by student."""
    grade_inbox(assignment, inbox, out, seed=None)
    with (out / "grades.csv").open(newline="") as handle:
        return {row["student"]: row for row in csv.DictReader(handle)}


def test_a_per_student_assignment_graded_again_keeps_each_students_score(tmp_path) -> None:
    folder = tmp_path / "lstm-course"
    assert main(["init", str(folder)]) == 0
    (folder / "roster.csv").write_text(roster(3), encoding="utf-8")
    (folder / "variants").mkdir(exist_ok=True)
    (folder / "variants" / "secret.key").write_bytes(SECRET)
    assignment = folder / "assignments" / "rnn_gradients"
    with_variants(assignment)
    release = tmp_path / "release"
    assert main(["assign", str(assignment), "--per-student", "--out", str(release)]) == 0
    inbox = tmp_path / "inbox"
    inbox.mkdir()
    for student in ("S000", "S001"):  # as an LMS hands the per-student files back
        name = f"{student}_rnn_gradients.ipynb"
        notebook = answered(
            nbformat.read(release / "rnn_gradients" / name, 4), assignment / "source.ipynb"
        )
        step = next(c for c in notebook.cells if c.get("id") == "rnn-step")
        assert RIGHT in step.source
        step.source = step.source.replace(RIGHT, CLIPPED)  # "so that tanh does not saturate"
        nbformat.write(notebook, inbox / name)

    points = {f.name: f.points for f in load_config(assignment).functions}
    out = tmp_path / "graded"
    first = grade(assignment, inbox, out)
    assert set(first) == {"S000", "S001"}
    for row in first.values():
        assert row["variant"].startswith("own"), row["variant"]
        assert 0 < float(row["rnn_step"]) < points["rnn_step"], row  # some cases only
    assert grade(assignment, inbox, out) == first  # the same scores, seeds and verdicts
