"""Whose numbers a hand-in holds: the constants its code assigns where the source notebook writes
``NAME = {{parameter}}``, against every student's recorded values. A student who copied a
classmate's constants cell into their own notebook keeps their own fingerprint but hands in
the classmate's numbers.

Grading reads the constants as the sandbox holds them once the cells ran (what the notebook
runs with: ``W_REC = 1 * 0.773`` is 0.773, a line inside a string is no assignment); their
text (:func:`handed_values`) stands in only where the run held none (a notebook not run: the
similarity search; a constant deleted)."""

from __future__ import annotations

import ast
import functools
import re
from collections.abc import Mapping
from pathlib import Path

import nbformat

from grader.assignment.source_notebook import read_source_notebook
from grader.assignment.variant_substitute import PLACE
from grader.variants.attribution import Verdict, said_values
from grader.variants.record import Record

_SENTINEL = "__grader_variant_{}__"


def constants_of(source: Path) -> dict[str, str]:
    """The source notebook's constants: variable -> the parameter it is assigned, as in
    ``W_REC = {{W_rec}}`` (cached per version of the file)."""
    return dict(_constants(Path(source), Path(source).stat().st_mtime_ns))


@functools.lru_cache(maxsize=8)
def _constants(source: Path, _version: int) -> tuple[tuple[str, str], ...]:
    found: dict[str, str] = {}
    for cell in read_source_notebook(source).cells:
        if cell.cell_type != "code" or not PLACE.search(cell.source):
            continue
        code = PLACE.sub(lambda m: _SENTINEL.format(m.group(1)), cell.source)
        for target, value in _assignments(code):
            if isinstance(value, ast.Name) and value.id.startswith("__grader_variant_"):
                found.setdefault(target, value.id.removeprefix("__grader_variant_")[:-2])
    return tuple(found.items())


def _assignments(code: str) -> list[tuple[str, ast.expr]]:
    """``(name, value)`` of each top-level ``name = value`` of the code."""
    try:
        tree = ast.parse(code)
    except SyntaxError:
        return []
    return [
        (node.targets[0].id, node.value)
        for node in tree.body
        if isinstance(node, ast.Assign)
        and len(node.targets) == 1
        and isinstance(node.targets[0], ast.Name)
    ]


def handed_values(notebook: nbformat.NotebookNode, constants: Mapping[str, str]) -> dict:
    """The parameters' values the hand-in's code assigns to the constants (the first of each),
    read from the lines that assign them: a notebook's other code (the self-check's cases)
    is never parsed."""
    if not constants:
        return {}
    line = re.compile(rf"^({'|'.join(map(re.escape, constants))})[ \t]*=[^=].*$", re.MULTILINE)
    found: dict[str, object] = {}
    for cell in notebook.get("cells") or []:
        source = cell.get("source") if isinstance(cell, dict) else None
        if cell.get("cell_type") != "code" or not isinstance(source, str):
            continue
        for match in line.finditer(source):
            for target, value in _assignments(match.group(0)):
                if constants[target] in found:
                    continue
                try:
                    found[constants[target]] = ast.literal_eval(value)
                except ValueError:  # computed, not written: nobody's numbers
                    continue
    return found


def held_values(
    read: Mapping[str, object], notebook: nbformat.NotebookNode, source: Path
) -> dict[str, object]:
    """parameter -> value of each constant: as the run held it (``read``: variable -> value,
    as the sandbox read it), else as the notebook's text assigns it."""
    constants = constants_of(source)
    written = handed_values(notebook, {n: p for n, p in constants.items() if n not in read})
    return {**written, **{constants[name]: value for name, value in read.items()}}


def numbers_verdict(
    record: Record,
    student: str,
    handed: Mapping[str, object],
    class_wide: Mapping[str, object] | None = None,
) -> Verdict | None:
    """None while the ``handed`` constants are the student's own, or the class-wide values of
    a notebook that says it is the class-wide one (``class_wide``), or there are none; else
    whose they are: another student's (both named), or nobody's."""
    own = record.of(student)
    if own is None or not handed:
        return None
    for fine in (own.values, class_wide):
        if fine is not None and all(fine.get(name) == value for name, value in handed.items()):
            return None
    yours = f"{student}'s own values ({said_values(own.values)}) are the ones that count"
    owners = [
        s
        for s, released in record.students.items()
        if all(released.values.get(name) == value for name, value in handed.items())
    ]
    if not owners:
        return Verdict(
            "numbers not their own",
            f"Variant: the notebook's constants ({said_values(handed)}) are not the values"
            f" released to {student}; {yours}",
        )
    owner = owners[0]
    return Verdict(
        f"another student's numbers: released to {owner}, handed in by {student}",
        f"Variant of another student: this notebook's constants ({said_values(handed)}) are"
        f" the values released to {owner}, and it is handed in by {student}; {yours}",
        owner,
    )
