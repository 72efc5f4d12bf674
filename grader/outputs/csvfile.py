"""Every CSV the grader writes, through one writer whose cells a spreadsheet never runs.

Roster names come from the LMS (students set their own) and subjects, file names and reasons
from students' mail; a cell starting with ``=``, ``+``, ``-``, ``@``, a tab or a carriage return
is a formula to Excel, LibreOffice and Google Sheets (``=HYPERLINK(...)`` runs when the
instructor opens the file). Such a cell is written with a single quote in front (OWASP's rule
for CSV injection), which spreadsheets show as text. A number stays a number (a score of -5,
a grade of +2.5): Canvas's and Moodle's imports and every spreadsheet read it as one.
"""

from __future__ import annotations

import csv
import io
import re
from collections.abc import Iterable, Sequence
from pathlib import Path
from typing import Any, TextIO

FORMULA_STARTS = ("=", "+", "-", "@", "\t", "\r")
_NUMBER = re.compile(r"[+-]?(\d+(\.\d*)?|\.\d+)([eE][+-]?\d+)?")


def safe_cell(value: Any) -> Any:
    """``value`` as a spreadsheet shows it without running it: a string that would start a
    formula, and is not a plain number, gets a single quote in front."""
    if isinstance(value, str) and value.startswith(FORMULA_STARTS) and not _NUMBER.fullmatch(value):
        return "'" + value
    return value


def plain_cell(text: str) -> str:
    """A cell as it was before :func:`safe_cell`, for the files the grader reads back (a
    marks CSV, a roster): the quote in front of a formula's first character taken off."""
    if text[:1] == "'" and text[1:2] and text[1:].startswith(FORMULA_STARTS):
        return text[1:] if not _NUMBER.fullmatch(text[1:]) else text
    return text


class SafeWriter:
    """``csv.writer``'s rows, each cell through :func:`safe_cell` (headers included: a
    component's title is the instructor's, but an assignment's may come from anywhere)."""

    def __init__(self, stream: TextIO, lineterminator: str = "\r\n") -> None:
        self._writer = csv.writer(stream, lineterminator=lineterminator)

    def writerow(self, row: Iterable[Any]) -> None:
        self._writer.writerow([safe_cell(cell) for cell in row])

    def writerows(self, rows: Iterable[Iterable[Any]]) -> None:
        for row in rows:
            self.writerow(row)


def csv_text(rows: Iterable[Iterable[Any]], lineterminator: str = "\r\n") -> str:
    """The rows as CSV text, every cell safe."""
    buffer = io.StringIO()
    SafeWriter(buffer, lineterminator).writerows(rows)
    return buffer.getvalue()


def write_csv(
    path: Path,
    header: Sequence[str],
    rows: Iterable[Iterable[Any]],
    lineterminator: str = "\r\n",
) -> Path:
    """``path`` (its folder made) as UTF-8 CSV: the header, then the rows, every cell safe."""
    path.parent.mkdir(parents=True, exist_ok=True)
    with path.open("w", newline="", encoding="utf-8") as stream:
        writer = SafeWriter(stream, lineterminator)
        writer.writerow(header)
        writer.writerows(rows)
    return path
