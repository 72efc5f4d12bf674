"""Fonts for every PDF the grader writes: TrueType only, so every font is embedded.

A character the main font of a style lacks is set in the first fallback font that has it (DejaVu
Sans, Noto Sans Math and Symbols, Noto Sans for nine Indic scripts), and text in a complex script
is shaped by HarfBuzz so that conjuncts and vowel signs join. ``paragraph`` and ``draw_line`` turn
plain text (a student's name, a project title) into such text in a ReportLab flowable or on a
canvas; ``Fonts.markup`` does it for text that is part of larger paragraph markup.

Every font file comes with the package, never from the machine's folders, so that a report builds
from the wheel alone (Colab has no Noto and no DejaVu in /usr/share/fonts) and its pages are the
same wherever it is built: the Noto fonts are package data (``font_files/``, SIL OFL, license
beside them), DejaVu is the copy matplotlib ships inside its own package.
"""

from __future__ import annotations

import re
import unicodedata
from dataclasses import dataclass
from functools import cache
from pathlib import Path
from typing import Any
from xml.sax.saxutils import escape, quoteattr

from reportlab.lib.fonts import tt2ps
from reportlab.lib.styles import ParagraphStyle
from reportlab.pdfbase import pdfmetrics
from reportlab.pdfbase.ttfonts import TTFont
from reportlab.pdfgen.canvas import Canvas
from reportlab.platypus import Flowable, Paragraph, XPreformatted

from grader.errors import UserError

NOTO = Path(__file__).resolve().parent / "font_files"


def _dejavu_folder() -> Path:
    """DejaVu as matplotlib ships it (a dependency): the same files on every machine."""
    import matplotlib

    return Path(matplotlib.get_data_path()) / "fonts" / "ttf"


DEJAVU = _dejavu_folder()
ELLIPSIS = "\u2026"


@dataclass(frozen=True)
class Family:
    """A font family's TrueType files; a face it lacks falls back to the regular one."""

    name: str
    regular: Path
    bold: Path | None = None
    italic: Path | None = None
    bold_italic: Path | None = None
    shaped: bool = False  # a complex script: shape with HarfBuzz so conjuncts and matras join


def _noto(name: str, styles: str = "RB", shaped: bool = False) -> Family:
    files = {
        s: NOTO / f"{name}-{v}.ttf"
        for s, v in zip("RBIX", ("Regular", "Bold", "Italic", "BoldItalic"), strict=True)
    }
    return Family(
        name,
        files["R"],
        files["B"] if "B" in styles else None,
        files["I"] if "I" in styles else None,
        files["X"] if "X" in styles else None,
        shaped,
    )


SERIF = _noto("NotoSerif", "RBIX")
SANS = Family(
    "DejaVuSans",
    DEJAVU / "DejaVuSans.ttf",
    DEJAVU / "DejaVuSans-Bold.ttf",
    DEJAVU / "DejaVuSans-Oblique.ttf",
    DEJAVU / "DejaVuSans-BoldOblique.ttf",
)
MONO = Family(
    "DejaVuSansMono",
    DEJAVU / "DejaVuSansMono.ttf",
    DEJAVU / "DejaVuSansMono-Bold.ttf",
    DEJAVU / "DejaVuSansMono-Oblique.ttf",
    DEJAVU / "DejaVuSansMono-BoldOblique.ttf",
)
FALLBACKS: tuple[Family, ...] = (
    SANS,
    _noto("NotoSansMath", "R"),
    _noto("NotoSansSymbols", "RB"),
    _noto("NotoSansSymbols2", "R"),
    *(
        _noto(f"NotoSans{script}", "RB", shaped=True)
        for script in (
            "Devanagari",
            "Bengali",
            "Gujarati",
            "Gurmukhi",
            "Kannada",
            "Malayalam",
            "Oriya",
            "Tamil",
            "Telugu",
        )
    ),
)
# Characters that need no glyph of their own: joiners used inside Indic words, layout controls.
INVISIBLE = frozenset({"\u200c", "\u200d", "\u200b", "\ufeff", "\u00ad", "\n", "\t"})


