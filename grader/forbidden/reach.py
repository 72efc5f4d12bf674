"""Everything a graded function can reach, scanned for forbidden objects and dynamic lookups.

From the graded function's ``def``, every global name it uses is followed to all of its sites
(helpers, classes with all their methods, lambdas, aliases, the files the notebook writes and
imports), transitively, each site once. Local names stay local: a student's own variable
called ``layer`` is not the release's ``layer = torch.nn.Linear(...)``.
"""

from __future__ import annotations

import ast
import functools
import importlib.util
import sys
import time
from collections import deque
from dataclasses import dataclass, field

from grader.forbidden.bindings import Namespace, Site, root_name
from grader.forbidden.cells import MAIN, Piece
from grader.forbidden.names import Forbidden
from grader.forbidden.resolve import Resolver
from grader.forbidden.scopes import COMPREHENSIONS, Scope
from grader.limits import FORBIDDEN

# What picks the code it runs, or the object it uses, while it runs: a reviewer must look.
DYNAMIC = {
    "builtins.exec": "exec",
    "builtins.eval": "eval",
    "builtins.compile": "compile",
    "builtins.__import__": "__import__ with a computed name",
    "builtins.getattr": "getattr with a computed name",
    "builtins.globals": "globals()",
    "builtins.vars": "vars()",
    "importlib": "importlib with a computed name",
    "sys.modules": "sys.modules",
    "IPython.get_ipython": "get_ipython()",
    "operator.attrgetter": "operator.attrgetter",
    "operator.methodcaller": "operator.methodcaller",
    "pickle.loads": "pickle.loads",
    "pickle.load": "pickle.load",
    "marshal.loads": "marshal.loads",
    "types.FunctionType": "types.FunctionType",
    "types.CodeType": "types.CodeType",
    "runpy": "runpy",
    "pydoc.locate": "pydoc.locate",
    "ctypes": "ctypes",
    # Code compiled or loaded by torch at run time runs in its own interpreter: neither the
    # scan nor the run-time watch sees what a TorchScript archive or a pickled model calls.
    "torch.jit": "TorchScript (torch.jit)",
    "torch._C.import_ir_module": "a TorchScript archive",
    "torch._C.import_ir_module_from_buffer": "a TorchScript archive",
    "torch.load": "torch.load (a pickled model)",
    "torch.package": "torch.package",
    "torch.hub": "torch.hub (code downloaded at run time)",
}


# Nodes that name no object and hold no node that does.
_LEAVES = (ast.Constant, ast.Load, ast.Store, ast.Del, ast.operator, ast.unaryop, ast.cmpop)

# Names the kernel defines for every notebook.
KERNEL_NAMES = frozenset(
    {"display", "In", "Out", "_", "__", "___", "_i", "_ii", "_iii", "_ih", "_oh", "_dh", "exit"}
    | {"quit", "__name__", "__doc__", "__file__", "__spec__", "__loader__", "__package__"}
)


def _dynamic(path: str) -> str | None:
    for prefix, what in DYNAMIC.items():
        if path == prefix or path.startswith(prefix + "."):
            return what
    if path.endswith(".__dict__") or path.endswith(".__getattribute__"):
        return path.rsplit(".", 1)[1]
    return None


@functools.cache
def _installed(module: str) -> bool:
    """Whether ``module`` (a top-level name) can be imported here; finds it without importing."""
    try:
        return importlib.util.find_spec(module) is not None
    except (ImportError, ValueError):
        return False


def _unseen_module(path: str, text: str) -> str | None:
    """The top-level module of ``path`` when it is no installed package and the notebook's
    ``text`` names its file (``!wget .../helper.py``, ``open("helper.py", "w")``): a module
    the notebook makes in a way the scan cannot read. A library the grader lacks is not one."""
    return _unseen_top(path.split(".")[0], text)


@functools.lru_cache(maxsize=64)  # each graded function's reach asks again of the same text
def _unseen_top(top: str, text: str) -> str | None:
    if (
        top.isidentifier()
        and (f"{top}.py" in text or f"{top}/" in text)
        and top not in sys.builtin_module_names
        and not _installed(top)
    ):
        return top
    return None


