"""The walk over a notebook as the library's semantics (:mod:`calls`) and the slices
(:mod:`slicing`) see it: the names, the events recorded, where the walk is."""

from __future__ import annotations

import ast
from typing import Any, Protocol

from grader.projects.values import Event, Thing, Value, Where


class Walker(Protocol):
    env: dict[str, Value]
    loop_names: set[str]
    bounds: Any  # slicing.Bounds: the current scope's split bounds
    top_cell: int

    def expr(self, node: ast.expr | None) -> Value: ...

    def record(self, event: Event) -> None: ...

    def where(self, node: ast.AST) -> Where: ...

    def name_of(self, func: ast.expr) -> str: ...

    def call_own(self, thing: Thing, args: list[Value], keywords: dict[str, Value]) -> Value: ...
