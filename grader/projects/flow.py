"""The data flow of a notebook: its cells walked in order as one program, each value followed
through assignments, unpacking, slices, containers, loops and calls of the student's own
functions (whose bodies are walked with the arguments bound), recording the events of
:mod:`values`. The library's semantics (what a scaler's ``fit`` or ``train_test_split`` does)
are in :mod:`calls`; here is Python's."""

from __future__ import annotations

import ast
from dataclasses import replace
from typing import Any

from grader.projects import calls, slicing
from grader.projects.cells import Notebook
from grader.projects.values import NOTHING, Event, Shown, Split, Thing, Value, Where, join_all

_DEPTH = 4  # how deep calls of the student's own functions are followed
_ARITHMETIC = {ast.Add: "+", ast.Sub: "-", ast.Mult: "*", ast.FloorDiv: "//", ast.Div: "/"}


class Flow:
    """One walk over a notebook: ``events`` what happened, ``env`` the names at the end."""

    def __init__(self, notebook: Notebook):
        self.notebook = notebook
        self.env: dict[str, Value] = {}
        self.aliases: dict[str, str] = {}  # imported names -> the library's own name
        self.events: list[Event] = []
        self.cell = 0  # the cell whose code is being walked
        self.top_cell = 0  # the cell being run (a helper's code is in another)
        self.stack: list[ast.AST] = []
        self.returns: list[list[Value]] = []
        self.bounds = slicing.bounds([c.tree for c in notebook.code() if c.tree is not None])
        self.seen: set[tuple[str, int, int, str]] = set()
        self.loop_names: set[str] = set()  # the variables of the loops being walked

    def run(self) -> Flow:
        for cell in self.notebook.code():
            assert cell.tree is not None
            self.cell = self.top_cell = cell.position
            body = cell.tree.body
            for index, statement in enumerate(body):
                try:
                    self.statement(statement, last=index == len(body) - 1)
                except RecursionError:  # a pathological expression: the rest still comes
                    continue
        return self

    def where(self, node: ast.AST) -> Where:
        return Where(self.cell, getattr(node, "lineno", 1))

    def record(self, event: Event) -> None:
        # a line may cut an index and the data by it (``X[idx[:n]]``): two splits, both kept
        how = event.how if isinstance(event, Split) else ""
        key = (type(event).__name__, event.where.cell, event.where.line, how)
        if isinstance(event, Shown) or key not in self.seen:
            self.seen.add(key)
            self.events.append(event)

    # statements ---------------------------------------------------------------------------

    def statement(self, node: ast.stmt, last: bool = False) -> None:
        if isinstance(node, ast.Import | ast.ImportFrom):
            for alias in node.names:
                self.aliases[alias.asname or alias.name.split(".")[0]] = alias.name.split(".")[-1]
        elif isinstance(node, ast.Assign):
            value = self.expr(node.value)
            calls.named_baseline(self, node.targets, node, value)
            for target in node.targets:
                self.bind(target, value)
        elif isinstance(node, ast.AnnAssign) and node.value is not None:
            self.bind(node.target, self.expr(node.value))
        elif isinstance(node, ast.AugAssign):
            self.bind(node.target, self.expr(node.target).join(self.expr(node.value)), keep=True)
        elif isinstance(node, ast.Expr):
            value = self.expr(node.value)
            if last and self.cell == self.top_cell and not isinstance(node.value, ast.Call):
                self.record(Shown(self.where(node), self.top_cell, value, ()))
        elif isinstance(node, ast.FunctionDef | ast.AsyncFunctionDef | ast.ClassDef):
            kind = "class" if isinstance(node, ast.ClassDef) else "function"
            thing = Thing(kind, node.name, self.where(node), (node, self.cell))
            self.env[node.name] = Value(things=frozenset({thing}))
        elif isinstance(node, ast.For | ast.AsyncFor):
            self.bind(node.target, self.expr(node.iter).data())
            added = _names(node.target) - self.loop_names
            self.loop_names |= added
            self.block(node.body + node.orelse)
            self.loop_names -= added
        elif isinstance(node, ast.While):
            self.expr(node.test)
            self.block(node.body + node.orelse)
        elif isinstance(node, ast.If):
            calls.choice(self, node, self.expr(node.test))
            self.block(node.body + node.orelse)
        elif isinstance(node, ast.With | ast.AsyncWith):
            for item in node.items:
                value = self.expr(item.context_expr)
                if item.optional_vars is not None:
                    self.bind(item.optional_vars, value)
            self.block(node.body)
        elif isinstance(node, ast.Try):
            self.block(node.body + [s for h in node.handlers for s in h.body])
            self.block(node.orelse + node.finalbody)
        elif isinstance(node, ast.Return) and node.value is not None and self.returns:
            self.returns[-1].append(self.expr(node.value))
        elif isinstance(node, ast.Global | ast.Nonlocal | ast.Pass | ast.Break | ast.Continue):
            return
        else:
            for child in ast.iter_child_nodes(node):
                if isinstance(child, ast.expr):
                    self.expr(child)

    def block(self, statements: list[ast.stmt]) -> None:
        for statement in statements:
            self.statement(statement)

    def bind(self, target: ast.expr, value: Value, keep: bool = False) -> None:
        if isinstance(target, ast.Name):
            self.env[target.id] = value
        elif isinstance(target, ast.Tuple | ast.List):
            items = value.items
            for index, element in enumerate(target.elts):
                if isinstance(element, ast.Starred):
                    self.bind(element.value, value.data())
                elif items is not None and index < len(items):
                    self.bind(element, items[index])
                else:
                    self.bind(element, value.data())
        elif isinstance(target, ast.Attribute | ast.Subscript):
            name = ast.unparse(target) if isinstance(target, ast.Attribute) else None
            if name is not None:
                self.env[name] = value
            base = _root_name(target)
            if base is not None and base in self.env and not keep:
                # ``df["scaled"] = ...`` or ``self.x = ...``: the whole now carries it too
                self.env[base] = self.env[base].join(value.data())

    # expressions --------------------------------------------------------------------------

    def expr(self, node: ast.expr | None) -> Value:
        if node is None:
            return NOTHING
        if isinstance(node, ast.Constant):
            return Value(const=node.value)
        if isinstance(node, ast.Name):
            return self.env.get(node.id, NOTHING)
        if isinstance(node, ast.Attribute):
            dotted = ast.unparse(node)
            if dotted in self.env:
                return self.env[dotted]
            return self.expr(node.value).data()
        if isinstance(node, ast.Subscript):
            return slicing.subscript(self, node)
        if isinstance(node, ast.Call):
            return calls.call(self, node)
        if isinstance(node, ast.Tuple | ast.List | ast.Set):
            items = tuple(self.expr(e) for e in node.elts)
            return replace(join_all(list(items)), items=items, const=_consts(items))
        if isinstance(node, ast.BinOp):
            left, right = self.expr(node.left), self.expr(node.right)
            return _arithmetic(node.op, left, right) or left.data().join(right.data())
        if isinstance(node, ast.UnaryOp):
            value = self.expr(node.operand)
            if isinstance(node.op, ast.USub) and isinstance(value.const, int | float):
                return Value(const=-value.const)
            return value.data()
        if isinstance(node, ast.ListComp | ast.GeneratorExp) and _over_literal(node):
            return self.each(node)
        if isinstance(node, ast.ListComp | ast.GeneratorExp | ast.SetComp | ast.DictComp):
            added: set[str] = set()
            for generator in node.generators:
                self.bind(generator.target, self.expr(generator.iter).data())
                added |= _names(generator.target) - self.loop_names
                self.loop_names |= added
                for condition in generator.ifs:
                    self.expr(condition)
            if isinstance(node, ast.DictComp):
                made = self.expr(node.key).data().join(self.expr(node.value).data())
            else:
                made = self.expr(node.elt).data()
            self.loop_names -= added
            return made
        if isinstance(node, ast.NamedExpr):
            value = self.expr(node.value)
            self.bind(node.target, value)
            return value
        if isinstance(node, ast.Lambda):
            return NOTHING
        if isinstance(node, ast.Starred):
            return self.expr(node.value)
        return join_all([self.expr(c).data() for c in ast.iter_child_nodes(node)
                         if isinstance(c, ast.expr)])  # fmt: skip

    def each(self, node: ast.ListComp | ast.GeneratorExp) -> Value:
        """``(f(x) for x in (a, b, c))``: one element per element, so that unpacking it
        keeps each one's own part (a test set stays apart from a training set)."""
        generator = node.generators[0]
        assert isinstance(generator.iter, ast.Tuple | ast.List)
        items = []
        for element in generator.iter.elts:
            self.bind(generator.target, self.expr(element))
            items.append(self.expr(node.elt))
        return replace(join_all(items), items=tuple(items))

    def call_own(self, thing: Thing, args: list[Value], keywords: dict[str, Value]) -> Value:
        """A call of the student's own function: its body walked with the arguments bound."""
        node, cell = thing.node
        if thing.kind == "class" or len(self.stack) >= _DEPTH or node in self.stack:
            return join_all([a.data() for a in [*args, *keywords.values()]])
        saved = (self.env, self.cell, self.bounds)
        self.env = dict(self.env)
        self.cell = cell
        self.bounds = slicing.bounds([node])
        parameters = node.args.posonlyargs + node.args.args
        defaults = [None] * (len(parameters) - len(node.args.defaults)) + node.args.defaults
        for index, (parameter, default) in enumerate(zip(parameters, defaults, strict=True)):
            if index < len(args):
                value = args[index]
            elif parameter.arg in keywords:
                value = keywords[parameter.arg]
            else:
                value = self.expr(default) if default is not None else NOTHING
            self.env[parameter.arg] = value
        self.stack.append(node)
        self.returns.append([])
        try:
            self.block(node.body)
        finally:
            self.stack.pop()
            returned = self.returns.pop()
            self.env, self.cell, self.bounds = saved
        if len(returned) == 1:
            return returned[0]
        return join_all(returned)

    def name_of(self, func: ast.expr) -> str:
        """The library's name of a called thing: the last part, aliases resolved."""
        if isinstance(func, ast.Name):
            return self.aliases.get(func.id, func.id)
        if isinstance(func, ast.Attribute):
            return func.attr
        return ""

    def constant(self, node: ast.expr | None) -> Any:
        return self.expr(node).const if node is not None else None


