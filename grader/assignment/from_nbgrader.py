"""``grader assign --from-nbgrader NOTEBOOK --out DIR``: a starting assignment folder from an
nbgrader source notebook.

What maps where (see assignments/README.md): the notebook becomes ``source.ipynb`` as it is,
except that a graded function in an answer cell nbgrader marks by metadata alone gets
``### BEGIN SOLUTION`` / ``### END SOLUTION`` around its body (so students keep its signature);
each graded function's points are the points of the autograder test cells that call it;
the test cells' asserts, hidden ones included, go into ``grading.py`` as comments beside the
``make_cases`` the instructor writes from them. Nothing is run: the folder is a start.
"""

from __future__ import annotations

import argparse
import ast
import re
from collections.abc import Sequence
from pathlib import Path

import nbformat

from grader.assignment import instructor, source, written
from grader.assignment.config import CONFIG_NAME
from grader.assignment.package import GRADING_NAME
from grader.errors import UserError

DEFAULT_POINTS = 10.0  # for a graded function no autograder test cell calls
_NAME = re.compile(r"[^a-z0-9_]+")


def _functions_defined(cell: nbformat.NotebookNode) -> list[ast.FunctionDef]:
    tree = source.parse_cell(cell.source) if cell.cell_type == "code" else None
    return [node for node in (tree.body if tree else []) if isinstance(node, ast.FunctionDef)]


def _test_cells(notebook: nbformat.NotebookNode) -> list[tuple[int, nbformat.NotebookNode]]:
    """nbgrader's autograder test cells: graded, not the student's to write."""
    found = []
    for index, cell in enumerate(notebook.cells):
        marks = cell.get("metadata", {}).get("nbgrader", {})
        if cell.cell_type == "code" and marks.get("grade") and not marks.get("solution"):
            found.append((index, cell))
    return found


def _calls(code: str, name: str) -> bool:
    return re.search(rf"\b{re.escape(name)}\s*\(", code) is not None


def _chosen_functions(notebook: nbformat.NotebookNode, named: Sequence[str], path: Path):
    """{function: cell index} of the graded functions: those ``named``, or every function a
    solution region or an nbgrader answer cell defines."""
    defined: dict[str, int] = {}
    for index, cell in enumerate(notebook.cells):
        if written.is_written(cell):
            continue  # marked by a person, not called by the grader
        marked = source.has_solution_markers(cell.source) or instructor.is_answer_cell(cell)
        for node in _functions_defined(cell):
            if named or marked:
                defined.setdefault(node.name, index)
    if not named:
        if not defined and not written.written_questions(notebook, path):
            raise UserError(
                f"{path}: no cell holds a solution (### BEGIN SOLUTION, or nbgrader's"
                f" metadata solution: true) defining a function, and no cell is a manually"
                f" graded answer or task; name the graded functions with --functions f,g"
            )
        return defined
    missing = [name for name in named if name not in defined]
    if missing:
        raise UserError(
            f"{path}: no code cell defines {', '.join(missing)}; --functions names functions"
            f" the notebook defines ({', '.join(defined) or 'none'})"
        )
    return {name: defined[name] for name in named}


def _mark_body(cell: nbformat.NotebookNode, name: str) -> None:
    """Put the body of ``name`` (after its docstring) between solution markers."""
    node = next(n for n in _functions_defined(cell) if n.name == name)
    body = node.body
    if len(body) > 1 and isinstance(body[0], ast.Expr) and isinstance(body[0].value, ast.Constant):
        body = body[1:]
    lines = cell.source.splitlines()
    first, last = body[0].lineno - 1, (body[-1].end_lineno or body[-1].lineno) - 1
    indent = lines[first][: len(lines[first]) - len(lines[first].lstrip())]
    lines[first : last + 1] = [
        indent + source.BEGIN,
        *lines[first : last + 1],
        indent + source.END,
    ]
    cell.source = "\n".join(lines)


def _points(notebook: nbformat.NotebookNode, functions: Sequence[str]) -> dict[str, float]:
    """Each test cell's points shared among the graded functions it calls."""
    points = dict.fromkeys(functions, 0.0)
    for _, cell in _test_cells(notebook):
        called = [name for name in functions if _calls(cell.source, name)]
        for name in called:
            points[name] += float(cell.metadata["nbgrader"].get("points") or 0) / len(called)
    return {name: round(value, 3) or DEFAULT_POINTS for name, value in points.items()}


def _title(notebook: nbformat.NotebookNode, fallback: str) -> str:
    for cell in notebook.cells:
        if cell.cell_type == "markdown":
            heading = re.search(r"^#+\s+(.+)$", cell.source, re.MULTILINE)
            if heading:
                return heading.group(1).strip()
    return fallback


def _toml_string(text: str) -> str:
    return '"' + text.replace("\\", "\\\\").replace('"', '\\"') + '"'


