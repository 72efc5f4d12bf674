"""Written answers: questions a student answers in words (or in code and figures), marked by a
person against a mark scheme, beside the auto-graded functions.

In ``source.ipynb`` a markdown or code cell is a written answer when its metadata says so::

    "metadata": {"grader": {"written": {
        "id": "why-vanish",            # letters, digits, "-" and "_"; unique in the notebook
        "points": 2,
        "about": ["forward"],          # optional: functions (or code cell ids) it is about
        "scheme": [                    # optional: the mark scheme, never released
            {"points": 1, "words": "the product of W_rec shrinks geometrically when < 1"},
            {"points": 1, "words": "and grows without bound when > 1"}]}}}

The cell holds the instructor's model answer; the question is the text above it. The release
carries the cell emptied (markdown: "YOUR ANSWER HERE", code: "# YOUR ANSWER HERE"; an nbgrader
code answer cell as nbgrader releases it, "# YOUR CODE HERE" / "raise NotImplementedError()")
with only the id and points in its metadata, so the grader finds the student's answer again.

nbgrader's metadata is read as it is: a cell with ``nbgrader.grade`` and ``nbgrader.solution``
both true (a "manually graded answer") is a written answer named by ``grade_id``, worth
``points``; a ``task`` cell keeps its text as the question, and the release adds an empty
answer cell after it. Mark schemes inside the text (``=== BEGIN MARK SCHEME ===``) are cut out
as everywhere else.
"""

from __future__ import annotations

import functools
import re
from collections.abc import Mapping, Sequence
from dataclasses import dataclass
from pathlib import Path

import nbformat
from nbformat.v4 import new_markdown_cell

from grader.assignment.config import AssignmentConfig
from grader.assignment.source_notebook import describe_cell, read_source_notebook
from grader.errors import UserError

ANSWER_STUB = "YOUR ANSWER HERE"
CODE_STUB = "# " + ANSWER_STUB
# What nbgrader releases in a code answer cell it marks by metadata (its ClearSolutions'
# code_stub): an nbgrader source's students get what nbgrader would have given them.
NBGRADER_CODE_STUB = "# YOUR CODE HERE\nraise NotImplementedError()"
_ID = re.compile(r"[A-Za-z0-9_-]+")
_KEYS = ("id", "points", "about", "scheme")


@dataclass(frozen=True)
class Criterion:
    """One line of a mark scheme: what earns ``points``, in the words a marker sees."""

    points: float
    words: str


@dataclass(frozen=True)
class WrittenQuestion:
    """A written answer of the source notebook: where it is and what it is worth.

    ``kind`` is the answer cell's type ("markdown" or "code"); ``task`` marks an nbgrader task
    cell (the cell is the question; the release adds the answer cell after it)."""

    id: str
    points: float
    cell: int
    kind: str
    question: str
    task: bool = False
    about: tuple[str, ...] = ()
    scheme: tuple[Criterion, ...] = ()
    nbgrader: bool = False  # marked by nbgrader's metadata: released as nbgrader releases it

    @property
    def stub(self) -> str:
        """What the released answer cell holds."""
        if self.kind != "code":
            return ANSWER_STUB
        return NBGRADER_CODE_STUB if self.nbgrader else CODE_STUB

    @property
    def answer_cell_id(self) -> str:
        """The released answer cell's id: how the grader finds it when metadata was lost."""
        return f"written-{self.id}"


def _nbgrader_marks(cell: nbformat.NotebookNode) -> Mapping:
    marks = cell.get("metadata", {}).get("nbgrader", {})
    return marks if isinstance(marks, Mapping) else {}


def _own_marks(cell: nbformat.NotebookNode) -> object:
    grader = cell.get("metadata", {}).get("grader", {})
    return grader.get("written") if isinstance(grader, Mapping) else None


def is_written(cell: nbformat.NotebookNode) -> bool:
    """The cell is a written answer (or an nbgrader task) of a source notebook."""
    if _own_marks(cell) is not None:
        return True
    marks = _nbgrader_marks(cell)
    return marks.get("task") is True or (
        marks.get("grade") is True and marks.get("solution") is True
    )


def _number(value: object, where: str, what: str) -> float:
    if isinstance(value, bool) or not isinstance(value, int | float) or value < 0:
        raise UserError(f"{where}: {what} must be a number >= 0, not {value!r}")
    return float(value)


def _scheme(entries: object, where: str) -> tuple[Criterion, ...]:
    if not isinstance(entries, list):
        raise UserError(f'{where}: "scheme" must be a list of {{"points": ..., "words": ...}}')
    criteria = []
    for number, entry in enumerate(entries, start=1):
        if not isinstance(entry, Mapping) or not isinstance(entry.get("words"), str):
            raise UserError(
                f'{where}: scheme entry {number} must be {{"points": <number>, "words": "<what'
                f' earns them>"}}, not {entry!r:.80}'
            )
        criteria.append(Criterion(_number(entry.get("points"), where, "points"), entry["words"]))
    return tuple(criteria)


def _question_above(cells: Sequence[nbformat.NotebookNode], index: int) -> str:
    """The markdown text just above an answer cell: the question it answers."""
    texts: list[str] = []
    for cell in reversed(cells[:index]):
        if cell.cell_type != "markdown" or is_written(cell):
            break
        texts.insert(0, cell.source)
    return "\n\n".join(texts).strip()


