"""Reading a handed-in notebook's code cells, any nbformat version, without running anything."""

from __future__ import annotations

import json
from pathlib import Path

import nbformat


class NotANotebook(ValueError):
    """The file is not a notebook this grader can read; the message says why."""


def read_code_cells(path: Path) -> list[tuple[int, str]]:
    """The code cells of a notebook as (index among all cells, source), any nbformat version.

    Only the code is kept, so Colab's metadata (widget state included) cannot get in the way.
    Raises :class:`NotANotebook`.
    """
    try:
        data = path.read_bytes()
    except OSError as error:
        raise NotANotebook(f"cannot read the file: {error.strerror or error}") from None
    if not data.strip():
        raise NotANotebook("not a notebook: the file is empty")
    try:
        text = data.decode("utf-8-sig")
    except UnicodeDecodeError:
        raise NotANotebook("not a notebook: the file is not UTF-8 text") from None
    try:
        raw = json.loads(text)
    except json.JSONDecodeError as error:
        raise NotANotebook(f"not a notebook: the file is not JSON ({error})") from None
    if not isinstance(raw, dict) or "nbformat" not in raw:
        raise NotANotebook("not a notebook: JSON without the notebook fields (nbformat, cells)")
    try:
        notebook = nbformat.convert(nbformat.reader.reads(text), 4)
        cells = list(notebook.get("cells", []))
    except Exception as error:  # nbformat raises many kinds for malformed notebooks
        raise NotANotebook(f"not a notebook: {type(error).__name__}: {error}") from None
    code = []
    for index, cell in enumerate(cells):
        if not isinstance(cell, dict):
            raise NotANotebook(f"not a notebook: cell {index} is not an object")
        if cell.get("cell_type") != "code":
            continue
        source = cell.get("source", "")
        if isinstance(source, list):
            source = "".join(str(line) for line in source)
        if not isinstance(source, str):
            raise NotANotebook(f"not a notebook: cell {index} has no source text")
        code.append((index, source))
    return code
