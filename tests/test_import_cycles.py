"""No module of grader/ imports itself through others: not at import, not inside a function,
not only for the type checker. A module that needs only the shape of another's object says so
with a Protocol; one that needs its code is below it."""

from __future__ import annotations

import ast
from pathlib import Path

REPO = Path(__file__).resolve().parents[1]


def modules(root: Path, package: str) -> dict[str, Path]:
    """Dotted name -> file, for every module of ``package`` under ``root``."""
    found = {}
    for path in sorted((root / package).rglob("*.py")):
        parts = list(path.relative_to(root).with_suffix("").parts)
        if parts[-1] == "__init__":
            parts.pop()
        found[".".join(parts)] = path
    return found


def _imported(name: str, path: Path, node: ast.Import | ast.ImportFrom, known: set[str]):
    """The modules of ``known`` one import statement of module ``name`` reaches for."""
    if isinstance(node, ast.Import):
        wanted = [alias.name for alias in node.names]
    else:
        base = node.module or ""
        if node.level:  # relative: from the module's package, up level - 1 more
            package = name.split(".") if path.name == "__init__.py" else name.split(".")[:-1]
            package = package[: len(package) - node.level + 1]
            base = ".".join([*package, base] if base else package)
        # ``from a.b import c``: the module a.b.c if there is one, else a name of a.b
        wanted = [
            f"{base}.{alias.name}" if f"{base}.{alias.name}" in known else base
            for alias in node.names
        ]
    reached = set()
    for target in wanted:
        while target and target not in known:  # ``import a.b.name``: the module a.b
            target = target.rpartition(".")[0]
        if target:
            reached.add(target)
    return reached


def import_graph(root: Path, package: str) -> dict[str, set[str]]:
    """Each module -> the package's modules it imports anywhere in its text (at import, in a
    function, under TYPE_CHECKING), its own package's ``__init__`` among them."""
    known = modules(root, package)
    graph: dict[str, set[str]] = {}
    for name, path in known.items():
        graph[name] = {
            target
            for node in ast.walk(ast.parse(path.read_text()))
            if isinstance(node, (ast.Import, ast.ImportFrom))
            for target in _imported(name, path, node, set(known))
            if target != name
        }
    return graph


def cycles(graph: dict[str, set[str]]) -> list[list[str]]:
    """The strongly connected groups of more than one module (Tarjan's algorithm, iterative)."""
    index: dict[str, int] = {}
    low: dict[str, int] = {}
    stack: list[str] = []
    on_stack: set[str] = set()
    found: list[list[str]] = []
    for start in sorted(graph):
        if start in index:
            continue
        work = [(start, iter(sorted(graph[start])))]
        index[start] = low[start] = len(index)
        stack.append(start)
        on_stack.add(start)
        while work:
            node, edges = work[-1]
            step = next(edges, None)
            if step is not None:
                if step not in index:
                    index[step] = low[step] = len(index)
                    stack.append(step)
                    on_stack.add(step)
                    work.append((step, iter(sorted(graph[step]))))
                elif step in on_stack:
                    low[node] = min(low[node], index[step])
                continue
            work.pop()
            if work:
                low[work[-1][0]] = min(low[work[-1][0]], low[node])
            if low[node] == index[node]:
                group = []
                while True:
                    member = stack.pop()
                    on_stack.discard(member)
                    group.append(member)
                    if member == node:
                        break
                if len(group) > 1:
                    found.append(sorted(group))
    return found


def _described(graph: dict[str, set[str]], group: list[str]) -> str:
    edges = [f"    {a} -> {b}" for a in group for b in sorted(graph[a]) if b in group]
    return "\n".join([f"  {', '.join(group)}:", *edges])


def test_no_module_of_the_grader_imports_itself_through_others():
    graph = import_graph(REPO, "grader")
    # the scan sees a package's imports, and those of the engine's rooms from one to another
    assert "grader.engine.run.submission" in graph["grader.engine"]
    assert "grader.engine.walls.bwrap" in graph["grader.engine.run.steps"]
    assert "grader.engine.walls.polling" in graph["grader.engine.walls.memory_watch"]
    found = cycles(graph)
    assert not found, "import cycles (break each: a Protocol, or a module below both):\n" + (
        "\n".join(_described(graph, group) for group in found)
    )


def test_the_scan_sees_cycles_in_functions_and_for_the_type_checker(tmp_path):
    package = tmp_path / "pkg"
    (package / "sub").mkdir(parents=True)
    (package / "__init__.py").write_text("")
    (package / "sub" / "__init__.py").write_text("")
    (package / "a.py").write_text("from typing import TYPE_CHECKING\nif TYPE_CHECKING:\n"
                                  "    from pkg.b import B\n")  # fmt: skip
    (package / "b.py").write_text("from pkg import a\n")
    (package / "c.py").write_text("def later():\n    from .sub import d\n")
    (package / "sub" / "d.py").write_text("from ..c import later\n")
    (package / "e.py").write_text("from pkg import a\n")  # depends on the cycle, is not in it
    (package / "f.py").write_text("def run():\n    from pkg import main\n")  # main: __init__'s
    (package / "__init__.py").write_text("from pkg.f import run\n\ndef main(): ...\n")
    graph = import_graph(tmp_path, "pkg")
    assert cycles(graph) == [["pkg", "pkg.f"], ["pkg.a", "pkg.b"], ["pkg.c", "pkg.sub.d"]]