class Fonts:
    """Registers font families with ReportLab on first use and picks a font per character."""

    def __init__(self) -> None:
        self._coverage: dict[str, frozenset[int]] = {}
        self._choice: dict[tuple[str, str], Family | None] = {}
        self._faces: dict[str, tuple[Family, bool, bool]] = {}  # registered name -> its face

    def family(self, family: Family) -> str:
        """The registered ReportLab name of a family (bold and italic map through <b>, <i>)."""
        if family.name not in self._coverage:
            if not family.regular.is_file():
                raise UserError(
                    f"the font {family.regular} is missing from this installation of the "
                    f"grader: install the course's wheel again (pip install --force-reinstall)."
                )
            names: dict[str, str | None] = {}
            for style, path, is_bold, is_italic in (
                ("", family.regular, False, False),
                ("-Bold", family.bold, True, False),
                ("-Italic", family.italic, False, True),
                ("-BoldItalic", family.bold_italic, True, True),
            ):
                name = f"GR-{family.name}{style}" if path and path.is_file() else None
                names[style] = name
                if name:
                    font = TTFont(name, str(path))
                    pdfmetrics.registerFont(font)
                    self._faces[name] = (family, is_bold, is_italic)
                    if not style:
                        self._coverage[family.name] = frozenset(font.face.charToGlyph)
            regular = f"GR-{family.name}"  # registered: its file is there (checked above)
            bold = names["-Bold"] or regular
            italic = names["-Italic"] or regular
            pdfmetrics.registerFontFamily(
                regular,
                normal=regular,
                bold=bold,
                italic=italic,
                boldItalic=names["-BoldItalic"] or bold,
            )
        return f"GR-{family.name}"

    def face(self, family: Family, bold: bool = False, italic: bool = False) -> str:
        """The registered name of one face of a family, or of the face standing in for it."""
        return tt2ps(self.family(family), int(bold), int(italic))

    def face_of(self, name: str) -> tuple[Family, bool, bool]:
        """The family, boldness and slant of a face registered here (a style's fontName)."""
        if name not in self._faces:
            raise ValueError(f"{name!r} is not a font of grader.pdf.fonts: use Fonts.face()")
        return self._faces[name]

    def covers(self, family: Family, char: str) -> bool:
        self.family(family)  # every family ships with the package: a missing file is an error
        return ord(char) in self._coverage[family.name]

    def for_char(self, char: str, primary: Family) -> Family | None:
        """The first family, primary then fallbacks, with a glyph for ``char``; None if none."""
        key = (char, primary.name)
        if key not in self._choice:
            self._choice[key] = next(
                (family for family in (primary, *FALLBACKS) if self.covers(family, char)), None
            )
        return self._choice[key]

    def needs_shaping(self, text: str, primary: Family) -> bool:
        """Whether text has a character of a complex script, which HarfBuzz must shape."""
        return any(family.shaped for ch in set(text) if (family := self.for_char(ch, primary)))

    def runs(self, text: str, primary: Family, shaping: bool) -> list[tuple[Family, str]]:
        """Split text into runs of one font. When shaping, each word is kept in one font that has
        all its characters where there is one, because ReportLab's shaping breaks a word that
        changes font midway (a Devanagari word with a Latin comma, ∂Cₜ in two fonts)."""
        chosen = [self.for_char(ch, primary) if ch not in INVISIBLE else None for ch in text]
        for word in re.finditer(r"\S+", text) if shaping else ():
            here = {family for family in chosen[word.start() : word.end()] if family}
            candidates = [*(f for f in here if f.shaped), primary, *FALLBACKS]
            if len(here) > 1:
                whole = next(
                    (
                        family
                        for family in candidates
                        if all(ch in INVISIBLE or self.covers(family, ch) for ch in word.group())
                    ),
                    None,
                )
                if whole:
                    chosen[word.start() : word.end()] = [whole] * len(word.group())
        runs: list[tuple[Family, str]] = []
        for ch, family in zip(text, chosen, strict=True):
            family = family or (runs[-1][0] if runs else primary)
            if runs and runs[-1][0] == family:
                runs[-1] = (family, runs[-1][1] + ch)
            else:
                runs.append((family, ch))
        return runs

    def missing(self, text: str, primary: Family) -> set[str]:
        """The printable characters of text that no family can draw."""
        return {
            ch
            for ch in set(text)
            if ch not in INVISIBLE and ch.isprintable() and self.for_char(ch, primary) is None
        }

    def markup(
        self, text: str, primary: Family, shaping: bool, bold: bool = False, italic: bool = False
    ) -> str:
        """Paragraph markup of plain text set in ``primary``: escaped, with each run of characters
        it lacks in a <font> of the fallback that has them, in the face for bold and italic."""
        return "".join(
            escape(run)
            if family is primary
            else f'<font name="{self.face(family, bold, italic)}">{escape(run)}</font>'
            for family, run in self.runs(text, primary, shaping)
        )


@cache
def fonts() -> Fonts:
    """The one registry of the process (ReportLab's font registry is global too)."""
    return Fonts()


def shaped(style: ParagraphStyle) -> ParagraphStyle:
    """The style with HarfBuzz shaping on, for text in a complex script."""
    return ParagraphStyle(f"{style.name}-shaped", parent=style, shaping=1)


