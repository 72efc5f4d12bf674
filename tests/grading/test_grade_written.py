"""``grader grade`` on an assignment with a written answer: the auto-graded functions are scored
at once; each student's written answer (text, and the code of the functions it is about) is kept
for marking; the score says the written answers are not marked yet, never a 0 for them."""

from __future__ import annotations

import base64
import json
import subprocess
from pathlib import Path

import nbformat
import pytest
from submission_kit import png_bytes
from written_kit import grade, with_written_question

from grader import assignment as assign
from grader.assignment import releasing, written
from grader.marking.written_answers import AnswerStore

PNG = base64.b64encode(png_bytes()).decode()
ROOT = Path(__file__).resolve().parents[2]
ANSWER = r"Because $\prod_t W_{rec}$ shrinks: each step multiplies the gradient by $W_{rec} < 1$."


@pytest.fixture(scope="module")
def graded(tmp_path_factory) -> tuple[Path, subprocess.CompletedProcess]:
    tmp = tmp_path_factory.mktemp("written")
    folder = with_written_question(tmp / "lstm_gates")
    released = nbformat.read(releasing.release(folder, tmp / "release"), as_version=4)
    answered, empty = tmp / "asha.ipynb", tmp / "bhavin.ipynb"
    nbformat.write(released, empty)
    written.answer_cells(released)["forget-one"].source = ANSWER
    figure = next(c for c in released.cells if c.get("id") == "gates-figure")
    figure.outputs = [
        nbformat.v4.new_output("display_data", data={"image/png": PNG, "text/plain": "<Figure>"})
    ]
    nbformat.write(released, answered)
    edited = tmp / "chitra.ipynb"  # the answer cell's points raised by the student
    written.answer_cells(released)["forget-one"].metadata["grader"]["written"]["points"] = 50
    nbformat.write(released, edited)
    out = tmp / "out"
    hand_ins = (str(answered), str(empty), str(edited))
    done = grade("--assignment", str(folder), "--out", str(out), *hand_ins)
    return out, done


def test_each_written_answer_is_kept_for_marking(graded):
    out, _ = graded
    with AnswerStore(out / "gradebook.sqlite") as store:
        answers = {a.student: a for a in store.answers("forget-one")}
    assert answers["asha"].text == ANSWER and not answers["asha"].empty
    assert "def forget_gate(" in answers["asha"].code  # the function the question is about
    assert {"png": PNG} in answers["asha"].outputs  # and the figure of the cell it names
    assert answers["bhavin"].empty


def test_the_score_says_written_answers_are_not_marked_yet(graded):
    out, done = graded
    assert "Written answers not marked yet (forget-one; 2 points)" in done.stdout
    results = json.loads((out / "asha" / "results.json").read_text())
    said = json.dumps(results)
    assert "Written answers not marked yet" in said
    # the auto-graded functions' points only: the written answer is not a 0 out of 2
    config = assign.load_config(ROOT / "assignments" / "lstm_gates")
    assert results["output"].startswith(f"0 / {config.max_score:g} points.")
    feedback = (out / "asha" / "feedback.html").read_text()
    assert "Written answers not marked yet" in feedback


def test_an_edited_answer_cell_is_flagged_in_the_output_and_the_feedback(graded):
    out, done = graded
    assert "chitra: written answer forget-one: points edited in the notebook (50)" in done.stderr
    results = json.dumps(json.loads((out / "chitra" / "results.json").read_text()))
    assert "Your written answer forget-one: points edited in the notebook" in results
    with AnswerStore(out / "gradebook.sqlite") as store:
        (answer,) = store.answers("forget-one", "chitra")
    assert answer.text == ANSWER and answer.flags  # the answer shown, the edit on record
    assert "points edited" not in json.dumps(
        json.loads((out / "asha" / "results.json").read_text())
    )
