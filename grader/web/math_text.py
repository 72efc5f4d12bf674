"""A student's written answer as HTML for a marker: the text escaped, paragraphs kept, and each
``$...$`` / ``$$...$$`` formula an image the browser asks for when it comes into view
(``/written/formula.svg?tex=...``, set by matplotlib's mathtext and cached), its TeX as the
image's text, for search and copy. The page itself sets no formula: an answer of thousands of
formulas costs the page its text only. A formula mathtext cannot set shows its TeX."""

from __future__ import annotations

import functools
import io
import re
from urllib.parse import quote

from markupsafe import Markup, escape

from grader.limits import WEB

_MATH = re.compile(r"\$\$(.+?)\$\$|\$(.+?)\$", re.DOTALL)
FORMULA_PATH = "/written/formula.svg"


@functools.lru_cache(maxsize=1024)
def formula_svg(tex: str) -> bytes | None:
    """The formula set as SVG, or None if mathtext cannot set it (or it is too long to)."""
    from matplotlib import mathtext
    from matplotlib.font_manager import FontProperties

    if len(tex) > WEB.formula_chars:
        return None
    buffer = io.BytesIO()
    try:
        mathtext.math_to_image(f"${tex}$", buffer, prop=FontProperties(size=13), format="svg")
    except Exception:  # mathtext raises ValueError and others for TeX it cannot parse
        return None
    return buffer.getvalue()


def _formula(tex: str, display: bool) -> str:
    tex = tex.strip()
    if len(tex) > WEB.formula_chars:
        return f"<code>{escape(tex)}</code>"
    style = "formula display" if display else "formula"
    return (
        f'<img class="{style}" loading="lazy" src="{FORMULA_PATH}?tex={quote(tex, safe="")}"'
        f' alt="{escape(tex)}">'
    )


def _paragraph(text: str) -> str:
    parts, last = [], 0
    for match in _MATH.finditer(text):
        parts.append(str(escape(text[last : match.start()])))
        display = match.group(1) is not None
        parts.append(_formula(match.group(1) if display else match.group(2), display))
        last = match.end()
    parts.append(str(escape(text[last:])))
    return "<br>".join("".join(parts).split("\n"))


def answer_html(text: str) -> Markup:
    """``text`` as paragraphs of escaped text and formulas."""
    paragraphs = [p for p in re.split(r"\n\s*\n", text.strip()) if p.strip()]
    return Markup("".join(f"<p>{_paragraph(p)}</p>" for p in paragraphs))
