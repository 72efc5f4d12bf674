"""TeX math set by matplotlib's mathtext: accents over their base, fractions, limits, roots.

mathtext lays a formula out as glyphs of the STIX fonts (which matplotlib ships) at positions
from the baseline. A formula goes into a paragraph as an inline image placeholder of the
formula's size, so ReportLab breaks lines and sets leading around it as around any image, and
``MathCanvas`` draws the glyphs there as real text in the embedded STIX fonts instead of an
image. The glyphs are wrapped in a /Span with /ActualText holding the formula in reading order
("C_{t−1}", "1/N∑_{n=1}^N x_n"), so `pdftotext` and copy-paste give that text rather than
glyphs in drawing order.
"""

from __future__ import annotations

import base64
import hashlib
import json
import re
import tempfile
from dataclasses import dataclass
from functools import cache, lru_cache
from pathlib import Path
from typing import Any
from xml.sax.saxutils import quoteattr

from matplotlib.font_manager import FontProperties
from matplotlib.mathtext import MathTextParser
from reportlab.lib.utils import ImageReader
from reportlab.pdfbase import pdfmetrics
from reportlab.pdfbase.ttfonts import TTFont
from reportlab.pdfgen.canvas import Canvas

from grader.errors import UserError
from grader.report.inline import Span, tex_spans

FONT_SET = "stix"  # Times-like, with every symbol of the notes; at home beside Noto Serif
SCALE = 1.1  # STIX letters are smaller than Noto Serif's at one size: match their x-heights
_DPI = 720  # mathtext rounds its box to whole pixels: lay out at 0.1 pt and scale back
# The placeholder image itself: one transparent pixel, never drawn (MathCanvas draws the formula).
_PIXEL = (
    "iVBORw0KGgoAAAANSUhEUgAAAAEAAAABCAQAAAC1HAwCAAAAC0lEQVR4nGNgYAAAAAMAAbitOmMAAAAASUVORK5CYII="
)


@dataclass(frozen=True)
class Glyph:
    font: str  # path of the TrueType file
    size: float  # pt
    char: str
    x: float  # pt from the formula's left edge
    y: float  # pt above the baseline


@dataclass(frozen=True)
class Formula:
    width: float
    height: float  # above the baseline
    depth: float  # below the baseline
    glyphs: tuple[Glyph, ...]
    rules: tuple[tuple[float, float, float, float], ...]  # x, y, width, height: fraction bars


@cache
def _parser() -> MathTextParser:
    return MathTextParser("path")


# TeX commands mathtext lacks, as the ones it has ("" drops a command that only sets style).
_SAME_AS: dict[str, str] = {
    "le": r"\leq",
    "ge": r"\geq",
    "ne": r"\neq",
    "tfrac": r"\frac",
    "bm": r"\boldsymbol",
    "lVert": r"\|",
    "rVert": r"\|",
    "Vert": r"\|",
    "lvert": "|",
    "rvert": "|",
    **{
        name: ""
        for name in (
            "limits nolimits displaystyle textstyle scriptstyle big Big bigg Bigg "
            "bigl bigr Bigl Bigr biggl biggr"
        ).split()
    },
}
_COMMAND = re.compile(r"\\([A-Za-z]+)")
# Operators whose limits mathtext always sets above and below; inline they go beside (as in TeX).
_BIG_OPERATOR = re.compile(r"(\\(?:sum|prod|coprod|bigcup|bigcap|bigoplus|bigotimes))(?=\s*[_^])")


def _normalized(tex: str, display: bool) -> str:
    """The formula in the TeX mathtext reads; display math in display style (\\dfrac)."""
    tex = _COMMAND.sub(lambda m: _SAME_AS.get(m.group(1), m.group(0)), tex)
    if display:
        return re.sub(r"\\frac(?![A-Za-z])", r"\\dfrac", tex)
    return _BIG_OPERATOR.sub(r"\1{}", tex)


class FormulaError(ValueError):
    """mathtext cannot set the formula: the message is mathtext's reason (the TeX's fault)."""


@lru_cache(maxsize=2048)
def layout(tex: str, size: float, display: bool = False) -> Formula:
    """The formula laid out at ``size`` pt; FormulaError with mathtext's message if it cannot."""
    prop = FontProperties(size=size * SCALE, math_fontfamily=FONT_SET)
    source = _normalized(tex, display)
    try:
        parsed = _parser().parse(f"${source}$", _DPI, prop)
    except Exception as error:  # mathtext raises ValueError, and others on odd input
        raise FormulaError(_reason(error)) from error
    scale = 72 / _DPI
    glyphs = tuple(_glyph(entry, scale) for entry in parsed.glyphs)
    rules = tuple(
        (float(x) * scale, float(y) * scale, float(w) * scale, float(h) * scale)
        for x, y, w, h in parsed.rects
    )
    return Formula(parsed.width * scale, parsed.height * scale, parsed.depth * scale, glyphs, rules)


def _glyph(entry: tuple[Any, ...], scale: float) -> Glyph:
    """One glyph of mathtext's layout. matplotlib up to 3.10 gives (font, size, code, x, y);
    3.11 adds the glyph's index in its font before x: (font, size, code, index, x, y)."""
    if len(entry) not in (5, 6):
        import matplotlib

        raise UserError(
            f"the grader cannot read how matplotlib {matplotlib.__version__} lays out formulas "
            f"(a fault of the grader, not of your formula): install matplotlib 3.10 or 3.11 "
            f"(pip install 'matplotlib>=3.8,<3.12') and tell the course staff."
        )
    font, font_size, code, *_index, x, y = entry
    return Glyph(font.fname, float(font_size), chr(code), float(x) * scale, float(y) * scale)


