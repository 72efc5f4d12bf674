"""What of the instructor's never reaches a release, in nbgrader's conventions too: hidden-test
regions (``### BEGIN HIDDEN TESTS`` / ``### END HIDDEN TESTS``), mark schemes
(``=== BEGIN MARK SCHEME ===`` / ``=== END MARK SCHEME ===``), and answer cells marked only by
nbgrader's metadata (``metadata.nbgrader.solution: true``, no markers), released as nbgrader
releases them: a code cell becomes the stub, a markdown cell "YOUR ANSWER HERE".

Markers are found as nbgrader finds them, anywhere in a line, so an indented or reworded line
("# ### BEGIN HIDDEN TESTS (grader only)") is removed too: a region a student may not see is
better removed too eagerly than too late.
"""

from __future__ import annotations

import re
from collections.abc import Sequence
from dataclasses import dataclass

import nbformat

from grader.errors import UserError

ANSWER_STUB = "YOUR ANSWER HERE"  # what nbgrader puts in a markdown answer cell


@dataclass(frozen=True)
class Withheld:
    """A kind of region cut out of every cell of the release, markers included."""

    what: str
    begin: str
    end: str

    def regions(self, lines: Sequence[str], where: str) -> list[tuple[int, int]]:
        """(begin, end) line numbers of each region; UserError when they do not pair up."""
        found, opened = [], None
        for number, line in enumerate(lines):
            if self.begin in line:
                if opened is not None:
                    raise UserError(
                        f"{where}: line {number + 1} opens a {self.what} region inside the one"
                        f" opened on line {opened + 1}; add {self.end!r} before it"
                    )
                opened = number
            elif self.end in line:
                if opened is None:
                    raise UserError(
                        f"{where}: line {number + 1} closes a {self.what} region that no"
                        f" {self.begin!r} opened; add one, or remove the line"
                    )
                found.append((opened, number))
                opened = None
        if opened is not None:
            raise UserError(
                f"{where}: the {self.what} region opened on line {opened + 1} has no"
                f" {self.end!r}; add it where the region ends, or students receive the rest"
                f" of the cell as instructor material"
            )
        return found


WITHHELD = (
    Withheld("hidden-test", "BEGIN HIDDEN TESTS", "END HIDDEN TESTS"),
    Withheld("mark-scheme", "=== BEGIN MARK SCHEME ===", "=== END MARK SCHEME ==="),
)
_NBGRADER_MARKER = re.compile(r"(BEGIN|END) (HIDDEN TESTS|MARK SCHEME|SOLUTION)")


def is_answer_cell(cell: nbformat.NotebookNode) -> bool:
    """nbgrader marked the cell as the student's to write (``nbgrader.solution: true``)."""
    marks = cell.get("metadata", {}).get("nbgrader", {})
    return isinstance(marks, dict) and marks.get("solution") is True


def withheld_regions(
    lines: Sequence[str], where: str, solutions: Sequence[tuple[int, int]]
) -> list[tuple[int, int]]:
    """The regions of ``lines`` no student may see; each lies wholly inside or wholly outside
    every solution region (``solutions``), else UserError."""
    found = [region for kind in WITHHELD for region in kind.regions(lines, where)]
    for begin, end in found:
        for s_begin, s_end in solutions:
            inside = s_begin <= begin and end <= s_end
            if not inside and begin <= s_end and s_begin <= end:
                raise UserError(
                    f"{where}: the region of lines {begin + 1}-{end + 1} crosses the solution"
                    f" region of lines {s_begin + 1}-{s_end + 1}; close one before the other"
                    f" opens"
                )
    return sorted(found)


def without(lines: Sequence[str], regions: Sequence[tuple[int, int]]) -> list[str]:
    """``lines`` with each region, markers included, left out."""
    dropped = {number for begin, end in regions for number in range(begin, end + 1)}
    return [line for number, line in enumerate(lines) if number not in dropped]


def leftover_marker(text: str) -> str | None:
    """A line of ``text`` that still carries one of nbgrader's markers, or None: the last
    guard of a release."""
    return next((line for line in text.splitlines() if _NBGRADER_MARKER.search(line)), None)
