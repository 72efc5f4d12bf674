"""The forbidden-shortcut scan of a notebook's code, and the functions a notebook defines.

(Scoring itself lives in :mod:`grader.scoring`.)
"""

from __future__ import annotations

import ast
from collections.abc import Sequence

# --- forbidden shortcuts -----------------------------------------------------------------


def _dotted(node: ast.AST) -> str | None:
    if isinstance(node, ast.Name):
        return node.id
    if isinstance(node, ast.Attribute):
        base = _dotted(node.value)
        return f"{base}.{node.attr}" if base else None
    return None


def _python_source(code: str) -> str:
    """The notebook's code with IPython syntax (``!cmd``, ``%magic``) turned into Python."""
    from IPython.core.inputtransformer2 import TransformerManager

    return TransformerManager().transform_cell(code)


def forbidden_shortcuts(
    code: str, graded: Sequence[str], imports: Sequence[str], calls: Sequence[str]
) -> dict[str, list[str]]:
    """Forbidden imports and calls found in a notebook's code, by graded function.

    Imports of a forbidden module anywhere count against every graded function (the key
    ``"*"``); a forbidden call counts against the graded function whose body holds it.
    """
    try:
        tree = ast.parse(_python_source(code))
    except SyntaxError:
        return {}
    found: dict[str, list[str]] = {}
    aliases = _import_aliases(tree)

    def forbidden_module(module: str) -> bool:
        return any(module == m or module.startswith(m + ".") for m in imports)

    for node in ast.walk(tree):
        modules = []
        if isinstance(node, ast.Import):
            modules = [alias.name for alias in node.names]
        elif isinstance(node, ast.ImportFrom) and node.module:
            modules = [node.module]
        elif (
            isinstance(node, ast.Call)
            and _dotted(node.func) in ("__import__", "importlib.import_module")
            and node.args
            and isinstance(node.args[0], ast.Constant)
            and isinstance(node.args[0].value, str)
        ):
            modules = [node.args[0].value]
        for module in filter(forbidden_module, modules):
            found.setdefault("*", []).append(f"imports {module} (line {node.lineno})")
        if isinstance(node, ast.FunctionDef) and node.name in graded:
            for inner in ast.walk(node):
                if not isinstance(inner, ast.Call) or _dotted(inner.func) is None:
                    continue
                written = _dotted(inner.func)
                head, _, rest = written.partition(".")
                resolved = ".".join(filter(None, [aliases.get(head, head), rest]))
                if written in calls or resolved in calls:
                    found.setdefault(node.name, []).append(
                        f"calls {resolved} inside {node.name} (line {inner.lineno})"
                    )
    return found


def _import_aliases(tree: ast.AST) -> dict[str, str]:
    """The full dotted name behind each name an import binds (``N`` -> ``torch.nn``)."""
    aliases = {}
    for node in ast.walk(tree):
        if isinstance(node, ast.Import):
            for alias in node.names:
                if alias.asname:
                    aliases[alias.asname] = alias.name
        elif isinstance(node, ast.ImportFrom) and node.module:
            for alias in node.names:
                aliases[alias.asname or alias.name] = f"{node.module}.{alias.name}"
    return aliases


def defined_functions(code: str) -> set[str]:
    """Names of the top-level functions a notebook's code defines."""
    try:
        tree = ast.parse(_python_source(code))
    except SyntaxError:
        return set()
    return {node.name for node in tree.body if isinstance(node, ast.FunctionDef)}
