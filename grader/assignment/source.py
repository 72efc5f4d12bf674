"""The instructor's source notebook: its solution regions, its graded functions, its solutions.

The instructor's code is trusted: the solutions run in this process, to compute the public
cases (and the expected values, when ``grading.py`` gives no REFERENCE).
"""

from __future__ import annotations

import ast
import contextlib
import difflib
import functools
import io
import re
from collections.abc import Callable, Mapping, Sequence
from dataclasses import dataclass, field
from pathlib import Path
from typing import Any, TypeVar

import nbformat
from IPython.core.inputtransformer2 import TransformerManager

from grader.assignment import instructor, written
from grader.assignment.config import CONFIG_NAME, AssignmentConfig
from grader.assignment.source_notebook import describe_cell, read_source_notebook
from grader.assignment.variant_definition import read_definition
from grader.assignment.variant_substitute import check_names, filled
from grader.errors import UserError

BEGIN, END = "### BEGIN SOLUTION", "### END SOLUTION"
STUB = ("# YOUR CODE HERE", "raise NotImplementedError()")
MARKER = re.compile(r"^\s*#+\s*(BEGIN|END)\s+SOLUTION\s*$")
Signatures = Mapping[str, "tuple[str, ...] | None"]


@dataclass(frozen=True)
class SourcePlan:
    """Where the solutions are: line ranges per cell, and the cell defining each graded function;
    what else students may not see: withheld line ranges per cell (hidden tests, mark schemes)
    and the answer cells nbgrader's metadata marks without markers, released as stubs whole."""

    regions: dict[int, list[tuple[int, int]]]
    defined_in: dict[str, int]
    withheld: dict[int, list[tuple[int, int]]] = field(default_factory=dict)
    answer_cells: frozenset[int] = frozenset()
    written: tuple[written.WrittenQuestion, ...] = ()


def has_solution_markers(text: str) -> bool:
    return any(MARKER.match(line) for line in text.splitlines())


def _solution_regions(lines: list[str], where: str) -> list[tuple[int, int]]:
    """(begin, end) line numbers of each solution region; UserError when they do not pair up."""
    regions, begin = [], None
    for number, line in enumerate(lines):
        marker = MARKER.match(line)
        if not marker:
            continue
        if marker.group(1) == "BEGIN":
            if begin is not None:
                raise UserError(
                    f"{where}: {BEGIN} on line {number + 1} comes before the {END} of the"
                    f" region opened on line {begin + 1}; close each region before the next"
                )
            begin = number
        elif begin is None:
            raise UserError(f"{where}: {END} on line {number + 1} has no {BEGIN} before it")
        else:
            regions.append((begin, number))
            begin = None
    if begin is not None:
        raise UserError(
            f"{where}: {BEGIN} on line {begin + 1} has no matching {END}; add one after the"
            f" solution"
        )
    return regions


_Line = TypeVar("_Line", str, str | None)  # a source line, or None for one left out


def stubbed(lines: Sequence[_Line], regions: list[tuple[int, int]]) -> list[_Line]:
    """``lines`` with each region replaced by the stub, indented like its BEGIN marker (a line
    may be None: one already left out, kept in place so the line numbers hold)."""
    out: list[_Line] = []
    last = 0
    for begin, end in regions:
        marker = lines[begin] or ""
        indent = marker[: len(marker) - len(marker.lstrip())]
        out.extend(lines[last:begin])
        out.extend(indent + s for s in STUB)
        last = end + 1
    out.extend(lines[last:])
    return out


def parse_cell(source: str) -> ast.Module | None:
    """The cell's syntax tree, IPython magics and shell escapes included; None if invalid."""
    try:
        return ast.parse(_as_python(source))
    except SyntaxError:
        return None


@functools.lru_cache(maxsize=1024)
def _as_python(source: str) -> str:
    """The cell as plain Python; cached, for a per-student release reads the same cells for
    every student."""
    return TransformerManager().transform_cell(source)


