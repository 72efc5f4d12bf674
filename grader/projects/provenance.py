"""Where the data comes from: whether the file the notebook reads is the handed-in dataset
(byte for byte, or how it differs: rows, columns), and the dataset's Kaggle or GitHub address
in the report's References."""

from __future__ import annotations

import ast
import filecmp
import re
from pathlib import Path, PurePosixPath
from typing import Any

from grader.projects.cells import Notebook
from grader.projects.library import LIBRARY_OWNERS, LIBRARY_REPOSITORIES
from grader.projects.reading import file_shape, first_shape_seen, read_call, shows_a_shape
from grader.projects.rerun_shapes import Printed, rerun_says
from grader.projects.values import Read

_SOURCE = re.compile(
    r"(?:https?://)?(?:www\.)?(?:kaggle\.com|github\.com|raw\.githubusercontent\.com)/[^\s)\]>,;\"']+",
    re.I,
)
_CONTINUES = re.compile(r"[\w\-./?=&%#~:+]+")
_OPEN_ENDS = ("/", "-", "_", "=", "&", "?", "#", "%")  # not ".": a sentence ends there
# a line that goes on as an address's path: two folders or more, or a data file's name
_PATH_GOES_ON = re.compile(r"/.*/|/\S*\.(?:csv|tsv|txt|json|zip|xlsx?|parquet)\b", re.I)
_ADDED_HYPHENS = ("\u00ad", "\u2010")
# A line that starts with what only goes on an address (``-Stock-Price``, ``_v2``, ``.git``)...
_ADDRESS_GOES_ON = ("-", "_", ".", "/", "?", "#", "=", "&", "%", "~")
# ... or with a name that is an address's, not a sentence's word: hyphens or underscores inside
# (``gle-Stock-Price-Prediction``), a capital inside (``PricePrediction``), letters and digits
# mixed (``data2024``), perhaps with ``.git``.
_NAME_GOES_ON = re.compile(
    r"(?:\w+(?:[-_]\w+)+|\w*[a-z][A-Z]\w*|[A-Za-z]+\d\w*|\d+[A-Za-z]\w*)(?:\.git)?"
)
# What a reference's line may hold after an address: nothing, a date or a note in brackets,
# punctuation, or when it was accessed.
_AFTER_ADDRESS = re.compile(r"(?:[^A-Za-z]|(?:last\s+)?(?:accessed|retrieved|visited)\b)", re.I)


def provenance(
    notebook: Notebook,
    reads: list[str],
    dataset: Path | None,
    folder: Path | None,
    report: str | None,
    opened: tuple[Read, ...] = (),
    rerun: str | None = None,
) -> dict[str, Any]:
    """``reads``: the paths the notebook opens; ``opened``: the reads the data flow saw,
    where the comparison finds each one's call and options; ``rerun``: the sandbox's run's
    output on the handed-in files (None where there was none), which tells where the
    comparison of the file with what Colab printed cannot."""
    facts: dict[str, Any] = {"same_bytes": None, "source_url": _source_url(report)}
    if report is None:
        facts["source_note"] = "the report could not be read: no References to look in"
    if dataset is None:
        facts["how"] = "no dataset was handed in"
        return facts
    facts["dataset"] = dataset.name
    named = [r for r in reads if PurePosixPath(r).name == dataset.name]
    others = [r for r in reads if r not in named]
    if named:
        facts["read"] = named[0]
        facts.update(_compared(notebook, named[0], dataset, opened))
        if facts["same_bytes"] is None and rerun:
            facts.update(_told_by_rerun(notebook, named[0], dataset, opened, rerun))
        return facts
    copies = _in_folder(folder, others)
    if copies:
        read, copy = copies[0]
        facts["read"] = read
        same = filecmp.cmp(copy, dataset, shallow=False)
        facts["same_bytes"] = same
        if same:
            facts["how"] = f"the notebook opens {read}, a byte-for-byte copy of {dataset.name}"
        else:
            facts["differs"] = _differs(_shape(copy), _shape(dataset))
            facts["how"] = f"the notebook opens {read}, which is not {dataset.name} byte for byte"
        return facts
    if others:
        facts["read"] = others[0]
        facts["same_bytes"] = False
        facts["how"] = (
            f"the notebook opens {others[0]}, which is not in the hand-in; the handed-in dataset "
            f"is {dataset.name}"
        )
    else:
        facts["how"] = "no file the notebook opens could be read from its code"
    return facts


