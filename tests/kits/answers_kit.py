"""A course whose written answers are recorded as `grader grade` records them (read from each
student's notebook into the assignment's gradebook), without running the notebooks: for the
tests of the marker's pages (blind names inside tokens, long answers, pasted images, edited
answer cells) and of regrade requests on written parts."""

from __future__ import annotations

import base64
import re
import unicodedata
from pathlib import Path

import nbformat
from written_kit import QUESTION, with_written_question

from grader import assignment as assign
from grader.assignment import releasing, written
from grader.marking.written_answers import record_submission

ROSTER = """id,name,email,role
s1234567,Chitra Rao,chitra.rao@example.edu,
ME21B099,Zoë Ångström,zoe.a@example.edu,
EE21B017,Bhavin Shah,bhavin.shah@example.edu,
CS21B042,Asha Verma,asha.verma@example.edu,
TA01,Kiran Iyer,kiran.iyer@example.edu,staff
"""
# Blind for this assignment only (the course is not); its requests are Kiran's to decide.
COURSE_TOML = """
[course]
title = "Written answers as students write them (test)"
roster = "roster.csv"

[late]
penalty_per_day = 10

[[component]]
id = "lstm_gates"
title = "Assignment 1: LSTM gates"
kind = "auto"
weight = 1
blind = true
markers = ["kiran"]

[[component]]
id = "rnn_gradients"
title = "Assignment 2: RNN gradients"
kind = "auto"
weight = 1
markers = ["meera"]
"""
# A 4x4 red PNG, as a browser pastes it into a markdown cell.
PIXELS = (
    "iVBORw0KGgoAAAANSUhEUgAAAAQAAAAECAIAAAAmkwkpAAAAEklEQVR4nGP4z8DAwMDAxMDAAAAk5wMBTj+ytgAAAA"
    "BJRU5ErkJggg=="
)
PASTED = "chitra_rao-s1234567.png"
SIGNED = (
    "Report_Chitra_Rao. See chitra_gradients.png, s1234567_final.ipynb, plotChitraRao and "
    f"CHITRA-RAO.v2; with $f_t = 1$ the state is kept.\n\n![{PASTED}](attachment:{PASTED})"
)
END = "THE-END-OF-A-LONG-ANSWER"
LONG = ("Zoe Angstrom (me21b099-final) wrote: " + "the gradient flows. " * 3_000)[:59_976] + END


def over_cap(cap: int) -> str:
    return "z" * (cap + 100)


def _hand_in(released: nbformat.NotebookNode, text: str) -> nbformat.NotebookNode:
    notebook = nbformat.from_dict(nbformat.from_dict(released))  # a copy
    cell = written.answer_cells(notebook)[QUESTION]
    cell.source = text
    return notebook


def answers_course(base: Path, cap: int) -> tuple[Path, Path]:
    """(course.toml, the graded folder) with every student's answer recorded."""
    folder = base / "course"
    folder.mkdir()
    (folder / "course.toml").write_text(COURSE_TOML)
    (folder / "roster.csv").write_text(ROSTER, encoding="utf-8")
    assignment = with_written_question(folder / "lstm_gates")
    released = nbformat.read(releasing.release(assignment, base / "release"), as_version=4)
    signed = _hand_in(released, SIGNED)
    written.answer_cells(signed)[QUESTION].attachments = {PASTED: {"image/png": PIXELS}}
    edited = _hand_in(released, "Gates multiply.")
    written.answer_cells(edited)[QUESTION].metadata["grader"]["written"]["points"] = 100
    notebooks = {
        "s1234567": signed,
        "ME21B099": _hand_in(released, LONG),
        "EE21B017": edited,
        "CS21B042": _hand_in(released, over_cap(cap)),
    }
    out = base / "graded"
    questions = written.questions_of(assign.load_config(assignment))
    for student, notebook in notebooks.items():
        path = base / "hand-ins" / f"{student}.ipynb"
        path.parent.mkdir(exist_ok=True)
        nbformat.write(notebook, path)
        record_submission(out / "lstm_gates", student, path, student, questions)
    return folder / "course.toml", out


def fold(text: str) -> str:
    decomposed = unicodedata.normalize("NFKD", text)
    return "".join(c for c in decomposed if not unicodedata.combining(c)).casefold()


def student_words() -> list[str]:
    """Every name part, id and address of the roster's students, accent-folded."""
    words = set()
    for line in ROSTER.splitlines()[1:]:
        student, name, mail, role = line.split(",")
        if role != "staff":
            words.update(fold(w) for w in (student, mail, *name.split()))
    return sorted(words)


def leaks(html: str) -> list[str]:
    """The students' words anywhere in a page (inside tokens too), outside images' data."""
    pseudonyms = r"Student [A-Z2-7]{6}|/[A-Z2-7]{6}/|answer-[A-Z2-7]{6}"  # random: may spell "RAO"
    text = fold(re.sub(pseudonyms, "", re.sub(r"data:[^\"')]+", "", html)))
    return [w for w in student_words() if w in text]


def png_bytes() -> bytes:
    return base64.b64decode(PIXELS)
