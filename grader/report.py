"""The two-page project report: build it from Markdown or a notebook, or check any report PDF.

``build_report`` reads a Markdown file started from ``templates/report.md`` (or a notebook whose
markdown cells hold the sections), checks the six sections, and typesets a short paper with
ReportLab's platypus: a title block, the sections, figures with captions, numbered references and
page numbers. It tries layouts from roomy to tight until the report fits on two pages, and refuses
with the size of the overflow when even the tightest does not. ``check_pdf`` checks a report PDF
made with any tool.
"""

from __future__ import annotations

import base64
import binascii
import io
import itertools
import logging
import math
import os
import re
import sys
import tempfile
import unicodedata
from collections.abc import Iterable, Iterator, Mapping, Sequence
from dataclasses import dataclass, field, replace
from pathlib import Path
from typing import Any
from xml.sax.saxutils import quoteattr

import nbformat
import yaml
from markdown_it import MarkdownIt
from markdown_it.token import Token
from PIL import Image as PILImage
from PIL import UnidentifiedImageError
from pypdf import PdfReader
from reportlab.lib import colors
from reportlab.lib.enums import TA_CENTER, TA_JUSTIFY, TA_LEFT, TA_RIGHT
from reportlab.lib.pagesizes import A4, LETTER
from reportlab.lib.styles import ParagraphStyle
from reportlab.lib.units import cm
from reportlab.lib.utils import ImageReader
from reportlab.pdfbase import pdfmetrics
from reportlab.platypus import (
    BaseDocTemplate,
    CondPageBreak,
    Flowable,
    Frame,
    HRFlowable,
    Image,
    Indenter,
    KeepTogether,
    LayoutError,
    ListFlowable,
    ListItem,
    PageTemplate,
    Paragraph,
    Spacer,
    Table,
    TableStyle,
    XPreformatted,
)

from grader.errors import UserError
from grader.fonts import MONO, SERIF, code_block, fonts, shaped
from grader.report_inline import LINE_BREAK, Inline, Span, math_rule, tex_spans

SECTIONS: tuple[str, ...] = (
    "Introduction",
    "Problem Statement",
    "Results and Discussion",
    "Data Visualization",
    "Conclusion and Future Direction",
    "References",
)
FRONT_MATTER_KEYS: tuple[str, ...] = ("title", "author", "student_id", "course", "project", "colab")
REQUIRED_KEYS: tuple[str, ...] = ("title", "author", "student_id", "colab")
PAPERS: Mapping[str, tuple[float, float]] = {"a4": A4, "letter": LETTER}
MAX_PAGES = 2
MIN_BODY_SIZE = 9.0
FIGURE_TAG = "figure"

_DATA_VISUALIZATION = SECTIONS[3]
_REFERENCES = SECTIONS[-1]
_LINK_COLOR = colors.HexColor("#1f4e99")
_RULE_COLOR = colors.HexColor("#444444")


class ReportDoesNotFit(UserError):
    """The content does not fit on two pages even with the tightest readable layout."""

    def __init__(self, message: str, words_over: int) -> None:
        super().__init__(message)
        self.words_over = words_over


# --------------------------------------------------------------------------------------------
# Section headings, shared by the source checks and the PDF check.

# Heading text reduced to its letters, so "2. Results & Discussion" and a heading split over
# two extracted lines compare equal to the canonical name.
_SECTION_KEYS: Mapping[str, re.Pattern[str]] = {
    "Introduction": re.compile(r"introduction"),
    "Problem Statement": re.compile(r"problemstatement"),
    "Results and Discussion": re.compile(r"results?anddiscussions?"),
    "Data Visualization": re.compile(r"datavisuali[sz]ations?(?:andexplanations?)?"),
    "Conclusion and Future Direction": re.compile(r"conclusions?andfuturedirections?"),
    "References": re.compile(r"references?"),
}
_NUMBERING = re.compile(r"^\s*(?:section\s+)?(?:\d+(?:\.\d+)*|[ivxlc]+|[a-h])(?:[.):]\s*|\s+)")


def _heading_key(text: str) -> str:
    text = unicodedata.normalize("NFKC", text).lower().replace("&", " and ")
    return re.sub(r"[^a-z]", "", _NUMBERING.sub("", text, count=1))


def section_of(heading: str) -> str | None:
    """The section a heading names, tolerating case, numbering, '&' and plurals; else None."""
    key = _heading_key(heading)
    return next((name for name, pattern in _SECTION_KEYS.items() if pattern.fullmatch(key)), None)


def _order_text() -> str:
    return ", ".join(SECTIONS)


def _out_of_order(found: Sequence[str]) -> list[str]:
    """The sections of ``found`` (each once, in document order) outside its longest ordered run."""
    rank = [SECTIONS.index(name) for name in found]
    best: list[list[int]] = []
    for i, r in enumerate(rank):
        longest = max((best[j] for j in range(i) if rank[j] < r), key=len, default=[])
        best.append([*longest, i])
    keep = set(max(best, key=len, default=[]))
    return [name for i, name in enumerate(found) if i not in keep]


# --------------------------------------------------------------------------------------------
# The report as read from its source.


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

    def section(self, name: str) -> Section:
        return next(section for section in self.sections if section.name == name)


_MARKDOWN = MarkdownIt("commonmark", {"maxNesting": 100}).enable(["table", "strikethrough"])
_MARKDOWN.inline.ruler.before("escape", "math", math_rule)
_FRONT_MATTER = re.compile(
    r"\A\ufeff?---[ \t]*\r?\n(.*?)\r?\n(?:---|\.\.\.)[ \t]*(?:\r?\n|\Z)", re.S
)
_HTML_TAG = re.compile(r"<[^>]*>")


def read_report(source: Path) -> Report:
    """Read and check a report source (Markdown or notebook); UserError says what to fix."""
    if not source.is_file():
        raise UserError(f"{source}: no such file. Start from templates/report.md.")
    suffix = source.suffix.lower()
    if suffix == ".pdf":
        raise UserError(
            f"{source} is already a PDF: check it with `grader report --check {source}`."
        )
    if suffix == ".ipynb":
        report = _read_notebook(source)
    elif suffix in (".md", ".markdown", ".txt"):
        report = _read_markdown(source)
    else:
        raise UserError(
            f"{source}: a report source is a Markdown file (.md) or a notebook (.ipynb). A PDF "
            f"made with another tool (Word, LaTeX, Google Docs) is checked with "
            f"`grader report --check`."
        )
    _check_citations(report)
    return report


