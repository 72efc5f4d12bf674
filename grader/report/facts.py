"""What a project report PDF shows a marker at a glance: the ``--check`` verdict, pages, words
per section, figures and references counted. Reads PDFs made with any tool; never raises."""

from __future__ import annotations

import re
from pathlib import Path
from typing import Any

from grader import report
from grader.limits import REPORT
from grader.pdf.reading import PdfUnreadable, read_pdf

_HEADING_WORDS = 8  # a heading line is short
_TAIL = re.compile(r"\s*(?:&|:|\(|\band explanation\b|\band explanations\b).*$", re.IGNORECASE)
_CAPTION = re.compile(r"^\s*(?:figure|fig\.)\s*(\d+)", re.IGNORECASE | re.MULTILINE)
_REFERENCE_ENTRY = re.compile(r"^\s*(?:\[\d+\]|\d+\.\s|\d+\)\s|[-•]\s)", re.MULTILINE)
_CITATION = re.compile(r"\[\d+(?:\s*[,–-]\s*\d+)*\]|\([A-Z][A-Za-z-]+(?: et al\.)?,? \d{4}\)")


def report_facts(pdf: Path) -> dict[str, Any]:
    """The facts of one report PDF as plain data (JSON-ready)."""
    problems = report.check_pdf(pdf)
    facts: dict[str, Any] = {
        "file": pdf.name,
        "verdict": "passes --check" if not problems else "fails --check",
        "problems": [p.removeprefix(f"{pdf}: ") for p in problems],
    }
    try:  # in a child process with CPU-time and memory limits, as the check reads it
        read = read_pdf(pdf, read_pages=REPORT.pages_read)
    except PdfUnreadable as unreadable:  # a finding; check_pdf already says so
        facts.update(pages=None, words={}, figures=None, references=None, error=unreadable.reason)
        return facts
    pages, images = read.texts, read.images
    words, sections = _sections(pages)
    captions = {int(n) for n in _CAPTION.findall("\n".join(pages))}
    references_text = sections.get("References", "")
    entries = len(_REFERENCE_ENTRY.findall(references_text))
    guessed = False
    if not entries and references_text.strip():
        entries = sum(1 for line in references_text.splitlines() if re.search(r"\d{4}|http", line))
        guessed = True
    body = "\n".join(text for name, text in sections.items() if name != "References")
    facts.update(
        pages=len(pages),
        words=words,
        total_words=sum(words.values()),
        figures=max(images, len(captions)),
        figure_images=images,
        figure_captions=len(captions),
        references=entries,
        references_guessed=guessed,
        citations_in_text=len(_CITATION.findall(body)),
    )
    return facts


def section_heading(line: str) -> str | None:
    """The report section a short line names ("3. Data Visualization & explanation"), or None."""
    if not line.strip() or len(line.split()) > _HEADING_WORDS:
        return None
    return report.section_of(line) or report.section_of(_TAIL.sub("", line))


def _sections(pages: list[str]) -> tuple[dict[str, int], dict[str, str]]:
    """Words per section (the six in the report's order, 0 when absent) and each one's text."""
    texts: dict[str, list[str]] = {}
    current: str | None = None
    for line in "\n".join(pages).splitlines():
        name = section_heading(line)
        if name is not None and name not in texts:
            current = name
            texts[name] = []
            continue
        if current is not None:
            texts[current].append(line)
    sections = {name: "\n".join(lines) for name, lines in texts.items()}
    words = {name: len(sections.get(name, "").split()) for name in report.SECTIONS}
    return words, sections


def report_text(pdf: Path) -> tuple[dict[str, str], str] | str:
    """A report's text by section and whole (for the projects' checks of its numbers and
    sources); the reason it cannot be read instead."""
    try:
        read = read_pdf(pdf, read_pages=REPORT.pages_read)
    except PdfUnreadable as unreadable:
        return unreadable.reason
    return _sections(read.texts)[1], "\n".join(read.texts)
