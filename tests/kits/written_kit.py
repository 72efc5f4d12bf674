"""A course with a written question, for the tests of grading, marking and blind marking:
lstm_gates with one written question about the forget gate, three students' hand-ins graded
by `grader grade` in the real sandbox."""

from __future__ import annotations

import re
import shutil
import subprocess
import sys
from pathlib import Path

import nbformat
from sandbox_fence import FENCE

from grader.assignment import releasing, written

ROOT = Path(__file__).resolve().parents[2]
QUESTION = "forget-one"
SCHEME_WORDS = "f = 1 keeps the cell state whole"
COURSE_TOML = """
[course]
title = "Written answers (test)"
roster = "roster.csv"
scale = 100
{blind}

[late]
penalty_per_day = 10

[[component]]
id = "lstm_gates"
title = "Assignment 1: LSTM gates"
kind = "auto"
weight = 100
"""
# Names, ids and addresses that must never reach a blind page.
ROSTER = """id,name,email,role
CS21B042,Asha Verma,asha.verma@example.edu,
EE21B017,Bhavin Shah,bhavin.shah@example.edu,
ME21B099,Chitra Iyer,chitra.iyer@example.edu,
TA01,Kiran Rao,kiran.rao@example.edu,staff
"""
ANSWERS = {
    # Asha signs her answer: the blind page must redact it.
    "CS21B042": "Asha Verma, CS21B042 (asha.verma@example.edu): with $f_t = 1$ the cell state"
    " $C_t = C_{t-1} + i_t \\tilde{c}_t$ keeps all of $C_{t-1}$.",
    "EE21B017": "It forgets nothing.",
    "ME21B099": None,  # left empty
}


def with_written_question(folder: Path) -> Path:
    """``folder``: lstm_gates with a written question about forget_gate after its last cell."""
    shutil.copytree(ROOT / "assignments" / "lstm_gates", folder)
    notebook = nbformat.read(folder / "source.ipynb", as_version=4)
    answer = nbformat.v4.new_markdown_cell("The model answer: the forget gate keeps C_{t-1}.")
    answer.metadata = {
        "grader": {
            "written": {
                "id": QUESTION,
                "points": 2,
                "about": ["forget_gate", "gates-figure"],
                "scheme": [{"points": 2, "words": SCHEME_WORDS}],
            }
        }
    }
    figure = nbformat.v4.new_code_cell("print('the gates, plotted')", id="gates-figure")
    notebook.cells += [figure, nbformat.v4.new_markdown_cell("What does $f_t = 1$ mean?"), answer]
    nbformat.write(notebook, folder / "source.ipynb")
    return folder


def grade(*args: str) -> subprocess.CompletedProcess:
    done = subprocess.run(
        [*FENCE, sys.executable, "-m", "grader.cli", "grade", *args],
        capture_output=True,
        text=True,
        timeout=900,
        cwd=ROOT,
        check=False,
    )
    assert done.returncode == 0, done.stderr
    return done


def written_course(base: Path, blind: bool) -> tuple[Path, Path]:
    """(course.toml, the graded folder) of a course whose students answered as ANSWERS."""
    folder = base / "course"
    folder.mkdir()
    (folder / "course.toml").write_text(COURSE_TOML.format(blind="blind = true" if blind else ""))
    (folder / "roster.csv").write_text(ROSTER)
    assignment = with_written_question(folder / "lstm_gates")
    released = nbformat.read(releasing.release(assignment, base / "release"), as_version=4)
    hand_ins = []
    for student, text in ANSWERS.items():
        if text is not None:
            written.answer_cells(released)[QUESTION].source = text
        # the student's name in the notebook's first cell too, as students write it
        released.cells[0].source = f"# Assignment 1\n\n{student} {student.lower()}"
        path = base / "hand-ins" / f"{student}.ipynb"
        path.parent.mkdir(exist_ok=True)
        nbformat.write(released, path)
        written.answer_cells(released)[QUESTION].source = written.ANSWER_STUB
        hand_ins.append(str(path))
    out = base / "graded"
    grade("--assignment", str(assignment), "--out", str(out / "lstm_gates"), *hand_ins)
    return folder / "course.toml", out


def roster_words(roster: str) -> list[str]:
    """Every name, part of a name, id and address of the students of a roster CSV."""
    rows = [line.split(",") for line in roster.splitlines()[1:]]
    cells = [cell for row in rows if "staff" not in row[3:] for cell in row[:3]]
    return sorted({w for cell in cells for w in (cell, *cell.split())} - {""})


def leaks_of(roster: str, html: str) -> list[str]:
    """The students' words in a page, outside its images' data (base64 is no one's name) and
    the markers' own names (staff: "marked by Kiran Rao (TA)" is not a student's name)."""
    text = re.sub(r"data:[^\"']+", "", html)
    for row in (line.split(",") for line in roster.splitlines()[1:]):
        if "staff" in row[3:]:
            text = text.replace(row[1], "")
    return [
        w for w in roster_words(roster) if re.search(rf"(?<!\w){re.escape(w)}(?!\w)", text, re.I)
    ]
