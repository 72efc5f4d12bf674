"""Cells every submission shares, run once in the warm process instead of once per submission.

The trusted side vouches for some cells: the release's grader-owned cells, instructor code that
is never a student's. The warm process runs each once, in order, before it forks anything, then
takes the names they defined out of its namespace again. In a submission, a cell with exactly
that text is not run: the names it defined are put in place where the cell stands, as running
it would have done, provided every name the cell reads while it runs (outside its functions'
bodies) is the very object it was in the warm process. Anything else runs as usual: a cell that
printed, failed, deleted a name or holds IPython syntax is not shared, and a submission whose
earlier cells replaced what a shared cell reads runs that cell itself, as does a second run
of the same cell. (What a cell reads is compared by identity: a change made in place to an
object it reads, between the cells, is not seen; grader-owned cells read only what other
grader-owned cells define.)
"""

from __future__ import annotations

import ast
import io
import sys
from typing import TYPE_CHECKING, NamedTuple

if TYPE_CHECKING:
    from IPython.core.interactiveshell import InteractiveShell

_MISSING = object()


class SharedCell(NamedTuple):
    """What one shared cell read while it ran (name -> the object it was, or missing) and the
    names it defined (name -> object), in the warm process."""

    reads: dict[str, object]
    defined: dict[str, object]


class SharedCells:
    """The shared cells as the warm process ran them (:meth:`prepare`), by their source; each
    submission places them with a :class:`Placement` of its own."""

    def __init__(self, cells: dict[str, SharedCell] | None = None):
        self.cells = cells or {}

    @classmethod
    def prepare(cls, shell: InteractiveShell, sources: list[str]) -> SharedCells:
        """In the warm process: run ``sources`` in order and remember what each defined."""
        cells: dict[str, SharedCell] = {}
        namespace = shell.user_ns
        start = dict(namespace)
        for source in sources:
            reads = _reads_while_running(source)
            if reads is None or shell.transform_cell(source).rstrip() != source.rstrip():
                continue
            before = dict(namespace)
            said = io.StringIO()
            streams = sys.stdout, sys.stderr
            sys.stdout = sys.stderr = said
            try:
                result = shell.run_cell(source, store_history=False)
            finally:
                sys.stdout, sys.stderr = streams
            if not result.success or said.getvalue() or before.keys() - namespace.keys():
                namespace.clear()
                namespace.update(before)
                continue
            defined = {k: v for k, v in namespace.items() if before.get(k, _MISSING) is not v}
            cells[source] = SharedCell(
                {name: before.get(name, _MISSING) for name in reads}, defined
            )
        namespace.clear()
        namespace.update(start)
        return cls(cells)


class Placement:
    """One submission's use of the shared cells: which it already put in place."""

    def __init__(self, shared: SharedCells):
        self._cells = shared.cells
        self._placed: set[str] = set()

    def put_in_place(self, shell: InteractiveShell, source: str) -> bool:
        """Define what cell ``source`` defines, if it is shared and what it reads is what it
        read in the warm process; False when the cell must run."""
        found = self._cells.get(source)
        if found is None or source in self._placed:
            return False  # run again, the cell would make new objects: so it does
        self._placed.add(source)
        namespace = shell.user_ns
        if any(namespace.get(name, _MISSING) is not value for name, value in found.reads.items()):
            return False
        if shell.history_manager is not None:  # the notebook's In[] has the cell, as if it ran
            shell.history_manager.store_inputs(shell.execution_count, source, source)
        namespace.update(found.defined)
        shell.execution_count += 1
        return True


def _reads_while_running(source: str) -> set[str] | None:
    """Names the cell's top level reads before binding them itself, in the order Python runs
    it (function bodies run later, so they do not count; decorators, defaults and class bodies
    do); None if the text is not Python."""
    try:
        tree = ast.parse(source)
    except (SyntaxError, ValueError, RecursionError, MemoryError):
        return None
    first: dict[str, bool] = {}  # name -> whether its first use binds it

    def use(name: str, binds: bool) -> None:
        first.setdefault(name, binds)

    def visit(node: ast.AST, local: frozenset[str] = frozenset()) -> None:
        child: ast.AST
        if isinstance(node, (ast.Import, ast.ImportFrom)):
            for alias in node.names:
                use((alias.asname or alias.name).partition(".")[0], True)
        elif isinstance(node, (ast.FunctionDef, ast.AsyncFunctionDef, ast.Lambda)):
            arguments = node.args
            for child in [*arguments.defaults, *(d for d in arguments.kw_defaults if d)]:
                visit(child, local)
            for child in getattr(node, "decorator_list", []):
                visit(child, local)
            if not isinstance(node, ast.Lambda):
                use(node.name, True)
        elif isinstance(node, ast.ClassDef):  # its body runs when the class is made
            for child in [*node.decorator_list, *node.bases, *node.keywords, *node.body]:
                visit(child, local)
            use(node.name, True)
        elif isinstance(node, (ast.Assign, ast.AnnAssign, ast.NamedExpr)):
            if node.value is not None:  # the value is worked out before anything is bound
                visit(node.value, local)
            for target in node.targets if isinstance(node, ast.Assign) else [node.target]:
                visit(target, local)
        elif isinstance(node, ast.AugAssign):  # x += 1 reads x first
            visit(
                ast.Name(node.target.id, ast.Load())
                if isinstance(node.target, ast.Name)
                else node.target,
                local,
            )
            visit(node.value, local)
        elif isinstance(node, (ast.For, ast.AsyncFor)):
            visit(node.iter, local)
            for child in [node.target, *node.body, *node.orelse]:
                visit(child, local)
        elif isinstance(node, (ast.ListComp, ast.SetComp, ast.DictComp, ast.GeneratorExp)):
            names = {
                n.id for g in node.generators for n in ast.walk(g.target) if isinstance(n, ast.Name)
            }
            visit(node.generators[0].iter, local)  # the only part run in the cell's scope
            inner = local | names
            for child in ast.iter_child_nodes(node):
                if child is not node.generators[0].iter:
                    visit(child, inner)
        elif isinstance(node, ast.Name):
            if node.id not in local:
                use(node.id, not isinstance(node.ctx, ast.Load))
        else:
            for child in ast.iter_child_nodes(node):
                visit(child, local)

    for statement in tree.body:
        visit(statement)
    return {name for name, binds in first.items() if not binds}