def _read_text(source: Path) -> str:
    try:
        return unicodedata.normalize("NFC", source.read_text(encoding="utf-8"))
    except UnicodeDecodeError as error:
        raise UserError(f"{source} is not UTF-8 text ({error}); save it as UTF-8.") from error


def _read_markdown(source: Path) -> Report:
    text = _read_text(source)
    match = _FRONT_MATTER.match(text)
    if not match:
        raise UserError(
            f"{source} has no front matter: it must start with a block between '---' lines that "
            f"gives {', '.join(FRONT_MATTER_KEYS)} (copy the top of templates/report.md)."
        )
    meta = _checked_meta(_front_matter(match.group(1), source), source, REQUIRED_KEYS)
    body_line = text[: match.end()].count("\n")
    parser = _BlockParser(source.parent, lambda line: f"line {line + body_line + 1}")
    blocks = parser.parse(text[match.end() :])
    return Report(source, meta, _split_sections(blocks, meta, source, strict_preamble=True))


def _front_matter(text: str, source: Path) -> dict[str, str]:
    try:
        # BaseLoader keeps every value a string: a student id like 0012 stays "0012".
        data = yaml.load(text, Loader=yaml.BaseLoader)
    except yaml.YAMLError as error:
        raise UserError(f"{source}: the front matter is not valid YAML: {error}") from error
    if not isinstance(data, dict):
        raise UserError(
            f"{source}: the front matter must be 'key: value' lines, e.g. 'title: ...'."
        )
    return {
        re.sub(r"[\s-]+", "_", str(key).strip().lower()): " ".join(str(value).split())
        for key, value in data.items()
        if isinstance(value, str)
    }


def _checked_meta(meta: dict[str, str], source: Path, required: Sequence[str]) -> dict[str, str]:
    meta = {key: unicodedata.normalize("NFC", value) for key, value in meta.items() if value}
    missing = [key for key in required if not meta.get(key)]
    if missing:
        raise UserError(
            f"{source}: the front matter has no {', '.join(missing)}. It needs "
            f"{', '.join(REQUIRED_KEYS)} (course and project are optional); see "
            f"templates/report.md."
        )
    if "colab" in meta and not re.match(r"https?://\S+$", meta["colab"]):
        raise UserError(
            f"{source}: colab must be the web address of your notebook (Share > Copy link), "
            f"starting with https://, not {meta['colab']!r}."
        )
    return meta


def _read_notebook(source: Path) -> Report:
    try:
        notebook = nbformat.read(source, as_version=4)
    except Exception as error:  # nbformat raises many kinds for a damaged file
        raise UserError(f"{source} is not a readable notebook: {error}") from error
    given = notebook.metadata.get("report")
    meta = {str(k): str(v) for k, v in given.items()} if isinstance(given, dict) else {}
    cells = [
        [number, unicodedata.normalize("NFC", cell.source), cell]
        for number, cell in enumerate(notebook.cells, start=1)
        if cell.cell_type == "markdown"
    ]
    for entry in cells:
        if match := _FRONT_MATTER.match(entry[1]):
            meta = meta or _front_matter(match.group(1), source)
            entry[1] = entry[1][match.end() :]
            break
    # The report starts at the first section heading; the cells before it (the notebook's own
    # title, instructions, pictures) are not part of it, except as a fallback title.
    first = next(
        (i for i, (_, text, _) in enumerate(cells) if any(map(section_of, _headings(text)))),
        len(cells),
    )
    earlier = [heading for _, text, _ in cells[:first] for heading in _headings(text)]
    meta.setdefault("title", earlier[0] if earlier else source.stem.replace("_", " "))
    meta = _checked_meta(meta, source, required=())
    blocks = [
        block
        for number, text, cell in cells[first:]
        for block in _BlockParser(
            source.parent, lambda _, n=number: f"cell {n}", cell.get("attachments")
        ).parse(text)
    ]
    blocks = _with_figures(blocks, list(_notebook_figures(notebook, source)))
    missing = [key for key in REQUIRED_KEYS if key not in meta]
    notes = (
        f"{source}: the title block has no {', '.join(missing)}: start the first markdown cell "
        f"with a '---' front matter block as at the top of templates/report.md",
    )
    sections = _split_sections(blocks, meta, source, strict_preamble=False)
    return Report(source, meta, sections, notes if missing else ())


def _headings(markdown: str) -> list[str]:
    tokens = _MARKDOWN.parse(markdown)
    return [
        inline.content.strip()
        for opening, inline in itertools.pairwise(tokens)
        if opening.type == "heading_open"
    ]


def _with_figures(blocks: list[Block], figures: list[Figure]) -> list[Block]:
    """The blocks with the figures placed at the end of the Data Visualization section."""
    names = [section_of(b.plain) if isinstance(b, Heading) else None for b in blocks]
    if _DATA_VISUALIZATION not in names:
        return blocks
    start = names.index(_DATA_VISUALIZATION)
    end = next((i for i in range(start + 1, len(blocks)) if names[i]), len(blocks))
    return [*blocks[:end], *figures, *blocks[end:]]


def _notebook_figures(notebook: Any, source: Path) -> Iterator[Figure]:
    """PNG outputs of the cells tagged ``figure``, else of the code under Data Visualization."""
    tagged = [
        (n, cell)
        for n, cell in enumerate(notebook.cells, start=1)
        if cell.cell_type == "code" and FIGURE_TAG in cell.metadata.get("tags", [])
    ]
    cells = tagged or list(_cells_under(notebook, _DATA_VISUALIZATION))
    for number, cell in cells:
        images = [
            output["data"]["image/png"]
            for output in cell.get("outputs", [])
            if "image/png" in output.get("data", {})
        ]
        if not images and tagged:
            raise UserError(
                f"{source}: cell {number} is tagged '{FIGURE_TAG}' but has no PNG output: run the "
                f"notebook and save it with its outputs."
            )
        caption = str(cell.metadata.get("caption") or _leading_comment(cell.source))
        for image in images:
            data = _decode_png(image, f"{source} cell {number}")
            yield Figure(data, (Span(caption or f"Output of notebook cell {number}."),))