def _source_url(report: str | None) -> str | None:
    """The first Kaggle or GitHub address of the report that is not a library's own
    repository, rejoined where the PDF broke it across lines."""
    if not report:
        return None
    for match in _SOURCE.finditer(rejoin_addresses(report)):
        address = match.group(0).rstrip(".")
        if not _library_repository(address):
            return address
    return None


def rejoin_addresses(text: str) -> str:
    """``text`` with each Kaggle or GitHub address that a line break cut made whole again: a
    break after a character that cannot end an address (``/``, ``-``, ``_``, ``=``),
    inside an address too short to name a dataset (``kaggle.com/datasets/``), or before a line
    that goes on as an address does (see :func:`_goes_on`: ``mer/air-passengers``,
    ``gle-Stock-Price-Prediction``). A hyphen the typesetter added (U+00AD, U+2010) is dropped;
    a plain ``-`` is the address's own and kept."""
    lines = text.split("\n")
    joined = [lines[0]] if lines else []
    for line in lines[1:]:
        before = joined[-1].rstrip()
        last = before.rsplit(None, 1)[-1] if before.split() else ""
        match = _SOURCE.search(last)
        if match is not None and match.end() != len(last):
            match = None  # the address ended before the line did (``...).``)
        after = line.lstrip()
        piece = after.split(None, 1)[0].rstrip(",;:)]") if after else ""
        if match is None or not _CONTINUES.fullmatch(piece) or piece.lower().startswith("http"):
            joined.append(line)
            continue
        cut = match.group(0)
        if cut.endswith(_ADDED_HYPHENS):
            joined[-1] = before[:-1] + after
        elif cut.endswith(_OPEN_ENDS) or _too_short(cut) or _goes_on(piece, after):
            joined[-1] = before + after
        else:
            joined.append(line)
    return "\n".join(joined)


def _goes_on(piece: str, line: str) -> bool:
    """Whether ``piece``, the first word of ``line``, carries on the address the line before
    ended with: a path (``ob/master/x.csv``), a start only an address has (``-Price``), or a
    name shaped as an address's (``gle-Stock-Price-Prediction``) with nothing after it on the
    line but what a reference puts after an address (a sentence's word stays a word)."""
    if _PATH_GOES_ON.search(piece) or piece.startswith(_ADDRESS_GOES_ON):
        return True
    rest = line[len(piece) :].lstrip(",;:)] ")
    name = piece.rstrip(".")
    return bool(_NAME_GOES_ON.fullmatch(name)) and (not rest or bool(_AFTER_ADDRESS.match(rest)))


def _too_short(address: str) -> bool:
    """An address that stops before naming a dataset: Kaggle's without its owner and name,
    GitHub's without its owner and repository."""
    path = re.sub(r"^(?:https?://)?(?:www\.)?[^/]+/?", "", address).strip("/").split("/")
    path = [p for p in path if p]
    if "kaggle.com" in address.lower():
        wanted = 3 if path and path[0] in ("datasets", "competitions", "c", "code") else 2
        return len(path) < wanted
    return len(path) < 2


def _library_repository(address: str) -> bool:
    """A library's own repository (keras-team/keras, pytorch/pytorch), cited for the code,
    never the dataset's source."""
    match = re.search(r"github\.com/([^/\s]+)/([^/\s#?]+)", address, re.I)
    if match is None:
        return False
    owner, repository = match.group(1).lower(), match.group(2).lower().removesuffix(".git")
    return (owner, repository) in LIBRARY_REPOSITORIES or owner in LIBRARY_OWNERS


