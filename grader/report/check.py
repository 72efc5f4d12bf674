"""Checking a report PDF made with any tool (Word, LibreOffice, LaTeX, pandoc, Google Docs, us):
at most two pages of at most A4 or US Letter, text that can be extracted, and the six section
headings, by any of their accepted names, in order."""

from __future__ import annotations

from collections.abc import Sequence
from pathlib import Path

from reportlab.lib.pagesizes import A4, LETTER

from grader.limits import REPORT
from grader.pdf.reading import (
    PdfFacts,
    PdfLimits,
    PdfUnreadable,
    read_pdf,
)
from grader.report.sections import SECTIONS, accepted_names, closest, order_text, section_of

# A page may be this much larger than A4 or Letter (a tool's rounding, a trimmed margin).
SIZE_TOLERANCE = 8.5  # pt (3 mm)
_PAPERS = {"A4": A4, "US Letter": LETTER}
_CM = 72 / 2.54


def check_pdf(path: Path, limits: PdfLimits | None = None) -> list[str]:
    """Problems of a report PDF made with any tool: at most two pages no larger than A4 or US
    Letter, the six section headings in order, extractable text. An empty list means the PDF
    passes. The PDF is read in a limited child process (:mod:`grader.pdf.reading`);
    every problem is worded for the student. Never raises for anything in the PDF."""
    path = Path(path)
    if not path.is_file():
        return [f"{path}: no such file"]
    try:
        facts = read_pdf(path, limits=limits)
    except PdfUnreadable as unreadable:
        return [f"{path}: {unreadable.reason}"]
    if not facts.pages:
        return [f"{path}: the PDF has no pages"]
    problems = []
    if facts.pages > REPORT.max_pages:
        problems.append(
            f"{path}: {facts.pages} pages; the report must fit on {REPORT.max_pages} pages"
        )
    problems.extend(f"{path}: {problem}" for problem in _size_problems(facts.sizes))
    if not "".join(facts.texts).strip():
        problems.append(f"{path}: {_no_text(facts)}")
        return problems
    if facts.unreadable:
        listed = ", ".join(str(number) for number in facts.unreadable)
        problems.append(
            f"{path}: the text of page(s) {listed} cannot be read (the PDF is partly damaged): "
            "export it again from the program that made it"
        )
    problems.extend(f"{path}: {problem}" for problem in _heading_problems(facts.texts))
    return problems


def _no_text(facts: PdfFacts) -> str:
    """Why no text came out: pictures of pages (a scan, a photo), damaged pages, or fonts
    that carry no text."""
    export = "export the PDF from your editor (Word, LaTeX, Google Docs: File > Download > PDF)"
    if facts.unreadable and len(facts.unreadable) == len(facts.texts):
        return f"the text of its pages cannot be read (the PDF is damaged): {export}"
    if facts.images:
        return (
            f"no text can be extracted: the pages are pictures (a scan, a photo or a "
            f"screenshot?): {export}"
        )
    return (
        f"no text can be extracted: its fonts carry no text (printed to PDF as outlines?): {export}"
    )


def _fits(size: tuple[float, float]) -> bool:
    short, long = sorted(abs(side) for side in size)
    return any(
        short <= min(paper) + SIZE_TOLERANCE and long <= max(paper) + SIZE_TOLERANCE
        for paper in _PAPERS.values()
    )


def _centimetres(size: tuple[float, float]) -> str:
    return f"{size[0] / _CM:.1f} × {size[1] / _CM:.1f} cm"


def _size_problems(sizes: Sequence[tuple[float, float]]) -> list[str]:
    """One problem for the pages larger than A4 and US Letter, with their sizes."""
    large = [(number, size) for number, size in enumerate(sizes, start=1) if not _fits(size)]
    if not large:
        return []
    listed = ", ".join(f"page {number} is {_centimetres(size)}" for number, size in large[:3])
    papers = " or ".join(f"{name} ({_centimetres(size)})" for name, size in _PAPERS.items())
    return [
        f"{listed}{' and more' if len(large) > 3 else ''}: a report page is at most {papers}; "
        f"set the paper size to A4 or Letter in your editor and export the PDF again"
    ]


def _heading_problems(pages: Sequence[str]) -> list[str]:
    """Find the six headings in order as lines, or runs of up to three lines, of the text."""
    lines = [
        (number, line.strip())
        for number, text in enumerate(pages, start=1)
        for line in text.splitlines()
        if line.strip()
    ]
    found: dict[str, list[int]] = {}
    for i in range(len(lines)):
        for span in (1, 2, 3):
            name = section_of(" ".join(line for _, line in lines[i : i + span]))
            if name:
                found.setdefault(name, []).append(i)
                break
    if not found:
        return [
            f"no section heading could be read as text, though the PDF has text: the headings "
            f"({order_text()}) may be pictures, outlined or drawn shapes, or set in a font "
            f"without a text mapping. Export the PDF with the headings as text (in Word or "
            f"LibreOffice use the Heading styles and File > Export as PDF; in LaTeX \\section; "
            f"never a picture of the heading), then check again"
        ]
    short_lines = [
        (n, line) for n, line in lines if len(line.split()) <= 6 and not line.endswith(".")
    ]
    problems = []
    position = -1
    for name in SECTIONS:
        if name not in found:
            problems.append(_missing(name, short_lines))
            continue
        later = [i for i in found[name] if i > position]
        if later:
            position = later[0]
        else:
            page = lines[found[name][0]][0]
            problems.append(
                f"section '{name}' (page {page}) is out of order: the sections go {order_text()}"
            )
    return problems


def _missing(name: str, lines: Sequence[tuple[int, str]]) -> str:
    """A missing section, with the names it may have and the line that looks most like it."""
    message = f"section '{name}' not found: add a heading {accepted_names(name)}"
    near = closest(name, [line for _, line in lines if not section_of(line)])
    if near:
        page = next(number for number, line in lines if line == near)
        message += f"; is '{near}' (page {page}) meant to be it? Rename it to one of those"
    return message
