"""Slices as splits and as windows. A slice is a split's part only when its bound also cuts
the other side somewhere in the same code (``x[:n]`` with ``x[n:]`` or ``y[n:]``): a lone
``series[window:]`` is not a test set. A slice whose two bounds move with a loop's variable
(``series[i:i + window]``) cuts windows."""

from __future__ import annotations

import ast
from collections.abc import Iterator
from dataclasses import dataclass, replace
from typing import TYPE_CHECKING

from grader.projects.values import Split, Value

if TYPE_CHECKING:
    from grader.projects.walker import Walker

_ROWS = ("iloc", "loc")
_PARTS = frozenset({"train", "val", "test"})


@dataclass(frozen=True)
class Bounds:
    """The bounds that cut a head (``[:b]``), a tail (``[b:]``) and a middle (``[a:b]``)."""

    heads: frozenset[str]
    tails: frozenset[str]
    middles: frozenset[tuple[str, str]]
    masks: frozenset[tuple[str, str]] = frozenset()  # ``x[d < cut]`` with ``x[d >= cut]``


def bounds(trees: list[ast.AST]) -> Bounds:
    heads, tails, middles = set(), set(), set()
    sides: dict[tuple[str, str], set[str]] = {}
    for tree in trees:
        for node in _walk_scope(tree):
            if isinstance(node, ast.Subscript) and (mask := _mask(node)) is not None:
                sides.setdefault(mask[:2], set()).add(mask[2])
            if isinstance(node, ast.Subscript) and (cut := _rows_slice(node)) is not None:
                lower, upper = _text(cut.lower, "lower"), _text(cut.upper, "upper")
                if isinstance(cut.lower, ast.BinOp) and isinstance(cut.lower.op, ast.Sub | ast.Add):
                    tails.add(ast.unparse(cut.lower.left))  # ``x[n - window:]`` cuts at n too
                if lower is None and upper is not None:
                    heads.add(upper)
                elif upper is None and lower is not None:
                    tails.add(lower)
                elif lower is not None and upper is not None:
                    middles.add((lower, upper))
    # a split's two masks are each other's complement (``<`` with ``>=``, ``<=`` with ``>``);
    # ``x[r > 0]`` with ``x[r < 0]`` leaves the zeros out: a filter, not a split
    complements = ({"<", ">="}, {"<=", ">"})
    masks = frozenset(pair for pair, found in sides.items() if found in complements)
    return Bounds(frozenset(heads), frozenset(tails), frozenset(middles), masks)


def subscript(flow: Walker, node: ast.Subscript) -> Value:
    base_node = node.value
    if isinstance(base_node, ast.Attribute) and base_node.attr in _ROWS:
        base_node = base_node.value
    base = flow.expr(base_node)
    cut = _rows_slice(node)
    if cut is not None and _text(cut.lower, "lower") is None and _text(cut.upper, "upper") is None:
        cut = None  # ``x[:, 1:2]``, ``x[0:len(x)]``: every row
    if cut is None:
        index = flow.expr(node.slice)
        if base.items is not None and isinstance(index.const, int):
            if -len(base.items) <= index.const < len(base.items):
                return base.items[index.const]
        mask = _mask(node)
        if mask is not None and mask[:2] in flow.bounds.masks and not base.parts & _PARTS:
            flow.record(Split(flow.where(node), base.data(), "mask", None))
            masked = "train" if mask[2].startswith("<") else "test"
            return replace(base.data(), parts=frozenset({masked}))
        if index.shuffled and index.parts & _PARTS and not base.parts & _PARTS:
            # ``X[idx[:n]]`` with ``idx`` a random permutation: each part drawn at random
            flow.record(Split(flow.where(node), base.data(), "permutation", True))
            return replace(base.data(), parts=index.parts & _PARTS, shuffled=True)
        return replace(base.data(), shuffled=base.shuffled or index.shuffled)
    for bound in (cut.lower, cut.upper, cut.step):
        flow.expr(bound)
    if _moves_with_loop(cut, flow.loop_names):
        return replace(base.data(), windowed=True)
    part = _part(cut, flow.bounds)
    split_parts = base.parts & _PARTS
    if part is None:  # some rows, not a split's part: not the whole data, nor the whole part
        rows = {f"{p}-rows" for p in split_parts} or {"rows"}
        return replace(base.data(), parts=(base.parts - _PARTS) | rows)
    # shuffled before its first split (a part cut again was judged when it was cut)
    shuffled = True if base.shuffled and not split_parts else None
    flow.record(Split(flow.where(node), base.data(), "slices", shuffled))
    if not split_parts:
        parts = frozenset({part})
    elif part == "test" and split_parts == {"train"}:
        parts = frozenset({"val"})  # the training part cut again: its tail validates
    else:
        parts = base.parts
    return replace(base.data(), parts=parts)


