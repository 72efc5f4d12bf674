"""A project notebook as its cells: each one's 1-based position among all cells (markdown
included, as a person counts), its Python with Colab's magics and shell lines made harmless,
its syntax tree, and the text of its saved outputs. Never raises for a bad notebook."""

from __future__ import annotations

import ast
import json
import re
from dataclasses import dataclass, field
from pathlib import Path
from typing import Any

# Cell magics whose body is still Python (the rest, %%bash, %%writefile..., are not).
_PYTHON_CELL_MAGICS = ("%%time", "%%timeit", "%%capture", "%%prun")
_SHELL_ASSIGN = re.compile(r"^(\s*[\w, ]+=\s*)[!%].*$")
_TAGS = re.compile(r"<[^>]+>")
# The files a notebook's code names for a reader, as text (``read_csv('data/x.csv')``): what the
# instructor's run stages for it, and what the student's bundle looks for, alike.
FILES_OPENED = re.compile(
    r"""(?:read_csv|read_excel|read_json|read_parquet|read_table|loadtxt|genfromtxt|open)\(\s*"""
    r"""[rbuf]?['"]([^'"]+)['"]"""
)


def files_opened(sources: str) -> list[str]:
    """The files named by readers in ``sources`` (code cells' text), sorted, once each."""
    return sorted(set(FILES_OPENED.findall(sources)))


def notebook_reads(notebook: Path | None) -> list[str]:
    """The files a notebook's code names for a reader (what ``grader grade`` reads from it
    before its run); none for a notebook that cannot be read."""
    if notebook is None:
        return []
    read = read_project_notebook(notebook)
    return files_opened("\n".join(c.source for c in read.cells if c.kind == "code"))


@dataclass(frozen=True)
class Cell:
    """One cell: ``position`` 1-based among all cells; ``tree`` None when not Python."""

    position: int
    kind: str
    source: str
    outputs: tuple[str, ...] = ()
    tree: ast.Module | None = None
    problem: str | None = None


@dataclass(frozen=True)
class Notebook:
    cells: tuple[Cell, ...] = ()
    problem: str | None = None  # why it could not be read at all
    notes: tuple[str, ...] = field(default=())

    def code(self) -> list[Cell]:
        return [cell for cell in self.cells if cell.tree is not None]

    def cell(self, position: int) -> Cell | None:
        return next((c for c in self.cells if c.position == position), None)


def read_project_notebook(path: Path) -> Notebook:
    """The notebook at ``path``; a notebook that is not JSON says so in ``problem``."""
    try:
        raw = json.loads(path.read_bytes().decode("utf-8-sig"))
        cells = raw.get("cells") if isinstance(raw, dict) else None
        if not isinstance(cells, list):
            raise ValueError("no list of cells")
    except (OSError, ValueError, AttributeError) as error:
        return Notebook(problem=f"the notebook could not be read ({error})")
    read = [_cell(i + 1, c) for i, c in enumerate(cells) if isinstance(c, dict)]
    notes = tuple(c.problem for c in read if c.problem)
    return Notebook(tuple(read), None, notes)


def notebook_from_sources(sources: list[str], outputs: list[list[str]] | None = None) -> Notebook:
    """A notebook made of code cells (for callers that have the text, not the file)."""
    cells = [
        {"cell_type": "code", "source": s, "outputs": [{"output_type": "stream", "text": o}
                                                      for o in (outputs or [])[i]]}
        if outputs and i < len(outputs) else {"cell_type": "code", "source": s}
        for i, s in enumerate(sources)
    ]  # fmt: skip
    read = tuple(_cell(i + 1, c) for i, c in enumerate(cells))
    return Notebook(read, None, tuple(c.problem for c in read if c.problem))


def _cell(position: int, raw: dict[str, Any]) -> Cell:
    kind = str(raw.get("cell_type", ""))
    source = _text(raw.get("source", ""))
    if kind != "code":
        return Cell(position, kind, source)
    outputs = tuple(_output_text(o) for o in raw.get("outputs") or [] if isinstance(o, dict))
    python = neutralise(source)
    if python is None:
        return Cell(position, kind, source, outputs)
    try:
        tree = ast.parse(python)
    except (MemoryError, RecursionError):  # nesting beyond what Python's parser takes
        problem = f"cell {position} is nested too deeply to parse: its code was not analysed"
        return Cell(position, kind, source, outputs, None, problem)
    except (SyntaxError, ValueError) as error:
        line = getattr(error, "lineno", None)
        where = f" (line {line})" if line else ""
        problem = f"cell {position} is not valid Python{where}: its code was not analysed"
        return Cell(position, kind, source, outputs, None, problem)
    return Cell(position, kind, source, outputs, tree)


def neutralise(source: str) -> str | None:
    """The cell's Python with ``!pip``, ``%magic`` and ``x = !ls`` lines replaced by ``pass``
    (line numbers kept); None for a cell magic whose body is not Python (``%%bash``)."""
    lines = source.splitlines()
    if lines and lines[0].lstrip().startswith("%%"):
        if not lines[0].lstrip().startswith(_PYTHON_CELL_MAGICS):
            return None
        lines[0] = ""
    kept = []
    for line in lines:
        stripped = line.lstrip()
        indent = line[: len(line) - len(stripped)]
        if stripped.startswith(("!", "%")):
            kept.append(f"{indent}pass")
        elif match := _SHELL_ASSIGN.match(line):
            kept.append(f"{match.group(1)}None")
        elif stripped.endswith("?") and not stripped.startswith("#"):
            kept.append(f"{indent}pass")  # ``df.head?``: IPython's help
        else:
            kept.append(line)
    return "\n".join(kept)


def _text(value: Any) -> str:
    return "".join(str(v) for v in value) if isinstance(value, list) else str(value or "")


def _output_text(output: dict[str, Any]) -> str:
    """What a person sees of one output: its text, its plain-text value, its table."""
    if "text" in output:
        return _text(output["text"])
    if output.get("output_type") == "error":
        return f"{output.get('ename', '')}: {output.get('evalue', '')}"
    data = output.get("data")
    if not isinstance(data, dict):
        return ""
    if "text/html" in data:  # a DataFrame's table: its numbers as cells
        return _TAGS.sub(" ", _text(data["text/html"]))
    return _text(data.get("text/plain", ""))
