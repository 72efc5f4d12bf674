"""A cache for the scan's pure steps that never keeps a large answer.

Most cells of a class are the same text (the release's cells, the grader-owned ones), so the
scan keeps what it worked out about each cell, tree and function for the next submission. A
student's cell can be megabytes of pasted data, and a class has hundreds of students: of the
entries whose input is larger than a limit only the last is kept (the scan of one notebook asks
about its largest cell several times; the next notebook's replaces it).
"""

from __future__ import annotations

import ast
import functools
from collections import OrderedDict
from collections.abc import Callable
from typing import TypeVar

from grader.limits import FORBIDDEN

K = TypeVar("K")  # a source text, an AST node, or a piece of a notebook (its tree counts)
T = TypeVar("T")
_LINE = 80  # characters a line of code is counted as


def _size(key: object) -> int:
    """About how many characters of code ``key`` is (a text, or the code an AST node or a
    piece's tree spans)."""
    if isinstance(key, str):
        return len(key)
    key = getattr(key, "tree", key)  # a grader.forbidden.cells.Piece
    first: object
    last: object
    if isinstance(key, ast.Module):
        if not key.body:
            return 0
        first, last = key.body[0], key.body[-1]
    else:
        first = last = key
    lines = (getattr(last, "end_lineno", 0) or 0) - (getattr(first, "lineno", 0) or 0)
    return lines * _LINE + (getattr(last, "end_col_offset", 0) or 0)


def small_answers(work: Callable[[K], T]) -> Callable[[K], T]:
    """``work`` with its answers kept for inputs (a source text, an AST node or a piece) no
    larger than the limits above, the least recently used dropped first, and for the last larger
    one (the same object, or an equal one: a class's large grader-owned cell comes back in every
    notebook, each read afresh)."""
    kept: OrderedDict[K, T] = OrderedDict()
    last_large: list[tuple[K, T]] = []

    @functools.wraps(work)
    def cached(key: K) -> T:
        if _size(key) > FORBIDDEN.memo_largest_chars:
            if last_large and (last_large[0][0] is key or last_large[0][0] == key):
                return last_large[0][1]
            answer = work(key)
            last_large[:] = [(key, answer)]
            return answer
        try:
            kept.move_to_end(key)
            return kept[key]
        except KeyError:
            answer = kept[key] = work(key)
            if len(kept) > FORBIDDEN.memo_entries:
                kept.popitem(last=False)
            return answer

    return cached
