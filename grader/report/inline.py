"""Inline text of a report: styled spans, the $math$ rule of the Markdown parser, and TeX as text.

``tex_spans`` turns the common subset of TeX in course notes ($h_t = o_t \\odot \\tanh(C_t)$)
into Unicode text with italic letters, subscripts and superscripts. It gives a formula's reading
text (the text a PDF reader extracts), and sets a formula that mathtext
(grader.report.formulas) cannot. Unknown commands show by name; malformed input never fails.
"""

from __future__ import annotations

import re
import unicodedata
from collections.abc import Iterable, Mapping
from dataclasses import dataclass, replace

from markdown_it.rules_inline import StateInline


@dataclass(frozen=True)
class Span:
    """A run of inline text with one style."""

    text: str
    bold: bool = False
    italic: bool = False
    code: bool = False
    strike: bool = False
    href: str | None = None
    script: str = ""  # "", "sub" or "super"
    math: str = ""  # TeX of a formula set by grader.report.formulas; text is its reading text


LINE_BREAK = Span("\n")
Inline = tuple[Span, ...]


def math_rule(state: StateInline, silent: bool) -> bool:
    """markdown-it rule for $inline$ and $$display$$ TeX, with pandoc's rules for a single $:
    no space just inside the dollars, and no digit right after the closing one ($5 and $10)."""
    src, start = state.src, state.pos
    if src[start] != "$":
        return False
    opener = "$$" if src.startswith("$$", start) else "$"
    begin = start + len(opener)
    end = src.find(opener, begin)
    while end > 0 and src[end - 1] == "\\":
        end = src.find(opener, end + 1)
    if end <= begin or end > state.posMax:
        return False
    if opener == "$" and (
        src[begin].isspace() or src[end - 1].isspace() or src[end + 1 : end + 2].isdigit()
    ):
        return False
    if not silent:
        token = state.push("math_display" if opener == "$$" else "math_inline", "", 0)
        token.content = src[begin:end].strip()
    state.pos = end + len(opener)
    return True