def _compared(
    notebook: Notebook, path: str, dataset: Path, opened: tuple[Read, ...]
) -> dict[str, Any]:
    """The handed-in file against the data Colab read from ``path``: each read as the
    notebook reads it, the shape Colab printed before the code changed the frame."""
    same = f"the notebook opens the handed-in {dataset.name} (as {path})"
    if not any(shows_a_shape(o) for cell in notebook.code() for o in cell.outputs):
        return {"same_bytes": True, "how": same}
    event = next((e for e in opened if e.path == path), None)
    found = read_call(notebook, event.where.cell, event.where.line, path) if event else None
    if event is None or found is None:
        return _unsure(same, f"it is not read by a plain pandas read_csv of {path}")
    call, name = found
    seen = first_shape_seen(notebook, event.where.cell, event.where.line, name)
    expected = file_shape(dataset, call)
    if seen.shown is None:
        if seen.unsure:
            return _unsure(same, seen.unsure)
        return {"same_bytes": True, "how": same}
    if expected is None or (expected.rows is None and expected.columns is None):
        return _unsure(same, f"how {ast.unparse(call)} reads a file is not modelled")
    pairs = [(a, b) for a, b in ((seen.shown.rows, expected.rows),
                                  (seen.shown.columns, expected.columns))
             if a is not None and b is not None]  # fmt: skip
    if not pairs:
        return _unsure(same, "the shape printed and the file's cannot be compared")
    if all(a == b for a, b in pairs):
        return {"same_bytes": True, "how": same + f"; read so, it has {expected.describe()}, "
                "as Colab printed"}  # fmt: skip
    options = _options(call)
    return {
        "same_bytes": False,
        "differs": {
            what: {"read": a, "handed_in": b}
            for what, a, b in (
                ("rows", seen.shown.rows, expected.rows),
                ("columns", seen.shown.columns, expected.columns),
            )
            if a is not None and b is not None and a != b
        },  # fmt: skip
        "how": (
            f"the notebook opens {path}, but the data Colab read there had "
            f"{seen.shown.describe()}, and the handed-in {dataset.name}, read as the notebook "
            f"reads it{options}, has {expected.describe()}"
        ),
    }


def _told_by_rerun(
    notebook: Notebook, path: str, dataset: Path, opened: tuple[Read, ...], rerun: str
) -> dict[str, Any]:
    """Same or not, as the rerun on the handed-in file printed the data's shapes where Colab
    saved them (:mod:`grader.projects.rerun_shapes`); nothing where it cannot tell either."""
    event = next((e for e in opened if e.path == path), None)
    name = PurePosixPath(path).name
    cell = (
        event.where.cell
        if event is not None
        else next((c.position for c in notebook.code() if name in c.source), None)
    )
    said = rerun_says(notebook, cell, rerun) if cell is not None else None
    if said is None:
        return {}
    where = ", ".join(str(c) for c in said.cells)
    if said.same:
        return {
            "same_bytes": True,
            "how": f"the notebook opens the handed-in {dataset.name} (as {path}); the sandbox's "
            f"rerun on it printed the shapes Colab saved where the data is read and shaped "
            f"(cell{'s' if len(said.cells) > 1 else ''} {where}: {said.saved.text} in cell "
            f"{said.cell})",
        }
    return {
        "same_bytes": False,
        "differs": _sizes_differ(said.saved, said.again),
        "how": f"the notebook opens {path}, but where Colab printed {said.saved.text} (cell "
        f"{said.cell}), the sandbox's rerun on the handed-in {dataset.name} printed "
        f"{said.again.text}: Colab read other data",
    }


def _sizes_differ(saved: Printed, again: Printed) -> dict[str, Any]:
    """The rows and columns that differ, where the shapes are a table's; else the shapes."""
    if len(saved.numbers) <= 2 and len(again.numbers) == len(saved.numbers):
        return {
            what: {"read": a, "handed_in": b}
            for what, a, b in zip(("rows", "columns"), saved.numbers, again.numbers, strict=False)
            if a != b
        }
    return {"shape": {"read": saved.text, "handed_in": again.text}}


def _unsure(same: str, why: str) -> dict[str, Any]:
    return {
        "same_bytes": None,
        "how": f"{same}; whether it is the data Colab read could not be told: {why}",
    }


def _options(call: ast.Call) -> str:
    given = [ast.unparse(k) for k in call.keywords if k.arg and k.arg not in ("parse_dates",)]
    return f" ({', '.join(given)})" if given else ""


def _shape(path: Path) -> tuple[int | None, int | None] | None:
    shape = file_shape(path)
    return None if shape is None else (shape.rows, shape.columns)


def _differs(first: Any, second: Any) -> dict[str, Any]:
    if first is None or second is None:
        return {}
    return {
        name: {"read": a, "handed_in": b}
        for name, a, b in zip(("rows", "columns"), first, second, strict=True)
        if a is not None and b is not None and a != b
    }


def _in_folder(folder: Path | None, reads: list[str]) -> list[tuple[str, Path]]:
    if folder is None:
        return []
    files = {p.name: p for p in folder.rglob("*") if p.is_file() and not p.is_symlink()}
    return [(r, files[PurePosixPath(r).name]) for r in reads if PurePosixPath(r).name in files]
