"""The right values of an assignment's ``[[answers]]``: the source notebook's solution, run on
the instructor's side (trusted) on one set of values, and kept per distinct set of values, so
that a class of 200 sharing 50 sets of values runs it 50 times, not 200.

An answer is set by a top-level assignment (``steps = ...``) in a code cell, between the
solution markers so that students receive it as a stub; the cells run are the code cells up to
the last one setting an answer, after the variant's values are filled in.
"""

from __future__ import annotations

import ast
import functools
import json
from collections.abc import Mapping, Sequence
from dataclasses import dataclass, field
from pathlib import Path
from typing import Any

import nbformat
import numpy as np

from grader.assignment.config import CONFIG_NAME, AssignmentConfig
from grader.assignment.source import BEGIN, END, parse_cell, plan_source, run_cells, source_on
from grader.assignment.source_notebook import describe_cell
from grader.errors import UserError
from grader.limits import GRADING
from grader.scoring.numeric_answer import NumericAnswer

Expected = dict[str, np.ndarray]  # variable of the solution -> its value, as float64
Regions = Mapping[int, list[tuple[int, int]]]  # cell -> its solution regions' line ranges


def answer_cells(
    notebook: nbformat.NotebookNode,
    config: AssignmentConfig,
    names: Sequence[str],
    regions: Regions | None = None,
) -> dict[str, int]:
    """The index of the code cell whose solution sets each of ``names``; one clear line for a
    name no cell sets, or one set outside a solution region (students would receive it).
    ``regions``: the solution regions per cell, where the caller has planned the source."""
    if regions is None:
        regions = plan_source(notebook, config, {}).regions
    found: dict[str, int] = {}
    for index, cell in enumerate(notebook.cells):
        if cell.cell_type != "code":
            continue
        tree = _parsed(cell.source)
        for node in _statements(tree.body if tree is not None else []):
            for name in _assigned(node):
                if name not in names:
                    continue
                inside = any(b < node.lineno - 1 < e for b, e in regions.get(index, []))
                if not inside:
                    raise UserError(
                        f"{describe_cell(config.source, index, cell)}: it sets the answer {name}"
                        f" outside a solution region, so students would receive it answered;"
                        f" put the lines computing it between {BEGIN} and {END}"
                    )
                found.setdefault(name, index)
    for name in names:
        if name not in found:
            raise UserError(
                f"{config.directory / CONFIG_NAME}: [[answers]] or a partial rule names {name},"
                f" but no code cell of {config.source.name} sets it; compute it in the source"
                f" notebook, between {BEGIN} and {END} (e.g. `{name} = ...`), or fix the name"
            )
    return found


def _parsed(source: str) -> ast.Module | None:
    """The cell's syntax tree: plain Python at once, IPython's magics only where it is not."""
    try:
        return ast.parse(source)
    except SyntaxError:
        return parse_cell(source)


def _statements(body: list[ast.stmt]) -> list[ast.stmt]:
    """The cell's statements at module level: those of its blocks too (a ``try`` that lets
    "Run all" go on, an ``if``), not those inside a function or class."""
    found = []
    for node in body:
        found.append(node)
        if isinstance(node, ast.FunctionDef | ast.AsyncFunctionDef | ast.ClassDef):
            continue
        for block in ("body", "orelse", "finalbody"):
            found += _statements(getattr(node, block, []))
        for handler in getattr(node, "handlers", []):
            found += _statements(handler.body)
    return found


def _assigned(node: ast.stmt) -> list[str]:
    """The names a module-level statement sets."""
    targets: list[ast.expr] = []
    if isinstance(node, ast.Assign):
        targets = list(node.targets)
    elif isinstance(node, ast.AnnAssign | ast.AugAssign):
        targets = [node.target]
    return [t.id for t in targets if isinstance(t, ast.Name)]


def names_read(answers: Sequence[NumericAnswer]) -> list[str]:
    return list(dict.fromkeys(name for answer in answers for name in answer.values_read))


def run_answers(
    notebook: nbformat.NotebookNode,
    config: AssignmentConfig,
    values: Mapping[str, object],
    regions: Regions | None = None,
) -> Expected:
    """Every value the answers read, computed by the (filled) source notebook's solutions."""
    names = names_read(config.answers)
    cells = answer_cells(notebook, config, names, regions)
    shown = ", ".join(f"{k} = {v}" for k, v in values.items())
    on = f" for {shown}" if shown else ""
    namespace = run_cells(
        notebook,
        max(cells.values()),
        config,
        f"to compute the answers{on}",
        "Fix the source"
        " notebook: its cells up to the last answer must run as plain Python, without magics",
    )
    return {name: _number(namespace, name, config, on) for name in names}


def _number(
    namespace: Mapping[str, Any], name: str, config: AssignmentConfig, on: str
) -> np.ndarray:
    """The solution's value of an answer as float64 numbers, or one clear line."""
    if name not in namespace:
        raise UserError(
            f"{config.source}: running its solutions{on} left {name} unset (did its cell catch"
            f" an error?); run the source notebook on these values and fix it"
        )
    value = namespace[name]
    try:
        array = np.asarray(value, dtype=np.float64)
    except (TypeError, ValueError):
        array = None
    if array is None or array.ndim > 1 or array.size > GRADING.answer_numbers or array.size == 0:
        raise UserError(
            f"{config.source}: the solution sets {name} to {value!r:.80}{on}, not a number or a"
            f" list of at most {GRADING.answer_numbers} numbers; an answer is numbers only"
        )
    array.flags.writeable = False
    return array


def expected_answers(config: AssignmentConfig, values: Mapping[str, object] | None) -> Expected:
    """The answers' values for one student's ``values`` (None: an assignment without
    [variants]), computed once per distinct set of values and version of the source."""
    if not config.answers:
        return {}
    source = config.source.resolve()
    shown = json.dumps(dict(values or {}), sort_keys=True)
    return _run_cached(_Of(source, source.stat().st_mtime_ns, repr(config), shown, config))


@dataclass(frozen=True)
class _Of:
    """What the answers' values depend on: the source notebook's version, the config and the
    values (as JSON); the config itself rides along, not in the key."""

    source: Path
    modified_ns: int
    config_text: str
    values: str
    config: AssignmentConfig = field(compare=False)


@functools.lru_cache(maxsize=GRADING.answer_values_kept)
def _run_cached(of: _Of) -> Expected:
    values = json.loads(of.values)
    return run_answers(source_on(of.config, values), of.config, values)
