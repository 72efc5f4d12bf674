"""Review notes for code that can blind the grader's run-time record of forbidden calls.

The record (:mod:`grader.engine.gradersandbox.watch`) runs in the notebook's own process, so a
notebook can reach it, or the object it watches for, without naming either. No notebook of the
course needs these tools, so each use is a note for the instructor (it costs no points):

- finding a class without its name (``__subclasses__``);
- reaching running code's frames (``sys._getframe``, ``f_back``, ``tb_frame``...), which hold
  the grader's own variables;
- running code in every process the grader forks (``os.register_at_fork``);
- building code objects or functions at run time (``__code__``, ``types.CodeType``,
  ``types.FunctionType``...), which the record, comparing code by identity, does not match;
- reaching modules or objects the notebook never imported (``sys.modules`` other than a test
  of membership, ``gc.get_objects``..., an import of a name computed at run time), or the
  profiler the record is made with;
- naming the grader's own sandbox code (``gradersandbox``).

Names are found in the cells' syntax trees (attributes, imported names, and strings, which
``getattr`` takes), so text in comments does not count.
"""

from __future__ import annotations

import ast

from grader.forbidden.cells import parsed, walked
from grader.forbidden.memo import small_answers

__all__ = ["SANDBOX_PACKAGE", "notes"]

SANDBOX_PACKAGE = "gradersandbox"  # the grader's own code inside the sandbox
_COMPUTED_IMPORT = "an import of a name computed at run time"
_IMPORTERS = ("__import__", "import_module")
_WHY = {
    "finds classes without naming them": ("__subclasses__",),
    "reaches into the frames of running code, the grader's among them": (
        "_getframe",
        "currentframe",
        "f_back",
        "f_globals",
        "f_locals",
        "f_builtins",
        "tb_frame",
        "gi_frame",
        "cr_frame",
        "ag_frame",
    ),
    "runs code in every process the grader forks": ("register_at_fork",),
    "builds code or functions while it runs": (
        "__code__",
        "co_code",
        "CodeType",
        "FunctionType",
        "LambdaType",
    ),
    "reaches modules or objects it did not import by name, the grader's among them": (
        "sys.modules",
        _COMPUTED_IMPORT,
        "get_objects",
        "get_referrers",
        "get_referents",
        "setprofile",
        "settrace",
    ),
}
_REASON = {name: why for why, names in _WHY.items() for name in names}


def notes(cells: list[tuple[int | None, str]]) -> list[str]:
    """A review note for each cell's first use of each tool above, in cell order."""
    found = []
    for index, source in cells:
        where = "the code" if index is None else f"cell {index}"
        if SANDBOX_PACKAGE in source:
            found.append(
                f"{where} names the grader's own sandbox code ({SANDBOX_PACKAGE}), which a "
                "notebook has no reason to touch; review what it does"
            )
        tree = parsed(source)
        if isinstance(tree, Exception):
            continue  # reported as unreadable by the scan
        for name, line in _uses(tree).items():
            found.append(
                f"{where} uses {name} (line {line}), which {_REASON[name]}: it can hide a "
                "forbidden shortcut from the grader's run-time record; review what it does"
            )
    return found


def _is_sys_modules(node: ast.Attribute) -> bool:
    return node.attr == "modules" and isinstance(node.value, ast.Name) and node.value.id == "sys"


def _imports_computed_name(call: ast.Call) -> bool:
    function = call.func
    name = function.attr if isinstance(function, ast.Attribute) else getattr(function, "id", "")
    literal = call.args and isinstance(call.args[0], ast.Constant)
    return name in _IMPORTERS and not literal


# The kinds of node that can name a tool above.
_TELLING = (ast.Attribute, ast.Name, ast.ImportFrom, ast.Import, ast.Constant, ast.Call)


@small_answers  # a tree per cell text (parsed keeps them): a class's shared cells, worked out once
def _uses(tree: ast.AST) -> dict[str, int]:
    """Each tool ``tree`` uses, with the first line it is used on (callers do not change the
    answer, which is kept)."""
    uses: dict[str, int] = {}
    membership_tests = {
        id(comparator)
        for node in walked(tree, ast.Compare)
        if isinstance(node, ast.Compare)
        and all(isinstance(op, ast.In | ast.NotIn) for op in node.ops)
        for comparator in node.comparators
    }
    for node in walked(tree, *_TELLING):
        names: list[str] = []
        if isinstance(node, ast.Attribute):
            names = [node.attr]
            if _is_sys_modules(node) and id(node) not in membership_tests:
                names = ["sys.modules"]
        elif isinstance(node, ast.Name):
            names = [node.id]
        elif isinstance(node, ast.ImportFrom):
            sys_module = node.module == "sys"
            names = ["sys." + a.name if sys_module else a.name for a in node.names]
            names = [n if n in _REASON else n.rpartition(".")[2] for n in names]
        elif isinstance(node, ast.Import):
            names = [part for alias in node.names for part in alias.name.split(".")]
        elif isinstance(node, ast.Constant) and isinstance(node.value, str):
            names = [node.value]
        elif isinstance(node, ast.Call) and _imports_computed_name(node):
            names = [_COMPUTED_IMPORT]
        for name in names:
            if name in _REASON:
                uses.setdefault(name, getattr(node, "lineno", 0))
    return dict(sorted(uses.items(), key=lambda item: item[1]))