def plan_source(
    notebook: nbformat.NotebookNode, config: AssignmentConfig, signatures: Signatures
) -> SourcePlan:
    """Find and check the solution regions and the graded functions of the source notebook."""
    path = config.source
    regions: dict[int, list[tuple[int, int]]] = {}
    withheld: dict[int, list[tuple[int, int]]] = {}
    answer_cells: set[int] = set()
    definitions: dict[str, list[tuple[int, ast.FunctionDef]]] = {}
    for index, cell in enumerate(notebook.cells):
        where = describe_cell(path, index, cell)
        lines = cell.source.splitlines()
        if written.is_written(cell):  # released emptied, or (a task) with mark schemes cut
            cut = instructor.withheld_regions(lines, where, [])
            if cut:
                withheld[index] = cut
            continue
        found = _solution_regions(lines, where)
        if found and cell.cell_type != "code":
            raise UserError(f"{where}: solution markers belong in code cells only")
        cut = instructor.withheld_regions(lines, where, found)
        if cut:
            withheld[index] = cut
        if instructor.is_answer_cell(cell) and not found:
            answer_cells.add(index)
        if cell.cell_type != "code":
            continue
        if found:
            regions[index] = found
            stub = "\n".join(stubbed(lines, found))
            if parse_cell(stub) is None:
                raise UserError(
                    f"{where}: with the solution replaced by a stub the cell is no longer valid"
                    f" Python; put the markers around whole statements of a function body"
                )
        tree = parse_cell(cell.source)
        if tree is None and found:
            try:
                ast.parse(cell.source)
            except SyntaxError as error:
                raise UserError(
                    f"{where}: line {error.lineno} is not valid Python ({error.msg})"
                ) from None
        if tree is None:
            continue
        for node in tree.body:
            if isinstance(node, ast.FunctionDef):
                definitions.setdefault(node.name, []).append((index, node))
    for function in config.functions:
        _refuse_answer_cell(notebook, path, function.name, definitions, answer_cells)
    questions = written.written_questions(notebook, path)
    if not regions and not questions:
        raise UserError(
            f"{path}: no solution markers found, and no written answers; put each solution"
            f' between lines "{BEGIN}" and "{END}", or mark a written answer cell (metadata'
            f" grader.written, see assignments/README.md)"
        )
    defined_in = {}
    for function in config.functions:
        if function.name not in definitions:
            raise UserError(
                _undefined(
                    notebook, path, function.name, definitions, signatures.get(function.name)
                )
            )
        defined_in[function.name] = _graded_cell(
            notebook,
            path,
            function.name,
            definitions[function.name],
            regions,
            signatures.get(function.name),
        )
    return SourcePlan(regions, defined_in, withheld, frozenset(answer_cells), questions)


def _refuse_answer_cell(
    notebook: nbformat.NotebookNode,
    path: Path,
    name: str,
    definitions: Mapping[str, list[tuple[int, ast.FunctionDef]]],
    answer_cells: set[int],
) -> None:
    """A graded function in an answer cell nbgrader marks by metadata alone would reach the
    students as a bare stub, its name and signature gone with the answer."""
    for index, _ in definitions.get(name, []):
        if index in answer_cells:
            raise UserError(
                f"{describe_cell(path, index, notebook.cells[index])}: an nbgrader answer cell"
                f" (metadata solution: true) without markers defines the graded function {name};"
                f" released as nbgrader releases it, the whole cell would become a stub and"
                f" students would not see {name}'s signature. Put the body of {name} between"
                f" {BEGIN} and {END}"
            )


def _undefined(
    notebook: nbformat.NotebookNode,
    path: Path,
    name: str,
    definitions: Mapping[str, list[tuple[int, ast.FunctionDef]]],
    signature: tuple[str, ...] | None,
) -> str:
    """Why graded function ``name`` is missing, naming the cell of a look-alike if any."""
    message = f"{path}: no code cell defines the graded function {name} that {CONFIG_NAME} lists"
    if signature is not None:
        message += f"; the grader calls `{name}({', '.join(signature)})`"
    close = difflib.get_close_matches(name, list(definitions), n=1)
    if close:
        index = definitions[close[0]][0][0]
        where = describe_cell(path, index, notebook.cells[index])
        return f"{message}. {where} defines {close[0]}: rename it to {name}"
    return f"{message}. Define it in a code cell, or remove it from {CONFIG_NAME}"