def _part(cut: ast.Slice, known: Bounds) -> str | None:
    lower, upper = _text(cut.lower, "lower"), _text(cut.upper, "upper")
    if isinstance(cut.lower, ast.BinOp) and isinstance(cut.lower.op, ast.Sub | ast.Add):
        # ``x[n_train - window:]``: the test part with the last window before it as context
        if upper is None and ast.unparse(cut.lower.left) in known.heads:
            return "test"
    middle_lowers = {a for a, _ in known.middles}
    middle_uppers = {b for _, b in known.middles}
    if lower is None and upper is not None and upper in known.tails | middle_lowers:
        return "train"
    if upper is None and lower is not None and lower in known.heads | middle_uppers:
        return "test"
    if lower is not None and upper is not None and lower in known.heads and upper in known.tails:
        return "val"
    return None


def _mask(node: ast.Subscript) -> tuple[str, str, str] | None:
    """``x[d < cut]`` as (``d``, ``cut``, ``<``): a comparison of order as the index."""
    index = node.slice
    if not (isinstance(index, ast.Compare) and len(index.ops) == 1):
        return None
    ops = {ast.Lt: "<", ast.LtE: "<=", ast.Gt: ">", ast.GtE: ">="}
    op = ops.get(type(index.ops[0]))
    if op is None:
        return None
    return ast.unparse(index.left), ast.unparse(index.comparators[0]), op


def _rows_slice(node: ast.Subscript) -> ast.Slice | None:
    """The slice of a subscript's first axis (``x[a:b]``, ``x[a:b, 0]``, ``df.iloc[a:b]``)."""
    index = node.slice
    if isinstance(index, ast.Tuple) and index.elts:
        index = index.elts[0]
    return index if isinstance(index, ast.Slice) else None


def _text(bound: ast.expr | None, side: str) -> str | None:
    """A bound as text, None where it is the start or the end anyway (``0``, ``len(x)``)."""
    if bound is None:
        return None
    if isinstance(bound, ast.Constant) and bound.value in (0, None) and side == "lower":
        return None
    if isinstance(bound, ast.Constant) and bound.value is None:
        return None
    if side == "upper" and isinstance(bound, ast.Call) and ast.unparse(bound.func) == "len":
        return None
    return ast.unparse(bound)


def _moves_with_loop(cut: ast.Slice, loop_names: set[str]) -> bool:
    if cut.lower is None or cut.upper is None:
        return False
    lower = {n.id for n in ast.walk(cut.lower) if isinstance(n, ast.Name)}
    upper = {n.id for n in ast.walk(cut.upper) if isinstance(n, ast.Name)}
    return bool(lower & upper & loop_names)


def _walk_scope(tree: ast.AST) -> Iterator[ast.AST]:
    """The nodes of one scope: a module's or a function's, not its nested functions'."""
    todo = list(ast.iter_child_nodes(tree))
    while todo:
        node = todo.pop()
        if isinstance(node, ast.FunctionDef | ast.AsyncFunctionDef | ast.Lambda | ast.ClassDef):
            continue
        yield node
        todo.extend(ast.iter_child_nodes(node))
