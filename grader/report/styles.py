"""The paragraph styles of one layout: sizes, leading and spacing all follow the body size."""

from __future__ import annotations

from dataclasses import dataclass

from reportlab.lib import colors
from reportlab.lib.enums import TA_CENTER, TA_JUSTIFY, TA_LEFT
from reportlab.lib.styles import ParagraphStyle

from grader.limits import REPORT
from grader.report.layout import Layout


@dataclass(frozen=True)
class Styles:
    body: ParagraphStyle
    item: ParagraphStyle
    small: ParagraphStyle
    caption: ParagraphStyle
    equation: ParagraphStyle
    table_caption: ParagraphStyle
    reference: ParagraphStyle
    code: ParagraphStyle
    section_heading: ParagraphStyle
    subheading: ParagraphStyle
    title: ParagraphStyle
    byline: ParagraphStyle


def styles(layout: Layout, serif: str, mono: str) -> Styles:
    """The styles of ``layout`` with ``serif`` and ``mono`` the registered font names."""
    size = layout.body_size
    gap = size * layout.spacing
    body = ParagraphStyle(
        "body",
        fontName=serif,
        fontSize=size,
        leading=size * layout.leading,
        alignment=TA_JUSTIFY,
        spaceAfter=gap,
        allowWidows=0,
        allowOrphans=0,
    )
    item = ParagraphStyle("item", parent=body, spaceAfter=gap * 0.3)
    small = ParagraphStyle(
        "small",
        parent=body,
        fontSize=max(REPORT.min_body_pt, size - 1),
        leading=max(REPORT.min_body_pt, size - 1) * layout.leading,
        spaceAfter=0,
    )
    caption = ParagraphStyle("caption", parent=small, alignment=TA_CENTER)
    equation = ParagraphStyle(
        "equation",
        parent=body,
        alignment=TA_CENTER,
        leading=size * (layout.leading + 0.25),
        spaceBefore=gap * 0.3,
    )
    table_caption = ParagraphStyle(
        "table-caption",
        parent=caption,
        spaceBefore=gap * 0.5,
        spaceAfter=gap * 0.6,
    )
    reference = ParagraphStyle(
        "reference",
        parent=small,
        alignment=TA_LEFT,
        leftIndent=2.1 * size,
        bulletIndent=0,
        spaceAfter=gap * 0.3,
        bulletFontName=serif,
    )
    code_size = max(8.0, size - 1.5)
    code = ParagraphStyle(
        "code",
        fontName=mono,
        fontSize=code_size,
        leading=code_size * 1.25,
        backColor=colors.HexColor("#f4f4f4"),
        borderPadding=(3, 4, 3, 4),
        spaceBefore=gap * 0.5 + 3,
        spaceAfter=gap + 3,
    )
    section_heading = ParagraphStyle(
        "section",
        parent=body,
        fontName=serif,
        fontSize=size * 1.2,
        leading=size * 1.5,
        alignment=TA_LEFT,
        spaceBefore=gap * 2.2,
        spaceAfter=gap * 1.1,
    )
    subheading = ParagraphStyle(
        "subsection",
        parent=section_heading,
        fontSize=size * 1.05,
        leading=size * 1.3,
        spaceBefore=gap * 1.4,
        spaceAfter=gap * 0.6,
    )
    title = ParagraphStyle(
        "title",
        parent=body,
        fontSize=size * 1.65,
        leading=size * 2.0,
        alignment=TA_CENTER,
        spaceAfter=size * 0.6,
    )
    byline = ParagraphStyle("byline", parent=body, alignment=TA_CENTER, spaceAfter=size * 0.15)

    return Styles(
        body=body,
        item=item,
        small=small,
        caption=caption,
        equation=equation,
        table_caption=table_caption,
        reference=reference,
        code=code,
        section_heading=section_heading,
        subheading=subheading,
        title=title,
        byline=byline,
    )
