"""The students' written answers, as ``grader grade`` found them, kept for marking.

Each answer is read from the handed-in notebook (as data: nothing of it runs here): its text,
and for a code answer the outputs the student's notebook carries (their printout and figures);
where the question is ``about`` graded functions, the code of the cells defining them. They
live in the assignment's ``gradebook.sqlite`` (table ``written_answers``), the newest hand-in's
answer per student and question, so marking reads what was graded.
"""

from __future__ import annotations

import ast
import json
import sqlite3
from collections.abc import Iterable, Mapping, Sequence
from dataclasses import dataclass
from datetime import UTC, datetime
from pathlib import Path

from grader.assignment.written import WrittenQuestion, answer_cells, is_unanswered
from grader.engine.notebook import read_student_notebook
from grader.limits import WRITTEN

SCHEMA = """
CREATE TABLE IF NOT EXISTS written_answers (
    student TEXT NOT NULL,
    question TEXT NOT NULL,
    sha256 TEXT NOT NULL,
    kind TEXT NOT NULL,
    text TEXT NOT NULL,
    outputs TEXT NOT NULL,
    code TEXT NOT NULL,
    recorded_at TEXT NOT NULL,
    PRIMARY KEY (student, question)
);
"""


@dataclass(frozen=True)
class Answer:
    """One student's answer to one written question."""

    student: str
    question: str
    kind: str  # "markdown", "code", or "missing" (no answer cell in the notebook)
    text: str
    outputs: tuple[Mapping[str, str], ...] = ()  # {"text": ...} or {"png": base64}
    code: str = ""  # the graded functions the question is about, as the student wrote them
    sha256: str = ""
    recorded_at: str = ""

    @property
    def empty(self) -> bool:
        return self.kind == "missing" or is_unanswered(self.text)


def _text(source: object) -> str:
    text = "".join(source) if isinstance(source, list) else str(source or "")
    return text[: WRITTEN.answer_chars]


def _outputs(cell: Mapping) -> tuple[dict[str, str], ...]:
    """What the student's own run printed and drew, within the byte limit."""
    kept: list[dict[str, str]] = []
    room = WRITTEN.output_bytes
    for output in cell.get("outputs", []) or []:
        data = output.get("data", {}) if isinstance(output, Mapping) else {}
        if "image/png" in data:
            item = {"png": _text(data["image/png"]).replace("\n", "")}
        elif output.get("output_type") == "stream":
            item = {"text": _text(output.get("text", ""))}
        elif "text/plain" in data:
            item = {"text": _text(data["text/plain"])}
        else:
            continue
        size = len(next(iter(item.values())))
        if size > room:
            kept.append({"text": "(further output left out: too large to keep)"})
            break
        room -= size
        kept.append(item)
    return tuple(kept)


def _cells_about(cells: Sequence, names: Iterable[str]) -> list:
    """The code cells the question is about: those defining a function of ``names``, or whose
    cell id is one of them (an experiment and its figure)."""
    wanted = set(names)
    found = []
    for cell in cells:
        if cell.get("cell_type") != "code" or not wanted:
            continue
        if cell.get("id") in wanted:
            found.append(cell)
            continue
        try:
            tree = ast.parse(_text(cell.get("source", "")))
        except SyntaxError:
            continue
        if any(isinstance(n, ast.FunctionDef) and n.name in wanted for n in tree.body):
            found.append(cell)
    return found


def read_answers(
    notebook_path: Path | None, student: str, questions: Sequence[WrittenQuestion]
) -> list[Answer]:
    """The student's answer to each question; "missing" where the notebook has no answer cell
    (or no notebook was handed in, or it is not a readable notebook)."""
    try:
        notebook = read_student_notebook(notebook_path) if notebook_path else None
    except Exception:  # a broken notebook: the grading reports why; nothing to mark
        notebook = None
    cells = answer_cells(notebook) if notebook is not None else {}
    answers = []
    for question in questions:
        cell = cells.get(question.id)
        if cell is None:
            answers.append(Answer(student, question.id, "missing", ""))
            continue
        about = _cells_about(notebook.cells, question.about) if notebook is not None else []
        shown = ([cell] if cell.get("cell_type") == "code" else []) + about
        answers.append(
            Answer(
                student,
                question.id,
                "code" if cell.get("cell_type") == "code" else "markdown",
                _text(cell.get("source", "")),
                tuple(output for c in shown for output in _outputs(c)),
                "\n\n".join(_text(c.get("source", "")) for c in about),
            )
        )
    return answers


class AnswerStore:
    """The ``written_answers`` table of an assignment's gradebook; a context manager."""

    def __init__(self, path: Path):
        self.path = Path(path)
        self.path.parent.mkdir(parents=True, exist_ok=True)
        wait = WRITTEN.busy_timeout_s
        self._db = sqlite3.connect(self.path, timeout=wait, isolation_level=None)
        self._db.execute(f"PRAGMA busy_timeout={int(wait * 1000)}")
        self._db.execute("PRAGMA journal_mode=WAL")
        self._db.executescript(SCHEMA)

    def __enter__(self) -> AnswerStore:
        return self

    def __exit__(self, *exc: object) -> None:
        self._db.close()

    def record(self, sha256: str, answers: Iterable[Answer]) -> None:
        """Keep these answers as the students' current ones, in one transaction."""
        now = datetime.now(UTC).isoformat(timespec="seconds")
        rows = [
            (a.student, a.question, sha256, a.kind, a.text, json.dumps(a.outputs), a.code, now)
            for a in answers
        ]
        self._db.execute("BEGIN IMMEDIATE")
        try:
            self._db.executemany(
                "INSERT OR REPLACE INTO written_answers (student, question, sha256, kind, text,"
                " outputs, code, recorded_at) VALUES (?, ?, ?, ?, ?, ?, ?, ?)",
                rows,
            )
        except BaseException:
            self._db.execute("ROLLBACK")
            raise
        self._db.execute("COMMIT")

    def answers(self, question: str | None = None, student: str | None = None) -> list[Answer]:
        """The current answers, of one question and/or one student when given."""
        query = (
            "SELECT student, question, kind, text, outputs, code, sha256, recorded_at"
            " FROM written_answers WHERE (? IS NULL OR question = ?) AND (? IS NULL OR"
            " student = ?) ORDER BY student, question"
        )
        return [
            Answer(s, q, kind, text, tuple(json.loads(outputs)), code, sha, at)
            for s, q, kind, text, outputs, code, sha, at in self._db.execute(
                query, (question, question, student, student)
            )
        ]


def record_submission(
    out: Path,
    student: str,
    notebook: Path | None,
    sha256: str,
    questions: Sequence[WrittenQuestion],
) -> list[Answer]:
    """Read one hand-in's written answers and keep them in ``out``'s gradebook."""
    answers = read_answers(notebook, student, questions)
    with AnswerStore(out / "gradebook.sqlite") as store:
        store.record(sha256, answers)
    return answers