def _from_own(cell, index, cells, where) -> WrittenQuestion:
    marks = _own_marks(cell)
    if not isinstance(marks, Mapping):
        raise UserError(
            f'{where}: metadata grader.written must be a table like {{"id": "q1", "points": 2}}'
        )
    unknown = [key for key in marks if key not in _KEYS]
    if unknown:
        raise UserError(
            f"{where}: unknown key {unknown[0]!r} in grader.written; known: {', '.join(_KEYS)}"
        )
    about = marks.get("about", [])
    if not isinstance(about, list) or not all(isinstance(a, str) for a in about):
        raise UserError(f'{where}: grader.written "about" must be a list of function names')
    return WrittenQuestion(
        id=_question_id(marks.get("id"), where),
        points=_number(marks.get("points"), where, "grader.written points"),
        cell=index,
        kind=cell.cell_type,
        question=_question_above(cells, index),
        about=tuple(about),
        scheme=_scheme(marks.get("scheme", []), where),
    )


def _from_nbgrader(cell, index, cells, where) -> WrittenQuestion:
    marks = _nbgrader_marks(cell)
    task = marks.get("task") is True
    return WrittenQuestion(
        id=_question_id(marks.get("grade_id"), where),
        points=_number(marks.get("points", 0), where, "nbgrader points"),
        cell=index,
        kind="markdown" if task else cell.cell_type,
        question=cell.source.strip() if task else _question_above(cells, index),
        task=task,
        nbgrader=True,
    )


def _question_id(value: object, where: str) -> str:
    if not isinstance(value, str) or not _ID.fullmatch(value):
        raise UserError(
            f"{where}: a written answer needs an id of letters, digits, '-' and '_', not {value!r}"
        )
    return value


def written_questions(notebook: nbformat.NotebookNode, path: Path) -> tuple[WrittenQuestion, ...]:
    """The written answers of a source notebook, in order; UserError naming the cell when one
    is malformed or two share an id."""
    found: dict[str, WrittenQuestion] = {}
    for index, cell in enumerate(notebook.cells):
        if not is_written(cell):
            continue
        where = describe_cell(path, index, cell)
        reader = _from_own if _own_marks(cell) is not None else _from_nbgrader
        question = reader(cell, index, notebook.cells, where)
        if question.id in found:
            raise UserError(
                f"{where}: the written answer id {question.id!r} is used by cell"
                f" {found[question.id].cell + 1} too; give each its own id"
            )
        most = sum(c.points for c in question.scheme)
        if most > question.points:
            raise UserError(
                f"{where}: the mark scheme of {question.id!r} gives {most:g} points, more than"
                f" the question's {question.points:g}"
            )
        found[question.id] = question
    return tuple(found.values())


def released_cells(
    question: WrittenQuestion, cell: nbformat.NotebookNode, question_text: str
) -> list[nbformat.NotebookNode]:
    """What the release carries for a written answer: for a task, its text then an empty
    answer cell; otherwise the emptied answer cell. ``question_text`` is the task's text with
    mark schemes already cut out."""
    answer = nbformat.from_dict(
        {
            "cell_type": question.kind,
            "id": question.answer_cell_id,
            "metadata": {"grader": {"written": {"id": question.id, "points": question.points}}},
            "source": question.stub,
        }
    )
    if question.kind == "code":
        answer.outputs, answer.execution_count = [], None
    if not question.task:
        return [answer]
    return [new_markdown_cell(question_text, id=cell.get("id") or f"task-{question.id}"), answer]


def answer_cells(notebook: nbformat.NotebookNode) -> dict[str, nbformat.NotebookNode]:
    """A student's answer cell of each written question, by question id: found by the
    metadata the release gave it, or by its cell id where an editor dropped the metadata."""
    found: dict[str, nbformat.NotebookNode] = {}
    for cell in notebook.cells:
        marks = _own_marks(cell)
        if isinstance(marks, Mapping) and isinstance(marks.get("id"), str):
            found.setdefault(marks["id"], cell)
        elif str(cell.get("id", "")).startswith("written-"):
            found.setdefault(str(cell["id"]).removeprefix("written-"), cell)
    return found


def is_unanswered(text: str) -> bool:
    """The answer is still what the release carried, or blank."""
    return text.strip() in ("", ANSWER_STUB, CODE_STUB, NBGRADER_CODE_STUB)


def questions_of(config: AssignmentConfig) -> tuple[WrittenQuestion, ...]:
    """The written answers of an assignment's source notebook (read again when it changes)."""
    source = config.source
    return _questions_of(source.resolve(), source.stat().st_mtime)


@functools.lru_cache(maxsize=16)
def _questions_of(source: Path, _mtime: float) -> tuple[WrittenQuestion, ...]:
    return written_questions(read_source_notebook(source), source)


def not_marked_note(questions: Sequence[WrittenQuestion]) -> str:
    """What a score says while the written answers are not marked: never a 0 for them."""
    points = sum(q.points for q in questions)
    return (
        f"Written answers not marked yet ({', '.join(q.id for q in questions)}; {points:g}"
        f" points): the score counts the auto-graded functions only until a person marks them"
    )
