"""The report as read from its source: blocks grouped under the six sections, and the metadata of
its title block. Pure data, shared by the readers (Markdown, notebook) and the typesetter."""

from __future__ import annotations

import base64
import binascii
import re
from collections.abc import Iterable, Iterator, Mapping
from dataclasses import dataclass, field, replace
from pathlib import Path

from grader.errors import UserError
from grader.report.inline import Inline, Span
from grader.report.sections import REFERENCES


@dataclass(frozen=True)
class Text:
    spans: Inline


@dataclass(frozen=True)
class Heading:
    level: int
    spans: Inline
    where: str

    @property
    def plain(self) -> str:
        return "".join(span.text for span in self.spans).strip()


@dataclass(frozen=True)
class ListBlock:
    ordered: bool
    start: int
    items: tuple[tuple[Block, ...], ...]


@dataclass(frozen=True)
class Code:
    text: str


@dataclass(frozen=True)
class TableBlock:
    header: tuple[Inline, ...]
    rows: tuple[tuple[Inline, ...], ...]
    align: tuple[str, ...]


@dataclass(frozen=True)
class Figure:
    image: bytes = field(repr=False)
    caption: Inline


@dataclass(frozen=True)
class Quote:
    blocks: tuple[Block, ...]


@dataclass(frozen=True)
class Equation:
    """A displayed equation ($$...$$ as a paragraph of its own), set centred."""

    spans: Inline


Block = Text | Heading | ListBlock | Code | TableBlock | Figure | Quote | Equation


@dataclass(frozen=True)
class Section:
    name: str
    where: str
    blocks: tuple[Block, ...]


@dataclass(frozen=True)
class Report:
    source: Path
    meta: Mapping[str, str]
    sections: tuple[Section, ...]
    notes: tuple[str, ...] = ()  # what the user should know though the report builds
    title: Inline = ()  # meta["title"] as set: emphasis, code and $math$ (empty: as plain text)

    def section(self, name: str) -> Section:
        return next(section for section in self.sections if section.name == name)


CITATION = re.compile(r"\[(\d+(?:\s*[,\u2013-]\s*\d+)*)\]")


def check_citations(report: Report) -> None:
    count = len(references(report))
    groups = [
        [int(number) for number in re.findall(r"\d+", group)]
        for section in report.sections
        if section.name != REFERENCES
        for span in all_spans(section.blocks)
        if not span.code
        for group in CITATION.findall(span.text)
    ]
    # An interval like [0, 1] is mathematics, not a citation: references count from 1.
    cited = {number for numbers in groups if 0 not in numbers for number in numbers}
    unknown = sorted(n for n in cited if not 1 <= n <= count)
    if unknown:
        raise UserError(
            f"{report.source}: the text cites {', '.join(f'[{n}]' for n in unknown)} but "
            f"References lists {count} entr{'y' if count == 1 else 'ies'}: add them or fix the "
            f"numbers."
        )


def all_spans(blocks: Iterable[Block]) -> Iterator[Span]:
    for block in blocks:
        if isinstance(block, Text | Heading | Equation):
            yield from block.spans
        elif isinstance(block, ListBlock):
            for item in block.items:
                yield from all_spans(item)
        elif isinstance(block, Quote):
            yield from all_spans(block.blocks)
        elif isinstance(block, TableBlock):
            for row in (block.header, *block.rows):
                for cell in row:
                    yield from cell
        elif isinstance(block, Code):
            yield Span(block.text, code=True)


_MANUAL_NUMBER = re.compile(r"^\s*(?:\[\d+\]|\d+[.)])\s*")


def references(report: Report) -> list[Inline]:
    """One entry per list item or paragraph of References, without any hand-written number."""
    entries: list[Inline] = []
    for block in report.section(REFERENCES).blocks:
        items = block.items if isinstance(block, ListBlock) else ((block,),)
        for item in items:
            spans = tuple(
                span for text in item if isinstance(text, Text) for span in (*text.spans, Span(" "))
            )
            if spans:
                first = replace(spans[0], text=_MANUAL_NUMBER.sub("", spans[0].text))
                entries.append((first, *spans[1:]))
    return entries


def decode_png(data: str | list[str], where: str) -> bytes:
    """A notebook's base64 PNG (an output or an attachment) as bytes."""
    try:
        return base64.b64decode("".join(data))
    except (binascii.Error, ValueError) as error:
        raise UserError(
            f"{where}: the PNG output is damaged ({error}); run the cell again."
        ) from error
