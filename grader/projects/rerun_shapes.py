"""Whether the data Colab read is the handed-in file, told by the sandbox's rerun: the rerun ran
the student's own cells on the handed-in file, so where the cells that load and shape the data
printed the shapes Colab saved (``(1258, 7)``, ``[144 rows x 3 columns]``, ``RangeIndex: 248
entries``), the data Colab read had them too, read and changed as the notebook does it; where
they printed others, it was other data. Nothing of how the notebook reads the file needs to be
modelled for this, so it tells where the comparison of :mod:`grader.projects.reading` cannot.

The rerun's output is one text (the cells' outputs in order), so the shapes Colab saved and
those the rerun printed are lined up one for one: each on the same line around it, in the same
order, the rerun printing none that Colab did not save (it may stop sooner: a cell that failed
in the sandbox). Where they do not line up (a cell Colab's copy did not run, a line printed
otherwise), nothing is told."""

from __future__ import annotations

import re
from dataclasses import dataclass

from grader.projects.cells import Cell, Notebook

_SHAPE = re.compile(
    r"\[(?P<rows>\d+) rows x (?P<columns>\d+) columns\]"
    r"|(?P<html_rows>\d+) rows × (?P<html_columns>\d+) columns"
    r"|(?:Range)?Index:\s*(?P<entries>\d+) entries"
    r"|\((?P<tuple>\d+(?:,\s*\d+)+),?\)|\((?P<single>\d+),\)"
)
# A cell that trains: what it prints after (predictions, scores) is the model's, not the data's.
_TRAINS = re.compile(r"\.fit\(|\.fit_generator\(|\.train_on_batch\(|\.backward\(|\.step\(")
_WARNING = re.compile(r"Warning\b")  # pandas' warnings name columns in brackets: (3,4)


@dataclass(frozen=True)
class Printed:
    """One shape printed: ``place`` is its line with the numbers left out (where it is printed,
    as the same cell prints it again), ``numbers`` its sizes, ``text`` as printed."""

    place: str
    numbers: tuple[int, ...]
    text: str


@dataclass(frozen=True)
class RerunSays:
    """What the rerun tells: ``same`` True where every shape of the data Colab saved was printed
    again, False where one differs (``cell``, the shape Colab ``saved`` and the one the rerun
    printed, ``again``); ``cells``: the cells whose shapes were compared."""

    same: bool
    cells: tuple[int, ...]
    cell: int
    saved: Printed
    again: Printed


def shapes_printed(text: str) -> list[Printed]:
    """Every shape, frame size and row count a text shows, in order."""
    found = []
    for line in text.splitlines():
        if _WARNING.search(line):
            continue
        for match in _SHAPE.finditer(line):
            found.append(_printed(line, match))
    return found


def _printed(line: str, match: re.Match[str]) -> Printed:
    groups = match.groupdict()
    if groups["rows"] or groups["html_rows"]:
        rows = groups["rows"] or groups["html_rows"]
        columns = groups["columns"] or groups["html_columns"]
        return Printed("a frame's size", (int(rows), int(columns)), match.group(0))
    if groups["entries"]:
        return Printed("a frame's entries", (int(groups["entries"]),), match.group(0))
    sizes = tuple(int(n) for n in re.findall(r"\d+", groups["tuple"] or groups["single"]))
    before = re.sub(r"\d+", "#", " ".join(line[: match.start()].split()))
    return Printed(f"{before}({len(sizes)} sizes)", sizes, match.group(0))


def data_cells(notebook: Notebook, read_cell: int) -> list[Cell]:
    """The cells that load and shape the data: the one that reads it and those after it, up to
    the first that trains a model."""
    cells = []
    for cell in notebook.code():
        if cell.position < read_cell:
            continue
        if cell.position > read_cell and _TRAINS.search(cell.source):
            break
        cells.append(cell)
    return cells


def rerun_says(notebook: Notebook, read_cell: int, rerun: str) -> RerunSays | None:
    """Whether the rerun printed the shapes Colab saved of the data read in ``read_cell`` and
    shaped after it; None where it cannot tell (no shape saved there, or the rerun's lined up
    otherwise or not printed)."""
    wanted = {cell.position for cell in data_cells(notebook, read_cell)}
    saved = [
        (cell.position, printed)
        for cell in notebook.code()
        for output in cell.outputs
        for printed in shapes_printed(output)
    ]
    last = max((i for i, (position, _) in enumerate(saved) if position in wanted), default=None)
    again = shapes_printed(rerun)
    if last is None or not last < len(again) <= len(saved):
        return None  # not printed again; or printed more often than saved, somewhere unknown
    if [p.place for _, p in saved[: len(again)]] != [p.place for p in again]:
        return None  # the rerun printed other shapes before or among them: not lined up
    compared = [(saved[i], again[i]) for i in range(last + 1) if saved[i][0] in wanted]
    cells = tuple(sorted({position for (position, _), _ in compared}))
    for (position, printed), printed_again in compared:
        if printed.numbers != printed_again.numbers:
            return RerunSays(False, cells, position, printed, printed_again)
    (position, printed), printed_again = compared[0]
    return RerunSays(True, cells, position, printed, printed_again)