def _graded_cell(
    notebook: nbformat.NotebookNode,
    path: Path,
    name: str,
    definitions: list[tuple[int, ast.FunctionDef]],
    regions: Mapping[int, list[tuple[int, int]]],
    expected: tuple[str, ...] | None,
) -> int:
    """The index of the one cell defining graded function ``name``, with its checks."""
    if len(definitions) > 1:
        cells = " and ".join(str(i + 1) for i, _ in definitions)
        raise UserError(f"{path}: cells {cells} both define {name}; keep one definition")
    index, node = definitions[0]
    where = describe_cell(path, index, notebook.cells[index])
    got = tuple(a.arg for a in node.args.posonlyargs + node.args.args)
    expected = expected or got
    if got != expected or node.args.vararg or node.args.kwonlyargs:
        raise UserError(
            f"{where}: {name}({', '.join(got)}) must take exactly ({', '.join(expected)}),"
            f" in this order: the grader calls it that way"
        )
    body = range(node.lineno - 1, node.end_lineno or node.lineno)
    if not any(begin in body for begin, _ in regions.get(index, [])):
        raise UserError(
            f"{where}: {name} has no solution region, so students would receive it solved;"
            f" put its body between {BEGIN} and {END}"
        )
    return index


def run_solutions(
    notebook: nbformat.NotebookNode, plan: SourcePlan, config: AssignmentConfig
) -> dict[str, Callable]:
    """The graded functions as the source notebook defines them, by running its code cells up
    to the last graded one in a fresh namespace (the instructor's code is trusted)."""
    if not plan.defined_in:  # written answers only
        return {}
    namespace = run_cells(
        notebook,
        max(plan.defined_in.values()),
        config,
        "to compute the public cases or expected values",
        "Cells up to the last graded function must run as plain Python, without magics",
    )
    return {name: namespace[name] for name in plan.defined_in}


def run_cells(
    notebook: nbformat.NotebookNode, last: int, config: AssignmentConfig, why: str, advice: str
) -> dict[str, Any]:
    """The namespace the notebook's code cells up to cell ``last`` leave, run in a fresh one
    with their output kept quiet; a cell that fails is one clear line: what running it was
    ``why`` for, and the ``advice``."""
    namespace: dict[str, Any] = {"__name__": "__main__"}
    for index, cell in enumerate(notebook.cells[: last + 1]):
        if cell.cell_type != "code":
            continue
        where = describe_cell(config.source, index, cell)
        try:
            code = compile(cell.source, f"<{config.source} cell {index + 1}>", "exec")
            quiet = io.StringIO()
            with contextlib.redirect_stdout(quiet), contextlib.redirect_stderr(quiet):
                exec(code, namespace)
        except Exception as error:
            raise UserError(
                f"{where}: running it {why} failed with {type(error).__name__}: {error}. {advice}"
            ) from None
    return namespace


def solutions_of(
    config: AssignmentConfig, values: Mapping[str, object] | None = None
) -> dict[str, Callable]:
    """The graded functions as the source notebook's solutions define them; with [variants],
    on ``values`` (None: the class-wide values)."""
    notebook = source_on(config, values)
    return run_solutions(notebook, plan_source(notebook, config, {}), config)


def source_on(
    config: AssignmentConfig, values: Mapping[str, object] | None
) -> nbformat.NotebookNode:
    """The source notebook, with [variants] filled with ``values`` (None: the class-wide)."""
    notebook = read_source_notebook(config.source)
    if not config.variants:
        return notebook
    definition = read_definition(config.variants, config.directory / CONFIG_NAME)
    check_names(notebook, definition, config.source, config.directory / CONFIG_NAME)
    chosen: Mapping[str, Any] = values or definition.class_wide()  # released values are Values
    return filled(notebook, chosen, "")
