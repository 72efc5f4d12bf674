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

from markupsafe import Markup

from grader import templating
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


def _formula(tex: str, display: bool) -> dict[str, str | None]:
    """A formula as the image of it, or as its TeX in code when too long to set."""
    tex = tex.strip()
    if len(tex) > WEB.formula_chars:
        return {"tex": tex, "src": None}
    return {
        "tex": tex,
        "src": f"{FORMULA_PATH}?tex={quote(tex, safe='')}",
        "style": "formula display" if display else "formula",
    }


def _paragraph(text: str) -> list[dict[str, str | None]]:
    """The paragraph's text and formulas, in order."""
    parts: list[dict[str, str | None]] = []
    last = 0
    for match in _MATH.finditer(text):
        parts.append({"text": text[last : match.start()], "tex": None})
        display = match.group(1) is not None
        parts.append(_formula(match.group(1) if display else match.group(2), display))
        last = match.end()
    parts.append({"text": text[last:], "tex": None})
    return parts


def answer_html(text: str) -> Markup:
    """``text`` as paragraphs of escaped text (a line break kept) and formulas."""
    paragraphs = [p for p in re.split(r"\n\s*\n", text.strip()) if p.strip()]
    return templating.fragment("written_answer.html", paragraphs=map(_paragraph, paragraphs))
