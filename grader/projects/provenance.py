"""Where the data comes from: whether the file the notebook reads is the handed-in dataset
(byte for byte, or how it differs: rows, columns), and the dataset's Kaggle or GitHub address
in the report's References."""

from __future__ import annotations

import csv
import filecmp
import re
from pathlib import Path, PurePosixPath
from typing import Any

from grader.projects.cells import Notebook

_SOURCE = re.compile(
    r"(?:https?://)?(?:www\.)?(?:kaggle\.com|github\.com|raw\.githubusercontent\.com)/[^\s)\]>,;\"']+",
    re.I,
)
_FRAME = re.compile(r"\[(\d+) rows x (\d+) columns\]")
_SHAPE = re.compile(r"\((\d+),\s*(\d+)\)")
_ENTRIES = re.compile(r"RangeIndex:\s*(\d+) entries")
_TABLES = (".csv", ".tsv", ".txt")


def provenance(
    notebook: Notebook,
    reads: list[str],
    dataset: Path | None,
    folder: Path | None,
    report: str | None,
) -> dict[str, Any]:
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
        shown = _printed_shape(notebook)
        handed = _shape(dataset)
        if shown is not None and handed is not None and _disagree(shown, handed):
            facts["same_bytes"] = False
            facts["differs"] = _differs(shown, handed)
            facts["how"] = (
                f"the notebook opens {named[0]}, but the data Colab read there had "
                f"{_describe(shown)}, and the handed-in {dataset.name} has {_describe(handed)}"
            )
        else:
            facts["same_bytes"] = True
            facts["how"] = f"the notebook opens the handed-in {dataset.name} (as {named[0]})"
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
    if not report:
        return None
    match = _SOURCE.search(report)
    return match.group(0).rstrip(".") if match else None


def _printed_shape(notebook: Notebook) -> tuple[int | None, int | None] | None:
    """The shape of the data as the saved outputs show it (a DataFrame's footer, ``.shape``
    or ``.info()``): the first such in the notebook, which is the data just read."""
    for cell in notebook.code():
        text = "\n".join(cell.outputs)
        for pattern in (_FRAME, _ENTRIES, _SHAPE):
            match = pattern.search(text)
            if match:
                groups = [int(g) for g in match.groups()]
                return (groups[0], groups[1] if len(groups) > 1 else None)
    return None


def _shape(path: Path) -> tuple[int | None, int | None] | None:
    """Rows (without the header) and columns of a table file; None for other files."""
    if path.suffix.lower() not in _TABLES:
        return None
    try:
        with path.open(newline="", encoding="utf-8", errors="replace") as stream:
            first = stream.readline()
            dialect = csv.Sniffer().sniff(first) if first.strip() else csv.excel
            columns = len(next(csv.reader([first], dialect)))
            rows = sum(1 for line in stream if line.strip())
    except (OSError, csv.Error):
        return None
    return rows, columns


def _disagree(shown: tuple[int | None, int | None], handed: tuple[int | None, int | None]) -> bool:
    return any(
        a is not None and b is not None and a != b for a, b in zip(shown, handed, strict=True)
    )


def _differs(first: Any, second: Any) -> dict[str, Any]:
    if first is None or second is None:
        return {}
    return {
        name: {"read": a, "handed_in": b}
        for name, a, b in zip(("rows", "columns"), first, second, strict=True)
        if a is not None and b is not None and a != b
    }


def _describe(shape: tuple[int | None, int | None]) -> str:
    rows, columns = shape
    return " and ".join(
        f"{n} {what}" for n, what in ((rows, "rows"), (columns, "columns")) if n is not None
    )


def _in_folder(folder: Path | None, reads: list[str]) -> list[tuple[str, Path]]:
    if folder is None:
        return []
    files = {p.name: p for p in folder.rglob("*") if p.is_file() and not p.is_symlink()}
    return [(r, files[PurePosixPath(r).name]) for r in reads if PurePosixPath(r).name in files]