_TEX_SYMBOLS: Mapping[str, str] = {
    **dict(
        zip(
            "alpha beta gamma delta epsilon zeta eta theta iota kappa lambda mu nu xi pi rho "
            "sigma tau upsilon phi chi psi omega".split(),
            "αβγδεζηθικλμνξπρστυφχψω",
            strict=True,
        )
    ),
    **dict(
        zip(
            "Gamma Delta Theta Lambda Xi Pi Sigma Upsilon Phi Psi Omega".split(),
            "ΓΔΘΛΞΠΣΥΦΨΩ",
            strict=True,
        )
    ),
    "varepsilon": "ε",
    "vartheta": "ϑ",
    "varphi": "φ",
    "varsigma": "ς",
    "ell": "ℓ",
    "cdot": "·",
    "times": "×",
    "odot": "⊙",
    "otimes": "⊗",
    "oplus": "⊕",
    "circ": "∘",
    "pm": "±",
    "mp": "∓",
    "div": "÷",
    "ast": "∗",
    "star": "⋆",
    "leq": "≤",
    "le": "≤",
    "geq": "≥",
    "ge": "≥",
    "neq": "≠",
    "ne": "≠",
    "approx": "≈",
    "sim": "∼",
    "simeq": "≃",
    "equiv": "≡",
    "propto": "∝",
    "ll": "≪",
    "gg": "≫",
    "in": "∈",
    "notin": "∉",
    "subset": "⊂",
    "subseteq": "⊆",
    "cup": "∪",
    "cap": "∩",
    "to": "→",
    "rightarrow": "→",
    "leftarrow": "←",
    "Rightarrow": "⇒",
    "Leftrightarrow": "⇔",
    "mapsto": "↦",
    "infty": "∞",
    "partial": "∂",
    "nabla": "∇",
    "sum": "∑",
    "prod": "∏",
    "int": "∫",
    "forall": "∀",
    "exists": "∃",
    "emptyset": "∅",
    "neg": "¬",
    "land": "∧",
    "lor": "∨",
    "ldots": "…",
    "dots": "…",
    "cdots": "⋯",
    "vdots": "⋮",
    "prime": "′",
    "top": "⊤",
    "intercal": "⊺",
    "perp": "⊥",
    "langle": "⟨",
    "rangle": "⟩",
    "|": "‖",
    "lVert": "‖",
    "rVert": "‖",
    "Vert": "‖",
    "lvert": "|",
    "rvert": "|",
    "mid": "|",
    "lfloor": "⌊",
    "rfloor": "⌋",
    "lceil": "⌈",
    "rceil": "⌉",
    "{": "{",
    "}": "}",
    "_": "_",
    "%": "%",
    "$": "$",
    "#": "#",
    "&": "&",
    ",": " ",
    ";": " ",
    ":": " ",
    "quad": "\u00a0" * 4,  # no-break spaces: ReportLab collapses runs of ordinary ones
    "qquad": "\u00a0" * 8,
    "!": "",
    "\\": " ",
    "left": "",
    "right": "",
    "big": "",
    "Big": "",
    "bigg": "",
    "Bigg": "",
    "displaystyle": "",
    "limits": "",
    "nolimits": "",
}
_TEX_OPERATORS = frozenset(
    "= + − < > ≤ ≥ ≠ ≈ ∼ ≃ ≡ ∝ ≪ ≫ ∈ ∉ ⊂ ⊆ → ← ⇒ ⇔ ↦ · × ⊙ ⊗ ⊕ ± ∓ ÷".split()
)
_TEX_FUNCTIONS = frozenset(
    "log ln exp tanh sinh cosh sin cos tan max min arg argmax argmin sup inf lim det softmax "
    "sigmoid".split()
)
# Each accent as a combining mark, and as a spacing mark set as a superscript where the
# combining one would sit unpositioned (without shaping) on top of a tall letter: C̃ as C˜.
_TEX_ACCENTS: Mapping[str, tuple[str, str]] = {
    "tilde": ("\u0303", "\u02dc"),
    "widetilde": ("\u0303", "\u02dc"),
    "hat": ("\u0302", "\u02c6"),
    "widehat": ("\u0302", "\u02c6"),
    "bar": ("\u0304", "\u00af"),
    "overline": ("\u0305", "\u00af"),
    "dot": ("\u0307", "\u02d9"),
    "ddot": ("\u0308", "\u00a8"),
    "vec": ("\u20d7", "\u2192"),
}
_TALL_LETTERS = frozenset("ABCDEFGHIJKLMNOPQRSTUVWXYZbdfhklt")
_TEX_FONTS: Mapping[str, dict[str, bool]] = {
    "mathbf": {"bold": True, "italic": False},
    "textbf": {"bold": True, "italic": False},
    "boldsymbol": {"bold": True, "italic": True},
    "bm": {"bold": True, "italic": True},
    "mathrm": {"italic": False},
    "text": {"italic": False},
    "textrm": {"italic": False},
    "operatorname": {"italic": False},
    "mathsf": {"italic": False},
    "mathtt": {"italic": False},
    "mathit": {"italic": True},
    "textit": {"italic": True},
    "emph": {"italic": True},
}
_TEX_LETTERS: Mapping[str, tuple[str, ...]] = {
    "mathbb": ("DOUBLE-STRUCK CAPITAL", "MATHEMATICAL DOUBLE-STRUCK CAPITAL"),
    "mathcal": ("SCRIPT CAPITAL", "MATHEMATICAL SCRIPT CAPITAL"),
}
_TEX_TOKEN = re.compile(r"\\[A-Za-z]+|\\.|\s+|.", re.S)


def tex_spans(tex: str, combining: bool = False) -> list[Span]:
    """Spans that set a TeX formula as text; unknown commands show by name, never fail. With
    ``combining``, every accent is a combining mark (C̃), as a reader extracts it."""
    return _merge_spans(_TexParser(tex, combining).sequence({"italic": True}, script=""))


def _merge_spans(spans: Iterable[Span]) -> list[Span]:
    merged: list[Span] = []
    for span in spans:
        if merged and replace(merged[-1], text="") == replace(span, text=""):
            merged[-1] = replace(span, text=merged[-1].text + span.text)
        elif span.text:
            merged.append(span)
    return merged


