"""Which object an expression names, as dotted paths (``nn.modules.linear.Linear`` -> ``torch...``).

Resolution follows imports, aliases (``L = torch.nn.Linear``, also inside a function),
attribute chains, and lookups whose names are literal or built from literals
(``getattr(importlib.import_module("torch." + "nn"), "Lin" + "ear")``, ``sys.modules[...]``,
``globals()[...]``, ``vars(m)[...]``, ``m.__dict__[...]``). A name can stand for several
objects (``try: import torch`` / ``except: torch = None``), so the answer is a set. The
notebook's own objects are paths in their own module (``__main__.make_cell``, ``helper.Model``).
"""

from __future__ import annotations

import ast
import builtins
from typing import TypeAlias

from grader.forbidden.bindings import Namespace
from grader.forbidden.scopes import Scope
from grader.limits import FORBIDDEN

LOOKUPS = frozenset(
    {"builtins.getattr", "importlib.import_module", "builtins.__import__", "builtins.eval"}
)


_LocalKey: TypeAlias = tuple[str, str, int]  # (name, module, id of the scope holding it)


class Resolver:
    """Resolves expressions to dotted paths within the notebook's namespaces.

    A local name stands for every value it is ever given in its scope, merged: its paths are
    worked out once per scope, so a name rebound thousands of times costs as many steps, not
    their square. A name given a value made from itself (``x = x.nn``) is resolved to the
    least set of paths that its values yield (a fixed point, found in rounds: each round adds
    at most one dotted part); past :data:`FORBIDDEN`'s ``name_rounds`` or ``name_paths`` the
    name is listed in ``tangled``, for review.
    """

    def __init__(self, spaces: dict[str, Namespace]):
        self.spaces = spaces
        self._active: set[int] = set()  # expressions being resolved: a cycle resolves to nothing
        self._globals: dict[tuple[str, str], set[str]] = {}  # (name, module) -> paths
        # (expression, module, scope) -> (the scope, kept alive so its id stays its own, and
        # the paths): each link of an attribute chain is resolved once, so that a chain of
        # thousands costs as many steps, not their square (as the names in _globals).
        self._known: dict[tuple[int, str, int], tuple[Scope | None, set[str]]] = {}
        # A local name's paths and literal text, by the scope holding it (kept alive, as above).
        self._locals: dict[_LocalKey, tuple[Scope, set[str]]] = {}
        self._local_texts: dict[_LocalKey, tuple[Scope, str | None]] = {}
        # Local names whose paths are being worked out, with the paths found so far: a value
        # made from the name itself reads these, and what is worked out from them is only
        # provisional (``_provisional``, dropped whenever they grow) until the name is done.
        self._pending: dict[_LocalKey, set[str]] = {}
        self._provisional: set[tuple[int, str, int]] = set()
        self._read_pending = False
        self.tangled: list[str] = []  # local names made from themselves too many ways

    def own(self, path: str) -> tuple[str, str | None] | None:
        """``(module, first name)`` when ``path`` is one of the notebook's own objects."""
        for module in sorted(self.spaces, key=len, reverse=True):
            if path == module:
                return module, None
            if path.startswith(module + "."):
                return module, path[len(module) + 1 :].split(".")[0]
        return None

    def paths(self, node: ast.AST, module: str, scope: Scope | None) -> set[str]:
        key = (id(node), module, id(scope))
        if key in self._known:
            return self._known[key][1]
        if id(node) in self._active:
            return set()
        self._active.add(id(node))
        outer_read, self._read_pending = self._read_pending, False
        try:
            found = self._paths(node, module, scope)
        finally:
            self._active.discard(id(node))
            provisional = self._read_pending
            self._read_pending = outer_read or provisional
        self._known[key] = (scope, found)
        if provisional:
            self._provisional.add(key)
        return found

    def _paths(self, node: ast.AST, module: str, scope: Scope | None) -> set[str]:
        if isinstance(node, ast.Name):
            return self.name_paths(node.id, module, scope)
        if isinstance(node, ast.Attribute):
            return {
                f"{p}.{node.attr}"
                for p in self.paths(node.value, module, scope)
                if p.count(".") < FORBIDDEN.path_parts  # no object is named by a longer one
            }
        if isinstance(node, ast.Call):
            return self._lookup_paths(node, module, scope)
        if isinstance(node, ast.Subscript):
            return self._subscript_paths(node, module, scope)
        return set()

    def literal_lookup(self, call: ast.Call, module: str, scope: Scope | None) -> bool:
        """Whether ``call`` is getattr / import_module / __import__ of a literal name."""
        functions = self.paths(call.func, module, scope) & LOOKUPS
        index = 1 if functions == {"builtins.getattr"} else 0
        return bool(functions) and self.literal(_arg(call, index), module, scope) is not None

    def _lookup_paths(self, call: ast.Call, module: str, scope: Scope | None) -> set[str]:
        functions = self.paths(call.func, module, scope)
        if "builtins.getattr" in functions:
            name = self.literal(_arg(call, 1), module, scope)
            if name is not None and call.args:
                return {f"{p}.{name}" for p in self.paths(call.args[0], module, scope)}
        if "builtins.eval" in functions:
            return self._evaluated(self.literal(_arg(call, 0), module, scope), module, scope)
        if "importlib.import_module" in functions:
            name = self.literal(_arg(call, 0), module, scope)
            return {name} if name else set()
        if "builtins.__import__" in functions:
            name = self.literal(_arg(call, 0), module, scope)
            from_list = len(call.args) >= 4 or any(k.arg == "fromlist" for k in call.keywords)
            return {name if from_list else name.split(".")[0]} if name else set()
        return set()

    def _evaluated(self, text: str | None, module: str, scope: Scope | None) -> set[str]:
        """What ``eval(text)`` names, when ``text`` is a literal expression."""
        try:
            expression = ast.parse(text, mode="eval").body if text is not None else None
        except (SyntaxError, ValueError, RecursionError, MemoryError):
            return set()
        return self.paths(expression, module, scope) if expression is not None else set()

    def _subscript_paths(self, node: ast.Subscript, module: str, scope: Scope | None) -> set[str]:
        key = self.literal(node.slice, module, scope)
        if key is None:
            return set()
        base = node.value
        if isinstance(base, ast.Attribute) and base.attr == "__dict__":
            return {f"{p}.{key}" for p in self.paths(base.value, module, scope)}
        if isinstance(base, ast.Call):
            functions = self.paths(base.func, module, scope)
            if "builtins.vars" in functions and base.args:
                return {f"{p}.{key}" for p in self.paths(base.args[0], module, scope)}
            if "builtins.globals" in functions:
                return self.name_paths(key, module, None)
        if "sys.modules" in self.paths(base, module, scope):
            return {key}
        return set()

    def name_paths(self, name: str, module: str, scope: Scope | None) -> set[str]:
        holder = scope.holder(name) if scope is not None else None
        if holder is not None:
            return self._local_paths(name, module, holder)
        if (name, module) not in self._globals:
            self._globals[name, module] = self._global_paths(name, module)
        return self._globals[name, module]

    def _global_paths(self, name: str, module: str) -> set[str]:
        space = self.spaces.get(module)
        sites = space.live(name) if space else []
        if sites:
            found: set[str] = set()
            for site in sites:
                if isinstance(site.node, (ast.FunctionDef, ast.AsyncFunctionDef, ast.ClassDef)):
                    if site.node.name == name:
                        found.add(f"{site.module}.{name}")
                else:
                    found |= self._values([site.value], site.module, None)
            return found
        if space and space.star_imports:
            return {f"{star}.{name}" for star in space.star_imports}
        if name == "__builtins__":
            return {"builtins"}
        if name == "get_ipython":
            return {"IPython.get_ipython"}
        # A name nothing binds is taken for the module of that name: `torch` imported where
        # the scan cannot see (exec, an unreadable cell) is still torch.
        return {f"builtins.{name}" if hasattr(builtins, name) else name}

    def unbound(self, name: str, module: str) -> bool:
        """Whether no readable code binds the global ``name`` (nor a star import might)."""
        space = self.spaces.get(module)
        return not (space and (space.sites.get(name) or space.star_imports)) and not hasattr(
            builtins, name
        )

    def _local_paths(self, name: str, module: str, holder: Scope) -> set[str]:
        key = (name, module, id(holder))
        if key in self._locals:
            return self._locals[key][1]
        if key in self._pending:
            self._read_pending = True
            return self._pending[key]
        found = self._pending[key] = set()
        outer_read, self._read_pending = self._read_pending, False
        # The expressions being resolved around this name may be among its values (``x.nn``
        # in ``x = x.nn`` asks what x is): here they are values to work out, not a cycle.
        outer_active, self._active = self._active, set()
        try:
            if not self._settle(found, holder.names[name], module, holder):
                self.tangled.append(name)
        finally:
            self._active = outer_active
            del self._pending[key]
            provisional = self._read_pending and bool(self._pending)
            self._read_pending = outer_read or provisional
        if not self._pending:
            self._provisional.clear()  # every name they were made from is done: they hold
        if not provisional:
            self._locals[key] = (holder, found)
        return found

    def _settle(self, found: set[str], values: list[object], module: str, holder: Scope) -> bool:
        """Grow ``found`` (what the name stands for, read by its values while it grows) to
        the paths its values yield; False when that took more rounds or paths than allowed."""
        for _ in range(FORBIDDEN.name_rounds):
            self._read_pending = False
            more = self._values(values, module, holder) - found
            if not more:
                return True
            found |= more
            self._forget_provisional()
            if len(found) > FORBIDDEN.name_paths:
                return False
        return False

    def _forget_provisional(self) -> None:
        for key in self._provisional:
            self._known.pop(key, None)
        self._provisional.clear()

    def _values(self, values: list[object], module: str, scope: Scope | None) -> set[str]:
        found: set[str] = set()
        for value in values:
            if isinstance(value, str):
                found.add(value)
            elif isinstance(value, ast.expr):
                found |= self.paths(value, module, scope)
        return found

    def literal(self, node: ast.AST | None, module: str, scope: Scope | None) -> str | None:
        """The string ``node`` always is, when it is built from literals only."""
        if node is None or id(node) in self._active:
            return None
        if isinstance(node, ast.Constant):
            return node.value if isinstance(node.value, str) else None
        self._active.add(id(node))
        try:
            return self._folded(node, module, scope)
        finally:
            self._active.discard(id(node))

    def _folded(self, node: ast.AST, module: str, scope: Scope | None) -> str | None:
        if isinstance(node, ast.BinOp) and isinstance(node.op, ast.Add):
            left = self.literal(node.left, module, scope)
            right = self.literal(node.right, module, scope)
            return left + right if left is not None and right is not None else None
        if isinstance(node, ast.JoinedStr):
            parts = [
                self.literal(v.value if isinstance(v, ast.FormattedValue) else v, module, scope)
                for v in node.values
            ]
            strings = [part for part in parts if part is not None]
            return "".join(strings) if len(strings) == len(parts) else None
        if (
            isinstance(node, ast.Call)
            and isinstance(node.func, ast.Attribute)
            and node.func.attr == "join"
            and len(node.args) == 1
            and isinstance(node.args[0], (ast.List, ast.Tuple))
        ):
            glue = self.literal(node.func.value, module, scope)
            parts = [self.literal(e, module, scope) for e in node.args[0].elts]
            strings = [part for part in parts if part is not None]
            return glue.join(strings) if glue is not None and len(strings) == len(parts) else None
        if isinstance(node, ast.Name):
            holder = scope.holder(node.id) if scope is not None else None
            if holder is not None:
                return self._local_text(node.id, module, holder)
            space = self.spaces.get(module)
            sites = space.live(node.id) if space else []
            return self._one_text([site.value for site in sites], module, None)
        return None

    def _local_text(self, name: str, module: str, holder: Scope) -> str | None:
        """The text a local name always is; a name made from itself is none."""
        key = (name, module, id(holder))
        if key not in self._local_texts:
            self._local_texts[key] = (holder, None)  # while it is worked out: no text
            self._local_texts[key] = (holder, self._one_text(holder.names[name], module, holder))
        return self._local_texts[key][1]

    def _one_text(self, values: list[object], module: str, scope: Scope | None) -> str | None:
        texts = {
            self.literal(value, module, scope) if isinstance(value, ast.expr) else None
            for value in values
        }
        return texts.pop() if len(texts) == 1 else None


def _arg(call: ast.Call, index: int) -> ast.expr | None:
    return call.args[index] if len(call.args) > index else None
