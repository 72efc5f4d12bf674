"""Finding a student's answer cell of each written question, whatever they did to its metadata.

As nbgrader does, what a cell is and what it is worth come from the release, never from the
student's copy: a cell is matched to its question by the id the release gave it (``grader.written``
id, nbgrader's ``grade_id``, or the cell id ``written-<id>``), else by its position (the cell
after the question's text). Every edit is flagged for the marker and in the grading's output:
points changed, the cell made an autograded (test) cell or of another type, its id on several
cells, its metadata removed, the cell gone.
"""

from __future__ import annotations

from collections.abc import Mapping, Sequence
from dataclasses import dataclass

import nbformat

from grader.assignment.written import WrittenQuestion, is_unanswered


@dataclass(frozen=True)
class Found:
    """The cells holding one question's answer (none: no such cell), and what was edited."""

    cells: tuple[nbformat.NotebookNode, ...]
    flags: tuple[str, ...]


def _claimed_id(cell: nbformat.NotebookNode) -> str | None:
    """The question id the cell's metadata or cell id gives it, if any."""
    metadata = cell.get("metadata", {})
    own = metadata.get("grader", {}) if isinstance(metadata, Mapping) else {}
    written = own.get("written") if isinstance(own, Mapping) else None
    if isinstance(written, Mapping) and isinstance(written.get("id"), str):
        return written["id"]
    nbgrader = metadata.get("nbgrader", {}) if isinstance(metadata, Mapping) else {}
    if isinstance(nbgrader, Mapping) and isinstance(nbgrader.get("grade_id"), str):
        return nbgrader["grade_id"]
    cell_id = str(cell.get("id", ""))
    return cell_id.removeprefix("written-") if cell_id.startswith("written-") else None


def _points_said(cell: nbformat.NotebookNode) -> object:
    metadata = cell.get("metadata", {})
    for table, key in (("grader", "written"), ("nbgrader", None)):
        found = metadata.get(table, {}) if isinstance(metadata, Mapping) else {}
        found = found.get(key, {}) if key and isinstance(found, Mapping) else found
        if isinstance(found, Mapping) and "points" in found:
            return found["points"]
    return None


def _edits(cell: nbformat.NotebookNode, question: WrittenQuestion) -> list[str]:
    """What the student changed of a cell the release made."""
    flags = []
    metadata = cell.get("metadata", {})
    nbgrader = metadata.get("nbgrader", {}) if isinstance(metadata, Mapping) else {}
    said = _points_said(cell)
    if said is not None and said != question.points:
        flags.append(
            f"points edited in the notebook ({said!r}); the release's {question.points:g} count"
        )
    autograded = (
        isinstance(nbgrader, Mapping) and nbgrader.get("grade") and not nbgrader.get("solution")
    )
    if autograded or (question.kind == "markdown" and cell.get("cell_type") == "code"):
        flags.append("made an autograded (code) cell in the notebook; marked as a written answer")
    elif cell.get("cell_type") != question.kind:
        flags.append(f"made a {cell.get('cell_type')} cell; the release's is {question.kind}")
    own = metadata.get("grader", {}) if isinstance(metadata, Mapping) else {}
    ours = isinstance(own, Mapping) and isinstance(own.get("written"), Mapping)
    # a notebook of nbgrader's own release: its manually graded answer, as nbgrader made it
    nbgraders = (
        isinstance(nbgrader, Mapping)
        and nbgrader.get("grade_id") == question.id
        and nbgrader.get("grade") is True
        and nbgrader.get("solution") is True
    )
    if not (ours or nbgraders):
        flags.append("the cell's answer metadata was removed or changed")
    return flags


def _plain(text: object) -> str:
    return " ".join(("".join(text) if isinstance(text, list) else str(text or "")).split())


def _by_position(
    cells: Sequence[nbformat.NotebookNode], question: WrittenQuestion, taken: set[int]
) -> int | None:
    """The index of the cell right after the question's own text, if it is still there."""
    asked = _plain(question.question)
    if not asked:
        return None
    for index, cell in enumerate(cells[:-1]):
        text = _plain(cell.get("source", ""))
        if cell.get("cell_type") == "markdown" and text and asked.endswith(text):
            after = cells[index + 1]
            ours = str(after.get("id", "")).startswith("grader-")  # the release's check cells
            if index + 1 not in taken and _claimed_id(after) is None and not ours:
                return index + 1
    return None


def find_answers(
    notebook: nbformat.NotebookNode, questions: Sequence[WrittenQuestion]
) -> dict[str, Found]:
    """Each question's answer cells in a student's notebook, by question id."""
    cells = list(notebook.cells)
    claims: dict[str, list[int]] = {}
    for index, cell in enumerate(cells):
        claimed = _claimed_id(cell)
        if claimed is not None:
            claims.setdefault(claimed, []).append(index)
    taken = {i for indexes in claims.values() for i in indexes}
    found = {}
    for question in questions:
        indexes = claims.get(question.id, [])
        flags: list[str] = []
        if len(indexes) > 1:
            flags.append(f"its id is on {len(indexes)} cells (duplicated); every answer is shown")
            answered = [i for i in indexes if not is_unanswered(_plain(cells[i].get("source")))]
            indexes = answered or indexes[:1]
        if not indexes:
            at = _by_position(cells, question, taken)
            if at is None:
                found[question.id] = Found((), ("the answer cell is missing from the notebook",))
                continue
            taken.add(at)
            indexes = [at]
            flags.append("found by its position: its id was removed")
        for index in indexes:
            flags += [f for f in _edits(cells[index], question) if f not in flags]
        found[question.id] = Found(tuple(cells[i] for i in indexes), tuple(flags))
    return found