def _cells_under(notebook: Any, section: str) -> Iterator[tuple[int, Any]]:
    current = None
    for number, cell in enumerate(notebook.cells, start=1):
        if cell.cell_type == "markdown":
            current = next(
                (name for name in reversed(list(map(section_of, _headings(cell.source)))) if name),
                current,
            )
        elif cell.cell_type == "code" and current == section:
            yield number, cell


def _leading_comment(code: str) -> str:
    first = code.lstrip().splitlines()[0] if code.strip() else ""
    return first.lstrip("#").strip() if first.startswith("#") else ""


def _decode_png(data: str | list[str], where: str) -> bytes:
    try:
        return base64.b64decode("".join(data))
    except (binascii.Error, ValueError) as error:
        raise UserError(
            f"{where}: the PNG output is damaged ({error}); run the cell again."
        ) from error


def _split_sections(
    blocks: Sequence[Block], meta: Mapping[str, str], source: Path, strict_preamble: bool
) -> tuple[Section, ...]:
    """Group blocks under the six section headings; UserError lists every section problem."""
    sections: list[tuple[str, str, list[Block]]] = []
    preamble: list[Block] = []
    other_headings: list[Heading] = []
    for block in blocks:
        name = section_of(block.plain) if isinstance(block, Heading) else None
        if name:
            sections.append((name, block.where, []))
            continue
        if isinstance(block, Heading):
            other_headings.append(block)
        if sections:
            sections[-1][2].append(block)
        elif not (isinstance(block, Heading) and block.plain == meta.get("title")):
            preamble.append(block)

    if not sections:
        raise UserError(
            f"{source} has none of the six section headings. A report has the headings "
            f"{_order_text()}, in this order, as Markdown headings ('# Introduction'); start "
            f"from templates/report.md."
        )
    problems = []
    if strict_preamble and preamble:
        first = sections[0] if sections else None
        problems.append(
            f"there is text before the first section{f' ({first[0]}, {first[1]})' if first else ''}"
            f": move it into a section (the report starts with '# {SECTIONS[0]}')"
        )
    places: dict[str, list[str]] = {}
    for name, where, _ in sections:
        places.setdefault(name, []).append(where)
    for name in SECTIONS:
        if name not in places:
            hint = _closest_heading(name, other_headings)
            problems.append(
                f"section '{name}' is missing: add the heading '# {name}'"
                + (f" (is '{hint.plain}' at {hint.where} meant to be it?)" if hint else "")
            )
        elif len(places[name]) > 1:
            problems.append(
                f"section '{name}' appears {len(places[name])} times ({', '.join(places[name])}): "
                f"merge them into one"
            )
    for name in _out_of_order(list(places)):
        problems.append(
            f"section '{name}' ({places[name][0]}) is out of order: the sections go {_order_text()}"
        )
    for name, where, content in sections:
        if not any(not isinstance(block, Heading) for block in content):
            problems.append(f"section '{name}' ({where}) is empty: write it")
    if problems:
        raise UserError(f"{source} cannot be built:\n" + "\n".join(f"  - {p}" for p in problems))
    return tuple(Section(name, where, tuple(content)) for name, where, content in sections)


def _closest_heading(name: str, headings: Sequence[Heading]) -> Heading | None:
    import difflib

    keys = {_heading_key(heading.plain): heading for heading in headings}
    match = difflib.get_close_matches(_heading_key(name), list(keys), n=1, cutoff=0.7)
    return keys[match[0]] if match else None


def _is_display_math(inline: Token) -> bool:
    children = [c for c in inline.children or [] if c.type != "softbreak" and c.content.strip()]
    return len(children) == 1 and children[0].type == "math_display"


