"""A student's written answer as HTML for a marker: the text escaped, paragraphs kept, and each
``$...$`` / ``$$...$$`` formula set by matplotlib's mathtext as an SVG image (its TeX as the
image's text, for search and copy). A formula mathtext cannot set is shown as its TeX."""

from __future__ import annotations

import base64
import functools
import io
import re

from markupsafe import Markup, escape

_MATH = re.compile(r"\$\$(.+?)\$\$|\$(.+?)\$", re.DOTALL)


@functools.lru_cache(maxsize=1024)
def _formula_svg(tex: str) -> str | None:
    """A data: URI of the formula set as SVG, or None if mathtext cannot set it."""
    from matplotlib import mathtext
    from matplotlib.font_manager import FontProperties

    buffer = io.BytesIO()
    try:
        mathtext.math_to_image(f"${tex}$", buffer, prop=FontProperties(size=13), format="svg")
    except Exception:  # mathtext raises ValueError and others for TeX it cannot parse
        return None
    return "data:image/svg+xml;base64," + base64.b64encode(buffer.getvalue()).decode()


def _formula(tex: str, display: bool) -> str:
    uri = _formula_svg(tex.strip())
    if uri is None:
        return f"<code>{escape(tex)}</code>"
    style = ' class="display"' if display else ""
    return f'<img{style} src="{uri}" alt="{escape(tex.strip())}">'


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
    """``text`` as paragraphs of escaped text and set formulas."""
    paragraphs = [p for p in re.split(r"\n\s*\n", text.strip()) if p.strip()]
    return Markup("".join(f"<p>{_paragraph(p)}</p>" for p in paragraphs))