@dataclass
class Findings:
    """What one graded function reaches: definite forbidden uses, and notes to review."""

    uses: list[str] = field(default_factory=list)
    review: list[str] = field(default_factory=list)

    def add(self, kind: list[str], text: str) -> None:
        if text not in kind:
            kind.append(text)


class ScanTimeout(Exception):
    """The scan of one graded function took longer than it may; the message says so."""


class Reach:
    """Scans what ``graded`` reaches; ``findings`` holds the result."""

    def __init__(
        self, spaces: dict[str, Namespace], forbidden: Forbidden, graded: str, text: str = ""
    ):
        """``text``: all the notebook's cells, as written."""
        self.spaces, self.forbidden, self.graded, self.text = spaces, forbidden, graded, text
        self.resolver = Resolver(spaces)
        self.findings = Findings()
        self._seen: set[int] = set()
        self._queue: deque[tuple[Site, tuple[str, ...]]] = deque()
        self._roots: dict[int, str | None] = {}  # see root_name; the trees live in spaces
        self._deadline = time.monotonic() + FORBIDDEN.reach_s

    def run(self) -> Findings:
        self._follow(MAIN, self.graded, ())
        while self._queue:
            site, trail = self._queue.popleft()
            self._site, self._trail = site, trail
            if isinstance(site.value, str) and len(trail) == 1:
                self._imported_as_graded(site.node, site.value)
            self._visit(site.node, None, site.module, called=False, inside=False)
        for name in self.resolver.tangled:
            self._review(
                f"gives {name} values made from {name} itself in more ways than the scan"
                " follows, so it cannot tell all that it names"
            )
        return self.findings

    def _follow(self, module: str, name: str | None, trail: tuple[str, ...]) -> None:
        space = self.spaces.get(module)
        if space is None:
            return
        names = [name] if name is not None else list(space.sites)
        for each in names:
            for site in space.live(each):
                if id(site.node) not in self._seen:
                    self._seen.add(id(site.node))
                    self._queue.append((site, (*trail, each)))

    # --- the walk ---------------------------------------------------------------------------

    def _visit(self, node: ast.AST, scope: Scope | None, module: str, called: bool, inside: bool):
        """``called``: ``node`` is what a call calls; ``inside``: an enclosing expression has
        already resolved, so ``node`` (part of it) is not reported again. Raises
        :class:`ScanTimeout` past the scan's time (:data:`FORBIDDEN`'s ``reach_s``)."""
        if time.monotonic() > self._deadline:
            raise ScanTimeout(f"the scan of {self.graded} ran past {FORBIDDEN.reach_s:g} s")
        child: ast.AST  # an expression, a statement or a comprehension's part
        if isinstance(node, (ast.FunctionDef, ast.AsyncFunctionDef, ast.Lambda)):
            arguments = node.args
            outer = [*arguments.defaults, *filter(None, arguments.kw_defaults)]
            if not isinstance(node, ast.Lambda):
                outer += node.decorator_list
            for child in outer:
                self._visit(child, scope, module, False, False)
            inner = Scope.of_function(node, scope)
            body = [node.body] if isinstance(node, ast.Lambda) else node.body
            for child in body:
                self._visit(child, inner, module, False, False)
            return
        if isinstance(node, ast.ClassDef):
            for child in [*node.bases, *(k.value for k in node.keywords), *node.decorator_list]:
                self._visit(child, scope, module, False, False)
            inner = Scope.of_class(node, scope)
            for child in node.body:
                self._visit(child, inner, module, False, False)
            return
        if isinstance(node, COMPREHENSIONS):
            self._visit(node.generators[0].iter, scope, module, False, False)
            inner = Scope.of_comprehension(node, scope)
            for child in ast.iter_child_nodes(node):
                if child is not node.generators[0]:
                    self._visit(child, inner, module, False, False)
            for child in ast.iter_child_nodes(node.generators[0]):
                if child is not node.generators[0].iter:
                    self._visit(child, inner, module, False, False)
            return
        if isinstance(node, (ast.Import, ast.ImportFrom)) and scope is not None:
            self._import(node)  # at module level, the uses of what it binds are what count
        resolved = False
        if isinstance(node, (ast.Name, ast.Attribute, ast.Call, ast.Subscript)) and not isinstance(
            getattr(node, "ctx", ast.Load()), ast.Store | ast.Del
        ):
            resolved = self._chain(node, scope, module, called, inside)
        for child in ast.iter_child_nodes(node):
            if isinstance(child, _LEAVES):  # names nothing: a megabyte of pasted numbers is these
                continue
            self._visit(
                child,
                scope,
                module,
                called=isinstance(node, ast.Call) and child is node.func,
                inside=inside or self._part_of_chain(node, child, resolved, scope, module),
            )

    def _imported_as_graded(self, node: ast.AST, path: str) -> None:
        """``from helper import step``: the graded function is what the import names."""
        own = self.resolver.own(path)
        if own is not None:
            self._follow(own[0], own[1], self._trail)
        else:
            self._check(node, path, called=False)

    def _part_of_chain(self, node, child, resolved: bool, scope, module: str) -> bool:
        if isinstance(node, ast.Call):
            if child is node.func and self.resolver.literal_lookup(node, module, scope):
                return True  # getattr(x, "name"): a literal lookup is not a dynamic one
            return resolved
        return resolved and child is getattr(node, "value", None)

    def _chain(self, node, scope: Scope | None, module: str, called: bool, inside: bool) -> bool:
        paths = self.resolver.paths(node, module, scope)
        if isinstance(node, ast.Name) and (scope is None or scope.lookup(node.id) is None):
            self._follow(module, node.id, self._trail)
        root = root_name(node, self._roots)
        if (
            not inside
            and root is not None
            and (scope is None or scope.lookup(root) is None)
            and root not in KERNEL_NAMES
            and self.resolver.unbound(root, module)
            and not any(self.forbidden.object(p) or self.forbidden.module(p) for p in paths)
        ):
            self._review(
                f"uses {root} {self._where(node)}, a name no readable cell defines"
                " (made while the notebook runs, or a mistake)"
            )
        for path in sorted(paths):
            own = self.resolver.own(path)
            if own is not None:
                self._follow(own[0], own[1], self._trail)
            elif not inside:
                self._check(node, path, called)
        return bool(paths)

    def _check(self, node: ast.AST, path: str, called: bool) -> None:
        name = self.forbidden.object(path) or self.forbidden.module(path)
        if name is not None:
            written = ast.unparse(node)
            note = f" (written {written[:80]})" if written != name else ""
            verb = "calls" if called else "uses"
            self.findings.add(self.findings.uses, f"{verb} {name}{note} {self._where(node)}")
            return
        what = _dynamic(path)
        if what is not None:
            self._review(
                f"reaches {what} {self._where(node)}: what it looks up or runs is chosen while"
                " it runs, so the scan cannot tell"
            )
        elif (unseen := _unseen_module(path, self.text)) is not None:
            self._review(
                f"uses {path} {self._where(node)}, from {unseen}.py, a file the notebook makes"
                " in a way the scan cannot read (a shell command, a download, open())"
            )

    def _review(self, text: str) -> None:
        self.findings.add(self.findings.review, f"{self.graded} {text}; review it by hand")

    def _import(self, node: ast.Import | ast.ImportFrom) -> None:
        modules = (
            [a.name for a in node.names]
            if isinstance(node, ast.Import)
            else [f"{node.module}.{a.name}" for a in node.names if node.module and node.level == 0]
        )
        for path in modules:
            name = self.forbidden.object(path) or self.forbidden.module(path)
            if name is not None:
                self.findings.add(self.findings.uses, f"imports {name} {self._where(node)}")

    def _where(self, node: ast.AST) -> str:
        piece: Piece = self._site.piece
        trail = self._trail
        if len(trail) == 1 and trail[0] == self.graded:
            return f"inside {self.graded} ({piece.where(node)})"
        return (
            f"in {trail[-1]} ({piece.where(node)}), "
            f"reached from {self.graded} through {' → '.join(trail)}"
        )
