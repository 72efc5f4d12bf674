"""What a student wrote in a reply, without the message they answer: the quoted text that
Gmail, Outlook and Apple Mail add below (or, quoted with ``>``, around) the new text, in the
plain body or, when there is only HTML, in the HTML body.

A reply to the feedback mail quotes the feedback, which names every graded function; reading
the quote as the student's words would make "thanks!" a regrade request for all of them.
"""

from __future__ import annotations

import re
from dataclasses import dataclass
from email.message import Message
from html import unescape
from html.parser import HTMLParser

# The line each client puts above the quoted message.
_ATTRIBUTION = (
    re.compile(r"^\s*on\b.{0,300}\bwrote:\s*$", re.IGNORECASE | re.DOTALL),  # Gmail, Apple Mail
    re.compile(r"^\s*-{2,}\s*original message\s*-{2,}\s*$", re.IGNORECASE),  # Outlook, plain
    re.compile(r"^\s*_{10,}\s*$"),  # Outlook (web and new): a rule above From:/Sent:
)
_HEADER_BLOCK = re.compile(r"^\s*\*?from:\*?\s", re.IGNORECASE)  # Outlook's From:, then Sent:
_HEADER_NEXT = re.compile(r"^\s*\*?(sent|date|to|subject):\*?\s", re.IGNORECASE)
_SIGNATURE = "-- "


def new_text(text: str, html: str = "") -> str:
    """The reply's own words: the plain body (or the HTML's text when there is no plain body),
    cut at the quoted message's attribution line, quoted ``>`` lines and the signature left
    out."""
    body = text if text.strip() else html_text(html)
    lines = body.replace("\r\n", "\n").split("\n")
    kept: list[str] = []
    for number, line in enumerate(lines):
        if line.rstrip() == _SIGNATURE.rstrip() and line.startswith("--"):
            break
        if _starts_quote(lines, number):
            break
        if line.lstrip().startswith(">"):
            continue  # quoted inline (bottom posting, or interleaved answers)
        kept.append(line)
    return "\n".join(kept).strip()


def _starts_quote(lines: list[str], number: int) -> bool:
    line = lines[number]
    # Gmail wraps a long attribution over two lines ("On Mon, ... Course <\nta@x> wrote:").
    joined = " ".join(lines[number : number + 2])
    if any(p.match(line) for p in _ATTRIBUTION):
        return True
    if line.strip().lower().startswith("on ") and _ATTRIBUTION[0].match(joined):
        return True
    following = lines[number + 1 : number + 4]
    return bool(_HEADER_BLOCK.match(line)) and any(_HEADER_NEXT.match(n) for n in following)


# HTML elements that hold the quoted message: Gmail's and Yahoo's quote, Apple Mail's
# <blockquote type="cite">, any blockquote; Outlook's reply header and everything after it.
_QUOTE_CLASSES = {"gmail_quote", "yahoo_quoted", "moz-cite-prefix"}
_QUOTE_IDS = {"divrplyfwdmsg", "appendonsend"}
_BLOCKS = {"p", "div", "br", "tr", "li", "h1", "h2", "h3", "h4", "table", "hr"}
_VOID = {"br", "hr", "img", "meta", "link", "input", "col", "area", "base", "wbr"}


class _Text(HTMLParser):
    """The text of an HTML body outside its quotes, one line per block."""

    def __init__(self) -> None:
        super().__init__(convert_charrefs=True)
        self.parts: list[str] = []
        self.quote_depth = 0  # open elements since the quote began (0: not in a quote)
        self.skip_depth = 0  # inside <style>, <script>, <head>
        self.ended = False  # Outlook's reply header: the rest is the quoted message

    def handle_starttag(self, tag: str, attrs: list[tuple[str, str | None]]) -> None:
        found = {name: (value or "") for name, value in attrs}
        classes = set(found.get("class", "").lower().split())
        if found.get("id", "").lower() in _QUOTE_IDS:
            self.ended = True
        if tag in ("style", "script", "head", "title"):
            self.skip_depth += 1
        if tag in _VOID:
            if tag in _BLOCKS:
                self.parts.append("\n")
            return
        if self.quote_depth:
            self.quote_depth += 1
        elif tag == "blockquote" or classes & _QUOTE_CLASSES:
            self.quote_depth = 1
        if tag in _BLOCKS:
            self.parts.append("\n")

    def handle_endtag(self, tag: str) -> None:
        if tag in ("style", "script", "head", "title") and self.skip_depth:
            self.skip_depth -= 1
        if tag in _VOID:
            return
        if self.quote_depth:
            self.quote_depth -= 1
        if tag in _BLOCKS:
            self.parts.append("\n")

    def handle_data(self, data: str) -> None:
        if not (self.quote_depth or self.skip_depth or self.ended):
            self.parts.append(data)


def html_text(html: str) -> str:
    """The text a reader sees of an HTML body, without its quoted message."""
    if not html.strip():
        return ""
    parser = _Text()
    parser.feed(html)
    parser.close()
    text = "".join(parser.parts).replace("\xa0", " ")
    lines = [" ".join(line.split()) for line in text.split("\n")]
    return re.sub(r"\n{3,}", "\n\n", "\n".join(lines)).strip()


@dataclass(frozen=True)
class ReplyFacts:
    """What a message that answers another says of its thread, and its own words."""

    message_id: str  # as written, with its brackets: the In-Reply-To of an answer
    in_reply_to: str
    references: str  # space separated
    subject: str
    words: str  # the new text (quotes and signature left out)
    forwarded: str = ""  # a forward's quoted message, its headers first ("" in a reply)


# The line each client puts above a forwarded message (Gmail, Thunderbird, Apple Mail, Outlook,
# and their German twins): a forward starts a new thread, so this is all that ties it to it.
_FORWARD = re.compile(
    r"^[\s>]*((-{2,}\s*)?(forwarded message|weitergeleitete nachricht|original message|"
    r"ursprüngliche nachricht|begin forwarded message:|anfang der weitergeleiteten nachricht:)"
    r"\s*(-{2,})?|_{10,}(?=\s*\n\s*\*?(from|von):))\s*$",
    re.IGNORECASE | re.MULTILINE,
)


def _all_text(text: str, html: str) -> str:
    """The whole body as text, quotes and all (a forward's quoted message is in a quote)."""
    if text.strip():
        return text.replace("\r\n", "\n")
    lines = re.sub(r"(?i)<br\s*/?>|</(p|div|tr|li|blockquote)>", "\n", html)
    return unescape(re.sub(r"<[^>]*>", "", lines))


def reply_facts(headers: Message, text: str, html: str) -> ReplyFacts | None:
    """The thread headers (as the compat32 policy reads them) and own words of a message that
    answers another, or forwards one (its quoted message in ``forwarded``); None otherwise."""
    in_reply_to = " ".join(str(headers.get("In-Reply-To", "")).split())
    references = " ".join(str(headers.get("References", "")).split())
    message_id = " ".join(str(headers.get("Message-ID", "")).split())
    subject = str(headers.get("Subject", ""))
    if in_reply_to or references:
        return ReplyFacts(message_id, in_reply_to, references, subject, new_text(text, html))
    body = _all_text(text, html)
    marker = _FORWARD.search(body)
    if marker is None:
        return None
    own = new_text(body[: marker.start()])
    return ReplyFacts(message_id, "", "", subject, own, body[marker.end() :].strip())