def _over_literal(node: ast.ListComp | ast.GeneratorExp) -> bool:
    return (
        len(node.generators) == 1
        and not node.generators[0].ifs
        and isinstance(node.generators[0].iter, ast.Tuple | ast.List)
    )


def _names(target: ast.expr) -> set[str]:
    return {n.id for n in ast.walk(target) if isinstance(n, ast.Name)}


def _root_name(node: ast.expr) -> str | None:
    while isinstance(node, ast.Attribute | ast.Subscript):
        node = node.value
    return node.id if isinstance(node, ast.Name) else None


def _consts(items: tuple[Value, ...]) -> tuple[Any, ...] | None:
    consts = tuple(v.const for v in items)
    return consts if all(c is not None for c in consts) else None


def _arithmetic(op: ast.operator, left: Value, right: Value) -> Value | None:
    """Constant arithmetic (``hidden * 2``), so units and epochs given as sums resolve."""
    a, b = left.const, right.const
    numbers = (int, float)
    if not (isinstance(a, numbers) and isinstance(b, numbers)) or type(op) not in _ARITHMETIC:
        return None
    if isinstance(a, bool) or isinstance(b, bool) or (b == 0 and _ARITHMETIC[type(op)] in "//"):
        return None
    result = {"+": a + b, "-": a - b, "*": a * b, "//": a // b, "/": a / b}[_ARITHMETIC[type(op)]]
    return Value(const=result)
