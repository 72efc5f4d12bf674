"""Tables: column widths from the content, as a browser sets an automatic table.

Each column is at least as wide as its widest word (a word may break after a hyphen it has) and
at most as wide as its longest cell on one line. When the longest cells do not fit, the columns
get their widest word each and share the rest of the width in proportion to how much more they
could use, so no word is broken while another column has room. Only when even the widest words
do not fit side by side are words hyphenated, with a visible hyphen.
"""

from __future__ import annotations

import re
import unicodedata
from collections.abc import Iterable, Sequence
from dataclasses import replace
from typing import Any, Protocol

from reportlab.lib import colors
from reportlab.lib.enums import TA_CENTER, TA_LEFT, TA_RIGHT
from reportlab.lib.styles import ParagraphStyle
from reportlab.pdfbase import pdfmetrics
from reportlab.platypus import Paragraph, Table, TableStyle

from grader.pdf.fonts import MONO, SERIF, Fonts
from grader.report import formulas
from grader.report.document import Inline, TableBlock
from grader.report.inline import Span
from grader.report.styles import Styles

PADDING = 6.0  # pt left and right of each cell, where there is room for it
_SOFT_HYPHEN = "\u00ad"
_NUMBER = re.compile(r"\s*[-+\u2212]?[\d.,]*\d[\d.,]*\s*%?\s*|\s*")
_ALIGNS = {"left": TA_LEFT, "center": TA_CENTER, "right": TA_RIGHT}


class TableSetter(Protocol):
    """What a table needs of the typesetter (:class:`grader.report.typeset.Typesetter`, which
    imports this module): its styles, text width, fonts, and its way of making a paragraph."""

    style: Styles
    width: float
    serif: str
    fonts: Fonts

    def paragraph(
        self, spans: Iterable[Span], style: ParagraphStyle, **kwargs: Any
    ) -> Paragraph: ...


def fit_columns(
    minimum: Sequence[float], natural: Sequence[float], width: float, rigid: Sequence[bool]
) -> list[float]:
    """Column widths within ``width``: natural when they fit; else each column's minimum and a
    share of what is left in proportion to natural - minimum; else the ``rigid`` columns (of
    numbers) keep their minimum and the others share the rest in proportion to theirs."""
    if sum(natural) <= width:
        return list(natural)
    if sum(minimum) < width:
        spare = width - sum(minimum)
        wants = [n - m for n, m in zip(natural, minimum, strict=True)]
        return [m + spare * w / sum(wants) for m, w in zip(minimum, wants, strict=True)]
    kept = sum(m for m, r in zip(minimum, rigid, strict=True) if r)
    if kept >= width or all(rigid):
        return [width * m / sum(minimum) for m in minimum]
    shared = sum(m for m, r in zip(minimum, rigid, strict=True) if not r)
    return [m if r else (width - kept) * m / shared for m, r in zip(minimum, rigid, strict=True)]


def table(setter: TableSetter, block: TableBlock) -> Table:
    """The table set in the typesetter's small style, header rule above and below."""
    size = setter.style.small.fontSize
    styles = [
        ParagraphStyle(
            f"cell-{align}",
            parent=setter.style.small,
            alignment=_ALIGNS.get(align, TA_LEFT),
            embeddedHyphenation=1,
        )
        for align in block.align
    ]
    header = tuple(tuple(replace(s, bold=True) for s in cell) for cell in block.header)
    grid = [header, *block.rows]
    columns = list(zip(*grid, strict=True))
    extents = [[_extent(setter, cell, size) for cell in column] for column in columns]
    widest = [max(e[0] for e in column) for column in extents]
    longest = [max(e[1] for e in column) for column in extents]
    # Narrower padding where the columns' words would not fit beside each other with the usual.
    padding = PADDING if sum(widest) + len(widest) * (2 * PADDING + 1) <= setter.width else 2.5
    rigid = [all(_NUMBER.fullmatch(_plain(cell)) for cell in column[1:]) for column in columns]
    widths = fit_columns(
        [w + 2 * padding + 1 for w in widest],
        [w + 2 * padding + 1 for w in longest],
        setter.width,
        rigid,
    )
    rows = [
        [
            setter.paragraph(_hyphenated(setter, cell, width - 2 * padding, size), style)
            for cell, style, width in zip(row, styles, widths, strict=True)
        ]
        for row in grid
    ]
    result = Table(rows, colWidths=widths, repeatRows=1)
    result.setStyle(
        TableStyle(
            [
                ("FONTNAME", (0, 0), (-1, -1), setter.serif),
                ("LINEABOVE", (0, 0), (-1, 0), 0.9, colors.black),
                ("LINEBELOW", (0, 0), (-1, 0), 0.5, colors.black),
                ("LINEBELOW", (0, -1), (-1, -1), 0.9, colors.black),
                ("VALIGN", (0, 0), (-1, -1), "TOP"),
                ("LEFTPADDING", (0, 0), (-1, -1), padding),
                ("RIGHTPADDING", (0, 0), (-1, -1), padding),
                ("TOPPADDING", (0, 0), (-1, -1), 1.5),
                ("BOTTOMPADDING", (0, 0), (-1, -1), 2.5),
            ]
        )
    )
    result.spaceBefore = setter.style.body.spaceAfter * 0.5
    result.spaceAfter = setter.style.body.spaceAfter * 1.5
    return result


def _width(setter: TableSetter, text: str, span: Span, size: float) -> float:
    """The width of text in the span's style, each run in the font that will draw it."""
    if span.code:
        primary, size = MONO, size * 0.9
    else:
        primary = SERIF
    return sum(
        pdfmetrics.stringWidth(run, setter.fonts.face(family, span.bold, span.italic), size)
        for family, run in setter.fonts.runs(text, primary, False)
    )


def _plain(cell: Inline) -> str:
    return "".join(span.text for span in cell)


def _parts(text: str) -> list[str]:
    """Text cut where a line may break: after spaces (kept as their own parts) and hyphens."""
    return re.findall(r"\s+|[^\s-]*-|[^\s-]+", text)


def _extent(setter: TableSetter, cell: Inline, size: float) -> tuple[float, float]:
    """The widest unbreakable piece of a cell, and the cell's width on one line."""
    widest = whole = word = 0.0
    for span in cell:
        if span.math:
            piece = formulas.layout(span.math, size).width
            word, whole = word + piece, whole + piece
            continue
        for part in _parts(span.text):
            piece = _width(setter, part, span, size)
            whole += piece
            if part.isspace():
                widest, word = max(widest, word), 0.0
            else:
                word += piece
                if part.endswith("-"):
                    widest, word = max(widest, word), 0.0
    return max(widest, word), whole


def _hyphenated(setter: TableSetter, cell: Inline, width: float, size: float) -> Inline:
    """The cell with soft hyphens in each word wider than the column, where it must break."""
    result = []
    for span in cell:
        if span.math or span.code:
            result.append(span)
            continue
        parts = [
            _SOFT_HYPHEN.join(part[i : i + 2] for i in range(0, len(part), 2))
            if not part.isspace()
            and not any(unicodedata.category(ch).startswith("M") for ch in part)
            and _width(setter, part, span, size) > width
            else part
            for part in _parts(span.text)
        ]
        result.append(replace(span, text="".join(parts)))
    return tuple(result)
