"""Fingerprints of code and prose that survive the edits people make to hide a copy.

Code (MOSS, Schleimer et al. 2003): Python's own tokenizer reads a cell; comments, docstrings
and layout are dropped, every name is replaced by one placeholder (attribute names and builtins
are kept: ``np.tanh`` cannot be renamed, ``weights`` can), every literal by its kind. The k-grams
of that token stream are hashed and *winnowed* (the smallest hash of every window of w
k-grams is kept), so any match of at least ``w + k - 1`` tokens is certain to share a
fingerprint. Each cell is read on its own, so reordering cells changes nothing.

Prose: words are lower-cased, short function words dropped and endings trimmed, and every run
of ``TEXT_SHINGLE`` remaining words is one shingle, so a paragraph with a few words changed keeps
most of its shingles.
"""

from __future__ import annotations

import builtins
import functools
import io
import keyword
import re
import tokenize
import zlib
from collections.abc import Iterable, Iterator
from dataclasses import dataclass

CODE_K = 10  # tokens per k-gram: about one short statement
CODE_WINDOW = 4  # winnowing window: every match of >= 13 tokens is certain to be seen
TEXT_SHINGLE = 3  # content words per shingle

# Soft keywords (match, case, type, _) are mostly ordinary names, renamed like any other.
_KEPT_NAMES = frozenset(dir(builtins)) | frozenset(keyword.kwlist)
_MAGIC = re.compile(r"^\s*[%!?]")  # IPython magics and shell escapes are not Python
_SKIPPED = frozenset({tokenize.COMMENT, tokenize.NL, tokenize.ENCODING, tokenize.ENDMARKER})
_STATEMENT_BREAKS = frozenset({tokenize.NEWLINE, tokenize.INDENT, tokenize.DEDENT})
_FSTRING_START = frozenset({getattr(tokenize, "FSTRING_START", -1)})
_FSTRING_END = frozenset({getattr(tokenize, "FSTRING_END", -1)})


@dataclass(frozen=True)
class Token:
    text: str  # the normalised token
    line: int  # first and last line (1-based) in the cell's source
    end_line: int


@dataclass(frozen=True)
class Print:
    """One fingerprint: its hash and where it comes from (a part index and a line range)."""

    hash: int
    part: int
    line: int  # code: first line; text: first character
    end_line: int  # code: last line; text: end character
    lines: tuple[int, ...] = ()  # code: the lines its tokens are on (a docstring between is not)


@functools.lru_cache(maxsize=1 << 18)
def token_id(text: str) -> int:
    """A number for a token or word, the same in every run (``hash()`` of a str is salted)."""
    return zlib.crc32(text.encode())


def gram_hash(ids: tuple[int, ...]) -> int:
    """The hash of a k-gram of token ids: a tuple of ints hashes the same in every run."""
    return hash(ids) & 0xFFFFFFFFFFFFFFFF


def _python_tokens(source: str) -> Iterator[tokenize.TokenInfo]:
    lines = ["\n" if _MAGIC.match(line) else line for line in source.splitlines(keepends=True)]
    reader = io.StringIO("".join(lines)).readline
    try:
        yield from tokenize.generate_tokens(reader)
    except (tokenize.TokenError, IndentationError, SyntaxError):
        return  # the tokens read so far stand; a half-written cell still has fingerprints


def _significant(source: str) -> list[tokenize.TokenInfo]:
    """The tokens that carry meaning; an f-string (3.12+: several tokens) becomes one STRING."""
    out: list[tokenize.TokenInfo] = []
    depth = 0
    for tok in _python_tokens(source):
        if tok.type in _FSTRING_START:
            depth += 1
            if depth == 1:
                out.append(tok._replace(type=tokenize.STRING))
        elif tok.type in _FSTRING_END:
            depth -= 1
            out[-1] = out[-1]._replace(end=tok.end)
        elif depth == 0 and tok.type not in _SKIPPED:
            out.append(tok)
    return out


