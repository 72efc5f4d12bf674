"""A report's pages as a blind marker sees them: every roster name (whole and in parts), id,
e-mail address and Colab or Drive link painted over on the rendered page images.

Where the words are comes from the PDF's own text layer (poppler's ``pdftotext -bbox-layout``:
each word with its box, in points from the page's top left), scaled onto the PNG that
``pdftoppm`` renders. A page with no word in its text layer (a scanned page) cannot be checked
for names: it is listed as *unverified*, and the marking page says so instead of passing it off
as redacted. Pages are cached under ``<out>/.serve-cache/`` by the PDF's and the roster's
content.
"""

from __future__ import annotations

import hashlib
import json
import re
import subprocess
import xml.etree.ElementTree as ElementTree
from collections.abc import Callable, Sequence
from dataclasses import dataclass
from pathlib import Path

from PIL import Image, ImageDraw

from grader.limits import WEB
from grader.marking import blind
from grader.roster import Person
from grader.web.studentfiles import RENDER_DPI

# Links that lead to the student's own account (a Colab notebook, a Drive file).
ACCOUNT_LINK = re.compile(r"(colab\.research\.google\.com|drive\.google\.com)\S*", re.IGNORECASE)
_XHTML = "{http://www.w3.org/1999/xhtml}"
_PAINT = (0, 0, 0)
_PAD_PT = 1.5  # the box grown by this much on every side: a glyph's ink passes its box a little


@dataclass(frozen=True)
class Word:
    text: str
    box: tuple[float, float, float, float]  # x0, y0, x1, y1 in points, from the top left


@dataclass(frozen=True)
class PageText:
    width: float  # in points
    height: float
    words: tuple[Word, ...]


@dataclass(frozen=True)
class RedactedReport:
    pages: tuple[Path, ...]
    unverified: tuple[int, ...]  # 1-based numbers of the pages without a text layer


def page_words(pdf: Path) -> list[PageText]:
    """Each page's words and their boxes, as poppler reads the text layer; [] if unreadable."""
    try:
        done = subprocess.run(
            ["pdftotext", "-bbox-layout", "-l", str(WEB.report_pages), str(pdf), "-"],
            check=True,
            capture_output=True,
            timeout=WEB.render_timeout_s,
        )
        root = ElementTree.fromstring(done.stdout)
    except (OSError, subprocess.SubprocessError, ElementTree.ParseError):
        return []
    pages = []
    for page in root.iter(f"{_XHTML}page"):
        words = tuple(
            Word(
                word.text or "",
                tuple(float(word.get(k, 0)) for k in ("xMin", "yMin", "xMax", "yMax")),  # type: ignore[arg-type]
            )
            for word in page.iter(f"{_XHTML}word")
        )
        pages.append(PageText(float(page.get("width", 0)), float(page.get("height", 0)), words))
    return pages


def identifying(people: Sequence[Person]) -> Callable[[str], bool]:
    """Whether a word of a report names a student: holds a roster name or part of one, an id, an
    address, or a Colab or Drive link."""
    redact = blind.redactor(people)
    return lambda word: redact(word) != word or ACCOUNT_LINK.search(word) is not None


def roster_digest(people: Sequence[Person]) -> str:
    """What the redaction depends on: a roster edit (a new student) redacts afresh."""
    digest = hashlib.sha256()
    for person in people:
        digest.update("\0".join((person.id, person.name, *person.emails)).encode() + b"\n")
    return digest.hexdigest()[:24]


def _cache(out: Path, pdf: Path, people: Sequence[Person]) -> Path:
    digest = hashlib.sha256(pdf.read_bytes()).hexdigest()[:24]
    # v2: names inside tokens and without accents are painted over too (issue 52)
    folder = out / ".serve-cache" / f"blind-report-v2-{digest}-{roster_digest(people)}"
    folder.mkdir(parents=True, exist_ok=True)
    return folder


def redacted_report(out: Path, pdf: Path, people: Sequence[Person]) -> RedactedReport:
    """The report's pages painted over where they name a student (rendered once)."""
    folder = _cache(out, pdf, people)
    record = folder / "redacted.json"
    if record.is_file():
        unverified = json.loads(record.read_text())["unverified"]
        return RedactedReport(tuple(sorted(folder.glob("page-*.png"))), tuple(unverified))
    try:
        subprocess.run(
            ["pdftoppm", "-png", "-r", str(RENDER_DPI), "-l", str(WEB.report_pages), str(pdf)]
            + [str(folder / "raw")],
            check=True,
            capture_output=True,
            timeout=WEB.render_timeout_s,
        )
    except (OSError, subprocess.SubprocessError):
        return RedactedReport((), ())
    texts = page_words(pdf)
    names = identifying(people)
    pages, unverified = [], []
    for number, raw in enumerate(sorted(folder.glob("raw-*.png")), start=1):
        text = texts[number - 1] if number <= len(texts) else None
        if text is None or not text.words:
            unverified.append(number)
        with Image.open(raw) as image:
            painted = image.convert("RGB")
        if text is not None and text.width > 0:
            _paint(painted, text, names)
        page = folder / f"page-{number:03d}.png"
        painted.save(page)
        raw.unlink()
        pages.append(page)
    record.write_text(json.dumps({"unverified": unverified}))
    return RedactedReport(tuple(pages), tuple(unverified))


def _paint(image: Image.Image, text: PageText, names: Callable[[str], bool]) -> None:
    scale_x, scale_y = image.width / text.width, image.height / text.height
    draw = ImageDraw.Draw(image)
    for word in text.words:
        if not names(word.text):
            continue
        x0, y0, x1, y1 = word.box
        draw.rectangle(
            (
                (x0 - _PAD_PT) * scale_x,
                (y0 - _PAD_PT) * scale_y,
                (x1 + _PAD_PT) * scale_x,
                (y1 + _PAD_PT) * scale_y,
            ),
            fill=_PAINT,
        )


def scrubber(people: Sequence[Person]) -> Callable[[str], str]:
    """A text with every roster name, id and address redacted, and Colab or Drive links too."""
    redact = blind.redactor(people)
    return lambda text: ACCOUNT_LINK.sub(blind.REDACTED, redact(text))
