"""Questions drawn per student, k of n: an assignment's ``[[pools]]``.

Each pool names graded functions of equal points; each student of a per-student release is
drawn ``draw`` of them from a keyed hash of the course's secret, the assignment, the pool and
their roster id (as their values are, :mod:`grader.variants.draw`). The draw is recorded at
release (:mod:`grader.variants.record`) and never drawn again for a released student, so editing
a pool afterwards changes nothing for them. The student's notebook holds their drawn questions
only (each question is its function's cell and the text right before it), with a self-check for
those, and their grading scores those only.
"""

from __future__ import annotations

import ast
import hashlib
import hmac
from collections.abc import Mapping, Sequence
from dataclasses import dataclass, replace
from pathlib import Path

import nbformat

from grader.assignment.config import CONFIG_NAME, AssignmentConfig, GradedFunction
from grader.assignment.source_notebook import describe_cell
from grader.errors import UserError
from grader.variants.record import Record, students_said

Questions = dict[str, list[str]]  # a pool's name -> the functions drawn from it


@dataclass(frozen=True)
class Pool:
    """One ``[[pools]]`` table, checked: ``draw`` of ``functions``, each worth ``points``."""

    name: str
    draw: int
    functions: tuple[str, ...]
    points: float


def read_pools(config: AssignmentConfig) -> tuple[Pool, ...]:
    """The assignment's pools; UserError names the pool and what is wrong with it."""
    where = config.directory / CONFIG_NAME
    points = {f.name: f.points for f in config.functions}
    pools: list[Pool] = []
    pooled: dict[str, str] = {}
    for number, entry in enumerate(config.pools, start=1):
        name = entry.get("name")
        here = f"{where}: [[pools]] #{number}"
        if not isinstance(name, str) or not name.isidentifier():
            raise UserError(f'{here}: name must be a name like "gates", not {name!r}')
        here = f"{where}: pool {name}"
        if name in (p.name for p in pools):
            raise UserError(f"{here} is declared twice; give each pool its own name")
        functions = entry.get("functions")
        if not isinstance(functions, list) or not all(isinstance(f, str) for f in functions):
            raise UserError(f'{here}: functions must be a list of names, e.g. ["f", "g"]')
        for function in functions:
            if function not in points:
                raise UserError(
                    f"{here} names {function!r}, which is not a graded function of"
                    f" [[functions]] ({', '.join(points) or 'none'}); fix the name or add it"
                )
            if function in pooled:
                raise UserError(
                    f"{here}: {function} is in pool {pooled[function]} too; a function"
                    f" belongs to one pool"
                )
            pooled[function] = name
        if len(set(functions)) < 2:
            raise UserError(f"{here}: a pool needs at least two functions to draw from")
        draw = entry.get("draw")
        if not isinstance(draw, int) or isinstance(draw, bool) or draw < 1:
            raise UserError(f"{here}: draw must be a whole number of at least 1, not {draw!r}")
        if draw > len(functions):
            raise UserError(
                f"{here} draws {draw} of {len(functions)} functions; draw at most"
                f" {len(functions)}, or add functions to the pool"
            )
        worth = {points[f] for f in functions}
        if len(worth) > 1:
            shown = ", ".join(f"{f} {points[f]:g}" for f in functions)
            raise UserError(
                f"{here}: its functions are worth different points ({shown}); give them equal"
                f" points so that every student's questions are worth the same"
            )
        pools.append(Pool(name, draw, tuple(functions), worth.pop()))
    return tuple(pools)


def check_questions(notebook: nbformat.NotebookNode, pools: Sequence[Pool], source: Path) -> None:
    """A pooled function must be a question of its own: alone in its cell, and used by no other
    cell (a student not drawn it would have nothing to call)."""
    pooled = {f: p.name for p in pools for f in p.functions}
    if not pooled:
        return
    defined = _defined_in(notebook)
    for index, cell in enumerate(notebook.cells):
        if cell.cell_type != "code":
            continue
        mine = [f for f, at in defined.items() if at == index and f in pooled]
        others = [f for f, at in defined.items() if at == index and f not in mine]
        if mine and others:
            raise UserError(
                f"{describe_cell(source, index, cell)} defines {mine[0]} of pool"
                f" {pooled[mine[0]]} and {others[0]}; put each pooled function in a cell of"
                f" its own"
            )
        used = sorted((_names(cell.source) & set(pooled)) - set(mine))
        if used:
            raise UserError(
                f"{describe_cell(source, index, cell)} uses {used[0]}, which pool"
                f" {pooled[used[0]]} does not give every student; pool only functions that no"
                f" other cell uses"
            )