class _ActualText(Flowable):
    """Makes a shaped paragraph's PDF text the text it was made from. Shaping draws glyphs that
    map back to no character (a Devanagari conjunct, a reph) and vowel signs before the consonant
    they follow, so without this a PDF reader would extract अनया शमा for अनन्या शर्मा."""

    actual_text = ""  # empty on the parts of a split paragraph: they extract as their glyphs
    canv: Canvas
    style: ParagraphStyle

    def draw(self) -> None:
        if not self.actual_text:
            super().draw()
            return
        canvas = self.canv
        font = pdfmetrics.getFont(self.style.fontName)
        # Poppler places the span with the font current where it ends, and a TrueType font is set
        # only inside the paragraph's own q...Q: without one here, the text collapses to a point.
        internal = font.getSubsetInternalName(0, canvas._doc)
        canvas.addLiteral(f"BT {internal} {self.style.fontSize:.2f} Tf ET")
        utf16 = self.actual_text.encode("utf-16-be").hex().upper()
        canvas.addLiteral(f"/Span <</ActualText <FEFF{utf16}>>> BDC")
        super().draw()
        canvas.addLiteral("EMC")


class _ShapedParagraph(_ActualText, Paragraph):
    pass


class _ShapedCode(_ActualText, XPreformatted):
    pass


def paragraph(text: str, style: ParagraphStyle, link: str | None = None) -> Paragraph:
    """Plain text as a paragraph in ``style`` (whose fontName is a face from ``Fonts.face``):
    characters its font lacks in a fallback font, complex scripts shaped and extractable as
    ``text``; with ``link``, the whole text links there (colour and underline from the style)."""
    registry = fonts()
    primary, bold, italic = registry.face_of(style.fontName)
    shaping = registry.needs_shaping(text, primary)
    markup = registry.markup(text, primary, shaping, bold, italic)
    if link is not None:
        markup = f"<a href={quoteattr(link)}>{markup}</a>"
    if not shaping:
        return Paragraph(markup, style)
    result = _ShapedParagraph(markup, shaped(style))
    result.actual_text = " ".join(text.split())
    return result


def extractable(markup: str, style: ParagraphStyle, text: str, **options: Any) -> Paragraph:
    """A paragraph of ready markup in a shaped ``style``, extractable as ``text``: what
    ``paragraph`` makes of plain text, for markup built elsewhere (a report's paragraphs);
    ``options`` go to Paragraph (bulletText)."""
    result = _ShapedParagraph(markup, style, **options)
    result.actual_text = " ".join(text.split())
    return result


def code_block(code: str, style: ParagraphStyle, width: float) -> XPreformatted:
    """Code set line for line in ``style``'s monospaced font, lines longer than ``width`` cut
    onto the next line, with fallbacks, shaped and extractable as the code; the style's
    backColor shades the block."""
    primary, bold, italic = fonts().face_of(style.fontName)
    columns = max(20, int(width / pdfmetrics.stringWidth("0", style.fontName, style.fontSize)))
    lines: list[str] = []
    for line in code.expandtabs(4).splitlines() or [""]:
        lines.extend(line[i : i + columns] for i in range(0, max(len(line), 1), columns))
    code = "\n".join(lines)
    shaping = fonts().needs_shaping(code, primary)
    markup = fonts().markup(code, primary, shaping, bold, italic)
    if not shaping:
        return XPreformatted(markup, style)
    result = _ShapedCode(markup, shaped(style))
    result.actual_text = code
    return result


def _cut_points(text: str) -> list[int]:
    """Where text can be cut without parting a letter from its marks or a conjunct's halves."""
    joiners = {"\u200c", "\u200d"}
    return [
        i
        for i in range(1, len(text) + 1)
        if i == len(text)
        or not (
            unicodedata.category(text[i]).startswith("M")
            or unicodedata.combining(text[i - 1]) == 9  # a virama joins the next consonant
            or text[i] in joiners
            or text[i - 1] in joiners
        )
    ]


def text_width(text: str, style: ParagraphStyle) -> float:
    """The width of text set on one line in ``style``, shaped as it will be drawn."""
    line = paragraph(text, style)
    line.wrap(1e9, 1e9)
    return max(line.getActualLineWidths0(), default=0.0)


def fit(text: str, style: ParagraphStyle, width: float) -> str:
    """Text as it fits on one line of ``width`` in ``style``: whole, or cut and ended with '…'."""
    if text_width(text, style) <= width:
        return text
    points = _cut_points(text)
    low, high = 0, len(points)  # points[:low] fit, points[high:] do not
    while low < high:
        middle = (low + high) // 2
        if text_width(text[: points[middle]].rstrip() + ELLIPSIS, style) <= width:
            low = middle + 1
        else:
            high = middle
    return (text[: points[low - 1]].rstrip() if low else "") + ELLIPSIS


def draw_line(
    canvas: Canvas, x: float, y: float, text: str, style: ParagraphStyle, width: float | None = None
) -> None:
    """Draw plain text left-aligned on one line with its baseline at (x, y), in ``style`` as
    ``paragraph`` sets it, cut with '…' to ``width`` when given."""
    line = paragraph(fit(text, style, width) if width is not None else text, style)
    _, height = line.wrapOn(canvas, 1e9, 1e9)
    line.drawOn(canvas, x, y + style.fontSize - height)
