"""A notebook's cells as the Python the kernel runs, one piece per cell, IPython syntax understood.

Pure text work: nothing here imports or runs the notebook. A cell magic decides what its cell is:
``%%capture``, ``%%time`` and friends run the rest of the cell as Python; ``%%writefile x.py``
writes a module the notebook may import or ``%run``; ``%%bash``, ``%%html`` and the like are not
Python. Line magics and ``!cmd`` become ``get_ipython()`` calls through IPython's own transformer,
which keeps the line numbers.
"""

from __future__ import annotations

import ast
import functools
import heapq
import shlex
from collections.abc import Sequence
from dataclasses import dataclass
from pathlib import PurePosixPath

from grader.forbidden.memo import small_answers

MAIN = "__main__"  # the notebook's own namespace

Cells = str | Sequence[str] | Sequence[tuple[int, str]]  # one code string, sources, or pairs

# Cell magics whose body runs in the kernel's namespace as ordinary Python.
PYTHON_CELL_MAGICS = frozenset({"capture", "time", "timeit", "prun", "debug"})
WRITE_CELL_MAGICS = frozenset({"writefile", "file"})
# Why Python may refuse a text: not Python, a NUL byte (ValueError), or nested too deeply.
UNPARSEABLE = (SyntaxError, ValueError, RecursionError, MemoryError)


@dataclass(frozen=True)
class Piece:
    """Python read from one cell (or one file written by a cell), parsed."""

    cell: int | None  # the cell's index among all cells, as run errors count it; None: bare code
    first_line: int  # the cell line where this piece's line 1 is
    module: str  # MAIN, or the module name of a file the cell writes
    file: str | None  # that file's name as written
    tree: ast.Module
    shipped: bool = False  # the file came with the notebook rather than from a cell

    def where(self, node: ast.AST) -> str:
        """``cell 4, line 2`` (or ``helper.py line 3, written by cell 4``) for ``node``."""
        line = getattr(node, "lineno", 1)
        cell = "" if self.cell is None else f"cell {self.cell}"
        if self.file is not None:
            origin = "shipped with the notebook" if self.shipped else f"written by {cell or 'it'}"
            return f"{self.file} line {line}, {origin}"
        return f"{cell + ', ' if cell else ''}line {line + self.first_line - 1}"


@dataclass(frozen=True)
class Unreadable:
    """A cell (or a file) that is not Python; the scan could not look inside it."""

    what: str  # "cell 4", "the file helper.py that cell 4 writes"
    problem: str


def as_cells(code_or_cells: Cells) -> list[tuple[int | None, str]]:
    """``(index, source)`` pairs from one code string, a list of sources, or indexed pairs."""
    if isinstance(code_or_cells, str):
        return [(None, code_or_cells)]
    return [
        item if isinstance(item, tuple) else (index, item)
        for index, item in enumerate(code_or_cells)
    ]


def read_pieces(
    cells: Sequence[tuple[int | None, str]], files: Sequence[tuple[str, str]] = ()
) -> tuple[list[Piece], list[Unreadable]]:
    """Every Python piece of ``cells`` in running order, and what could not be read.

    ``files`` are ``(path, text)`` of the .py files that sit beside the notebook when it runs:
    modules it can import without writing them.
    """
    pieces: list[Piece] = []
    unreadable: list[Unreadable] = []
    for path, text in files:
        module = module_name(path)
        try:
            tree = ast.parse(text)
        except UNPARSEABLE as error:
            unreadable.append(Unreadable(f"the file {path} beside the notebook", str(error)))
            continue
        if module is not None:
            pieces.append(Piece(None, 1, module, path, tree, shipped=True))
    for index, source in cells:
        _read_cell(index, source, 1, pieces, unreadable)
    return pieces, unreadable


def _read_cell(
    index: int | None,
    source: str,
    first_line: int,
    pieces: list[Piece],
    unreadable: list[Unreadable],
) -> None:
    head, _, body = source.lstrip("\n").partition("\n")
    first_line += len(source) - len(source.lstrip("\n"))
    if head.startswith("%%"):
        name, _, arguments = head[2:].strip().partition(" ")
        if name in PYTHON_CELL_MAGICS:
            _read_cell(index, body, first_line + 1, pieces, unreadable)
        elif name in WRITE_CELL_MAGICS:
            _read_written_file(index, arguments, body, pieces, unreadable)
        return  # %%bash, %%html, ...: not Python run in the kernel
    tree = _parsed(source)
    if isinstance(tree, Exception):
        what = "the code" if index is None else f"cell {index}"
        unreadable.append(Unreadable(what, _syntax_problem(tree, first_line)))
        return
    pieces.append(Piece(index, first_line, MAIN, None, tree))


