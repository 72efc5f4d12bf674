"""An assignment's source notebook as a file: read with a message that says what is wrong, and
its cells named for messages. Below :mod:`~grader.assignment.source` and
:mod:`~grader.assignment.written`, which both read and name cells."""

from __future__ import annotations

from pathlib import Path

import nbformat

from grader.errors import UserError


def describe_cell(path: Path, index: int, cell: nbformat.NotebookNode) -> str:
    first = next((line.strip() for line in cell.source.splitlines() if line.strip()), "")
    first = first if len(first) <= 50 else first[:47] + "..."
    return f'{path}, cell {index + 1} ({cell.cell_type}, starts "{first}")'


def read_source_notebook(path: Path) -> nbformat.NotebookNode:
    try:
        return nbformat.read(path, as_version=4)
    except Exception as error:  # nbformat raises several unrelated types for bad JSON
        raise UserError(f"{path} is not a readable Jupyter notebook: {error}") from None
