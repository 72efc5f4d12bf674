"""ReportLab paragraph markup for a run of styled spans: fallback fonts, scripts, links, code and
formula placeholders.

In a paragraph HarfBuzz shapes (a complex script anywhere in it), each word is set in one font
family even where it runs across spans ("C" then a subscript "t−1" the main font lacks): ReportLab
shapes a word with the font of its first piece, and fails on a word that changes font midway or
draws it as empty boxes. Where no one family has all of a word (`code` then हिन्दी), a space
parts the word where its font changes.
"""

from __future__ import annotations

from collections.abc import Sequence
from xml.sax.saxutils import escape, quoteattr

from reportlab.lib import colors

from grader.pdf.fonts import MONO, SERIF, Family, Fonts
from grader.report import formulas
from grader.report.inline import LINE_BREAK, Span

LINK_COLOR = colors.HexColor("#1f4e99")


def markup(
    spans: Sequence[Span], size: float, fonts: Fonts, display: bool = False
) -> tuple[str, bool]:
    """Paragraph markup for spans set at ``size`` pt, and whether it needs HarfBuzz shaping."""
    shaping = any(
        fonts.needs_shaping(span.text, MONO if span.code else SERIF)
        for span in spans
        if not span.math
    )
    families = _word_families(spans, fonts) if shaping else None
    mono = fonts.family(MONO)
    parts = []
    previous: list[Family | None] = [None]  # the family of the last character, None at a space
    for number, span in enumerate(spans):
        if span == LINE_BREAK or span.math:
            previous[0] = None
        if span == LINE_BREAK:
            parts.append("<br/>")
            continue
        if span.math:
            # A shaped paragraph is extracted as a whole, and poppler drops an ActualText that
            # holds another: there the formula has none of its own.
            reading = "" if shaping else span.text
            parts.append(linked(formulas.placeholder(span.math, size, display, reading), span.href))
            continue
        primary = MONO if span.code else SERIF
        if families is None:
            text = fonts.markup(span.text, primary, False, span.bold, span.italic)
        else:
            text = _in_families(span, families[number], primary, fonts, previous)
        if span.code:
            text = f'<font name="{mono}" size="{size * 0.9:.2f}">{text}</font>'
        for flag, tag in ((span.bold, "b"), (span.italic, "i"), (span.strike, "strike")):
            if flag:
                text = f"<{tag}>{text}</{tag}>"
        if span.script:
            rise = size * (0.2 if span.script == "sub" else 0.38)
            text = (
                f'<{span.script} rise="{rise:.2f}" size="{size * 0.72:.2f}">{text}</{span.script}>'
            )
        parts.append(linked(text, span.href))
    return "".join(parts), shaping


def linked(markup: str, href: str | None) -> str:
    if not href:
        return markup
    return f'<a href={quoteattr(href)} color="{LINK_COLOR.hexval()}">{markup}</a>'


def _word_families(spans: Sequence[Span], fonts: Fonts) -> list[list[Family]]:
    """The family of each character of each span, one per word across the spans of a font
    (code words stay in their own), as ``Fonts.runs`` chooses for text in one piece."""
    families: list[list[Family]] = [[] for _ in spans]
    for code in (False, True):
        primary = MONO if code else SERIF
        # A formula or line break parts words; spans of the other kind are a space here.
        joined = "".join(
            span.text
            if span.code == code and not span.math and span != LINE_BREAK
            else " " * len(span.text)
            for span in spans
        )
        chosen = [family for family, run in fonts.runs(joined, primary, True) for _ in run]
        start = 0
        for number, span in enumerate(spans):
            end = start + len(span.text)
            if span.code == code and not span.math and span != LINE_BREAK:
                families[number] = chosen[start:end]
            start = end
    return families


def _in_families(
    span: Span,
    families: list[Family],
    primary: Family,
    fonts: Fonts,
    previous: list[Family | None],
) -> str:
    """The span's text with each run of characters in its chosen family, and a space where a
    word changes family after ``previous`` (ReportLab parts words only at ASCII spaces)."""
    runs: list[tuple[Family, str]] = []
    for char, family in zip(span.text, families, strict=True):
        if char.isspace():
            previous[0] = None
        elif previous[0] is not None and previous[0] != family:
            char = " " + char
        if not char.isspace():
            previous[0] = family
        if runs and runs[-1][0] == family:
            runs[-1] = (family, runs[-1][1] + char)
        else:
            runs.append((family, char))
    return "".join(
        escape(run)
        if family is primary
        else f'<font name="{fonts.face(family, span.bold, span.italic)}">{escape(run)}</font>'
        for family, run in runs
    )