class _BlockParser:
    """Turns markdown-it tokens into report blocks; images become figures read from disk."""

    def __init__(self, base: Path, where: Any, attachments: Mapping[str, Any] | None = None):
        self.base = base
        self.where = where
        self.attachments = attachments or {}

    def parse(self, text: str) -> list[Block]:
        blocks, _ = self._blocks(_MARKDOWN.parse(text), 0, None)
        return blocks

    def _blocks(self, tokens: list[Token], i: int, close: str | None) -> tuple[list[Block], int]:
        blocks: list[Block] = []
        while i < len(tokens):
            token = tokens[i]
            kind = token.type
            if kind == close:
                return blocks, i + 1
            if kind == "heading_open":
                line = token.map[0] if token.map else 0
                spans, figures = self._inline(tokens[i + 1])
                blocks.append(Heading(int(token.tag[1]), spans, self.where(line)))
                blocks.extend(figures)
                i += 3
            elif kind == "paragraph_open" and _is_display_math(tokens[i + 1]):
                blocks.append(Equation(tex_spans(tokens[i + 1].children[0].content)))
                i += 3
            elif kind == "paragraph_open":
                spans, figures = self._inline(tokens[i + 1])
                if "".join(span.text for span in spans).strip():
                    blocks.append(Text(spans))
                blocks.extend(figures)
                i += 3
            elif kind in ("bullet_list_open", "ordered_list_open"):
                start = int(token.attrs.get("start", 1))
                items = []
                i += 1
                while tokens[i].type == "list_item_open":
                    item, i = self._blocks(tokens, i + 1, "list_item_close")
                    items.append(tuple(item))
                blocks.append(ListBlock(kind == "ordered_list_open", start, tuple(items)))
                i += 1
            elif kind in ("fence", "code_block"):
                blocks.append(Code(token.content.rstrip("\n")))
                i += 1
            elif kind == "blockquote_open":
                inner, i = self._blocks(tokens, i + 1, "blockquote_close")
                blocks.append(Quote(tuple(inner)))
            elif kind == "table_open":
                table, i = self._table(tokens, i + 1)
                blocks.append(table)
            elif kind == "html_block":
                text = _HTML_TAG.sub(" ", re.sub(r"<!--.*?-->", "", token.content, flags=re.S))
                if text.strip():
                    blocks.append(Text((Span(" ".join(text.split())),)))
                i += 1
            else:  # hr and anything without content of its own
                i += 1
        return blocks, i

    def _table(self, tokens: list[Token], i: int) -> tuple[TableBlock, int]:
        rows: list[list[Inline]] = []
        align: list[str] = []
        while tokens[i].type != "table_close":
            token = tokens[i]
            if token.type == "tr_open":
                rows.append([])
            elif token.type in ("th_open", "td_open"):
                spans, _ = self._inline(tokens[i + 1])
                rows[-1].append(spans)
                if token.type == "th_open":
                    style = str(token.attrs.get("style", ""))
                    align.append(style.removeprefix("text-align:") or "left")
            i += 1
        width = len(align)
        padded = [tuple(row + [()] * (width - len(row))) for row in rows]
        return TableBlock(padded[0], tuple(padded[1:]), tuple(align)), i + 1

    def _inline(self, token: Token) -> tuple[Inline, list[Figure]]:
        spans: list[Span] = []
        figures: list[Figure] = []
        style: dict[str, Any] = {}
        line = token.map[0] if token.map else 0
        for child in token.children or []:
            kind = child.type
            if kind == "text":
                spans.append(Span(child.content, **style))
            elif kind == "code_inline":
                spans.append(Span(child.content, **{**style, "code": True}))
            elif kind == "softbreak":
                spans.append(Span(" ", **style))
            elif kind == "hardbreak":
                spans.append(LINE_BREAK)
            elif kind in ("strong_open", "em_open", "s_open"):
                style[{"strong_open": "bold", "em_open": "italic", "s_open": "strike"}[kind]] = True
            elif kind in ("strong_close", "em_close", "s_close"):
                style.pop({"strong_close": "bold", "em_close": "italic", "s_close": "strike"}[kind])
            elif kind == "link_open":
                style["href"] = str(child.attrs["href"])
            elif kind == "link_close":
                style.pop("href", None)
            elif kind == "image":
                figures.append(self._figure(child, line))
            elif kind in ("math_inline", "math_display"):
                spans.extend(
                    replace(span, href=style.get("href")) for span in tex_spans(child.content)
                )
            elif kind == "html_inline":
                tag = child.content.lower().replace(" ", "")
                if tag in ("<br>", "<br/>"):
                    spans.append(LINE_BREAK)
                elif tag in ("<sub>", "<sup>"):
                    style["script"] = "sub" if tag == "<sub>" else "super"
                elif tag in ("</sub>", "</sup>"):
                    style.pop("script", None)
        return tuple(spans), figures

    def _figure(self, token: Token, line: int) -> Figure:
        src = str(token.attrs.get("src", ""))
        title = str(token.attrs.get("title") or "").strip()
        caption = (Span(title),) if title else self._inline(token)[0]
        where = self.where(line)
        if not "".join(span.text for span in caption).strip():
            raise UserError(
                f"{where}: the figure {src} has no caption: write it as "
                f"![What the figure shows](path/to/figure.png)."
            )
        if src.startswith("attachment:"):
            attachment = self.attachments.get(src.removeprefix("attachment:"), {})
            if "image/png" not in attachment:
                raise UserError(f"{where}: the PNG attachment {src} is not in the notebook.")
            data = _decode_png(attachment["image/png"], where)
        elif re.match(r"[a-z]+://", src):
            raise UserError(
                f"{where}: the figure {src} is a web address; save the image beside the report "
                f"and reference the file (figures/name.png)."
            )
        else:
            path = self.base / src
            if not path.is_file():
                raise UserError(f"{where}: the figure {src} was not found (looked for {path}).")
            data = path.read_bytes()
        try:
            with PILImage.open(io.BytesIO(data)) as image:
                image.verify()
        except (UnidentifiedImageError, OSError, SyntaxError) as error:
            raise UserError(
                f"{where}: {src} is not a PNG or JPEG image (an SVG or PDF figure cannot be "
                f"embedded); save it as PNG, e.g. plt.savefig('figures/name.png', dpi=200)."
            ) from error
        return Figure(data, caption)


_CITATION = re.compile(r"\[(\d+(?:\s*[,\u2013-]\s*\d+)*)\]")


