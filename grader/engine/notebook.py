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
    code = []
    for index, cell in enumerate(read_notebook(path).get("cells", [])):
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


def read_notebook(path: Path) -> nbformat.NotebookNode:
    """The notebook at ``path`` as nbformat 4, not validated (Colab's often is not, and only
    its cells matter here); the same object for the same file version, so callers must not
    change it. Raises :class:`NotANotebook`."""
    try:
        stat = path.stat()
    except OSError as error:
        raise NotANotebook(f"cannot read the file: {error.strerror or error}") from None
    global _last_read
    version = (str(path), stat.st_ino, stat.st_size, stat.st_mtime_ns)
    last = _last_read  # one read of the global: another thread may replace it
    if last is not None and last[0] == version:  # the run, the scan and the checks read it
        return last[1]
    notebook = _read(path)
    _last_read = (version, notebook)
    return notebook


_last_read: tuple | None = None  # (file version, notebook)


def _read(path: Path) -> nbformat.NotebookNode:
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
        iter(notebook.get("cells", []))  # cells that are not a list: not a notebook
    except Exception as error:  # nbformat raises many kinds for malformed notebooks
        raise NotANotebook(f"not a notebook: {type(error).__name__}: {error}") from None
    return notebook