class _TexParser:
    def __init__(self, tex: str, combining: bool = False) -> None:
        self.tokens = _TEX_TOKEN.findall(tex)
        self.i = 0
        self.combining = combining

    def sequence(self, style: dict[str, bool], script: str, text_mode: bool = False) -> list[Span]:
        spans: list[Span] = []
        while self.i < len(self.tokens) and self.tokens[self.i] != "}":
            token = self.tokens[self.i]
            if token in ("^", "_"):
                self.i += 1
                inner = "super" if token == "^" else "sub"
                spans.extend(self.argument(style, script or inner, text_mode))
            else:
                spans.extend(self.atom(style, script, text_mode))
        return spans

    def argument(self, style: dict[str, bool], script: str, text_mode: bool = False) -> list[Span]:
        """A {group} or the single atom that follows a command, ^ or _."""
        while self.i < len(self.tokens) and self.tokens[self.i].isspace():
            self.i += 1
        if self.i >= len(self.tokens):
            return []
        if self.tokens[self.i] == "{":
            self.i += 1
            spans = self.sequence(style, script, text_mode)
            self.i += 1  # the closing brace, if any
            return spans
        return self.atom(style, script, text_mode)

    def atom(self, style: dict[str, bool], script: str, text_mode: bool) -> list[Span]:
        token = self.tokens[self.i]
        self.i += 1

        def span(text: str, *, italic: bool | None = None) -> Span:
            """A span in ``style`` (its bold and italic), but for ``italic`` when given."""
            italic = style.get("italic", False) if italic is None else italic
            return Span(text, bold=style.get("bold", False), italic=italic, script=script)

        if token == "{":
            spans = self.sequence(style, script, text_mode)
            self.i += 1
            return spans
        if token.isspace():
            return [span(" ")] if text_mode else []
        if not token.startswith("\\") or len(token) == 1:
            if text_mode or not (token.isalpha() and token.isascii()):
                text = {"-": "−", "'": "′", "~": " ", "&": "", ",": ", "}.get(token, token)
                if text in _TEX_OPERATORS and not script:
                    text = f" {text} "
                return [span(text, italic=style["italic"] if text_mode else False)]
            return [span(token)]
        name = token[1:]
        if name in _TEX_FONTS:
            return self.argument(
                {**style, **_TEX_FONTS[name]},
                script,
                text_mode=name in ("text", "textrm", "textbf", "textit", "emph", "operatorname"),
            )
        if name in _TEX_ACCENTS:
            spans = self.argument(style, script, text_mode)
            if not spans:
                return spans
            combining, spacing = _TEX_ACCENTS[name]
            last = spans[-1]
            accented = unicodedata.normalize("NFC", last.text + combining)
            tall = last.text[-1:] in _TALL_LETTERS and not self.combining
            if len(accented) == len(last.text) or not tall:
                return [*spans[:-1], replace(last, text=accented)]
            return [*spans, replace(last, text=spacing, script=script or "super", italic=False)]
        if name in _TEX_LETTERS:
            return [
                replace(
                    s,
                    text="".join(_styled_letter(ch, _TEX_LETTERS[name]) for ch in s.text),
                    italic=False,
                )
                for s in self.argument(style, script)
            ]
        if name == "frac":
            parts = [self.argument(style, script), self.argument(style, script)]
            wrapped = [
                [span("(", italic=False), *part, span(")", italic=False)]
                if len("".join(s.text for s in part).strip()) > 1
                else part
                for part in parts
            ]
            return [*wrapped[0], span("/", italic=False), *wrapped[1]]
        if name == "sqrt":
            inner = self.argument(style, script)
            wide = len("".join(s.text for s in inner)) > 1
            return [span("√", italic=False), *([span("("), *inner, span(")")] if wide else inner)]
        if name in _TEX_FUNCTIONS:
            return [span(name, italic=False)]
        symbol = _TEX_SYMBOLS.get(name, name)
        if symbol in _TEX_OPERATORS and not script:
            symbol = f" {symbol} "
        greek_small = len(symbol) == 1 and "GREEK SMALL" in unicodedata.name(symbol, "")
        return [span(symbol, italic=greek_small and style["italic"])]


def _styled_letter(char: str, names: tuple[str, ...]) -> str:
    for name in names:
        try:
            return unicodedata.lookup(f"{name} {char}")
        except KeyError:
            continue
    return char