def _config_text(name: str, title: str, points: dict[str, float]) -> str:
    functions = "".join(
        f"\n[[functions]]\nname = {_toml_string(f)}\npoints = {p:g}\n" for f, p in points.items()
    )
    return f"""# Made by `grader assign --from-nbgrader`: check every value (assignments/README.md).

[assignment]
name = {_toml_string(name)}
title = {_toml_string(title)}
source = "source.ipynb"

[grading]
atol = 1e-6               # a value passes when |got - expected| <= atol + rtol * |expected|
rtol = 1e-5
cases_per_function = 4
seed = "per-submission"
cell_timeout = 60         # seconds
notebook_timeout = 600    # seconds
memory_mb = 2048

[cases]                   # your own settings, handed to make_cases in grading.py
{functions}
[forbidden]
imports = []
calls = []
"""


def _commented_tests(notebook: nbformat.NotebookNode, function: str) -> list[str]:
    """The lines of the test cells that call ``function``, as comments; hidden ones marked."""
    lines = []
    for index, cell in _test_cells(notebook):
        if not _calls(cell.source, function):
            continue
        grade_id = cell.metadata["nbgrader"].get("grade_id", "")
        lines.append(f"# cell {index + 1} ({grade_id}):")
        hidden = False
        for line in cell.source.splitlines():
            if "BEGIN HIDDEN TESTS" in line or "END HIDDEN TESTS" in line:
                hidden = "BEGIN" in line
                continue
            if line.strip():
                lines.append(f"#   {'[hidden] ' if hidden else ''}{line}")
    return lines or ["# (no autograder test cell of the notebook calls it)"]


def _grading_text(notebook: nbformat.NotebookNode, functions: dict[str, int]) -> str:
    makers = []
    for name in functions:
        node = next(
            n for n in _functions_defined(notebook.cells[functions[name]]) if n.name == name
        )
        signature = ", ".join(a.arg for a in node.args.posonlyargs + node.args.args)
        tests = "\n".join("    " + line for line in _commented_tests(notebook, name))
        makers.append(
            f'''def _case_of_{name}(rng, k, settings):
    """Case k of {name}({signature}): Case(label, ({signature},)) with inputs drawn from rng
    (hidden cases when not settings["public"], the released self-check's when it is)."""
    # The nbgrader tests of {name}, to turn into cases (the expected values are computed
    # by the solution in source.ipynb, or by REFERENCE if you add one):
{tests}
    raise NotImplementedError("write the cases of {name} in {GRADING_NAME}")
'''
        )
    if not functions:
        return f'''"""Instructor-only grading (never released), made by `grader assign
--from-nbgrader`: the notebook has written answers only, marked by a person (`grader
serve`); add graded functions to {CONFIG_NAME} and their cases here as assignments/README.md
shows."""


def make_cases(function, rng, settings):
    """settings: the [cases] table, plus "count" (cases wanted) and "public"."""
    return []


MISTAKES = []
'''
    table = ", ".join(f'"{name}": _case_of_{name}' for name in functions)
    defined = "\n\n".join(makers)
    return f'''"""Instructor-only grading (never released), made by `grader assign --from-nbgrader`:
write each function's cases; add MISTAKES, RANGES, HINTS as assignments/README.md shows."""

from grader.assignment import Case, Mistake  # noqa: F401 - what the cases and mistakes are made of


{defined}

CASE_MAKERS = {{{table}}}


def make_cases(function, rng, settings):
    """settings: the [cases] table, plus "count" (cases wanted) and "public"."""
    return [CASE_MAKERS[function](rng, k, settings) for k in range(settings["count"])]


MISTAKES = []
'''


def write_folder(notebook_path: Path, out: Path, named: Sequence[str]) -> dict[str, float]:
    """Write the starting folder in ``out``; each graded function's points."""
    notebook = source.read_source_notebook(notebook_path)
    if out.exists() and any(out.iterdir()):
        raise UserError(f"{out} is not empty; choose a new folder for the assignment")
    functions = _chosen_functions(notebook, named, notebook_path)
    for name, index in functions.items():
        cell = notebook.cells[index]
        if instructor.is_answer_cell(cell) and not source.has_solution_markers(cell.source):
            _mark_body(cell, name)
    name = _NAME.sub("_", notebook_path.stem.lower()).strip("_") or "assignment"
    points = _points(notebook, list(functions))
    out.mkdir(parents=True, exist_ok=True)
    nbformat.write(notebook, out / "source.ipynb")
    (out / CONFIG_NAME).write_text(_config_text(name, _title(notebook, name), points))
    (out / GRADING_NAME).write_text(_grading_text(notebook, functions))
    return points


def cli(args: argparse.Namespace) -> int:
    """``grader assign --from-nbgrader NOTEBOOK --out DIR [--functions f,g]``."""
    named = [f.strip() for f in (args.functions or "").split(",") if f.strip()]
    out = Path(args.out)
    points = write_folder(Path(args.from_nbgrader), out, named)
    notebook = source.read_source_notebook(Path(args.from_nbgrader))
    listed = ", ".join(
        [f"{name} ({value:g} points)" for name, value in points.items()]
        + [
            f"written answer {q.id} ({q.points:g} points)"
            for q in written.written_questions(notebook, Path(args.from_nbgrader))
        ]
    )
    cases = (
        f" write the cases in {out / GRADING_NAME} from the tests kept there as comments, then"
        if points
        else ""
    )
    print(
        f"Wrote {out}/ ({CONFIG_NAME}, {GRADING_NAME}, source.ipynb) for {listed}. Next:{cases}"
        f" `grader assign {out} --out release/`."
    )
    return 0
