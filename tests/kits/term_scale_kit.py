"""A class of N for the term benchmark (benchmarks/term_scale.py) and its test: a `grader init`
course with a roster of realistic names, one lstm_gates hand-in per student in a Gmail Takeout
mbox, and, where grading every notebook would cost too long, a graded course made from the real
grading of one hand-in of each kind.

The hand-ins are the shipped full-marks sample with one of seven typical mistakes made in some
(the diagnosis has work to do), each with an exploration cell of the student's own; a few
students hand in a classmate's notebook whole (copies for ``grader similarity``). A few mail
from a personal address not on the roster, naming their id in the subject (the roster's id
search), send the same notebook again (a resend), or are late.
"""

from __future__ import annotations

import copy
import functools
import json
import random
import shutil
import unicodedata
from dataclasses import dataclass, replace
from datetime import datetime, timedelta
from pathlib import Path

import nbformat
from mailkit import gmail, takeout_mbox

from grader.course.config import load_course
from grader.gradebook.results import Gradebook

ROOT = Path(__file__).resolve().parents[2]
SAMPLE = ROOT / "examples" / "lstm_gates" / "asha.ipynb"
ASSIGNMENT = "lstm_gates"
GIVEN = (
    "Aarav Aditi Akash Ananya Arjun Asha Bhavin Chitra Deepa Dhaval Divya Esha Farah Gauri "
    "Harsh Ishaan Jaya Kabir Kavya Lakshmi Manish Meera Nikhil Nisha Omar Pooja Priya Rahul "
    "Riya Rohan Saanvi Sameer Sneha Tanvi Uday Varun Vikram Yash Zara Maria Lena Tomás Wei "
    "Sofia Kwame Amina Yuki Liam Olga"
).split()
FAMILY = (
    "Agarwal Bose Chatterjee Das Desai Gupta Iyer Jain Joshi Kapoor Khan Kumar Menon Mehta "
    "Mishra Nair Patel Pillai Rao Reddy Sen Shah Sharma Singh Verma Banerjee Fernandes D'Souza "
    "Krishnan Mukherjee Naidu Qureshi Saxena Thakur Varghese Chen García Okafor Müller Novak"
).split()
# The seven mistakes: (cell id, the solution's text, the mistaken text).
MISTAKES = (
    ("forget-gate", "return sigmoid(xh @ W_f.T + b_f)", "return np.tanh(xh @ W_f.T + b_f)"),
    ("input-gate", "return sigmoid(xh @ W_i.T + b_i)", "return sigmoid(xh @ W_i.T)"),
    ("candidate-memory", "return np.tanh(xh @ W_c.T + b_c)", "return sigmoid(xh @ W_c.T + b_c)"),
    ("output-gate", "np.concatenate([x_t, h_prev], axis=1)", "np.concatenate([h_prev, x_t], 1)"),
    ("hidden-state", "return o_t * np.tanh(c_t)", "return o_t * c_t"),
    ("candidate-memory", "return np.tanh(xh @ W_c.T + b_c)", "return xh @ W_c.T + b_c"),
    ("cell-state", "return f_t * c_prev + i_t * c_hat_t", "return i_t * c_prev + f_t * c_hat_t"),
)
FULL_MARKS = -1  # a student's kind: full marks, or the index of their mistake
# Statements of a student's own exploration cell, four drawn in any order, each with numpy
# functions of the student's choice ({f}, {g}): names after a dot are what tells two students'
# exploring apart once the similarity search has renamed variables and numbers.
EXPLORING = (
    "rng = np.random.default_rng({a})\nx = np.{f}(rng.normal(size=({b}, 3, 2)))",
    "h0 = np.{f}(np.zeros((3, {b})))\nc0 = np.{g}(np.ones_like(h0) * 0.{a})",
    "for step in range({b}):\n    print(step, np.{f}(sigmoid(np.array([step / {a}]))))",
    "grid = np.linspace(-{a}, {a}, {b})\nprint(np.{f}(np.tanh(grid)), np.{g}(grid))",
    "shapes = {{k: np.{f}(v).shape for k, v in dict(a=np.eye({b}), b=np.ones({a})).items()}}",
    "def saturation(z, limit={a}):\n    return np.{f}(np.abs(np.{g}(z)) > 0.9{b})",
    "values = [np.{f}(sigmoid(np.array([t]))) for t in range(-{a}, {b})]\nprint(len(values))",
    "table = np.outer(np.arange({a}), np.arange({b}))\nprint(np.{f}(table), np.{g}(table))",
    "weights = np.full(({a}, {b}), 0.01)\nprint(np.{f}(weights.T @ np.ones({a})))",
    "print([np.{f}(sigmoid(np.array([v]))) for v in (-{a}, 0, {b})])",
)
NUMPY = (
    "abs sum mean max min cumsum diff exp log sqrt sort argmax argmin round floor ceil std var "
    "prod median ravel square sign cos sin nanmean nanmax ptp count_nonzero flatnonzero isfinite "
    "log1p expm1 cbrt trunc rint fabs unique any all nonzero"
).split()


