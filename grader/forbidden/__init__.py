"""The forbidden-shortcut scan: what a notebook's graded functions use that the assignment forbids.

Reads the notebook cell by cell (a cell that is not Python is reported, and does not hide the
others), understands IPython magics, follows each graded function into everything it reaches,
and resolves every name to the object it stands for. Nothing here imports or runs the notebook.

Two kinds of finding, kept apart on purpose:

- a *definite* use (a forbidden object reached from a graded function) is listed under that
  function's name and costs the function its points, as before;
- a *review note* (a lookup or code chosen at run time, a name or module the scan cannot see,
  a cell it could not read) is listed under :data:`REVIEW`: the grader shows it as a warning
  for the instructor and takes no points.

Forbidden imports anywhere in the notebook are listed under ``"*"`` (a warning, as before).

Modules: ``cells`` (the cells as Python), ``names`` (every dotted path naming a forbidden
object), ``bindings`` (what each module-level name is bound to), ``scopes`` (a function's local
names), ``resolve`` (which object an expression names), ``reach`` (everything a graded function
reaches), ``memo`` (a cache of the pure steps), ``tampering`` (code that can blind the run-time
record), ``runtime`` (what the run-time record adds).
"""

from __future__ import annotations

import ast
import contextlib
import functools
import sys
from collections.abc import Sequence

from grader.forbidden import tampering
from grader.forbidden.bindings import build, line_magic
from grader.forbidden.cells import MAIN, Cells, Piece, as_cells, module_name, read_pieces, walked
from grader.forbidden.names import Forbidden
from grader.forbidden.reach import Reach, ScanTimeout
from grader.forbidden.resolve import Resolver
from grader.limits import FORBIDDEN

NOTEBOOK = "*"  # findings about the whole notebook
REVIEW = "?"  # notes for the instructor to review; they cost no points

__all__ = ["NOTEBOOK", "REVIEW", "defined_functions", "forbidden_shortcuts"]


def forbidden_shortcuts(
    code_or_cells: Cells,
    graded_names: Sequence[str],
    forbidden_imports: Sequence[str],
    forbidden_calls: Sequence[str],
    files: Sequence[tuple[str, str]] = (),
) -> dict[str, list[str]]:
    """Forbidden uses by graded function, ``"*"`` for the notebook, ``"?"`` for review notes.

    ``code_or_cells``: the code cells as ``(index, source)`` pairs (the index is what run
    errors call the cell), a list of sources, or one string of code. ``files``: ``(path, text)``
    of the .py files beside the notebook when it runs, which it can import.
    """
    try:
        with _deeper_recursion():
            return _scan(
                as_cells(code_or_cells), graded_names, forbidden_imports, forbidden_calls, files
            )
    except RecursionError:  # code nested thousands deep: no student writes that
        return {REVIEW: ["the notebook nests code too deeply to scan; review it by hand"]}


# Resolving an alias of an alias... takes a few frames per step; student code nests far less.


@contextlib.contextmanager
def _deeper_recursion():
    before = sys.getrecursionlimit()
    sys.setrecursionlimit(max(before, FORBIDDEN.scan_recursion))
    try:
        yield
    finally:
        sys.setrecursionlimit(before)


