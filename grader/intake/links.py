"""Links in an email: Colab notebooks and Google Drive files, from the text and the HTML parts.

HTML entities are decoded (``&amp;`` becomes ``&``) and a link's query is kept exactly as sent
(``?usp=sharing&authuser=1``), only redirect wrappers (Outlook Safe Links, Google's ``/url?q=``)
are taken off. Each link keeps the text around it, so the caller can tell which project it is for
and whether it is a dataset.
"""

from __future__ import annotations

import html
import re
import urllib.parse
from dataclasses import dataclass
from pathlib import PurePosixPath

from grader.intake.common import DATA_SUFFIXES

_URL_END = r"[^\s\"'<>]*"
COLAB = re.compile(
    r"https://colab\.research\.google\.com/"
    r"(?:drive/[A-Za-z0-9_-]{10,}"
    r"|github/[A-Za-z0-9_.-]+/[A-Za-z0-9_.-]+/blob/[^\s?#\"'<>]+\.ipynb"
    r"|gist/[A-Za-z0-9_.-]+/[0-9a-f]{8,}(?:/[^\s?#\"'<>]+\.ipynb)?)"
    rf"(?:[?#]{_URL_END})?"
)
DRIVE_FILE = re.compile(
    r"https://drive\.google\.com/(?:file/d/|open\?id=|uc\?(?:[^\s\"'<>]*&)?id=)"
    rf"([A-Za-z0-9_-]{{10,}}){_URL_END}"
)
_WRAPPED = re.compile(
    r"https://(?:[a-z0-9]+\.safelinks\.protection\.outlook\.com/\?url=|www\.google\.com/url\?q=)"
    rf"{_URL_END}"
)
_DATASET_WORDS = re.compile(r"\b(data ?set|data file|data)\b", re.IGNORECASE)
_FILE_NAME = re.compile(r"[\w.-]+\.[A-Za-z0-9]{1,8}\b")


@dataclass(frozen=True)
class Link:
    url: str
    kind: str  # "colab" or "drive"
    context: str  # the link's line, the link itself left out, and the line before it when
    # that line holds no link of its own (a heading such as "Project 2:")

    @property
    def near_dataset(self) -> bool:
        """Whether the text around the link names a data file or says dataset."""
        suffixes = {PurePosixPath(name).suffix.lower() for name in _FILE_NAME.findall(self.context)}
        if suffixes & DATA_SUFFIXES:
            return True
        return not suffixes & {".ipynb", ".pdf"} and bool(_DATASET_WORDS.search(self.context))

    @property
    def near_notebook(self) -> bool:
        """Whether the text around the link names a notebook (a Drive link to an .ipynb)."""
        return bool(re.search(r"\.ipynb\b|\bnotebook\b|\bcolab\b", self.context, re.I))


def html_to_text(markup: str) -> str:
    """The text of an HTML part with each link written after its label, entities decoded;
    quoted mail (``<blockquote>``, as replies quote) left out."""
    markup = re.sub(r"(?is)<(script|style|head)\b.*?</\1>", " ", markup)
    markup = re.sub(r"(?is)<blockquote\b.*</blockquote>", " ", markup)
    markup = re.sub(
        r"(?is)<a\b[^>]*?\bhref\s*=\s*([\"'])(.*?)\1[^>]*>(.*?)</a>",
        lambda m: f"{m[3]} {m[2]} ",
        markup,
    )
    markup = re.sub(r"(?i)<br\s*/?>|</(p|div|li|tr|h\d|blockquote)>", "\n", markup)
    return html.unescape(re.sub(r"<[^>]+>", " ", markup))


def _unwrap(url: str) -> str:
    """The link inside a redirect wrapper, or the link as it is."""
    if not _WRAPPED.fullmatch(url):
        return url
    query = urllib.parse.parse_qs(urllib.parse.urlsplit(url).query)
    inner = (query.get("url") or query.get("q") or [url])[0]
    return inner


def _clean(url: str) -> str:
    return url.rstrip(".,;:)]>*")


def find_links(text: str, markup: str = "") -> list[Link]:
    """Colab and Drive file links in ``text`` and in the HTML ``markup``, in order, no repeats;
    not from quoted lines."""
    found: dict[str, Link] = {}
    for source in (text, html_to_text(markup)):
        source = _WRAPPED.sub(lambda m: _unwrap(html.unescape(m[0])), source)
        # Quoted lines of a reply hold earlier mail's links, which are no news.
        lines = ["" if line.lstrip().startswith(">") else line for line in source.splitlines()]
        for number, line in enumerate(lines):
            for pattern, kind in ((COLAB, "colab"), (DRIVE_FILE, "drive")):
                for match in pattern.finditer(line):
                    url = _clean(match[0])
                    before = lines[number - 1] if number else ""
                    if COLAB.search(before) or DRIVE_FILE.search(before):
                        before = ""
                    context = f"{before}\n{line[: match.start()]} {line[match.end() :]}"
                    found.setdefault(url, Link(url, kind, context))
    return list(found.values())


def drive_file_id(url: str) -> str | None:
    match = DRIVE_FILE.match(url)
    return match[1] if match else None