@dataclass(frozen=True)
class Student:
    id: str
    name: str
    email: str
    kind: int  # FULL_MARKS or a mistake's index
    copies: str | None = None  # the classmate whose notebook they hand in whole
    personal: bool = False  # mails from an address not on the roster, the id in the subject
    resends: bool = False
    late: bool = False


def plan(students: int, seed: int = 67) -> list[Student]:
    """The class: 60% full marks, 37% one of the seven mistakes, 3% copies of a classmate;
    5% mail from a personal address, 2% send twice, 2% are late."""
    rng = random.Random(seed)
    people = []
    for n in range(students):
        given, family = rng.choice(GIVEN), rng.choice(FAMILY)
        # an institution's addresses are ASCII (grader mail cannot yet send to one that is not)
        plain = unicodedata.normalize("NFKD", f"{given}.{family}").encode("ascii", "ignore")
        local = plain.decode().lower().replace("'", "") + str(n)
        kind = FULL_MARKS if rng.random() < 0.6 / 0.97 else rng.randrange(len(MISTAKES))
        draw = rng.random()
        people.append(
            Student(
                f"CS23B{n:04d}",
                f"{given} {family}",
                f"{local}@example.edu",
                kind,
                personal=draw < 0.05,
                resends=0.05 <= draw < 0.07,
                late=0.07 <= draw < 0.09,
            )
        )
    copiers = rng.sample(range(students), max(2, round(0.03 * students)))
    authors = [p for n, p in enumerate(people) if n not in set(copiers)]
    for n in copiers:  # from one who hands in their own work: a copy of a copy is of its source
        source = rng.choice(authors)
        people[n] = replace(people[n], kind=source.kind, copies=source.id)
    return people


def write_course(folder: Path, students: list[Student]) -> None:
    """The roster of a course made by `grader init` (ids, names, addresses)."""
    rows = [f'{s.id},"{s.name}",{s.email},' for s in students]
    (folder / "roster.csv").write_text("id,name,email,role\n" + "\n".join(rows) + "\n")


def _own_cell(number: int) -> str:
    rng = random.Random(number)
    lines = [
        t.format(
            a=rng.randint(2, 97), b=rng.randint(2, 97), f=rng.choice(NUMPY), g=rng.choice(NUMPY)
        )
        for t in rng.sample(EXPLORING, 4)
    ]
    return "# my own checks\n" + "\n".join(lines)


@functools.cache
def _sample() -> nbformat.NotebookNode:
    return nbformat.read(SAMPLE, as_version=4)


def _whole(kind: int, own_source: str) -> str:
    """The hand-in of a student of ``kind`` whose own cell is ``own_source``, as nbformat writes
    it: the full-marks sample, the kind's mistake made, the own cell before the last."""
    nb = copy.deepcopy(_sample())
    if kind != FULL_MARKS:
        cell_id, right, wrong = MISTAKES[kind]
        cell = next(c for c in nb.cells if c.get("id") == cell_id)
        assert right in cell.source, (cell_id, right)
        cell.source = cell.source.replace(right, wrong)
    own = nbformat.v4.new_code_cell(own_source)
    own.id = "own-checks"
    nb.cells.insert(len(nb.cells) - 1, own)
    return nbformat.v4.writes(nb)


_OWN_MARK = "@@the student's own cell@@"


