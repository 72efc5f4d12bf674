"""Reading a handed-in notebook's code cells, any nbformat version, without running anything."""

from __future__ import annotations

import os
import stat
import threading
from pathlib import Path

import nbformat

from grader.inputs.json_input import NotJSON, load_json
from grader.limits import INTAKE, MiB


class NotANotebook(ValueError):
    """The file is not a notebook this grader can read; the message says why."""


def read_code_cells(path: Path) -> list[tuple[int, str]]:
    """The code cells of the notebook at ``path`` (see :func:`code_cells`). Raises
    :class:`NotANotebook`."""
    return code_cells(read_student_notebook(path))


def code_cells(notebook: nbformat.NotebookNode) -> list[tuple[int, str]]:
    """The code cells of a notebook as (index among all cells, source), any nbformat version.

    Only the code is kept, so Colab's metadata (widget state included) cannot get in the way.
    Raises :class:`NotANotebook`.
    """
    code = []
    for index, cell in enumerate(notebook.get("cells", [])):
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


def read_student_notebook(path: Path) -> nbformat.NotebookNode:
    """The notebook at ``path`` as nbformat 4, not validated (Colab's often is not, and only
    its cells matter here). Raises :class:`NotANotebook`."""
    return _read(path)


class NotebookFile:
    """A handed-in notebook, read once for everyone who looks at it while its file is the same
    version (the run, the forbidden-shortcut scan and the check of the grader-owned cells
    each read one submission's notebook): the owner of one submission's grading makes one.
    Safe to share between threads; callers must not change what :meth:`read` returns."""

    def __init__(self, path: Path):
        self.path = Path(path)
        self._lock = threading.Lock()
        self._last: tuple[_FileVersion, nbformat.NotebookNode] | None = None

    def read(self) -> nbformat.NotebookNode:
        """The notebook as :func:`read_student_notebook` reads it. Raises :class:`NotANotebook`."""
        version = _version(self.path)
        with self._lock:
            if self._last is not None and self._last[0] == version:
                return self._last[1]
            notebook = _read(self.path)
            self._last = (version, notebook)
            return notebook

    def code_cells(self) -> list[tuple[int, str]]:
        """See :func:`code_cells`. Raises :class:`NotANotebook`."""
        return code_cells(self.read())


_FileVersion = tuple[int, int, int]  # inode, size, modification time (ns)


def _version(path: Path) -> _FileVersion:
    found = _regular_file(path)
    return (found.st_ino, found.st_size, found.st_mtime_ns)


_KINDS = {
    stat.S_IFIFO: "a named pipe (FIFO)",
    stat.S_IFCHR: "a device",
    stat.S_IFBLK: "a device",
    stat.S_IFSOCK: "a socket",
    stat.S_IFDIR: "a folder",
}


def _regular_file(path: Path, opened: int | None = None) -> os.stat_result:
    """``path``'s status (of the file ``opened`` on it, when given) if it is a regular file
    no larger than a notebook may be. Raises :class:`NotANotebook` naming the file: a named
    pipe would block its reader for ever, a device or a file of hundreds of MB fill the
    grader's memory."""
    try:
        found = os.fstat(opened) if opened is not None else path.stat()
    except OSError as error:
        raise NotANotebook(f"cannot read {path.name}: {error.strerror or error}") from None
    if not stat.S_ISREG(found.st_mode):
        kind = _KINDS.get(stat.S_IFMT(found.st_mode), "not a regular file")
        raise NotANotebook(f"{path.name} is {kind}, not a notebook file: hand in the file itself")
    cap = INTAKE.max_notebook_bytes
    if found.st_size > cap:
        raise NotANotebook(
            f"{path.name} is {found.st_size / MiB:.0f} MB, over the cap of {cap // MiB} MB for"
            " a notebook: clear its outputs (Edit > Clear all outputs) and hand it in again"
        )
    return found


def read_notebook_bytes(path: Path) -> bytes:
    """The bytes of the notebook file at ``path``, refused (:class:`NotANotebook`, naming the
    file) unless it is a regular file within the cap: never blocks, never reads more."""
    _regular_file(path)  # before opening: opening a device can itself do something
    try:
        descriptor = os.open(path, os.O_RDONLY | os.O_NONBLOCK | os.O_NOCTTY)
    except OSError as error:
        raise NotANotebook(f"cannot read {path.name}: {error.strerror or error}") from None
    with os.fdopen(descriptor, "rb") as file:
        _regular_file(path, descriptor)  # the file opened, should it have been swapped
        data = file.read(INTAKE.max_notebook_bytes + 1)
    if len(data) > INTAKE.max_notebook_bytes:  # grew since
        raise NotANotebook(f"{path.name} grew past the cap for a notebook while it was read")
    return data


def _read(path: Path) -> nbformat.NotebookNode:
    data = read_notebook_bytes(path)
    if not data.strip():
        raise NotANotebook("not a notebook: the file is empty")
    try:
        raw = load_json(data)
    except NotJSON as error:
        raise NotANotebook(f"not a notebook: {error}") from None
    if not isinstance(raw, dict) or "nbformat" not in raw:
        raise NotANotebook("not a notebook: JSON without the notebook fields (nbformat, cells)")
    _check_cells(raw)  # before nbformat reads them, which fails on them with a traceback's words
    try:
        major, minor = nbformat.reader.get_version(raw)  # as nbformat.reads, parsed once
        notebook = nbformat.convert(nbformat.versions[major].to_notebook_json(raw, minor=minor), 4)
    except Exception as error:  # nbformat raises many kinds for malformed notebooks
        raise NotANotebook(f"not a notebook: {type(error).__name__}: {error}") from None
    _check_cells(notebook)  # an older version's, as converted
    return notebook


def _check_cells(notebook: dict) -> None:
    """Raise :class:`NotANotebook` unless every cell is what every reader of a notebook takes
    for granted: an object with a type, its text as a string or a list of strings, and its
    metadata an object. Any other JSON (``"source": null``) is said, never a traceback."""
    cells = notebook.get("cells", [])
    if not isinstance(cells, list):
        raise NotANotebook("not a notebook: its cells are not a list")
    for number, cell in enumerate(cells, start=1):
        if not isinstance(cell, dict):
            raise NotANotebook(f"not a notebook: cell {number} is not an object")
        if not isinstance(cell.get("cell_type"), str):
            raise NotANotebook(f"not a notebook: cell {number} has no cell type")
        source = cell.get("source", "")
        if not isinstance(source, str) and not (
            isinstance(source, list) and all(isinstance(line, str) for line in source)
        ):
            kind = "null" if source is None else type(source).__name__
            raise NotANotebook(f"not a notebook: the text of cell {number} is {kind}, not text")
        if not isinstance(cell.get("metadata", {}), dict):
            raise NotANotebook(f"not a notebook: the metadata of cell {number} is not an object")
