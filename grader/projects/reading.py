"""The data as the notebook reads it: the shape the handed-in file takes when read with the
notebook's own options (``header=None``, ``names=[...]``, ``index_col``, ``usecols``,
``skiprows``, ``skipfooter``, ``nrows``, ``sep``), and the first shape Colab printed of that
very frame before anything changed it (a column added, ``set_index``, ``dropna``...). Where
either cannot be known for sure, it is None and the comparison says it could not tell."""

from __future__ import annotations

import ast
import csv
import re
from dataclasses import dataclass
from pathlib import Path
from typing import Any

from grader.projects.cells import Cell, Notebook

_TABLES = (".csv", ".tsv", ".txt")
_PANDAS_READERS = frozenset({"read_csv", "read_table"})
# Options that change neither how many rows nor how many columns pandas makes of a file.
_NEUTRAL = frozenset(
    {
        "parse_dates", "dtype", "encoding", "low_memory", "na_values", "thousands", "decimal",
        "quotechar", "engine", "date_format", "dayfirst", "infer_datetime_format",
        "keep_default_na", "true_values", "false_values", "float_precision", "storage_options",
        "compression", "encoding_errors", "memory_map", "converters", "date_parser",
        "na_filter", "verbose", "escapechar", "quoting", "doublequote", "cache_dates",
        "skipinitialspace", "dtype_backend",
    }
)  # fmt: skip
# Methods that change a frame in place whatever their keywords say.
_MUTATE_ALWAYS = frozenset({"pop", "insert", "update"})
_SHAPE = re.compile(r"\((\d+),\s*(\d+)\)")
_TUPLE = re.compile(r"\(\d+(?:,\s*\d+)*,?\)")  # any shape a print shows: (144, 2), (7352, 50, 3)
_FRAME = re.compile(r"\[(\d+) rows x (\d+) columns\]|(\d+) rows × (\d+) columns")
_ENTRIES = re.compile(r"RangeIndex:\s*(\d+) entries|Index:\s*(\d+) entries")


@dataclass(frozen=True)
class Shape:
    rows: int | None
    columns: int | None

    def describe(self) -> str:
        return " and ".join(
            f"{n} {what if n != 1 else what[:-1]}"
            for n, what in ((self.rows, "rows"), (self.columns, "columns"))
            if n is not None
        )


@dataclass(frozen=True)
class Seen:
    """The shape Colab printed of the frame just read (None: none that can be trusted) and,
    where one was printed but cannot be compared, why."""

    shown: Shape | None
    unsure: str | None


def file_shape(path: Path, call: ast.Call | None = None) -> Shape | None:
    """Rows and columns of the table at ``path`` as ``call`` reads it (pandas' defaults
    without a call: one header line); None for a file that is not a table."""
    if path.suffix.lower() not in _TABLES:
        return None
    keywords = {k.arg: k.value for k in call.keywords if k.arg} if call is not None else {}
    separator = _literal(keywords.get("sep", keywords.get("delimiter")))
    try:
        with path.open(newline="", encoding="utf-8", errors="replace") as stream:
            lines = [line for line in stream if line.strip()]
    except OSError:
        return None
    if not lines:
        return Shape(0, 0)
    try:
        if isinstance(separator, str) and len(separator) == 1:
            columns = len(next(csv.reader([lines[0]], delimiter=separator)))
        else:
            dialect = csv.Sniffer().sniff(lines[0])
            columns = len(next(csv.reader([lines[0]], dialect)))
    except csv.Error:
        columns = len(next(csv.reader([lines[0]])))
    if call is None:
        return Shape(len(lines) - 1, columns)
    return _as_read(len(lines), columns, keywords)