@functools.cache
def _written(kind: int) -> tuple[str, str]:
    """The hand-in of ``kind`` as nbformat writes it, cut where its own cell's lines go: the
    text before them (its last line the lines' indentation) and after; checked once against
    nbformat's own writing of a whole hand-in."""
    text = _whole(kind, _OWN_MARK)
    mark = json.dumps(_OWN_MARK)
    assert text.count(mark) == 1, kind
    before, after = text.split(mark)
    assert _spliced(before, after, _own_cell(0)) == _whole(kind, _own_cell(0)), kind
    return before, after


def _spliced(before: str, after: str, own: str) -> str:
    """The own cell's lines as nbformat's writer lays out a JSON list of source lines."""
    indent = before[before.rindex("\n") + 1 :]
    lines = (json.dumps(line, ensure_ascii=False) for line in own.splitlines(keepends=True))
    return before + f",\n{indent}".join(lines) + after


def notebook(student: Student, number: int) -> bytes:
    """The student's hand-in: the full-marks sample, their mistake made, their own cell, as
    nbformat writes it. Written once per kind, each student's own cell's lines put in (a
    thousand deep copies and writes of one notebook were a third of the benchmark's own CPU)."""
    before, after = _written(student.kind)
    return _spliced(before, after, _own_cell(number)).encode()


def mailbox(path: Path, course_folder: Path, students: list[Student]) -> Path:
    """Every hand-in as Gmail's Takeout gives the course's mailbox."""
    deadline = load_course(course_folder / "course.toml").component(ASSIGNMENT).deadline
    assert deadline is not None
    on_time = deadline - timedelta(days=2)
    by_id = {s.id: (n, s) for n, s in enumerate(students)}
    messages, arrived = [], []
    for n, student in enumerate(students):
        source_n, _ = by_id[student.copies] if student.copies else (n, student)
        data = notebook(student, source_n)
        sent: datetime = on_time + timedelta(seconds=7 * n)
        if student.late:
            sent = deadline + timedelta(hours=5, seconds=n)
        address = student.email
        subject = f"{ASSIGNMENT} submission"
        if student.personal:
            address = student.email.replace("@example.edu", "@gmail.com")
            subject = f"{ASSIGNMENT} - {student.id}"
        sends = [sent, sent + timedelta(hours=3)] if student.resends else [sent]
        for when in sends:
            text = f"Hello, please find my notebook attached.\n{student.name}"
            files = [(f"{ASSIGNMENT}.ipynb", data)]
            who = f"{student.name} <{address}>"
            messages.append(gmail(who, when, subject, text, attachments=files))
            arrived.append(when + timedelta(seconds=30))
    return takeout_mbox(path, messages, arrived)


def kinds_to_grade(students: list[Student]) -> dict[int, Student]:
    """One student of each kind the class holds, whose hand-in is graded for real."""
    chosen: dict[int, Student] = {}
    for student in students:
        if student.copies is None:
            chosen.setdefault(student.kind, student)
    return chosen


def replicate_grading(
    template: Path,
    models: dict[int, str],
    graded: Path,
    submissions: Path,
    students: list[Student],
) -> None:
    """The graded folder of the whole class from the real grading of one hand-in of each kind
    (``template``, what `grader grade` wrote for the students ``models`` names by kind, of this
    class or another of the same kinds): each student gets the files of their kind's grading
    and a gradebook row of their own, naming their hand-in."""
    book_name = "gradebook.sqlite"
    with Gradebook(template / book_name) as book:
        rows = {row.student: row for row in book.latest()}
    graded.mkdir(parents=True, exist_ok=True)
    with Gradebook(graded / book_name) as book:
        run = book.start_run(ASSIGNMENT, {"replicated": True})
        for student in students:
            model = models[student.kind]
            if not (graded / student.id).exists():
                shutil.copytree(template / model, graded / student.id)
            source = submissions / student.id
            row = replace(rows[model], student=student.id, source=str(source))
            book.record(run, replace(row, sha256=f"{row.sha256}-{student.id}"))
    summary = {"students": len(students), "replicated from": sorted(models.values())}
    (graded / "replicated.json").write_text(json.dumps(summary, indent=1))
