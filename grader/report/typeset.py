"""Typesetting one layout: a Report becomes platypus flowables on two-column-free pages with a
title block, sections, figures with captions, tables, numbered references and page numbers."""

from __future__ import annotations

import builtins
import io
import re
from collections.abc import Iterable, Sequence
from dataclasses import replace
from typing import Any

from reportlab.lib import colors
from reportlab.lib.enums import TA_JUSTIFY
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
    ListFlowable,
    ListItem,
    PageTemplate,
    Paragraph,
    Spacer,
    Table,
    TableStyle,
    XPreformatted,
)

from grader.limits import REPORT
from grader.pdf.fonts import MONO, SERIF, code_block, extractable, fonts, shaped
from grader.report.document import (
    Block,
    Code,
    Equation,
    Figure,
    Heading,
    Inline,
    ListBlock,
    Quote,
    Report,
    TableBlock,
    Text,
    all_spans,
    references,
)
from grader.report.formulas import MathCanvas
from grader.report.inline import LINE_BREAK, Span
from grader.report.layout import Layout, Typeset
from grader.report.markup import markup
from grader.report.sections import REFERENCES
from grader.report.styles import styles
from grader.report.tables import table

_RULE_COLOR = colors.HexColor("#444444")

REPORT_LANGUAGE = "en"  # the course is taught, and its reports written, in English


