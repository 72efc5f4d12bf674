"""What each module-level name of the notebook (and of the files it writes) is bound to.

A name's *sites* are every statement that binds or changes it at module level: a ``def`` or
``class``, an assignment (``L = torch.nn.Linear``, ``cache["f"] = ...``), an import, a loop
or ``with`` target, a method call on it (``table.update(...)``), and any function that declares
it ``global``. Following a name means scanning all its sites: over-generous on purpose, since a
value can come from any of them.
"""

from __future__ import annotations

import ast
from collections.abc import Iterator
from dataclasses import dataclass, field
from typing import TypeAlias

from grader.forbidden.cells import MAIN, Piece, module_name, walked
from grader.forbidden.memo import small_answers

# What a bound name is: an expression, an imported dotted path, or unknown (None).
SiteValue: TypeAlias = ast.expr | str | None


@dataclass(frozen=True)
class Site:
    """One place that binds a name: ``node`` is what to scan, ``value`` what the name is."""

    name: str
    module: str
    piece: Piece
    node: ast.AST
    value: SiteValue = None
    replaces: bool = False  # binds the name anew whenever its cell runs: earlier sites are dead


@dataclass
class Namespace:
    """The module-level names of one module (the notebook, or one file it writes)."""

    sites: dict[str, list[Site]] = field(default_factory=dict)
    star_imports: list[str] = field(default_factory=list)  # modules of `from m import *`

    def add(self, site: Site) -> None:
        self.sites.setdefault(site.name, []).append(site)

    def live(self, name: str) -> list[Site]:
        """The sites that can make what ``name`` is once every cell has run: from its last
        unconditional rebinding on (a first try left in an earlier cell is dead), and every
        function that sets it as a ``global``."""
        sites = self.sites.get(name, [])
        last = max((i for i, site in enumerate(sites) if site.replaces), default=0)
        return [site for i, site in enumerate(sites) if i >= last or _sets_global(site)]


def _sets_global(site: Site) -> bool:
    node = site.node
    return isinstance(node, (ast.FunctionDef, ast.AsyncFunctionDef)) and node.name != site.name


def build(pieces: list[Piece]) -> dict[str, Namespace]:
    """The namespaces of the notebook and of every module its cells write.

    ``%run file.py`` of a written file makes that file's names the notebook's own.
    """
    spaces: dict[str, Namespace] = {MAIN: Namespace()}
    runs: list[str] = []
    for piece in pieces:
        space = spaces.setdefault(piece.module, Namespace())
        collected = _collected(piece)
        for name, bound in collected.sites:  # in the order the names were first bound
            space.sites.setdefault(name, []).extend(bound)
        space.star_imports += collected.star_imports
        runs += collected.runs
    for module in runs:
        for sites in spaces.get(module, Namespace()).sites.values():
            for site in sites:
                spaces[MAIN].add(site)
    return spaces


@dataclass(frozen=True)
class _Collected:
    """What one piece binds at module level, in order: each name's sites, its star imports,
    and the written files it ``%run``s."""

    sites: tuple[tuple[str, tuple[Site, ...]], ...]
    star_imports: tuple[str, ...]
    runs: tuple[str, ...]


# A piece's bindings depend on the piece only (its cell's text, where the cell is): most cells
# of a class are the same, so each is collected once per grader process. Never changed after.
@small_answers
def _collected(piece: Piece) -> _Collected:
    space = Namespace()
    runs: list[str] = []
    _collect(piece.tree.body, piece, space, runs, top=True)
    sites = tuple((name, tuple(named)) for name, named in space.sites.items())
    return _Collected(sites, tuple(space.star_imports), tuple(runs))


def _collect(
    body: list[ast.stmt], piece: Piece, space: Namespace, runs: list[str], top: bool = False
) -> None:
    """``top``: ``body`` is a cell's own statements, which run whenever the cell does."""
    for stmt in body:
        for name, node, value in _bindings(stmt, runs):
            replaces = top and _rebinds(stmt, name)
            space.add(Site(name, piece.module, piece, node, value, replaces))
        if isinstance(stmt, ast.ImportFrom) and stmt.level == 0 and stmt.module:
            if any(alias.name == "*" for alias in stmt.names):
                space.star_imports.append(stmt.module)
        if not isinstance(stmt, (ast.FunctionDef, ast.AsyncFunctionDef, ast.ClassDef)):
            for block in ("body", "orelse", "finalbody"):
                _collect(getattr(stmt, block, []), piece, space, runs)
            for handler in getattr(stmt, "handlers", []):
                _collect(handler.body, piece, space, runs)
            for case in getattr(stmt, "cases", []):
                _collect(case.body, piece, space, runs)