def _scan(
    cells: list[tuple[int | None, str]],
    graded_names: Sequence[str],
    forbidden_imports: Sequence[str],
    forbidden_calls: Sequence[str],
    files: Sequence[tuple[str, str]],
) -> dict[str, list[str]]:
    pieces, unreadable = read_pieces(cells, files)
    text = "\n".join(source for _, source in cells)
    forbidden = Forbidden.from_config(forbidden_imports, forbidden_calls)
    spaces = build(pieces)
    found: dict[str, list[str]] = {}
    review = [
        f"{u.what} could not be read as Python"
        f" ({u.problem}), so the forbidden-shortcut scan could not look inside it; review it"
        " by hand"
        for u in unreadable
    ]
    review += tampering.notes(cells)
    imports = _forbidden_imports(pieces, forbidden, Resolver(spaces))
    if imports:
        found[NOTEBOOK] = imports
    # Where the notebook makes code the scan cannot see matters only for a graded function no
    # cell defines: looked for then, once (most notebooks define them all).
    hidden = functools.cache(lambda: _hidden_code(pieces, spaces, Resolver(spaces)))
    for name in graded_names:
        if name not in spaces[MAIN].sites:
            if hidden():
                review.append(
                    f"no cell defines {name} where the scan can read it, but {hidden()}: "
                    f"review how {name} is made"
                )
            continue
        try:
            findings = Reach(spaces, forbidden, name, text).run()
        except RecursionError:
            review.append(f"{name} reaches code nested too deeply to scan; review it by hand")
            continue
        except ScanTimeout as timeout:
            review.append(
                f"{timeout}, so it could not look at all {name} reaches; review it by hand"
            )
            continue
        if findings.uses:
            found[name] = findings.uses
        review += findings.review
    if review:
        found[REVIEW] = list(dict.fromkeys(review))
    return found


def defined_functions(code_or_cells: Cells) -> set[str]:
    """Names of the functions the notebook defines at the top level of its cells."""
    pieces, _ = read_pieces(as_cells(code_or_cells))
    return {
        node.name
        for piece in pieces
        if piece.module == MAIN
        for node in piece.tree.body
        if isinstance(node, (ast.FunctionDef, ast.AsyncFunctionDef))
    }


def _forbidden_imports(pieces: list[Piece], forbidden: Forbidden, resolver: Resolver) -> list[str]:
    """``imports solutions (cell 3, line 1)`` for each import of a forbidden module."""
    found = []
    for piece in pieces:
        for node in walked(piece.tree, ast.Import, ast.ImportFrom, ast.Call):
            if isinstance(node, ast.Import):
                modules = [alias.name for alias in node.names]
            elif isinstance(node, ast.ImportFrom) and node.module and node.level == 0:
                modules = [node.module]
            elif isinstance(node, ast.Call) and resolver.literal_lookup(node, piece.module, None):
                modules = list(resolver.paths(node, piece.module, None))
            else:
                continue
            for module in modules:
                if forbidden.module(module):
                    found.append(f"imports {module} ({piece.where(node)})")
    return list(dict.fromkeys(found))


_RUNS_CODE = {"builtins.exec", "builtins.eval", "builtins.compile"}


def _hidden_code(pieces: list[Piece], spaces: dict, resolver: Resolver) -> str | None:
    """Where the notebook makes code or names the scan cannot see (``exec``, ``%run x.ipynb``,
    ``globals()[name] = ...``), if anywhere."""
    for piece in pieces:
        for node in walked(piece.tree, ast.Subscript, ast.Call):
            what = _makes_hidden_code(node, piece.module, spaces, resolver)
            if what is not None:
                return f"{piece.where(node)} {what}"
    return None


def _makes_hidden_code(node: ast.AST, module: str, spaces: dict, resolver: Resolver) -> str | None:
    if isinstance(node, ast.Subscript) and isinstance(node.ctx, ast.Store):
        base = node.value
        if isinstance(base, ast.Call) and "builtins.globals" in resolver.paths(
            base.func, module, None
        ):
            return "sets a name through globals()"
        return None
    if not isinstance(node, ast.Call):
        return None
    magic = line_magic(node)
    if magic and magic[0] in ("run", "load"):
        words = [w for w in magic[1].split() if not w.startswith("-")]
        target = words[0] if words else "a file"
        if module_name(target) not in spaces:
            return f"runs {target}, which it does not write"
    if resolver.paths(node.func, module, None) & _RUNS_CODE:
        return "runs code made while it runs"
    if isinstance(node.func, ast.Attribute) and node.func.attr in ("run_cell", "ex", "ev"):
        return "runs code through IPython"
    return None