def _defined_in(notebook: nbformat.NotebookNode) -> dict[str, int]:
    """The cell defining each function at its top level."""
    defined: dict[str, int] = {}
    for index, cell in enumerate(notebook.cells):
        tree = _parsed(cell) if cell.cell_type == "code" else None
        for node in tree.body if tree else []:
            if isinstance(node, ast.FunctionDef):
                defined[node.name] = index
    return defined


def _parsed(cell: nbformat.NotebookNode) -> ast.Module | None:
    try:
        return ast.parse(cell.source)
    except SyntaxError:  # the release says what is wrong with the cell
        return None


def _names(code: str) -> set[str]:
    try:
        tree = ast.parse(code)
    except SyntaxError:
        return set()
    return {node.id for node in ast.walk(tree) if isinstance(node, ast.Name)}


def _digest(key: bytes, *parts: str) -> bytes:
    return hmac.new(key, "\0".join(parts).encode(), hashlib.sha256).digest()


def drawn(key: bytes, assignment: str, student: str, pools: Sequence[Pool]) -> Questions:
    """The student's questions: from each pool, the ``draw`` functions whose keyed hashes come
    first, in the pool's order."""
    questions: Questions = {}
    for pool in pools:
        ranked = sorted(
            pool.functions,
            key=lambda f: _digest(key, "pool", assignment, pool.name, student.lower(), f),
        )
        chosen = set(ranked[: pool.draw])
        questions[pool.name] = [f for f in pool.functions if f in chosen]
    return questions


def questions_of(
    record: Record, key: bytes, assignment: str, student: str, pools: Sequence[Pool]
) -> Questions:
    """The questions recorded at the student's release, else those a release now draws."""
    released = record.of(student)
    if released is not None:  # released before [[pools]] existed: every question, as then
        return {name: list(functions) for name, functions in released.questions.items()}
    return drawn(key, assignment, student, pools)


def undrawn(config: AssignmentConfig, questions: Mapping[str, Sequence[str]]) -> set[str]:
    """The pooled functions the student was not drawn (pools recorded at their release)."""
    given = {f for functions in questions.values() for f in functions}
    pooled = {f for entry in config.pools for f in entry.get("functions", [])}
    return (pooled - given) if questions else set()


def graded_functions(
    config: AssignmentConfig, questions: Mapping[str, Sequence[str]]
) -> tuple[GradedFunction, ...]:
    """The functions a student with these questions is graded on: every function no pool
    holds, and their drawn ones."""
    left_out = undrawn(config, questions)
    return tuple(f for f in config.functions if f.name not in left_out)


def drawn_only(
    notebook: nbformat.NotebookNode, config: AssignmentConfig, questions: Questions
) -> tuple[nbformat.NotebookNode, AssignmentConfig]:
    """The source notebook without the questions the student was not drawn (each one's cell
    and the text right before it), and the config of their graded functions only."""
    left_out = undrawn(config, questions)
    defined = _defined_in(notebook)
    dropped: set[int] = set()
    for function in left_out:
        index = defined.get(function)
        if index is None:
            continue
        dropped.add(index)
        while index > 0 and _question_text(notebook.cells[index - 1]):
            index -= 1
            dropped.add(index)
    kept = [cell for index, cell in enumerate(notebook.cells) if index not in dropped]
    result = nbformat.from_dict({**notebook, "cells": kept})
    return result, replace(config, functions=graded_functions(config, questions))


def _question_text(cell: nbformat.NotebookNode) -> bool:
    """Whether a cell right before a question is its text: markdown, but not the notebook's
    title (a "# " heading), which every student keeps."""
    return cell.cell_type == "markdown" and not cell.source.lstrip().startswith("# ")


def said(questions: Mapping[str, Sequence[str]], config: AssignmentConfig) -> str:
    """ "pool A: f, g (2 of 4)" for each pool."""
    sizes = {str(e.get("name")): len(e.get("functions", [])) for e in config.pools}
    return "; ".join(
        f"pool {name}: {', '.join(functions)} ({len(functions)} of {sizes.get(name, '?')})"
        for name, functions in questions.items()
    )


def kept_draws_said(
    record: Record, key: bytes, assignment: str, pools: Sequence[Pool]
) -> list[str]:
    """The students released before an edit of [[pools]], who keep the questions drawn then."""
    kept = [
        student
        for student, released in record.students.items()
        if released.questions and released.questions != drawn(key, assignment, student, pools)
    ]
    if not kept:
        return []
    shown = ", ".join(kept[:10]) + (", ..." if len(kept) > 10 else "")
    return [
        f"{students_said(len(kept))} keep the questions drawn at their release from an earlier"
        f" [[pools]] ({shown}); students released from now on are drawn from the current one"
    ]