def _check_citations(report: Report) -> None:
    count = len(_references(report))
    groups = [
        [int(number) for number in re.findall(r"\d+", group)]
        for section in report.sections
        if section.name != _REFERENCES
        for span in _all_spans(section.blocks)
        if not span.code
        for group in _CITATION.findall(span.text)
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


def _all_spans(blocks: Iterable[Block]) -> Iterator[Span]:
    for block in blocks:
        if isinstance(block, Text | Heading | Equation):
            yield from block.spans
        elif isinstance(block, ListBlock):
            for item in block.items:
                yield from _all_spans(item)
        elif isinstance(block, Quote):
            yield from _all_spans(block.blocks)
        elif isinstance(block, TableBlock):
            for row in (block.header, *block.rows):
                for cell in row:
                    yield from cell
        elif isinstance(block, Code):
            yield Span(block.text, code=True)


_MANUAL_NUMBER = re.compile(r"^\s*(?:\[\d+\]|\d+[.)])\s*")


def _references(report: Report) -> list[Inline]:
    """One entry per list item or paragraph of References, without any hand-written number."""
    entries: list[Inline] = []
    for block in report.section(_REFERENCES).blocks:
        items = block.items if isinstance(block, ListBlock) else ((block,),)
        for item in items:
            spans = tuple(
                span for text in item if isinstance(text, Text) for span in (*text.spans, Span(" "))
            )
            if spans:
                first = replace(spans[0], text=_MANUAL_NUMBER.sub("", spans[0].text))
                entries.append((first, *spans[1:]))
    return entries


# --------------------------------------------------------------------------------------------
# Layout: from roomy to tight, body text never under MIN_BODY_SIZE.


@dataclass(frozen=True)
class Layout:
    body_size: float  # pt
    leading: float  # line height / font size
    spacing: float  # space around blocks, in units of the body size
    figure_height: float  # largest figure height, as a fraction of the text height
    margin: float  # cm

    def describe(self) -> str:
        return f"{self.body_size:g} pt text"


_ROOMY = Layout(body_size=10.5, leading=1.3, spacing=0.6, figure_height=0.34, margin=2.2)
_TIGHT = Layout(body_size=MIN_BODY_SIZE, leading=1.15, spacing=0.22, figure_height=0.2, margin=1.5)
_STEPS = 8


def _blend(t: float) -> Layout:
    def mix(a: float, b: float) -> float:
        return a + (b - a) * t

    return Layout(
        body_size=round(mix(_ROOMY.body_size, _TIGHT.body_size) * 4) / 4,
        leading=mix(_ROOMY.leading, _TIGHT.leading),
        spacing=mix(_ROOMY.spacing, _TIGHT.spacing),
        figure_height=mix(_ROOMY.figure_height, _TIGHT.figure_height),
        margin=mix(_ROOMY.margin, _TIGHT.margin),
    )


LAYOUTS: tuple[Layout, ...] = tuple(_blend(k / (_STEPS - 1)) for k in range(_STEPS))


# --------------------------------------------------------------------------------------------
# Typesetting one layout.


@dataclass(frozen=True)
class Typeset:
    pdf: bytes = field(repr=False)
    pages: int
    layout: Layout
    overflow: float  # pt of content past the last allowed page (0 when it fits)
    words_per_pt: float  # body words per pt of text height, to turn overflow into words


class _Typesetter:
    """Turns a Report into platypus flowables for one layout and paper."""

    def __init__(self, report: Report, layout: Layout, paper: tuple[float, float]) -> None:
        self.report = report
        self.layout = layout
        self.paper = paper
        self.fonts = fonts()
        self.serif = self.fonts.family(SERIF)
        self.mono = self.fonts.family(MONO)
        self.margin = layout.margin * cm
        self.width = paper[0] - 2 * self.margin
        self.height = paper[1] - 2 * self.margin
        self.figure_count = 0
        size = layout.body_size
        gap = size * layout.spacing
        self.body = ParagraphStyle(
            "body",
            fontName=self.serif,
            fontSize=size,
            leading=size * layout.leading,
            alignment=TA_JUSTIFY,
            spaceAfter=gap,
            allowWidows=0,
            allowOrphans=0,
        )
        self.item = ParagraphStyle("item", parent=self.body, spaceAfter=gap * 0.3)
        self.small = ParagraphStyle(
            "small",
            parent=self.body,
            fontSize=max(MIN_BODY_SIZE, size - 1),
            leading=max(MIN_BODY_SIZE, size - 1) * layout.leading,
            spaceAfter=0,
        )
        self.caption = ParagraphStyle("caption", parent=self.small, alignment=TA_CENTER)
        self.equation = ParagraphStyle(
            "equation",
            parent=self.body,
            alignment=TA_CENTER,
            leading=size * (layout.leading + 0.25),
            spaceBefore=gap * 0.3,
        )
        self.table_caption = ParagraphStyle(
            "table-caption",
            parent=self.caption,
            spaceBefore=gap * 0.5,
            spaceAfter=gap * 0.6,
        )
        self.reference = ParagraphStyle(
            "reference",
            parent=self.small,
            alignment=TA_LEFT,
            leftIndent=2.1 * size,
            bulletIndent=0,
            spaceAfter=gap * 0.3,
            bulletFontName=self.serif,
        )
        code_size = max(8.0, size - 1.5)
        self.code = ParagraphStyle(
            "code",
            fontName=self.mono,
            fontSize=code_size,
            leading=code_size * 1.25,
            backColor=colors.HexColor("#f4f4f4"),
            borderPadding=(3, 4, 3, 4),
            spaceBefore=gap * 0.5 + 3,
            spaceAfter=gap + 3,
        )
        self.section_heading = ParagraphStyle(
            "section",
            parent=self.body,
            fontName=self.serif,
            fontSize=size * 1.2,
            leading=size * 1.5,
            alignment=TA_LEFT,
            spaceBefore=gap * 2.2,
            spaceAfter=gap * 1.1,
        )
        self.subheading = ParagraphStyle(
            "subsection",
            parent=self.section_heading,
            fontSize=size * 1.05,
            leading=size * 1.3,
            spaceBefore=gap * 1.4,
            spaceAfter=gap * 0.6,
        )
        self.title = ParagraphStyle(
            "title",
            parent=self.body,
            fontSize=size * 1.65,
            leading=size * 2.0,
            alignment=TA_CENTER,
            spaceAfter=size * 0.6,
        )
        self.byline = ParagraphStyle(
            "byline", parent=self.body, alignment=TA_CENTER, spaceAfter=size * 0.15
        )
        self._shaped_styles: dict[str, ParagraphStyle] = {}

    # ---- inline text

    def markup(self, spans: Iterable[Span], size: float) -> tuple[str, bool]:
        """ReportLab paragraph markup for spans, and whether it needs HarfBuzz shaping."""
        spans = list(spans)
        shaping = any(
            self.fonts.needs_shaping(span.text, MONO if span.code else SERIF) for span in spans
        )
        parts = []
        for span in spans:
            if span == LINE_BREAK:
                parts.append("<br/>")
                continue
            primary = MONO if span.code else SERIF
            text = self.fonts.markup(span.text, primary, shaping, span.bold, span.italic)
            if span.code:
                text = f'<font name="{self.mono}" size="{size * 0.9:.2f}">{text}</font>'
            for flag, tag in ((span.bold, "b"), (span.italic, "i"), (span.strike, "strike")):
                if flag:
                    text = f"<{tag}>{text}</{tag}>"
            if span.script:
                rise = size * (0.2 if span.script == "sub" else 0.38)
                text = (
                    f'<{span.script} rise="{rise:.2f}" size="{size * 0.72:.2f}">{text}'
                    f"</{span.script}>"
                )
            if span.href:
                text = f'<a href={quoteattr(span.href)} color="{_LINK_COLOR.hexval()}">{text}</a>'
            parts.append(text)
        return "".join(parts), shaping

    def paragraph(self, spans: Iterable[Span], style: ParagraphStyle, **kwargs: Any) -> Paragraph:
        text, shaped = self.markup(spans, style.fontSize)
        return Paragraph(text, self._shaped(style) if shaped else style, **kwargs)

    def _shaped(self, style: ParagraphStyle) -> ParagraphStyle:
        if style.name not in self._shaped_styles:
            self._shaped_styles[style.name] = shaped(style)
        return self._shaped_styles[style.name]

    # ---- the document

    def flowables(self) -> list[Flowable]:
        story = self.title_block()
        for section in self.report.sections:
            story.extend(self.heading([Span(section.name, bold=True)], self.section_heading))
            if section.name == _REFERENCES:
                story.extend(self.references())
            else:
                story.extend(self.blocks(section.blocks))
        return story

    def heading(self, spans: Iterable[Span], style: ParagraphStyle) -> list[Flowable]:
        """A heading that starts a new page unless a few lines of what follows fit under it.

        Not keepWithNext: that moves the heading and the whole next block (a long paragraph,
        table or code listing) to the next page, and the page left behind is wasted.
        """
        room = style.spaceBefore + style.leading + style.spaceAfter + 3 * self.body.leading
        return [CondPageBreak(room), self.paragraph(spans, style)]

    def title_block(self) -> list[Flowable]:
        meta = self.report.meta
        story: list[Flowable] = [self.paragraph([Span(meta["title"], bold=True)], self.title)]
        byline = [
            (Span(meta["author"]),) if meta.get("author") else (),
            (Span("Student ID: "), Span(meta["student_id"])) if meta.get("student_id") else (),
        ]
        separator = (Span("\u2002\u00b7\u2002"),)
        spans = [span for part in _joined([p for p in byline if p], separator) for span in part]
        if spans:
            story.append(self.paragraph(spans, self.byline))
        course = "\u2002\u00b7\u2002".join(
            meta[key] for key in ("course", "project") if meta.get(key)
        )
        if course:
            story.append(self.paragraph([Span(course, italic=True)], self.byline))
        if meta.get("colab"):
            story.append(
                self.paragraph(
                    [Span("Colab notebook: "), Span(meta["colab"], href=meta["colab"])],
                    ParagraphStyle("link", parent=self.byline, fontSize=self.small.fontSize),
                )
            )
        story.append(Spacer(1, self.body.fontSize * 0.3))
        story.append(
            HRFlowable(
                width="100%",
                thickness=0.6,
                color=_RULE_COLOR,
                spaceBefore=2,
                spaceAfter=self.body.fontSize * 0.2,
            )
        )
        return story

    def blocks(self, blocks: Sequence[Block], item: bool = False) -> list[Flowable]:
        story: list[Flowable] = []
        pending: list[Figure] = []
        for i, block in enumerate([*blocks, None]):
            if isinstance(block, Figure):
                pending.append(block)
                continue
            story.extend(self.figures(pending))
            pending = []
            if isinstance(block, Text) and _is_table_caption(blocks, i):
                story.extend(self.heading(block.spans, self.table_caption))
            elif isinstance(block, Text):
                story.append(self.paragraph(block.spans, self.item if item else self.body))
            elif isinstance(block, Heading):
                story.extend(
                    self.heading([replace(s, bold=True) for s in block.spans], self.subheading)
                )
            elif isinstance(block, ListBlock):
                story.append(self.list(block))
            elif isinstance(block, Code):
                story.append(self.code_block(block.text))
            elif isinstance(block, TableBlock):
                story.append(self.table(block))
            elif isinstance(block, Equation):
                story.append(self.paragraph(block.spans, self.equation))
            elif isinstance(block, Quote):
                indent = self.body.fontSize * 1.5
                story.extend(
                    [
                        Indenter(indent, indent),
                        *self.blocks(block.blocks),
                        Indenter(-indent, -indent),
                    ]
                )
        return story

    def list(self, block: ListBlock) -> ListFlowable:
        size = self.body.fontSize
        items = [ListItem(self.blocks(item, item=True) or [Spacer(1, 1)]) for item in block.items]
        options: dict[str, Any] = (
            {"bulletType": "1", "start": block.start, "bulletFormat": "%s."}
            if block.ordered
            else {"bulletType": "bullet", "start": "\u2022"}
        )
        return ListFlowable(
            items,
            leftIndent=size * 1.6,
            bulletFontName=self.serif,
            bulletFontSize=size,
            spaceAfter=self.body.spaceAfter * 0.6,
            **options,
        )

    def code_block(self, code: str) -> XPreformatted:
        return code_block(code, self.code, self.width - 8)

    def table(self, block: TableBlock) -> Table:
        size = self.small.fontSize
        aligns = {"left": TA_LEFT, "center": TA_CENTER, "right": TA_RIGHT}
        styles = [
            ParagraphStyle(f"cell{a}", parent=self.small, alignment=aligns.get(a, TA_LEFT))
            for a in block.align
        ]
        rows = [
            [
                self.paragraph([replace(s, bold=True) for s in cell], style)
                for cell, style in zip(block.header, styles, strict=True)
            ],
            *(
                [self.paragraph(cell, style) for cell, style in zip(row, styles, strict=True)]
                for row in block.rows
            ),
        ]
        natural = [
            max(
                pdfmetrics.stringWidth("".join(s.text for s in cell), f"{self.serif}-Bold", size)
                for cell in column
            )
            + size * 1.4
            for column in zip(block.header, *block.rows, strict=True)
        ]
        table = Table(rows, colWidths=_fit_columns(natural, self.width), repeatRows=1)
        table.setStyle(
            TableStyle(
                [
                    ("FONTNAME", (0, 0), (-1, -1), self.serif),
                    ("LINEABOVE", (0, 0), (-1, 0), 0.9, colors.black),
                    ("LINEBELOW", (0, 0), (-1, 0), 0.5, colors.black),
                    ("LINEBELOW", (0, -1), (-1, -1), 0.9, colors.black),
                    ("VALIGN", (0, 0), (-1, -1), "TOP"),
                    ("TOPPADDING", (0, 0), (-1, -1), 1.5),
                    ("BOTTOMPADDING", (0, 0), (-1, -1), 2.5),
                ]
            )
        )
        table.spaceBefore = self.body.spaceAfter * 0.5
        table.spaceAfter = self.body.spaceAfter * 1.5
        return table

    def figures(self, figures: Sequence[Figure]) -> list[Flowable]:
        """Figures one per row, or two side by side when they come together."""
        story: list[Flowable] = []
        for row in (figures[i : i + 2] for i in range(0, len(figures), 2)):
            width = self.width * (0.9 if len(row) == 1 else 0.48)
            cells = [self.figure_cell(figure, width) for figure in row]
            if len(row) == 1:
                story.append(KeepTogether(cells[0]))
            else:
                table = Table([cells], colWidths=[self.width / 2] * 2)
                table.setStyle(
                    TableStyle(
                        [
                            ("FONTNAME", (0, 0), (-1, -1), self.serif),
                            ("VALIGN", (0, 0), (-1, -1), "TOP"),
                            ("LEFTPADDING", (0, 0), (-1, -1), 2),
                            ("RIGHTPADDING", (0, 0), (-1, -1), 2),
                        ]
                    )
                )
                story.append(table)
            story.append(Spacer(1, self.body.spaceAfter))
        return story

    def figure_cell(self, figure: Figure, max_width: float) -> list[Flowable]:
        self.figure_count += 1
        pixels_wide, pixels_high = ImageReader(io.BytesIO(figure.image)).getSize()
        max_height = self.height * self.layout.figure_height
        scale = min(max_width / pixels_wide, max_height / pixels_high)
        image = Image(io.BytesIO(figure.image), pixels_wide * scale, pixels_high * scale)
        caption = [Span(f"Figure {self.figure_count}. ", bold=True), *figure.caption]
        caption_text = "".join(span.text for span in caption)
        style = self.caption
        if pdfmetrics.stringWidth(caption_text, self.serif, style.fontSize) > max_width:
            style = ParagraphStyle("caption-long", parent=self.caption, alignment=TA_JUSTIFY)
        return [
            Spacer(1, self.body.spaceAfter * 0.5),
            image,
            Spacer(1, self.body.fontSize * 0.4),
            self.paragraph(caption, style),
        ]

    def references(self) -> list[Flowable]:
        return [
            self.paragraph(entry, self.reference, bulletText=f"[{number}]")
            for number, entry in enumerate(_references(self.report), start=1)
        ]

    # ---- pages

    def build(self) -> Typeset:
        buffer = io.BytesIO()
        meta = self.report.meta
        document = BaseDocTemplate(
            buffer,
            pagesize=self.paper,
            leftMargin=self.margin,
            rightMargin=self.margin,
            topMargin=self.margin,
            bottomMargin=self.margin,
            title=meta["title"],
            author=meta.get("author", ""),
            subject=" \u00b7 ".join(meta[k] for k in ("course", "project") if meta.get(k)),
            creator="grader report (ReportLab)",
            initialFontName=self.serif,
        )
        frame = Frame(
            self.margin,
            self.margin,
            self.width,
            self.height,
            id="text",
            leftPadding=0,
            rightPadding=0,
            topPadding=0,
            bottomPadding=0,
        )
        free: list[float] = []  # space left at the bottom of each page

        def page_end(canvas: Any, document: BaseDocTemplate) -> None:
            free.append(document.frame._y - document.frame._y1p)

        document.addPageTemplates(
            PageTemplate("page", [frame], onPage=self._page_number, onPageEnd=page_end)
        )
        document.build(self.flowables())
        # What spills past the last page, less the gap a figure or table too tall to fit left
        # at the bottom of it: shortening the text by that much pulls everything back.
        spilled = sum(self.height - gap for gap in free[MAX_PAGES:])
        overflow = max(0.0, spilled - free[MAX_PAGES - 1]) if spilled else 0.0
        return Typeset(
            buffer.getvalue(), document.page, self.layout, overflow, self._words_per_pt()
        )

    def _page_number(self, canvas: Any, document: BaseDocTemplate) -> None:
        canvas.saveState()
        canvas.setFont(self.serif, MIN_BODY_SIZE)
        canvas.drawCentredString(self.paper[0] / 2, self.margin / 2, str(document.page))
        canvas.restoreState()

    def _words_per_pt(self) -> float:
        words = " ".join(
            span.text
            for section in self.report.sections
            for span in _all_spans(section.blocks)
            if not span.code
        ).split()
        if len(words) < 200:  # too little of the student's own prose to measure: use ours
            words = _TYPICAL_PROSE.split()
        width = pdfmetrics.stringWidth(" ".join(words) + " ", self.serif, self.body.fontSize)
        return (self.width / (width / len(words))) / self.body.leading


def _joined(parts: Sequence[Inline], separator: Inline) -> list[Inline]:
    return [item for i, part in enumerate(parts) for item in ((separator, part) if i else (part,))]


_TYPICAL_PROSE = (
    "The forget gate decides how much of the previous cell state is kept at each step, so the "
    "gradient can flow back through many time steps without vanishing or exploding."
)
_TABLE_CAPTION = re.compile(r"\s*Table\s+\d+\s*[.:]")


def _is_table_caption(blocks: Sequence[Block], i: int) -> bool:
    """A paragraph 'Table N. ...' right before or after a table is that table's caption."""
    block = blocks[i]
    return (
        isinstance(block, Text)
        and bool(_TABLE_CAPTION.match("".join(span.text for span in block.spans)))
        and any(0 <= j < len(blocks) and isinstance(blocks[j], TableBlock) for j in (i - 1, i + 1))
    )


def _fit_columns(natural: Sequence[float], width: float) -> list[float]:
    """Column widths: natural widths when they fit, else narrow columns kept, wide ones shared."""
    if sum(natural) <= width:
        return list(natural)
    widths = list(natural)
    fixed: set[int] = set()
    while True:
        share = (width - sum(widths[i] for i in fixed)) / (len(widths) - len(fixed))
        narrow = {i for i, w in enumerate(natural) if i not in fixed and w <= share}
        if not narrow:
            return [widths[i] if i in fixed else share for i in range(len(widths))]
        fixed |= narrow


# --------------------------------------------------------------------------------------------
# Public API.


def typeset(report: Report, paper: str = "a4") -> Typeset:
    """The roomiest layout that fits on two pages; ReportDoesNotFit with the overflow if none."""
    paper = paper.lower()
    if paper not in PAPERS:
        raise UserError(f"paper must be one of {', '.join(PAPERS)}, not {paper!r}.")
    text = " ".join(
        [
            *report.meta.values(),
            *(s.text for sec in report.sections for s in _all_spans(sec.blocks)),
        ]
    )
    missing = fonts().missing(text, SERIF)
    if missing:
        listed = ", ".join(f"{ch!r} (U+{ord(ch):04X})" for ch in sorted(missing))
        raise UserError(
            f"{report.source}: no installed font can draw {listed}; replace or remove "
            f"{'it' if len(missing) == 1 else 'them'}."
        )

    def attempt(layout: Layout) -> Typeset:
        try:
            return _Typesetter(report, layout, PAPERS[paper]).build()
        except LayoutError as error:
            raise UserError(
                f"{report.source}: a block is taller than a page even with "
                f"{layout.describe()} (a huge table cell, list or quote?): split it."
            ) from error

    roomiest = attempt(LAYOUTS[0])
    if roomiest.pages <= MAX_PAGES:
        return roomiest
    tightest = attempt(LAYOUTS[-1])
    if tightest.pages > MAX_PAGES:
        words = max(10, math.ceil(tightest.overflow * tightest.words_per_pt / 10) * 10)
        raise ReportDoesNotFit(
            f"{report.source} does not fit on two pages, even with {tightest.layout.describe()}, "
            f"tight spacing and small figures: about {words} words over two pages. Shorten it by "
            f"about {words} words (or the same space of code, tables or figures) and build again; "
            f"nothing was written.",
            words,
        )
    # The roomiest layout between them that fits: fewer pages as the layout tightens.
    fits, low, high = tightest, 0, len(LAYOUTS) - 1  # LAYOUTS[low] overflows, LAYOUTS[high] fits
    while high - low > 1:
        middle = (low + high) // 2
        result = attempt(LAYOUTS[middle])
        if result.pages <= MAX_PAGES:
            fits, high = result, middle
        else:
            low = middle
    return fits


def build_report(source: Path, output: Path, paper: str = "a4") -> Path:
    """Build the two-page report PDF of ``source`` at ``output``; nothing is written on error."""
    result = typeset(read_report(Path(source)), paper)
    return _write_atomically(Path(output), result.pdf)


def _write_atomically(output: Path, data: bytes) -> Path:
    output.parent.mkdir(parents=True, exist_ok=True)
    handle, temporary = tempfile.mkstemp(
        dir=output.parent, prefix=f".{output.name}.", suffix=".part"
    )
    try:
        with os.fdopen(handle, "wb") as file:
            file.write(data)
        os.replace(temporary, output)
    except BaseException:
        Path(temporary).unlink(missing_ok=True)
        raise
    return output


def check_pdf(path: Path) -> list[str]:
    """Problems of a report PDF made with any tool: at most two pages, the six section headings
    in order, extractable text. An empty list means the PDF passes. Never raises."""
    path = Path(path)
    if not path.is_file():
        return [f"{path}: no such file"]
    try:
        count, pages = _pdf_text(path)
    except Exception as error:  # any damage in a PDF from the wild is a finding, not a crash
        return [f"{path}: not a readable PDF ({type(error).__name__}: {error})"]
    problems = []
    if not count:
        return [f"{path}: the PDF has no pages"]
    if count > MAX_PAGES:
        problems.append(f"{path}: {count} pages; the report must fit on {MAX_PAGES} pages")
    if not "".join(pages).strip():
        problems.append(
            f"{path}: no text can be extracted (a scan or an image of the pages?): export the PDF "
            f"from your editor (Word, LaTeX, Google Docs: File > Download > PDF)"
        )
        return problems
    problems.extend(f"{path}: {problem}" for problem in _heading_problems(pages))
    return problems


def _pdf_text(path: Path, read_pages: int = 10) -> tuple[int, list[str]]:
    """The page count, and the text of the first pages (enough to find the headings)."""
    logging.getLogger("pypdf").setLevel(logging.ERROR)  # damaged-file chatter is reported by us
    reader = PdfReader(path)
    if reader.is_encrypted and not reader.decrypt(""):
        raise ValueError("the PDF is encrypted with a password; save it without one")
    pages = reader.pages
    return len(pages), [pages[i].extract_text() or "" for i in range(min(len(pages), read_pages))]


def _heading_problems(pages: Sequence[str]) -> list[str]:
    """Find the six headings in order as lines, or runs of up to three lines, of the text."""
    lines = [
        (number, line)
        for number, text in enumerate(pages, start=1)
        for line in text.splitlines()
        if line.strip()
    ]
    found: dict[str, list[int]] = {}
    for i in range(len(lines)):
        for span in (1, 2, 3):
            name = section_of(" ".join(line for _, line in lines[i : i + span]))
            if name:
                found.setdefault(name, []).append(i)
                break
    problems = []
    position = -1
    for name in SECTIONS:
        if name not in found:
            problems.append(f"section '{name}' not found: add a heading '{name}'")
            continue
        later = [i for i in found[name] if i > position]
        if later:
            position = later[0]
        else:
            page = lines[found[name][0]][0]
            problems.append(
                f"section '{name}' (page {page}) is out of order: the sections go {_order_text()}"
            )
    return problems


def cli(args: Any) -> int:
    """`grader report SOURCE [-o PDF] [--paper a4|letter]` or `grader report --check PDF`."""
    source = Path(args.source)
    if args.check:
        problems = check_pdf(source)
        for problem in problems:
            print(problem)
        if not problems:
            print(f"{source}: OK (at most {MAX_PAGES} pages, the six sections in order)")
        return 1 if problems else 0
    output = Path(args.output) if args.output else source.with_suffix(".pdf")
    report = read_report(source)
    for note in report.notes:
        print(f"note: {note}", file=sys.stderr)
    result = typeset(report, args.paper)
    _write_atomically(output, result.pdf)
    print(
        f"wrote {output}: {result.pages} page{'s' if result.pages > 1 else ''}, "
        f"{args.paper.upper()}, {result.layout.describe()}"
    )
    return 0
