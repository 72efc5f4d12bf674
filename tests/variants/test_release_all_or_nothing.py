"""`grader assign --per-student` is all or nothing: every student's notebook and answers are
made first, and written and recorded (variants/<assignment>.json) only when all were made. A
release that failed on one student's values once wrote and recorded those before, who were
then pinned for good to a definition they were never handed; a refused one left an empty
folder and an empty record."""

from __future__ import annotations

import json
import re
from pathlib import Path

import nbformat
from variants_kit import roster

from grader.cli import main

CLASS = 30
# W_rec is drawn from [0.5, 0.95]: about 4 students in 10 get 0.77 or more, so a class of 30
# has one who fails but for a chance of 0.6^30 (2e-7); at 0.9 it was 0.89^30 (3%).
TOO_LARGE = "\nassert W_REC < 0.77, f'W_REC = {W_REC} is too large for this experiment'"


def _course(tmp_path: Path) -> tuple[Path, Path]:
    folder = tmp_path / "course"
    assert main(["init", str(folder)]) == 0
    (folder / "roster.csv").write_text(roster(CLASS), encoding="utf-8")
    return folder, folder / "assignments" / "rnn_gradients"


def _edit_source(assignment: Path, cell_id: str, edit) -> None:
    notebook = nbformat.read(assignment / "source.ipynb", as_version=4)
    cell = next(c for c in notebook.cells if c.get("id") == cell_id)
    cell.source = edit(cell.source)
    nbformat.write(notebook, assignment / "source.ipynb")


def _nothing_left(course: Path, out: Path) -> None:
    assert not (out / "rnn_gradients").exists(), sorted((out / "rnn_gradients").iterdir())
    assert not (course / "variants" / "rnn_gradients.json").exists()


def test_a_release_failing_on_one_students_values_writes_and_records_nothing(tmp_path, capsys):
    course, assignment = _course(tmp_path)
    _edit_source(assignment, "own-weight", lambda source: source + TOO_LARGE)
    out = tmp_path / "release"
    capsys.readouterr()
    assert main(["assign", str(assignment), "--per-student", "--out", str(out)]) == 2
    err = capsys.readouterr().err
    assert "is too large for this experiment" in err and "Traceback" not in err
    _nothing_left(course, out)

    # the instructor fixes the source and narrows the range: everyone gets the new definition
    _edit_source(assignment, "own-weight", lambda source: source.replace(TOO_LARGE, ""))
    toml = assignment / "assignment.toml"
    toml.write_text(re.sub(r"(?m)^max = 0\.95$", "max = 0.89", toml.read_text()))
    assert main(["assign", str(assignment), "--per-student", "--out", str(out)]) == 0
    assert len(list((out / "rnn_gradients").glob("*.ipynb"))) == CLASS
    record = json.loads((course / "variants" / "rnn_gradients.json").read_text())
    assert len(record["students"]) == CLASS
    assert len(record["definitions"]) == 1  # nobody pinned to the definition that failed
    assert all(s["values"]["W_rec"] <= 0.89 for s in record["students"].values())


def test_a_refused_release_leaves_no_folder_and_no_record(tmp_path, capsys):
    course, assignment = _course(tmp_path)
    _edit_source(assignment, "own-weight", lambda source: source + "\nSTEPS = {{steps}}")
    out = tmp_path / "release"
    capsys.readouterr()
    assert main(["assign", str(assignment), "--per-student", "--out", str(out)]) == 2
    assert "steps" in capsys.readouterr().err
    _nothing_left(course, out)
