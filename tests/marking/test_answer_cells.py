"""A student's written answers read as nbgrader reads them: each answer cell's kind and points
from the release (by its id, then its position), the student's answer shown wherever it is,
and every edit of the cell flagged; long answers kept whole (or cut with the "cut at" words);
images pasted into an answer kept."""

from __future__ import annotations

import base64
import copy
from pathlib import Path

import nbformat
import pytest
from written_kit import QUESTION, with_written_question

from grader import assignment as assign
from grader.assignment import releasing
from grader.assignment.written import questions_of
from grader.limits import WRITTEN
from grader.marking.written_answers import (
    AnswerStore,
    notes_for_student,
    read_answers,
    record_submission,
)

# A 1x1 PNG, as a browser pastes it into a markdown cell.
PIXEL = base64.b64encode(
    bytes.fromhex(
        "89504e470d0a1a0a0000000d4948445200000001000000010806000000"
        "1f15c4890000000d49444154789c6360000002000001e221bc330000000049454e44ae426082"
    )
).decode()


@pytest.fixture(scope="module")
def release(tmp_path_factory) -> tuple[nbformat.NotebookNode, tuple]:
    base = tmp_path_factory.mktemp("answer-cells")
    folder = with_written_question(base / "lstm_gates")
    released = nbformat.read(releasing.release(folder, base / "release"), as_version=4)
    return released, questions_of(assign.load_config(folder))


def _answer_at(notebook: nbformat.NotebookNode) -> int:
    return next(i for i, c in enumerate(notebook.cells) if c.get("id") == f"written-{QUESTION}")


def _read(tmp_path: Path, notebook: nbformat.NotebookNode, questions: tuple):
    path = tmp_path / "hand-in.ipynb"
    nbformat.write(notebook, path)
    (answer,) = read_answers(path, "s1", questions)
    return answer


def _edited(release, edit) -> nbformat.NotebookNode:
    notebook = copy.deepcopy(release[0])
    edit(notebook, _answer_at(notebook))
    return notebook


def test_points_edited_in_the_cell_are_flagged_and_the_release_counts(release, tmp_path):
    def edit(nb, at):
        nb.cells[at].source = "The forget gate keeps the state."
        nb.cells[at].metadata["grader"]["written"]["points"] = 100

    answer = _read(tmp_path, _edited(release, edit), release[1])
    assert answer.text == "The forget gate keeps the state."
    assert answer.kind == "markdown"
    assert [f for f in answer.flags if "points edited" in f and "2 count" in f]


def test_a_cell_made_an_autograded_test_is_flagged_and_its_text_shown(release, tmp_path):
    def edit(nb, at):
        cell = nbformat.v4.new_code_cell("assert True", id="a1b2c3")
        cell.metadata = {
            "nbgrader": {"grade": True, "solution": False, "grade_id": QUESTION, "points": 2}
        }
        nb.cells[at] = cell

    answer = _read(tmp_path, _edited(release, edit), release[1])
    assert answer.text == "assert True" and not answer.empty
    assert answer.kind == "markdown"  # the release's kind, never the student's
    assert any("autograded" in f for f in answer.flags)


def test_a_duplicated_id_is_flagged_and_the_copy_with_the_answer_shown(release, tmp_path):
    def edit(nb, at):
        copy_cell = copy.deepcopy(nb.cells[at])
        copy_cell.id = "d4e5f6"
        copy_cell.source = "f = 1 keeps all of C_{t-1}."
        nb.cells.insert(at + 1, copy_cell)

    answer = _read(tmp_path, _edited(release, edit), release[1])
    assert answer.text == "f = 1 keeps all of C_{t-1}."
    assert any("duplicated" in f for f in answer.flags)


def test_a_cell_whose_metadata_was_deleted_is_found_by_position_and_flagged(release, tmp_path):
    def edit(nb, at):
        nb.cells[at].metadata = {}
        nb.cells[at].id = "0f9e8d"
        nb.cells[at].source = "Nothing is forgotten."

    answer = _read(tmp_path, _edited(release, edit), release[1])
    assert answer.text == "Nothing is forgotten." and answer.kind == "markdown"
    assert any("position" in f for f in answer.flags)
    assert any("metadata" in f for f in answer.flags)


def test_a_deleted_cell_is_missing_and_flagged(release, tmp_path):
    answer = _read(tmp_path, _edited(release, lambda nb, at: nb.cells.pop(at)), release[1])
    assert answer.kind == "missing" and answer.flags == (
        "the answer cell is missing from the notebook",
    )


def test_an_untouched_cell_has_no_flag(release, tmp_path):
    def edit(nb, at):
        nb.cells[at].source = "Kept."

    assert _read(tmp_path, _edited(release, edit), release[1]).flags == ()


def test_a_long_answer_is_kept_whole_and_one_over_the_cap_says_where_it_was_cut(release, tmp_path):
    text = "".join(f"Step {n}: $x_{{{n}}} = {n}$. " for n in range(4000))[:60_000]

    def edit(nb, at):
        nb.cells[at].source = text

    out = tmp_path / "graded"
    record_submission(out, "s1", None, "", release[1])  # a student with no notebook
    path = tmp_path / "long.ipynb"
    nbformat.write(_edited(release, edit), path)
    record_submission(out, "s2", path, "abc", release[1])
    with AnswerStore(out / "gradebook.sqlite") as store:
        (kept,) = store.answers(QUESTION, "s2")
    assert kept.text == text and kept.chars == 60_000 and kept.cut == ""

    over = "y" * (WRITTEN.answer_chars + 500)

    def too_long(nb, at):
        nb.cells[at].source = over

    answer = _read(tmp_path, _edited(release, too_long), release[1])
    cap = WRITTEN.answer_chars
    assert answer.cut == f"cut at {cap:,} characters of {cap + 500:,}"
    assert len(answer.text) == cap
    (note,) = notes_for_student([answer])
    assert answer.cut in note and QUESTION in note


def test_an_image_pasted_into_the_answer_is_kept(release, tmp_path):
    def edit(nb, at):
        nb.cells[at].source = "My diagram:\n\n![chitra_diagram.png](attachment:chitra_diagram.png)"
        nb.cells[at].attachments = {
            "chitra_diagram.png": {"image/png": PIXEL},
            "page.svg": {"image/svg+xml": "<svg onload='alert(1)'/>"},
        }

    answer = _read(tmp_path, _edited(release, edit), release[1])
    pasted = [o for o in answer.outputs if "attachment" in o]
    assert pasted == [{"attachment": "chitra_diagram.png", "mime": "image/png", "data": PIXEL}]


def test_a_cell_of_nbgraders_own_release_is_read_without_a_flag(release, tmp_path):
    def edit(nb, at):
        cell = nbformat.v4.new_markdown_cell("Gates multiply.", id="nbg-1")
        cell.metadata = {
            "nbgrader": {"grade": True, "solution": True, "grade_id": QUESTION, "points": 2}
        }
        nb.cells[at] = cell

    answer = _read(tmp_path, _edited(release, edit), release[1])
    assert answer.text == "Gates multiply." and answer.flags == ()
