"""The submission PDF: a cover page (student, projects, clickable Colab links, datasets,
checksums), the project reports, and an appendix with each notebook's code cells and figures.
``grader bundle`` writes it beside the zip; ``grader collect`` renders it for every student."""

from __future__ import annotations

import base64
import binascii
import io
from collections.abc import Mapping
from pathlib import Path
from typing import Any

import nbformat
from PIL import Image as PILImage
from pypdf import PdfReader, PdfWriter
from reportlab.lib import colors
from reportlab.lib.pagesizes import A4
from reportlab.lib.styles import ParagraphStyle
from reportlab.lib.units import cm
from reportlab.platypus import (
    Flowable,
    Image,
    KeepTogether,
    PageBreak,
    Paragraph,
    SimpleDocTemplate,
    Spacer,
    Table,
    TableStyle,
)

from grader.limits import SUBMISSION_PDF
from grader.outputs.sizes import format_size
from grader.pdf.fonts import MONO, SANS, code_block, fonts, paragraph
from grader.pdf.reading import DAMAGED, TOO_SLOW


def _styles() -> dict[str, ParagraphStyle]:
    registry = fonts()
    body = ParagraphStyle("body", fontName=registry.face(SANS), fontSize=9.5, leading=12.5)
    bold = registry.face(SANS, bold=True)
    mono = registry.face(MONO)
    return {
        "title": ParagraphStyle(
            "title", body, fontName=bold, fontSize=17, leading=21, spaceAfter=4
        ),
        "h2": ParagraphStyle(
            "h2", body, fontName=bold, fontSize=12, leading=15, spaceBefore=10, spaceAfter=4
        ),
        "body": body,
        "link": ParagraphStyle("link", body, textColor=colors.HexColor("#1a56c4"), linkUnderline=1),
        "small": ParagraphStyle(
            "small", body, fontSize=7.5, leading=9.5, textColor=colors.HexColor("#555555")
        ),
        "warn": ParagraphStyle("warn", body, textColor=colors.HexColor("#b00020")),
        "mono": ParagraphStyle("mono", body, fontName=mono, fontSize=6.8, leading=8.4),
        "code": ParagraphStyle(
            "code",
            body,
            fontName=mono,
            fontSize=7.5,
            leading=9.2,
            backColor=colors.HexColor("#f3f3f3"),
            borderPadding=3,
            spaceBefore=5,
            spaceAfter=9,
        ),
    }


def _printable(text: str) -> str:
    """Text without control characters or lone surrogates, which the PDF fonts cannot draw."""
    text = text.encode("utf-8", "replace").decode("utf-8").expandtabs(4)
    return "".join(ch for ch in text if ch in "\n" or ch >= " " and ch != "\x7f")


def _para(text: str, style: ParagraphStyle) -> Paragraph:
    return paragraph(_printable(text), style)


def _link(url: str, style: ParagraphStyle) -> Paragraph:
    return paragraph(_printable(url), style, link=url)


def _pdf_bytes(story: list, title: str) -> bytes:
    """``story`` typeset on A4 with the submission's margins, as PDF bytes."""
    buffer = io.BytesIO()
    doc = SimpleDocTemplate(
        buffer,
        pagesize=A4,
        title=title,
        initialFontName=fonts().face(SANS),
        leftMargin=1.8 * cm,
        rightMargin=1.8 * cm,
        topMargin=1.6 * cm,
        bottomMargin=1.6 * cm,
    )
    doc.build(story)
    return buffer.getvalue()


def _file_cell(root: Path, relpath: str | None, style: ParagraphStyle) -> Paragraph:
    if relpath is None:
        return _para("none", style)
    path = root / relpath
    size = f" ({format_size(path.stat().st_size)})" if path.is_file() else " (not found)"
    return _para(relpath + size, style)