def _bindings(stmt: ast.stmt, runs: list[str]) -> Iterator[tuple[str, ast.AST, SiteValue]]:
    """``(name, node to scan, value)`` for every module-level name ``stmt`` binds or changes."""
    if isinstance(stmt, (ast.FunctionDef, ast.AsyncFunctionDef, ast.ClassDef)):
        yield stmt.name, stmt, None
        for name in declared_global(stmt):
            yield name, stmt, None
    elif isinstance(stmt, ast.Import):
        for alias in stmt.names:
            if alias.asname:
                yield alias.asname, stmt, alias.name
            else:
                top = alias.name.split(".")[0]
                yield top, stmt, top
    elif isinstance(stmt, ast.ImportFrom) and stmt.level == 0 and stmt.module:
        for alias in stmt.names:
            if alias.name != "*":
                yield alias.asname or alias.name, stmt, f"{stmt.module}.{alias.name}"
    elif isinstance(stmt, (ast.Assign, ast.AnnAssign, ast.AugAssign)):
        targets = stmt.targets if isinstance(stmt, ast.Assign) else [stmt.target]
        value = stmt.value if not isinstance(stmt, ast.AugAssign) else None
        for target in targets:
            yield from ((n, stmt, v) for n, v in assigned(target, value))
    elif isinstance(stmt, (ast.For, ast.AsyncFor)):
        yield from ((n, stmt.iter, None) for n, _ in assigned(stmt.target, None))
    elif isinstance(stmt, (ast.With, ast.AsyncWith)):
        for item in stmt.items:
            if item.optional_vars is not None:
                yield from ((n, item.context_expr, None) for n, _ in assigned(item.optional_vars))
    elif isinstance(stmt, ast.Expr) and isinstance(stmt.value, ast.Call):
        yield from _call_bindings(stmt.value, runs)


def _call_bindings(call: ast.Call, runs: list[str]) -> Iterator[tuple[str, ast.AST, SiteValue]]:
    """``table.update(...)``, ``setattr(obj, ...)``: the name they change; ``%run f.py``."""
    func = call.func
    if isinstance(func, ast.Attribute) and (root := root_name(func.value)):
        yield root, call, None
    if isinstance(func, ast.Name) and func.id == "setattr" and call.args:
        if root := root_name(call.args[0]):
            yield root, call, None
    magic = line_magic(call)
    if magic and magic[0] == "run":
        words = [w for w in magic[1].split() if not w.startswith("-")]
        module = module_name(words[0]) if words else None
        if module:
            runs.append(module)


def _rebinds(stmt: ast.stmt, name: str) -> bool:
    """Whether ``stmt`` gives ``name`` a new value regardless of its old one."""
    if isinstance(stmt, (ast.FunctionDef, ast.AsyncFunctionDef, ast.ClassDef)):
        return stmt.name == name
    if isinstance(stmt, (ast.Import, ast.ImportFrom)):
        return True
    if isinstance(stmt, ast.Assign):
        return any(binds_itself(target, name) for target in stmt.targets)
    return (
        isinstance(stmt, ast.AnnAssign)
        and stmt.value is not None
        and isinstance(stmt.target, ast.Name)
        and stmt.target.id == name
    )


def binds_itself(target: ast.expr, name: str) -> bool:
    """Whether ``target`` binds ``name`` itself (``x = ...``), not an item of it (``x[0] = ``)."""
    if isinstance(target, ast.Name):
        return target.id == name
    if isinstance(target, ast.Starred):
        return binds_itself(target.value, name)
    if isinstance(target, (ast.Tuple, ast.List)):
        return any(binds_itself(element, name) for element in target.elts)
    return False


def line_magic(call: ast.Call) -> tuple[str, str] | None:
    """``(name, arguments)`` of ``get_ipython().run_line_magic('name', 'arguments')``."""
    func = call.func
    if (
        isinstance(func, ast.Attribute)
        and func.attr == "run_line_magic"
        and isinstance(func.value, ast.Call)
        and isinstance(func.value.func, ast.Name)
        and func.value.func.id == "get_ipython"
        and len(call.args) >= 2
    ):
        name, line = call.args[0], call.args[1]
        if isinstance(name, ast.Constant) and isinstance(line, ast.Constant):
            if isinstance(name.value, str) and isinstance(line.value, str):
                return name.value, line.value
    return None


def assigned(
    target: ast.expr, value: ast.expr | None = None
) -> Iterator[tuple[str, ast.expr | None]]:
    """``(name, value)`` for the names an assignment target binds; a subscript or attribute
    target (``cache["f"] = v``) changes its root name."""
    if isinstance(target, ast.Name):
        yield target.id, value
    elif isinstance(target, ast.Starred):
        yield from assigned(target.value)
    elif isinstance(target, (ast.Tuple, ast.List)):
        values = (
            value.elts
            if isinstance(value, (ast.Tuple, ast.List)) and len(value.elts) == len(target.elts)
            else [None] * len(target.elts)
        )
        for element, element_value in zip(target.elts, values, strict=True):
            yield from assigned(element, element_value)
    elif isinstance(target, (ast.Subscript, ast.Attribute)) and (root := root_name(target)):
        yield root, None


def root_name(node: ast.expr, known: dict[int, str | None] | None = None) -> str | None:
    """``a`` for ``a``, ``a.b.c``, ``a[0].b``. ``known`` (a node's id -> its root, for nodes
    that stay alive) is filled for every link walked and spares walking them again: a walk
    that asks at each link of a chain of thousands then costs as many steps, not their square."""
    chain = []
    while isinstance(node, (ast.Attribute, ast.Subscript)):
        if known is not None and id(node) in known:
            root = known[id(node)]
            break
        chain.append(node)
        node = node.value
    else:
        root = node.id if isinstance(node, ast.Name) else None
    if known is not None:
        known.update((id(link), root) for link in chain)
    return root


def declared_global(node: ast.AST) -> set[str]:
    """The names a function (or any function nested in ``node``) declares ``global``."""
    return {name for n in walked(node, ast.Global) if isinstance(n, ast.Global) for name in n.names}