# Most cells of a class are the same text (the release's own cells, the grader-owned ones):
# each is read once per grader process. The trees are shared, so nothing may change them.
def parsed(source: str) -> ast.Module | Exception:
    """The tree of a cell's Python as IPython runs it, or why Python refuses it (shared:
    nothing may change it)."""
    return _parsed(source)


@small_answers
def _parsed(source: str) -> ast.Module | Exception:
    """The tree of a cell's Python as IPython runs it, or why Python refuses it."""
    try:  # IPython's reader is a tokenizer in Python, slow on a megabyte of pasted data
        return ast.parse(source)  # plain Python: IPython runs it unchanged
    except UNPARSEABLE:
        pass
    try:
        return ast.parse(_ipython().transform_cell(source))
    except UNPARSEABLE as error:
        return error


def walked(node: ast.AST, *kinds: type[ast.AST]) -> list[ast.AST]:
    """The nodes under ``node`` (itself included) of these ``kinds`` (all without any), in
    :func:`ast.walk`'s order; each tree is walked, and each choice of kinds picked, once per
    process."""
    walk = _walk(node)
    if not kinds:
        kinds = tuple(walk.by_kind)
    picked = walk.picked.get(kinds)
    if picked is None:
        lists = [walk.by_kind.get(kind, []) for kind in kinds]
        merged = lists[0] if len(lists) == 1 else heapq.merge(*lists)
        picked = walk.picked[kinds] = tuple(each for _, each in merged)
    return list(picked)


@dataclass(frozen=True)
class _Walk:
    """The nodes under a node by their type, each with its place in the walk; and the nodes
    of each choice of types asked for so far, in walk order."""

    by_kind: dict[type, list[tuple[int, ast.AST]]]
    picked: dict[tuple[type, ...], tuple[ast.AST, ...]]


@small_answers
def _walk(node: ast.AST) -> _Walk:
    found: dict[type, list[tuple[int, ast.AST]]] = {}
    for place, each in enumerate(ast.walk(node)):
        found.setdefault(type(each), []).append((place, each))
    return _Walk(found, {})


@functools.cache
def _ipython():
    """IPython's own reader of cell syntax (``!cmd``, ``%magic``), made once."""
    from IPython.core.inputtransformer2 import TransformerManager

    return TransformerManager()


def _read_written_file(
    index: int | None, arguments: str, body: str, pieces: list[Piece], unreadable: list[Unreadable]
) -> None:
    try:
        words = [w for w in shlex.split(arguments) if not w.startswith("-")]
    except ValueError:
        words = []
    module = module_name(words[-1]) if words else None
    if module is None:
        return  # a data file, not a module Python can import
    try:
        tree = ast.parse(body)
    except UNPARSEABLE as error:
        writer = "the code" if index is None else f"cell {index}"
        unreadable.append(Unreadable(f"the file {words[-1]} that {writer} writes", str(error)))
        return
    pieces.append(Piece(index, 2, module, words[-1], tree))


def module_name(path: str) -> str | None:
    """The module ``import`` finds for a file written beside the notebook: ``a/b.py`` is ``a.b``."""
    parts = PurePosixPath(path).parts
    if not parts or not path.endswith(".py") or PurePosixPath(path).is_absolute():
        return None
    names = [p for p in parts[:-1] if p != "."] + [PurePosixPath(parts[-1]).stem]
    if names[-1] == "__init__":
        names = names[:-1]
    return ".".join(names) if names and all(n.isidentifier() for n in names) else None


def _syntax_problem(error: Exception, first_line: int) -> str:
    if isinstance(error, SyntaxError) and error.lineno is not None:
        return f"SyntaxError on line {error.lineno + first_line - 1}: {error.msg}"
    if isinstance(error, RecursionError | MemoryError):
        return "nested too deeply for Python to read"
    return f"{type(error).__name__}: {error}"