def _cover(manifest: Mapping[str, Any], root: Path, s: Mapping[str, ParagraphStyle]) -> list:
    """The cover page(s): student, projects with clickable Colab links, datasets, checksums."""
    student = manifest["student"]
    story: list = [
        _para(f"Submission of {student['name'] or student['id']}", s["title"]),
        _para(f"Student ID {student['id']}  ·  {student['email']}", s["body"]),
        _para(f"Bundle created {manifest.get('created') or 'unknown'}", s["body"]),
    ]
    if manifest.get("submitted_at"):
        late = "  ·  LATE" if manifest.get("late") else ""
        source = manifest.get("source") or ""
        story.append(
            _para(
                f"Submitted {manifest['submitted_at']}{late}  ·  from {source}",
                s["warn"] if late else s["body"],
            )
        )
    grid = TableStyle(
        [
            ("FONTNAME", (0, 0), (-1, -1), s["body"].fontName),  # not Helvetica, not embedded
            ("VALIGN", (0, 0), (-1, -1), "TOP"),
            ("LINEBELOW", (0, 0), (-1, -1), 0.25, colors.HexColor("#dddddd")),
            ("LEFTPADDING", (0, 0), (-1, -1), 2),
        ]
    )
    for number, project in enumerate(manifest["projects"], 1):
        story.append(_para(f"Project {number}: {project.get('title') or '(no title)'}", s["h2"]))
        colab = project.get("colab")
        if project.get("dataset"):
            dataset = _file_cell(root, project["dataset"], s["body"])
        elif project.get("dataset_link"):
            dataset = _link(project["dataset_link"], s["link"])
        else:
            dataset = _para("none", s["body"])
        cells = {
            "Colab": _link(colab, s["link"]) if colab else _para("none", s["warn"]),
            "Notebook": _file_cell(root, project.get("notebook"), s["body"]),
            "Report": _file_cell(root, project.get("report"), s["body"]),
            "Dataset": dataset,
        }
        rows = [[_para(label, s["body"]), cell] for label, cell in cells.items()]
        story.append(Table(rows, colWidths=[2.2 * cm, 15 * cm], style=grid, hAlign="LEFT"))
    if manifest.get("missing"):
        story.append(_para("Missing", s["h2"]))
        story.extend(_para(f"• {item}", s["warn"]) for item in manifest["missing"])
    if manifest.get("notes"):
        story.append(_para("Notes", s["h2"]))
        story.extend(_para(f"• {note}", s["body"]) for note in manifest["notes"])
    story.append(_para("Files and SHA-256 checksums", s["h2"]))
    rows = []
    for relpath, digest in manifest["files"].items():
        path = root / relpath
        size = format_size(path.stat().st_size) if path.is_file() else "not found"
        rows.append([_para(relpath, s["mono"]), _para(size, s["mono"]), _para(digest, s["mono"])])
    if rows:
        story.append(
            Table(rows, colWidths=[5.4 * cm, 1.6 * cm, 10.4 * cm], style=grid, hAlign="LEFT")
        )
    story.append(Spacer(1, 6))
    story.append(
        _para(
            "Check a file with: sha256sum <file>. The reports and an appendix with "
            "each notebook's code cells and figures follow.",
            s["small"],
        )
    )
    return story


def _figures(cell: Any) -> list[bytes]:
    """PNG and JPEG images among a code cell's outputs."""
    images = []
    for output in cell.get("outputs", []):
        data = output.get("data", {}) if isinstance(output, dict) else {}
        for mime in ("image/png", "image/jpeg"):
            encoded = data.get(mime)
            if isinstance(encoded, list):
                encoded = "".join(encoded)
            if isinstance(encoded, str):
                try:
                    images.append(base64.b64decode(encoded))
                except (binascii.Error, ValueError):
                    continue
                break
    return images


def _figure(data: bytes, width: float, max_height: float, s: Mapping[str, ParagraphStyle]):
    try:
        with PILImage.open(io.BytesIO(data)) as picture:
            pixels_wide, pixels_high = picture.size
    except Exception as error:  # PIL raises many types for broken images
        return _para(f"[figure not shown: {type(error).__name__}]", s["small"])
    if (
        pixels_wide * pixels_high > SUBMISSION_PDF.figure_pixels
        or not pixels_wide
        or not pixels_high
    ):
        return _para(f"[figure not shown: {pixels_wide}x{pixels_high} pixels]", s["small"])
    scale = min(width / pixels_wide, max_height / pixels_high, 0.75)
    return Image(
        io.BytesIO(data), width=pixels_wide * scale, height=pixels_high * scale, hAlign="LEFT"
    )


def notebook_pdf(title: str, path: Path) -> bytes:
    """An appendix section alone: the notebook's code cells and figures."""
    return _pdf_bytes(_appendix(title, path, _styles()), title)


def _appendix(title: str, path: Path, s: Mapping[str, ParagraphStyle]) -> list:
    """An appendix section: the notebook's code cells and figures, cut to a readable length."""
    story: list = [_para(title, s["title"])]
    try:
        notebook = nbformat.read(path, as_version=4)
    except Exception as error:  # nbformat raises JSON, validation and version errors alike
        story.append(
            _para(f"The notebook could not be read: {type(error).__name__}: {error}", s["warn"])
        )
        return story
    lines_left, figures_left = SUBMISSION_PDF.notebook_lines, SUBMISSION_PDF.figures
    width = A4[0] - 3.6 * cm - 12  # the frame less its padding
    code_cells = [cell for cell in notebook.cells if cell.get("cell_type") == "code"]
    if not code_cells:
        story.append(_para("The notebook has no code cells.", s["body"]))
    for cell in code_cells:
        if lines_left <= 0:
            story.append(
                _para("[the rest of the notebook is not shown: see the notebook]", s["small"])
            )
            break
        lines = _printable(str(cell.get("source", ""))).splitlines() or [""]
        shown = lines[: min(SUBMISSION_PDF.cell_lines, lines_left)]
        lines_left -= len(shown)
        if len(lines) > len(shown):
            shown.append(f"# ... {len(lines) - len(shown)} more lines not shown")
        count = cell.get("execution_count")
        label = _para(f"In [{count if count is not None else ' '}]:", s["small"])
        code = code_block("\n".join(shown), s["code"], width)
        # A short cell moves whole to the next page; a long one starts at once and splits.
        story.extend([KeepTogether([label, code])] if len(shown) < 40 else [label, code])
        for data in _figures(cell):
            if figures_left <= 0:
                break
            figures_left -= 1
            story.append(_figure(data, width, 9 * cm, s))
            story.append(Spacer(1, 6))
    return story