class Typesetter:
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
        self.style = styles(layout, self.serif, self.mono)
        self.figure_count = 0
        self._variants: dict[tuple[str, bool, bool], ParagraphStyle] = {}

    # ---- inline text

    def markup(self, spans: Iterable[Span], size: float, display: bool = False) -> tuple[str, bool]:
        """ReportLab paragraph markup for spans, and whether it needs HarfBuzz shaping."""
        return markup(list(spans), size, self.fonts, display)

    def paragraph(self, spans: Iterable[Span], style: ParagraphStyle, **kwargs: Any) -> Paragraph:
        spans = list(spans)
        display = style is self.style.equation
        text, shaping = self.markup(spans, style.fontSize, display)
        has_math = any(span.math for span in spans)
        style = self._variant(style, shaping, has_math)
        if shaping:  # extractable as its text, not as shaped glyphs in drawing order
            plain = "".join(" " if span == LINE_BREAK else span.text for span in spans)
            return extractable(text, style, plain, **kwargs)
        return Paragraph(text, style, **kwargs)

    def _variant(self, style: ParagraphStyle, shaping: bool, has_math: bool) -> ParagraphStyle:
        """The style shaped by HarfBuzz for complex scripts, and with lines as tall as their
        formulas need."""
        key = (style.name, shaping, has_math)
        if key not in self._variants:
            variant = shaped(style) if shaping else style
            if has_math:
                variant = ParagraphStyle(f"{variant.name}-math", parent=variant, autoLeading="max")
            self._variants[key] = variant
        return self._variants[key]

    # ---- the document

    def flowables(self) -> list[Flowable]:
        story = self.title_block()
        for section in self.report.sections:
            before_figure = bool(section.blocks) and isinstance(section.blocks[0], Figure)
            story.extend(
                self.heading(
                    [Span(section.name, bold=True)], self.style.section_heading, before_figure
                )
            )
            if section.name == REFERENCES:
                story.extend(self.references())
            else:
                story.extend(self.blocks(section.blocks))
        return story

    def heading(
        self, spans: Iterable[Span], style: ParagraphStyle, before_figure: bool = False
    ) -> list[Flowable]:
        """A heading that starts a new page unless a few lines of what follows fit under it.

        Not keepWithNext before text: that moves the heading and the whole next block (a long
        paragraph, table or code listing) to the next page, and the page left behind is wasted.
        A figure cannot be split, so a heading ``before_figure`` goes where the figure goes.
        """
        room = style.spaceBefore + style.leading + style.spaceAfter + 3 * self.style.body.leading
        heading = self.paragraph(spans, style)
        heading.keepWithNext = before_figure
        return [CondPageBreak(room), heading]

    def title_block(self) -> list[Flowable]:
        meta = self.report.meta
        title = [replace(span, bold=True) for span in self.report.title or (Span(meta["title"]),)]
        story: list[Flowable] = [self.paragraph(title, self.style.title)]
        byline = [
            (Span(meta["author"]),) if meta.get("author") else (),
            (Span("Student ID: "), Span(meta["student_id"])) if meta.get("student_id") else (),
            (Span(meta["email"], href=f"mailto:{meta['email']}"),) if meta.get("email") else (),
        ]
        separator = (Span("\u2002\u00b7\u2002"),)
        spans = [span for part in _joined([p for p in byline if p], separator) for span in part]
        if spans:
            story.append(self.paragraph(spans, self.style.byline))
        course = "\u2002\u00b7\u2002".join(
            meta[key] for key in ("course", "project") if meta.get(key)
        )
        if course:
            story.append(self.paragraph([Span(course, italic=True)], self.style.byline))
        if meta.get("colab"):
            story.append(
                self.paragraph(
                    [Span("Colab notebook: "), Span(meta["colab"], href=meta["colab"])],
                    ParagraphStyle(
                        "link", parent=self.style.byline, fontSize=self.style.small.fontSize
                    ),
                )
            )
        story.append(Spacer(1, self.style.body.fontSize * 0.3))
        story.append(
            HRFlowable(
                width="100%",
                thickness=0.6,
                color=_RULE_COLOR,
                spaceBefore=2,
                spaceAfter=self.style.body.fontSize * 0.2,
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
                story.extend(self.heading(block.spans, self.style.table_caption))
            elif isinstance(block, Text):
                story.append(
                    self.paragraph(block.spans, self.style.item if item else self.style.body)
                )
            elif isinstance(block, Heading):
                before_figure = i + 1 < len(blocks) and isinstance(blocks[i + 1], Figure)
                spans = [replace(s, bold=True) for s in block.spans]
                story.extend(self.heading(spans, self.style.subheading, before_figure))
            elif isinstance(block, ListBlock):
                story.append(self.list(block))
            elif isinstance(block, Code):
                story.append(self.code_block(block.text))
            elif isinstance(block, TableBlock):
                story.append(table(self, block))
            elif isinstance(block, Equation):
                story.append(self.paragraph(block.spans, self.style.equation))
            elif isinstance(block, Quote):
                indent = self.style.body.fontSize * 1.5
                story.extend(
                    [
                        Indenter(indent, indent),
                        *self.blocks(block.blocks),
                        Indenter(-indent, -indent),
                    ]
                )
        return story

    def list(self, block: ListBlock) -> ListFlowable:
        size = self.style.body.fontSize
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
            spaceAfter=self.style.body.spaceAfter * 0.6,
            **options,
        )

    def code_block(self, code: str) -> XPreformatted:
        return code_block(code, self.style.code, self.width - 8)

    def figures(self, figures: Sequence[Figure]) -> builtins.list[Flowable]:
        """Figures one per row, or two side by side when they come together."""
        story: list[Flowable] = []
        for row in (figures[i : i + 2] for i in range(0, len(figures), 2)):
            width = self.width * (0.9 if len(row) == 1 else 0.48)
            cells = [self.figure_cell(figure, width) for figure in row]
            if len(row) == 1:
                # kept together by keepWithNext rather than in a KeepTogether, so that a heading
                # before it joins the same group: a KeepTogether inside another counts as no height
                for part in cells[0][:-1]:
                    part.keepWithNext = True
                story.extend(cells[0])
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
            story.append(Spacer(1, self.style.body.spaceAfter))
        return story

    def figure_cell(self, figure: Figure, max_width: float) -> builtins.list[Flowable]:
        self.figure_count += 1
        pixels_wide, pixels_high = ImageReader(io.BytesIO(figure.image)).getSize()
        max_height = self.height * self.layout.figure_height
        scale = min(max_width / pixels_wide, max_height / pixels_high)
        image = Image(io.BytesIO(figure.image), pixels_wide * scale, pixels_high * scale)
        caption = [Span(f"Figure {self.figure_count}. ", bold=True), *figure.caption]
        caption_text = "".join(span.text for span in caption)
        style = self.style.caption
        if pdfmetrics.stringWidth(caption_text, self.serif, style.fontSize) > max_width:
            style = ParagraphStyle("caption-long", parent=self.style.caption, alignment=TA_JUSTIFY)
        return [
            Spacer(1, self.style.body.spaceAfter * 0.5),
            image,
            Spacer(1, self.style.body.fontSize * 0.4),
            self.paragraph(caption, style),
        ]

    def references(self) -> builtins.list[Flowable]:
        return [
            self.paragraph(entry, self.style.reference, bulletText=f"[{number}]")
            for number, entry in enumerate(references(self.report), start=1)
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
            title="".join(span.text for span in self.report.title) or meta["title"],
            author=meta.get("author", ""),
            subject=" \u00b7 ".join(meta[k] for k in ("course", "project") if meta.get(k)),
            creator="grader report (ReportLab)",
            # A screen reader picks its voice by the language and a viewer shows the title,
            # not the file name (PDF/UA, WCAG 3.1.1 and 2.4.2): reports are written in English.
            lang=REPORT_LANGUAGE,
            displayDocTitle=True,
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
        document.build(self.flowables(), canvasmaker=MathCanvas)
        # What spills past the last page, less the gap a figure or table too tall to fit left
        # at the bottom of it: shortening the text by that much pulls everything back.
        spilled = sum(self.height - gap for gap in free[REPORT.max_pages :])
        overflow = max(0.0, spilled - free[REPORT.max_pages - 1]) if spilled else 0.0
        return Typeset(
            buffer.getvalue(), document.page, self.layout, overflow, self._words_per_pt()
        )

    def _page_number(self, canvas: Any, document: BaseDocTemplate) -> None:
        canvas.saveState()
        canvas.setFont(self.serif, REPORT.min_body_pt)
        canvas.drawCentredString(self.paper[0] / 2, self.margin / 2, str(document.page))
        canvas.restoreState()

    def _words_per_pt(self) -> float:
        words = " ".join(
            span.text
            for section in self.report.sections
            for span in all_spans(section.blocks)
            if not span.code
        ).split()
        if len(words) < 200:  # too little of the student's own prose to measure: use ours
            words = _TYPICAL_PROSE.split()
        width = pdfmetrics.stringWidth(" ".join(words) + " ", self.serif, self.style.body.fontSize)
        return (self.width / (width / len(words))) / self.style.body.leading


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