def _as_read(lines: int, columns: int, keywords: dict[str, ast.expr]) -> Shape:
    known = {"header", "names", "index_col", "usecols", "skiprows", "skipfooter", "nrows"}
    known |= {"sep", "delimiter"}
    if set(keywords) - known - _NEUTRAL or None in keywords:
        return Shape(None, None)  # an option whose effect on the shape is not modelled
    values = {k: _literal(v) for k, v in keywords.items()}
    unknown = object()
    names = values.get("names", None if "names" not in keywords else unknown)
    rows: int | None
    header = values.get("header", "infer")
    if header == "infer":
        header = None if names is not None else 0
    skip = values.get("skiprows", 0)
    if isinstance(skip, int) and not isinstance(skip, bool):
        rows = lines - skip
    elif isinstance(skip, list | tuple) and all(isinstance(s, int) for s in skip):
        rows = lines - len(set(skip))
    else:
        rows = None
    if rows is not None:
        if header is None:
            pass
        elif isinstance(header, int) and not isinstance(header, bool):
            rows -= header + 1
        else:
            rows = None
    footer = values.get("skipfooter", 0)
    if rows is not None:
        rows = rows - footer if isinstance(footer, int) else None
    limit = values.get("nrows")
    if rows is not None and "nrows" in keywords:
        rows = min(rows, limit) if isinstance(limit, int) else None
    made: int | None = columns
    usecols = values.get("usecols")
    if "usecols" in keywords:
        made = len(usecols) if isinstance(usecols, list | tuple) else None
    elif "names" in keywords:
        made = len(names) if isinstance(names, list | tuple) else None
    index = values.get("index_col")
    if made is not None and "index_col" in keywords:
        if isinstance(index, list | tuple):
            made -= len(index)
        elif isinstance(index, int | str) and not isinstance(index, bool):
            made -= 1
        elif index not in (None, False):
            made = None
    return Shape(rows if rows is None or rows >= 0 else None, made)


def _literal(node: ast.expr | None) -> Any:
    if node is None:
        return None
    try:
        return ast.literal_eval(node)
    except (ValueError, TypeError, SyntaxError, MemoryError, RecursionError):
        return _Unknown()


class _Unknown:
    """A value the code computes: not a constant the shape can be worked out from."""


def read_call(notebook: Notebook, cell: int, line: int, path: str) -> tuple[ast.Call, str] | None:
    """The pandas reader call at ``cell``, ``line`` that opens ``path``, and the name it is
    bound to (``df = pd.read_csv(path, ...)``); None where it is anything else."""
    found = notebook.cell(cell)
    if found is None or found.tree is None:
        return None
    for statement in found.tree.body:
        if not (isinstance(statement, ast.Assign) and statement.lineno == line):
            continue
        value = statement.value
        if (
            len(statement.targets) == 1
            and isinstance(statement.targets[0], ast.Name)
            and isinstance(value, ast.Call)
            and _called(value.func) in _PANDAS_READERS
            and value.args
            and isinstance(value.args[0], ast.Constant)
            and value.args[0].value == path
        ):
            return value, statement.targets[0].id
    return None


def first_shape_seen(notebook: Notebook, cell: int, line: int, name: str) -> Seen:
    """The shape Colab printed of ``name`` (bound at ``cell``, ``line``) before the code
    changed it; where its first printed shape comes after a change, why it cannot be used."""
    started = False
    for code in notebook.code():
        if code.position < cell:
            continue
        assert code.tree is not None
        shown_before = {"shape": 0, "info": 0, "frame": 0}
        for statement in code.tree.body:
            if not started:
                started = code.position == cell and statement.lineno >= line
                if started:
                    continue
                shown_before = _count_shows(statement, shown_before)
                continue
            kind = _shows(statement, name, last=statement is code.tree.body[-1])
            if kind == "shape" and not _one_pair_per_shape(code):
                # a warning's "(3,4)" or a printed tuple beside the shapes: which one is the
                # frame's cannot be told
                return Seen(None, f"the output of cell {code.position} holds other numbers in "
                            "brackets beside its shapes")  # fmt: skip
            shape = _nth_shape(code, kind, shown_before[kind]) if kind is not None else None
            if shape is not None:
                return Seen(shape, None)
            change = _changes(statement, name)
            if change:
                later = _later_shape(notebook, code)
                if later:
                    return Seen(None, f"{change} (cell {code.position}, line {statement.lineno})"
                                f" before its shape was printed")  # fmt: skip
                return Seen(None, None)
            shown_before = _count_shows(statement, shown_before)
    return Seen(None, None)


def shows_a_shape(output: str) -> bool:
    """Whether an output shows a table's shape (``(144, 2)``, a frame's footer, ``.info()``)."""
    return any(pattern.search(output) for pattern in (_SHAPE, _FRAME, _ENTRIES))


def _later_shape(notebook: Notebook, code: Cell) -> bool:
    """Whether any output from here on shows a shape (else nothing could be compared)."""
    later = [c for c in notebook.code() if c.position >= code.position]
    return any(shows_a_shape(output) for c in later for output in c.outputs)


def _called(func: ast.expr) -> str:
    if isinstance(func, ast.Attribute):
        return func.attr
    return func.id if isinstance(func, ast.Name) else ""