def _stand_in(title: str, message: str, s: Mapping[str, ParagraphStyle]) -> list:
    """A page in place of a file that cannot be shown, saying why."""
    return [_para(title, s["title"]), _para(message, s["warn"])]


class _SectionStart(Flowable):
    """Takes no room, and notes the page it is drawn on: where its section begins."""

    def __init__(self, starts: list[int]):
        super().__init__()
        self.starts = starts

    def wrap(self, available_width: float, available_height: float) -> tuple[float, float]:
        return 0, 0

    def draw(self) -> None:
        self.starts.append(self.canv.getPageNumber() - 1)


def _typeset_sections(stories: list[list], title: str) -> tuple[PdfReader, list[tuple[int, int]]]:
    """The stories typeset in one document, each from a new page, and each one's page range
    (first, past the last). One document embeds each font once, where a document per section
    embedded it again in each (three times the typesetting and the merging)."""
    starts: list[int] = []
    story: list = []
    for number, section in enumerate(stories):
        story.extend([*([PageBreak()] if number else []), _SectionStart(starts), *section])
    reader = PdfReader(io.BytesIO(_pdf_bytes(story, title)))
    ends = [*starts[1:], len(reader.pages)]
    return reader, list(zip(starts, ends, strict=True))


def write_submission_pdf(
    manifest: Mapping[str, Any], root: Path, output: Path
) -> list[tuple[str, int]]:
    """Write the whole submission as one PDF, with bookmarks; return (bookmark, first page) pairs.

    ``root`` is the folder holding the files at the manifest's relative paths.
    """
    s = _styles()
    # In the PDF's order: each a story to typeset or a report's own pages (PDF bytes), and its
    # bookmark (None: it goes on the section before, as the note of a report's pages left out).
    sections: list[tuple[str | None, list | bytes]] = [("Cover", _cover(manifest, root, s))]
    for number, project in enumerate(manifest["projects"], 1):
        if report := project.get("report"):
            title = f"Project {number} report"
            problems = manifest.get("checks", {}).get(report, {}).get("problems", [])
            if any(problem.startswith(TOO_SLOW) for problem in problems):
                # collect found it stalls a reader: it is never opened in this process
                stand_in = _stand_in(title, f"{Path(report).name}: {TOO_SLOW}", s)
                sections.append((title, stand_in))
            else:
                parts = _report_parts(title, root / report, s)
                sections += [(title, parts[0]), *((None, part) for part in parts[1:])]
    for number, project in enumerate(manifest["projects"], 1):
        if project.get("notebook"):
            title = f"Appendix {number}: project {number} notebook {Path(project['notebook']).name}"
            sections.append((title, _appendix(title, root / project["notebook"], s)))
    stories = [content for _, content in sections if isinstance(content, list)]
    typeset, ranges = _typeset_sections(stories, f"Submission {manifest['student']['id']}")
    pages = iter(ranges)
    writer = PdfWriter()
    outline = []
    for bookmark, content in sections:
        if bookmark is not None:
            outline.append((bookmark, len(writer.pages)))
        if isinstance(content, bytes):
            writer.append(io.BytesIO(content), import_outline=False)
        else:
            writer.append(typeset, pages=next(pages), import_outline=False)
    for title, page in outline:
        writer.add_outline_item(title=title, page_number=page)
    writer.add_metadata({"/Title": f"Submission {manifest['student']['id']}"})
    with output.open("wb") as stream:
        writer.write(stream)
    return outline


def _report_parts(title: str, path: Path, s: Mapping[str, ParagraphStyle]) -> list[list | bytes]:
    """The report's own pages (PDF bytes), then a note of those left out where it has more than
    are shown; or a stand-in page saying why they cannot be shown."""
    try:
        reader = PdfReader(path)
        writer = PdfWriter()
        for page in reader.pages[: SUBMISSION_PDF.report_pages]:
            writer.add_page(page)
        buffer = io.BytesIO()
        writer.write(buffer)  # reads every object shown: a broken one raises here
        more = len(reader.pages) - SUBMISSION_PDF.report_pages
    except Exception:  # pypdf raises many types for broken or hostile PDFs
        return [_stand_in(title, f"{path.name}: {DAMAGED}", s)]
    note = [_stand_in(title, f"{more} more pages not shown.", s)] if more > 0 else []
    return [buffer.getvalue(), *note]
