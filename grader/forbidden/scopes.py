"""The local names of a function, lambda, comprehension or class body, with their values: what
:class:`grader.forbidden.resolve.Resolver` looks a name up in before the notebook's globals."""

from __future__ import annotations

import ast
from collections.abc import Iterator
from dataclasses import dataclass, field
from typing import TypeAlias

from grader.forbidden.bindings import assigned, binds_itself
from grader.forbidden.memo import small_answers

# What opens a scope of its own for the names it binds: a function and a comprehension.
FunctionNode: TypeAlias = ast.FunctionDef | ast.AsyncFunctionDef | ast.Lambda
Comprehension: TypeAlias = ast.ListComp | ast.SetComp | ast.DictComp | ast.GeneratorExp


@dataclass
class Scope:
    """The local names of a function, lambda, comprehension or class body, with their values."""

    names: dict[str, list[object]] = field(default_factory=dict)  # expr, path or None
    parent: Scope | None = None
    is_class: bool = False

    def lookup(self, name: str) -> list[object] | None:
        holder = self.holder(name)
        return holder.names[name] if holder is not None else None

    def holder(self, name: str) -> Scope | None:
        """The scope (this one or an enclosing one) whose local ``name`` is."""
        scope: Scope | None = self
        while scope is not None:
            if name in scope.names:
                return scope
            scope = scope.parent
        return None

    def enclosing_for_functions(self) -> Scope | None:
        """What a function defined here sees: a class body's names are not visible to it."""
        return self.parent if self.is_class else self

    @classmethod
    def of_function(cls, node: FunctionNode, parent: Scope | None) -> Scope:
        enclosing = parent.enclosing_for_functions() if parent is not None else None
        return cls(_function_locals(node), enclosing)

    @classmethod
    def of_class(cls, node: ast.ClassDef, parent: Scope | None) -> Scope:
        return cls(_class_locals(node), parent, is_class=True)

    @classmethod
    def of_comprehension(cls, node: Comprehension, parent: Scope | None) -> Scope:
        names: dict[str, list[object]] = {}
        for generator in node.generators:
            for name, _ in assigned(generator.target, None):
                names[name] = [None]
        return cls(names, parent)


# A function's or class's local names depend on its node only: worked out once per node (the
# scan visits a helper once for every graded function that reaches it). Never changed after.
@small_answers
def _function_locals(node: FunctionNode) -> dict[str, list[object]]:
    names: dict[str, list[object]] = {}
    arguments = node.args
    for arg in [
        *arguments.posonlyargs,
        *arguments.args,
        *arguments.kwonlyargs,
        *filter(None, [arguments.vararg, arguments.kwarg]),
    ]:
        names[arg.arg] = [None]
    if not isinstance(node, ast.Lambda):
        _local_bindings(node.body, names)
        for outer in _declared(node):
            names.pop(outer, None)
    return names


@small_answers
def _class_locals(node: ast.ClassDef) -> dict[str, list[object]]:
    names: dict[str, list[object]] = {}
    _local_bindings(node.body, names)
    return names


_NEW_SCOPES = (ast.FunctionDef, ast.AsyncFunctionDef, ast.Lambda, ast.ClassDef)
COMPREHENSIONS = (ast.ListComp, ast.SetComp, ast.DictComp, ast.GeneratorExp)


def _declared(node: ast.FunctionDef | ast.AsyncFunctionDef) -> set[str]:
    """Names a function declares global or nonlocal in its own body (not in nested ones)."""
    return {
        name
        for n in _own_nodes(node.body)
        if isinstance(n, (ast.Global, ast.Nonlocal))
        for name in n.names
    }


def _own_nodes(body: list[ast.stmt]) -> Iterator[ast.AST]:
    """Every node of ``body``, not looking inside nested functions, lambdas and classes."""
    stack: list[ast.AST] = list(body)
    while stack:
        node = stack.pop()
        yield node
        if not isinstance(node, (*_NEW_SCOPES, *COMPREHENSIONS)):
            stack.extend(ast.iter_child_nodes(node))


def _local_bindings(body: list[ast.stmt], names: dict[str, list[object]]) -> None:
    def bind(name: str, value: object) -> None:
        names.setdefault(name, []).append(value)

    for node in _own_nodes(body):
        if isinstance(node, ast.Assign):
            for target in node.targets:
                for name, value in assigned(target, node.value):
                    if binds_itself(target, name):
                        bind(name, value)
        elif isinstance(node, (ast.AnnAssign, ast.AugAssign, ast.For, ast.AsyncFor)):
            value = node.value if isinstance(node, ast.AnnAssign) else None
            for name, element in assigned(node.target, value):
                if binds_itself(node.target, name):
                    bind(name, element)
        elif isinstance(node, ast.NamedExpr):
            bind(node.target.id, node.value)
        elif isinstance(node, ast.withitem) and node.optional_vars is not None:
            for name, _ in assigned(node.optional_vars):
                if binds_itself(node.optional_vars, name):
                    bind(name, None)
        elif isinstance(node, ast.Import):
            for alias in node.names:
                top = alias.name.split(".")[0]
                bind(alias.asname or top, alias.name if alias.asname else top)
        elif isinstance(node, ast.ImportFrom) and node.module and node.level == 0:
            for alias in node.names:
                bind(alias.asname or alias.name, f"{node.module}.{alias.name}")
        elif isinstance(node, (*_NEW_SCOPES[:2], ast.ClassDef)):
            bind(node.name, None)
        elif isinstance(node, ast.ExceptHandler) and node.name:
            bind(node.name, None)