def problem(tex: str) -> str | None:
    """Why mathtext cannot set ``tex`` (e.g. 'Unknown symbol: \\begin'), or None if it can."""
    try:
        layout(tex, 10.0)
    except FormulaError as error:
        return str(error)
    return None


def _reason(error: Exception) -> str:
    lines = [line.strip() for line in str(error).splitlines() if line.strip()]
    detail = next((line for line in reversed(lines) if "Exception" in line), "")
    return detail.split(":", 1)[-1].strip().split(", found")[0] or (lines[0] if lines else "")


def reading_text(tex: str) -> str:
    """The formula as one line of text in reading order: h_t = o_t ⊙ tanh(C_{t−1})."""
    spans = tex_spans(tex, combining=True)
    marks = {"sub": "_", "super": "^"}
    parts: list[str] = []
    i = 0
    while i < len(spans):
        script = spans[i].script
        j = i
        while j < len(spans) and spans[j].script == script:
            j += 1
        text = "".join(span.text for span in spans[i:j])
        if script:
            text = text.strip()
            text = marks[script] + (text if len(text) == 1 else f"{{{text}}}")
            following = spans[j] if j < len(spans) else None
            if (
                len(text) == 2
                and following
                and not following.script
                and following.text[:1].isalnum()
            ):
                text += " "  # ^N ℓ, not ^Nℓ
        parts.append(text)
        i = j
    return " ".join("".join(parts).split())


def span(tex: str) -> Span:
    """An inline formula as a span: its reading text, with the TeX it is set from."""
    return Span(reading_text(tex), math=tex)


def placeholder(tex: str, size: float, display: bool, text: str) -> str:
    """Paragraph markup that reserves the formula's box on the line, for MathCanvas to fill."""
    formula = layout(tex, size, display)
    payload = json.dumps([tex, size, display, text])
    path = _placeholder_folder() / f"{hashlib.sha256(payload.encode()).hexdigest()[:24]}.png"
    if not path.exists():
        path.write_bytes(base64.b64decode(_PIXEL))
    _PLACED[str(path)] = (tex, size, display, text)
    return (
        f'<img src={quoteattr(str(path))} width="{formula.width:.3f}" '
        f'height="{formula.height + formula.depth:.3f}" valign="{-formula.depth:.3f}"/>'
    )


# The placeholder images are files named after their formula (ReportLab opens an <img> by
# path, and data: URLs only with a process-wide setting that would trust them everywhere).
_PLACED: dict[str, tuple[str, float, bool, str]] = {}


@cache
def _placeholder_folder() -> Path:
    folder = tempfile.TemporaryDirectory(prefix="grader-math-")  # removed when the process ends
    _FOLDERS.append(folder)
    return Path(folder.name)


_FOLDERS: list[tempfile.TemporaryDirectory[str]] = []


@cache
def _font(path: str) -> str:
    """The ReportLab name of one of mathtext's TrueType files, registered on first use."""
    name = f"GR-math-{Path(path).stem}"
    pdfmetrics.registerFont(TTFont(name, path))
    return name


class MathCanvas(Canvas):
    """A canvas that draws a formula where a paragraph places its placeholder image."""

    def drawImage(self, image: Any, x: float, y: float, *args: Any, **kwargs: Any) -> Any:  # noqa: N802
        name = getattr(image, "fileName", None) if isinstance(image, ImageReader) else None
        if not (isinstance(name, str) and name in _PLACED):
            return super().drawImage(image, x, y, *args, **kwargs)
        tex, size, display, text = _PLACED[name]
        formula = layout(tex, size, display)
        self.draw_formula(formula, x, y + formula.depth, text)
        return None

    @staticmethod
    def _anchor(writing: Any, main: Glyph, x: float, baseline: float) -> None:
        """An invisible space on the baseline: poppler places an ActualText span from its first
        glyph to its last, which could be an accent above or a subscript below the line."""
        writing.setTextRenderMode(3)
        writing.setFont(_font(main.font), main.size)
        writing.setTextOrigin(x, baseline)
        writing.textOut(" ")
        writing.setTextRenderMode(0)

    def draw_formula(self, formula: Formula, x: float, baseline: float, text: str) -> None:
        """Glyphs and rules of ``formula`` from (x, baseline), extracted as ``text`` (when empty,
        as whatever ActualText the formula is inside)."""
        self.saveState()
        # Poppler sets an ActualText span in the font current where it ends: the main font
        # of the formula at its size, so that the span reads as part of its line.
        font_set = ""
        if formula.glyphs and text:
            main = max(formula.glyphs, key=lambda glyph: glyph.size)
            internal = pdfmetrics.getFont(_font(main.font)).getSubsetInternalName(0, self._doc)
            font_set = f"BT {internal} {main.size:.2f} Tf ET"
            self.addLiteral(font_set)
        if text:
            utf16 = text.encode("utf-16-be").hex().upper()
            self.addLiteral(f"/Span <</ActualText <FEFF{utf16}>>> BDC")
        writing = self.beginText()
        if text and formula.glyphs:
            self._anchor(writing, main, x, baseline)
        for glyph in formula.glyphs:
            writing.setFont(_font(glyph.font), glyph.size)
            writing.setTextOrigin(x + glyph.x, baseline + glyph.y)
            writing.textOut(glyph.char)
        if text and formula.glyphs:
            space = pdfmetrics.stringWidth(" ", _font(main.font), main.size)
            self._anchor(writing, main, x + formula.width - space, baseline)
        self.drawText(writing)
        for rx, ry, width, height in formula.rules:
            self.rect(x + rx, baseline + ry, width, height, stroke=0, fill=1)
        if text:
            self.addLiteral(font_set)
            self.addLiteral("EMC")
        self.restoreState()
