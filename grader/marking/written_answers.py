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
import re
import sqlite3
from collections.abc import Iterable, Mapping, Sequence
from dataclasses import dataclass
from datetime import UTC, datetime
from pathlib import Path

import nbformat

from grader.assignment.written import WrittenQuestion, is_unanswered
from grader.engine.run.notebook import read_student_notebook
from grader.gradebook import schema
from grader.limits import WRITTEN
from grader.marking.answer_cells import find_answers

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
    chars INTEGER NOT NULL DEFAULT 0,
    flags TEXT NOT NULL DEFAULT '[]',
    PRIMARY KEY (student, question)
);
"""
# chars and flags came after the table was first made: a gradebook from before gets them as
# it is brought forward (grader.gradebook.schema's step 1).
# Images a student may paste into a markdown answer (Jupyter and Colab keep them as the cell's
# attachments); SVG is left out: it is a document, not a picture.
_IMAGES = ("image/png", "image/jpeg", "image/gif", "image/webp")
_BASE64 = re.compile(r"[A-Za-z0-9+/]+={0,2}")


@dataclass(frozen=True)
class Answer:
    """One student's answer to one written question."""

    student: str
    question: str
    kind: str  # "markdown", "code", or "missing" (no answer cell in the notebook)
    text: str
    # {"text": ...}, {"png": base64}, or a pasted image {"attachment": name, "mime", "data"}
    outputs: tuple[Mapping[str, str], ...] = ()
    code: str = ""  # the graded functions the question is about, as the student wrote them
    sha256: str = ""
    recorded_at: str = ""
    chars: int = 0  # of the whole answer as written (more than ``len(text)`` when it was cut)
    flags: tuple[str, ...] = ()  # what the student edited of the answer cell (answer_cells)

    @property
    def empty(self) -> bool:
        return self.kind == "missing" or is_unanswered(self.text)

    @property
    def cut(self) -> str:
        """ "cut at N characters of M" when the answer was longer than what is kept, else ""."""
        if self.chars <= len(self.text):
            return ""
        return f"cut at {len(self.text):,} characters of {self.chars:,}"


def _whole(source: object) -> str:
    return "".join(source) if isinstance(source, list) else str(source or "")


def _text(source: object) -> str:
    return _whole(source)[: WRITTEN.answer_chars]


def _attachments(cell: Mapping) -> list[dict[str, str]]:
    """The images pasted into a markdown answer, within the byte limit (a note past it)."""
    kept: list[dict[str, str]] = []
    room = WRITTEN.attachment_bytes
    attached = cell.get("attachments", {}) or {}
    for name, bundle in attached.items() if isinstance(attached, Mapping) else ():
        if not isinstance(bundle, Mapping):
            continue
        mime = next((m for m in _IMAGES if isinstance(bundle.get(m), str)), None)
        if mime is None:
            continue
        data = "".join(bundle[mime].split())
        if not _BASE64.fullmatch(data):
            continue  # not an image's data: nothing of it reaches a page
        if len(data) > room:
            kept.append({"text": f"(the pasted image {str(name)[:200]} left out: too large)"})
            continue
        room -= len(data)
        kept.append({"attachment": str(name)[:200], "mime": mime, "data": data})
    return kept


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
    """The student's answer to each question, from the cells :mod:`answer_cells` finds
    (its kind and points the release's, every edit flagged); "missing" where the notebook has
    no answer cell (or no notebook was handed in, or it is not a readable notebook)."""
    try:
        notebook = read_student_notebook(notebook_path) if notebook_path else None
    except Exception:  # a broken notebook: the grading reports why; nothing to mark
        notebook = None
    if notebook is None:
        return [Answer(student, q.id, "missing", "") for q in questions]
    return answers_of(notebook, student, questions)


def answers_of(
    notebook: nbformat.NotebookNode, student: str, questions: Sequence[WrittenQuestion]
) -> list[Answer]:
    """The answers of a notebook read already (see :func:`read_answers`)."""
    found = find_answers(notebook, questions)
    answers = []
    for question in questions:
        cells, flags = found[question.id].cells, found[question.id].flags
        if not cells:
            answers.append(Answer(student, question.id, "missing", "", flags=flags))
            continue
        about = _cells_about(notebook.cells, question.about)
        code_cells = [c for c in cells if c.get("cell_type") == "code"]
        whole = "\n\n".join(_whole(c.get("source", "")) for c in cells)
        pasted = [item for c in cells for item in _attachments(c)]
        answers.append(
            Answer(
                student,
                question.id,
                question.kind,
                whole[: WRITTEN.answer_chars],
                tuple(pasted + [output for c in code_cells + about for output in _outputs(c)]),
                "\n\n".join(_text(c.get("source", "")) for c in about),
                chars=len(whole),
                flags=flags,
            )
        )
    return answers


def notes_for_student(answers: Sequence[Answer]) -> list[str]:
    """What the student's feedback says of their written answers: any cut short for marking,
    any answer cell they edited."""
    notes = [
        f"Your written answer {a.question} is {a.chars:,} characters long: it was {a.cut} for"
        " marking."
        for a in answers
        if a.cut
    ]
    notes += [f"Your written answer {a.question}: {flag}." for a in answers for flag in a.flags]
    return notes


class AnswerStore:
    """The ``written_answers`` table of an assignment's gradebook; a context manager."""

    def __init__(self, path: Path):
        self.path = Path(path)
        self.path.parent.mkdir(parents=True, exist_ok=True)
        wait = WRITTEN.busy_timeout_s
        self._db = sqlite3.connect(self.path, timeout=wait, isolation_level=None)
        self._db.execute(f"PRAGMA busy_timeout={int(wait * 1000)}")
        self._db.execute("PRAGMA journal_mode=WAL")
        schema.bring_forward(self._db, self.path)
        self._db.executescript(SCHEMA)

    def __enter__(self) -> AnswerStore:
        return self

    def __exit__(self, *exc: object) -> None:
        self._db.close()

    def record(self, sha256: str, answers: Iterable[Answer]) -> None:
        """Keep these answers as the students' current ones, in one transaction."""
        now = datetime.now(UTC).isoformat(timespec="seconds")
        rows = [
            (
                a.student,
                a.question,
                sha256,
                a.kind,
                a.text,
                json.dumps(a.outputs),
                a.code,
                now,
                a.chars or len(a.text),
                json.dumps(a.flags),
            )
            for a in answers
        ]
        self._db.execute("BEGIN IMMEDIATE")
        try:
            self._db.executemany(
                "INSERT OR REPLACE INTO written_answers (student, question, sha256, kind, text,"
                " outputs, code, recorded_at, chars, flags) VALUES (?, ?, ?, ?, ?, ?, ?, ?, ?, ?)",
                rows,
            )
        except BaseException:
            self._db.execute("ROLLBACK")
            raise
        self._db.execute("COMMIT")

    def answers(self, question: str | None = None, student: str | None = None) -> list[Answer]:
        """The current answers, of one question and/or one student when given."""
        query = (
            "SELECT student, question, kind, text, outputs, code, sha256, recorded_at, chars,"
            " flags FROM written_answers WHERE (? IS NULL OR question = ?) AND (? IS NULL OR"
            " student = ?) ORDER BY student, question"
        )
        return [
            Answer(
                s,
                q,
                kind,
                text,
                tuple(json.loads(outputs)),
                code,
                sha,
                at,
                chars or len(text),
                tuple(json.loads(flags)),
            )
            for s, q, kind, text, outputs, code, sha, at, chars, flags in self._db.execute(
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