def normalise_code(source: str) -> list[Token]:
    """The cell as normalised tokens: names -> ``V``, numbers -> ``N``, strings -> ``S``.

    Docstrings and other bare string statements are dropped with the comments, and ``;``
    counts as a line break, so neither layout nor commentary changes the stream.
    """
    raw = _significant(source)
    out: list[Token] = []
    for i, tok in enumerate(raw):
        kind, text = tok.type, tok.string
        before = raw[i - 1] if i else None
        after = raw[i + 1] if i + 1 < len(raw) else None
        if kind == tokenize.STRING and _ends_statement(after) and _starts_statement(before):
            continue  # a docstring or a bare string: commentary
        if kind == tokenize.NAME:
            kept = text in _KEPT_NAMES or (before is not None and before.string == ".")
            norm = text if kept else "V"
        elif kind == tokenize.NUMBER:
            norm = "N"
        elif kind == tokenize.STRING:
            norm = "S"
        elif kind == tokenize.NEWLINE or text == ";":
            if not out or out[-1].text in ("\n", "INDENT", "DEDENT"):
                continue
            norm = "\n"
        elif kind == tokenize.INDENT:
            norm = "INDENT"
        elif kind == tokenize.DEDENT:
            norm = "DEDENT"
        else:
            norm = text
        out.append(Token(norm, tok.start[0], tok.end[0]))
    return out


def _starts_statement(before: tokenize.TokenInfo | None) -> bool:
    return before is None or before.type in _STATEMENT_BREAKS or before.string in (";", ":")


def _ends_statement(after: tokenize.TokenInfo | None) -> bool:
    return after is None or after.type in _STATEMENT_BREAKS or after.string == ";"


def winnow(hashes: list[int], window: int) -> list[int]:
    """Indices of the fingerprints winnowing keeps: the rightmost minimum of every window."""
    if len(hashes) <= window:
        return [min(range(len(hashes)), key=lambda i: (hashes[i], -i))] if hashes else []
    kept: list[int] = []
    for start in range(len(hashes) - window + 1):
        block = hashes[start : start + window]
        low = min(block)
        index = start + max(i for i, h in enumerate(block) if h == low)
        if not kept or kept[-1] != index:
            kept.append(index)
    return kept


def code_prints(cells: Iterable[str]) -> list[Print]:
    """The winnowed fingerprints of some code cells; ``part`` is the cell's index."""
    prints: list[Print] = []
    for part, source in enumerate(cells):
        tokens = normalise_code(source)
        if not tokens:
            continue
        k = min(CODE_K, len(tokens))
        ids = tuple(token_id(t.text) for t in tokens)
        grams = [gram_hash(ids[i : i + k]) for i in range(len(tokens) - k + 1)]
        for i in winnow(grams, CODE_WINDOW):
            run = tokens[i : i + k]
            lines = tuple(sorted({t.line for t in run}))
            prints.append(Print(grams[i], part, run[0].line, run[-1].end_line, lines))
    return prints


# --- prose ---------------------------------------------------------------------------------

_WORD = re.compile(r"[^\W_]+(?:['’][^\W_]+)?", re.UNICODE)
_STOP = frozenset(
    """a an the and or but if of to in on at by for with from as is are was were be been being
    it its this that these those we our us i my you your he she they them their there here
    which who whom what when where why how all any each both more most other some such no not
    only own same so than too very can will just do does did has have had having into over
    under then once also may might must shall should would could about above below up down out
    off again further while per via""".split()
)
_ENDINGS = ("ations", "ation", "ingly", "ings", "ing", "edly", "ness", "ment", "ies", "ed", "es")


def stem(word: str) -> str:
    """A light stemmer: enough that 'trained'/'training'/'trains' meet, never a real analysis."""
    for ending in _ENDINGS:
        if word.endswith(ending) and len(word) - len(ending) >= 3:
            return word[: -len(ending)]
    if word.endswith("s") and len(word) > 3 and not word.endswith("ss"):
        return word[:-1]
    return word


def content_words(text: str) -> list[tuple[str, int, int]]:
    """(stem, start, end) of every content word of ``text``, with its character offsets."""
    words = []
    for match in _WORD.finditer(text):
        word = match.group().lower()
        if word in _STOP or (len(word) < 2 and not word.isdigit()):
            continue
        words.append((stem(word), match.start(), match.end()))
    return words


def text_prints(paragraphs: Iterable[str]) -> list[Print]:
    """Word shingles of some paragraphs; ``line``/``end_line`` are character offsets here."""
    prints: list[Print] = []
    for part, paragraph in enumerate(paragraphs):
        words = content_words(paragraph)
        ids = tuple(token_id(w) for w, _, _ in words)
        for i in range(len(words) - TEXT_SHINGLE + 1):
            shingle = gram_hash(ids[i : i + TEXT_SHINGLE])
            prints.append(Print(shingle, part, words[i][1], words[i + TEXT_SHINGLE - 1][2]))
    return prints
