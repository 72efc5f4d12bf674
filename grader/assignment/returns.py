"""The names of the values a graded function returns as a tuple, as the source notebook names
them, for an assignment whose ``grading.py`` gives no ``OUTPUT_NAMES``: the solution's
``return h_t, c_t``, or else its docstring's "Returns (h_seq, c_seq)", which students read in
the released stub too."""

from __future__ import annotations

import ast
import re
from collections.abc import Iterator

from grader.assignment.config import AssignmentConfig
from grader.assignment.source import parse_cell, read_source_notebook

_NAMES = r"[A-Za-z_]\w*(?:\s*,\s*[A-Za-z_]\w*)+"
# "Returns (h_t, c_t), each (N, H)." or "returns ``(h, c)``"
DOCSTRING_RETURNS = re.compile(rf"\breturns?:?\s+`*\(\s*({_NAMES})\s*\)", re.IGNORECASE)
_SCOPES = (ast.FunctionDef, ast.AsyncFunctionDef, ast.ClassDef, ast.Lambda)


def _own_returns(function: ast.FunctionDef) -> Iterator[ast.expr]:
    """The values ``function`` itself returns (not those of functions defined inside it)."""
    waiting: list[ast.AST] = list(function.body)
    while waiting:
        node = waiting.pop(0)
        if isinstance(node, ast.Return):
            if node.value is not None:
                yield node.value
        elif not isinstance(node, _SCOPES):
            waiting += list(ast.iter_child_nodes(node))


def returned_names(function: ast.FunctionDef) -> tuple[str, ...]:
    """The names of the values ``function`` returns as a tuple; () when it returns no tuple
    of one length, or nothing names the values."""
    returned = list(_own_returns(function))
    sizes = {len(v.elts) if isinstance(v, ast.Tuple) else 0 for v in returned}
    if len(sizes) != 1 or min(sizes) < 2:
        return ()
    for value in returned:  # tuples, all of one length
        elements = value.elts if isinstance(value, ast.Tuple) else []
        named = [item.id for item in elements if isinstance(item, ast.Name)]
        if named and len(named) == len(elements):
            return tuple(named)
    found = DOCSTRING_RETURNS.search(ast.get_docstring(function) or "")
    names = tuple(name.strip() for name in found.group(1).split(",")) if found else ()
    return names if len(names) == sizes.pop() else ()


def source_output_names(config: AssignmentConfig) -> dict[str, tuple[str, ...]]:
    """{graded function: the names of its returned values} where the source notebook's
    definition names them."""
    graded = {f.name for f in config.functions}
    names = {}
    for cell in read_source_notebook(config.source).cells:
        tree = parse_cell(cell.source) if cell.cell_type == "code" else None
        for node in tree.body if tree else ():
            if isinstance(node, ast.FunctionDef) and node.name in graded:
                found = returned_names(node)
                if found:
                    names[node.name] = found
    return names
