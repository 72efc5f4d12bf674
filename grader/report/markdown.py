"""Markdown (a report file, or a notebook's markdown cells) turned into report blocks.

markdown-it parses CommonMark with tables and $math$; images become figures read from disk or
from a notebook's attachments; a formula mathtext cannot set is set as text, with a note.
"""

from __future__ import annotations

import re
from collections import Counter
from collections.abc import Mapping
from dataclasses import replace
from pathlib import Path
from typing import Any

from markdown_it import MarkdownIt
from markdown_it.token import Token

from grader.errors import UserError
from grader.report import formulas
from grader.report.document import (
    Block,
    Code,
    Equation,
    Figure,
    Heading,
    Inline,
    ListBlock,
    Quote,
    TableBlock,
    Text,
    decode_png,
)
from grader.report.images import page_image
from grader.report.inline import LINE_BREAK, Span, math_rule, tex_spans

MARKDOWN = MarkdownIt("commonmark", {"maxNesting": 100}).enable(["table", "strikethrough"])
MARKDOWN.inline.ruler.before("escape", "math", math_rule)
_HTML_TAG = re.compile(r"<[^>]*>")
# markdown-it's emphasis tokens: the style each opens or closes.
_MARKS = {
    "strong_open": ("bold", 1),
    "strong_close": ("bold", -1),
    "em_open": ("italic", 1),
    "em_close": ("italic", -1),
    "s_open": ("strike", 1),
    "s_close": ("strike", -1),
}


def _is_display_math(inline: Token) -> bool:
    children = [c for c in inline.children or [] if c.type != "softbreak" and c.content.strip()]
    return len(children) == 1 and children[0].type == "math_display"


class BlockParser:
    """Turns markdown-it tokens into report blocks; images become figures read from disk."""

    def __init__(self, base: Path, where: Any, attachments: Mapping[str, Any] | None = None):
        self.base = base
        self.where = where
        self.attachments = attachments or {}
        self.notes: list[str] = []  # what the user should know though the report builds

    def inline(self, text: str) -> Inline:
        """One line of Markdown (a title) as spans: emphasis, code and $math$, no figures."""
        tokens = [token for token in MARKDOWN.parseInline(text) if token.type == "inline"]
        return self._inline(tokens[0])[0] if tokens else ()

    def parse(self, text: str) -> list[Block]:
        blocks, _ = self._blocks(MARKDOWN.parse(text), 0, None)
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
                line = token.map[0] if token.map else 0
                formula = (tokens[i + 1].children or [])[0]  # there is one: it is display math
                blocks.append(Equation(self._math(formula.content, line)))
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
        depth: Counter[str] = Counter()
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
            elif kind in _MARKS:
                # Counted, not set: emphasis nests in emphasis (`_a _b__` is <em>a <em>b</em></em>),
                # and the text stays italic until the outer one closes.
                name, step = _MARKS[kind]
                depth[name] += step
                if depth[name]:
                    style[name] = True
                else:
                    style.pop(name)
            elif kind == "link_open":
                style["href"] = str(child.attrs["href"])
            elif kind == "link_close":
                style.pop("href", None)
            elif kind == "image":
                figures.append(self._figure(child, line))
            elif kind in ("math_inline", "math_display"):
                spans.extend(
                    replace(span, href=style.get("href"))
                    for span in self._math(child.content, line)
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

    def _math(self, tex: str, line: int) -> Inline:
        """A formula as one math span, or as text where mathtext cannot set it (with a note)."""
        problem = formulas.problem(tex)
        if problem is None:
            return (formulas.span(tex),)
        self.notes.append(
            f"{self.where(line)}: the formula ${tex}$ is set as plain text, because the math "
            f"renderer cannot set it ({problem}); matplotlib's mathtext knows most of TeX's "
            f"math commands but no environments such as \\begin{{aligned}}"
        )
        return tuple(tex_spans(tex))

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
            data = decode_png(attachment["image/png"], where)
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
        return Figure(page_image(data, where, src), caption)