def _shows(statement: ast.stmt, name: str, last: bool) -> str | None:
    """How ``statement`` shows ``name``'s shape: ``shape``, ``info`` or ``frame``."""
    if not isinstance(statement, ast.Expr):
        return None
    value = statement.value
    if _is_shape(value, name) and last:
        return "shape"
    if isinstance(value, ast.Call) and _called(value.func) in ("print", "display"):
        if value.args and _is_shape(value.args[0], name):
            return "shape"
        if value.args and isinstance(value.args[0], ast.Name) and value.args[0].id == name:
            return "frame"
    if isinstance(value, ast.Call) and _called(value.func) == "info":
        func = value.func
        if isinstance(func, ast.Attribute) and isinstance(func.value, ast.Name):
            return "info" if func.value.id == name else None
    if last and isinstance(value, ast.Name) and value.id == name:
        return "frame"
    return None


def _is_shape(node: ast.expr, name: str) -> bool:
    return (
        isinstance(node, ast.Attribute)
        and node.attr == "shape"
        and isinstance(node.value, ast.Name)
        and node.value.id == name
    )


def _count_shows(statement: ast.stmt, counts: dict[str, int]) -> dict[str, int]:
    """Shapes printed by ``statement`` of any frame, so the one wanted is picked by order."""
    counts = dict(counts)
    for node in ast.walk(statement):
        if isinstance(node, ast.Call) and _called(node.func) in ("print", "display"):
            counts["shape"] += sum(
                isinstance(n, ast.Attribute) and n.attr == "shape"
                for argument in node.args
                for n in ast.walk(argument)
            )
        elif isinstance(node, ast.Call) and _called(node.func) == "info":
            counts["info"] += 1
    if isinstance(statement, ast.Expr) and isinstance(statement.value, ast.Attribute):
        counts["shape"] += statement.value.attr == "shape"
    return counts


def _one_pair_per_shape(code: Cell) -> bool:
    """Whether the cell's output shows as many ``(a, b)`` as its code prints shapes."""
    assert code.tree is not None
    printed = {"shape": 0, "info": 0, "frame": 0}
    for statement in code.tree.body:
        printed = _count_shows(statement, printed)
    return len(_TUPLE.findall("\n".join(code.outputs))) == printed["shape"]


def _nth_shape(code: Cell, kind: str, index: int) -> Shape | None:
    text = "\n".join(code.outputs)
    if kind == "shape":  # the index-th shape printed, when it is a table's (rows, columns)
        tuples = _TUPLE.findall(text)
        found = _SHAPE.fullmatch(tuples[index]) if index < len(tuples) else None
        return Shape(int(found.group(1)), int(found.group(2))) if found else None
    pattern = {"info": _ENTRIES, "frame": _FRAME}[kind]
    matches = list(pattern.finditer(text))
    if index >= len(matches):
        return None
    numbers = [int(g) for g in matches[index].groups() if g is not None]
    return Shape(numbers[0], numbers[1] if len(numbers) > 1 else None)


def _changes(statement: ast.stmt, name: str) -> str | None:
    """What in ``statement`` may change the frame ``name`` (in words), or None."""
    for node in ast.walk(statement):
        targets: list[ast.expr] = []
        if isinstance(node, ast.Assign):
            targets = node.targets
        elif isinstance(node, ast.AugAssign | ast.AnnAssign):
            targets = [node.target]
        elif isinstance(node, ast.Delete):
            targets = node.targets
        for target in targets:
            if _root(target) == name:
                return f"{name} was changed by `{ast.unparse(target)} = ...`"
        if isinstance(node, ast.Call):
            func = node.func
            if isinstance(func, ast.Attribute) and _root(func.value) == name:
                in_place = any(
                    k.arg == "inplace" and not (isinstance(k.value, ast.Constant) and
                                                k.value.value is False)
                    for k in node.keywords
                )  # fmt: skip
                if in_place or func.attr in _MUTATE_ALWAYS:
                    return f"{name} was changed by `{name}.{func.attr}(...)`"
            elif any(isinstance(a, ast.Name) and a.id == name for a in node.args) and (
                isinstance(func, ast.Name) and func.id not in ("print", "display", "len", "type")
            ):
                return f"{name} was passed to {func.id}(), which may change it"
    return None


def _root(node: ast.expr) -> str | None:
    while isinstance(node, ast.Attribute | ast.Subscript):
        node = node.value
    return node.id if isinstance(node, ast.Name) else None
