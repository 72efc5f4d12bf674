"""The merged PDF: every submission behind one index whose rows link to each student."""

from __future__ import annotations

import hashlib
import io
import json
import math
from collections.abc import Sequence
from dataclasses import dataclass
from datetime import datetime
from pathlib import Path
from typing import Any

from pypdf import PdfReader, PdfWriter
from pypdf.annotations import Link
from reportlab.lib.colors import Color
from reportlab.lib.pagesizes import A4
from reportlab.lib.styles import ParagraphStyle
from reportlab.pdfgen.canvas import Canvas

from grader.batch.processes import in_processes
from grader.batch.progress import counted
from grader.intake.common import MERGED_PDF, REJECTED_CSV
from grader.limits import INTAKE
from grader.pdf.fonts import SANS, draw_line, fonts
from grader.pdf.submission import write_submission_pdf

_ROW, _ROWS_PER_PAGE, _MARGIN = 15.0, 44, 45.0
_INDEX_HINT = (
    "Click a row to open that submission; the bookmarks list every cover, report, notebook."
)
_COLUMNS = (
    ("#", 22),
    ("Student", 82),
    ("Name", 118),
    ("Submitted", 130),
    ("Late", 32),
    ("Missing", 80),
    ("Page", 36),
)
_INPUTS_KEY = "/GraderInputs"  # the fingerprint of what the PDF shows
# Where each student's part is in the PDF, by a digest of what it shows: a collect after new mail
# takes the parts of students whose hand-in did not change from the PDF it replaces.
_PARTS_KEY = "/GraderParts"
_LATE_COLOR, _LINK_COLOR = (0.69, 0.0, 0.13), (0.1, 0.34, 0.77)


def _index_styles() -> dict[str, ParagraphStyle]:
    registry = fonts()
    text = ParagraphStyle("index", fontName=registry.face(SANS), fontSize=8.5, leading=10)
    bold = registry.face(SANS, bold=True)
    return {
        "title": ParagraphStyle("index-title", text, fontName=bold, fontSize=15, leading=18),
        "note": ParagraphStyle("index-note", text, fontSize=9, leading=11),
        "heading": ParagraphStyle("index-heading", text, fontName=bold),
        "cell": text,
        "link": ParagraphStyle("index-link", text, textColor=Color(*_LINK_COLOR)),
        "late": ParagraphStyle("index-late", text, textColor=Color(*_LATE_COLOR)),
    }


def _index_pdf(
    rows: Sequence[Sequence[str]], title: str, subtitle: str, footer: str
) -> tuple[bytes, list[list[tuple[float, float, float, float]]]]:
    """Index pages listing one row per student; also each page's row rectangles, for links."""
    styles = _index_styles()
    buffer = io.BytesIO()
    canvas = Canvas(buffer, pagesize=A4, initialFontName=styles["cell"].fontName)
    canvas.setTitle(title)
    width, height = A4
    pages = max(1, math.ceil(len(rows) / _ROWS_PER_PAGE))
    rects: list[list[tuple[float, float, float, float]]] = []
    for page in range(pages):
        y = height - _MARGIN - 10
        heading = title + (" (continued)" if page else "")
        draw_line(canvas, _MARGIN, y, heading, styles["title"], width - 2 * _MARGIN)
        draw_line(canvas, _MARGIN, y - 16, subtitle, styles["note"], width - 2 * _MARGIN)
        draw_line(canvas, _MARGIN, y - 28, _INDEX_HINT, styles["note"], width - 2 * _MARGIN)
        y -= 52
        x = _MARGIN
        for name, column in _COLUMNS:
            draw_line(canvas, x, y, name, styles["heading"], column - 6)
            x += column
        canvas.line(_MARGIN, y - 4, width - _MARGIN, y - 4)
        page_rects = []
        for row in rows[page * _ROWS_PER_PAGE : (page + 1) * _ROWS_PER_PAGE]:
            y -= _ROW
            x = _MARGIN
            for (name, column), cell in zip(_COLUMNS, row, strict=True):
                style = (
                    styles["late"]
                    if cell == "LATE"
                    else styles["link"]
                    if name in ("Student", "Page")
                    else styles["cell"]
                )
                draw_line(canvas, x, y, cell, style, column - 6)
                x += column
            page_rects.append((_MARGIN - 2, y - 4, width - _MARGIN + 2, y + _ROW - 4))
        if page == pages - 1 and footer:
            draw_line(canvas, _MARGIN, y - 2.2 * _ROW, footer, styles["note"], width - 2 * _MARGIN)
        rects.append(page_rects)
        canvas.showPage()
    canvas.save()
    return buffer.getvalue(), rects


def _fingerprint(
    students: Sequence[tuple[Path, dict[str, Any]]],
    deadline: datetime | None,
    rejected: int,
    sent_nothing: Sequence[str],
) -> str:
    """A digest of everything the merged PDF shows: the manifests (files by SHA-256), the
    deadline, the rejected count and who sent nothing."""
    shown = [[manifest for _, manifest in students], str(deadline), rejected, list(sent_nothing)]
    text = json.dumps(shown, sort_keys=True, ensure_ascii=False, default=str)
    return hashlib.sha256(text.encode()).hexdigest()


def _made_from(output: Path) -> str:
    """The fingerprint recorded in an earlier merged PDF, or ''."""
    try:
        metadata = PdfReader(output).metadata
        return str(metadata.get(_INPUTS_KEY, "")) if metadata is not None else ""
    except Exception:  # missing, or damaged by hand: make it again
        return ""


@dataclass(frozen=True)
class _Part:
    """One student's pages: a PDF just made, or a page range of the earlier merged PDF."""

    digest: str  # of what the part shows (see _shown)
    source: Path | PdfReader
    pages: tuple[int, int] | None  # the range in ``source``, or None for all of it
    count: int
    sections: list[tuple[str, int]]  # bookmark, first page within the part


def _shown(manifest: dict[str, Any]) -> str:
    """A digest of what one student's part shows: the manifest (its files by SHA-256, the
    student, whether late)."""
    text = json.dumps(manifest, sort_keys=True, ensure_ascii=False, default=str)
    return hashlib.sha256(text.encode()).hexdigest()


def _earlier_parts(
    output: Path,
) -> tuple[PdfReader | None, dict[str, tuple[int, int, list[tuple[str, int]]]]]:
    """The earlier merged PDF and where each part is in it; (None, {}) when there is none or
    it cannot be read (every part is made again)."""
    try:
        reader = PdfReader(output)
        metadata = reader.metadata
        layout = json.loads(str(metadata.get(_PARTS_KEY, "{}"))) if metadata is not None else {}
        kept = {
            str(digest): (int(start), int(count), [(str(t), int(n)) for t, n in sections])
            for digest, (start, count, sections) in layout.items()
        }
        if any(start + count > len(reader.pages) for start, count, _ in kept.values()):
            return None, {}
        return reader, kept
    except Exception:  # missing, or damaged by hand: make every part again
        return None, {}


def _typeset_one(job: tuple[dict[str, Any], Path, Path]) -> list[tuple[str, int]]:
    manifest, student_dir, path = job
    return write_submission_pdf(manifest, student_dir, path)


def _typeset(jobs: list[tuple[dict[str, Any], Path, Path]]) -> dict[Path, list[tuple[str, int]]]:
    """Each (manifest, student folder, PDF path) typeset, with counts and the time left; a large
    class's over several processes (each student's PDF is its own work). Its bookmarks by
    path."""
    made = in_processes(
        _typeset_one,
        jobs,
        most_workers=INTAKE.pdf_workers,
        from_items=INTAKE.pdf_parallel_from,
        chunksize=4,
    )
    return {path: next(made) for _, _, path in counted(jobs, "merged PDF", lambda j: j[1].name)}


def write_merged_pdf(
    students: Sequence[tuple[Path, dict[str, Any]]],
    output: Path,
    staging: Path,
    deadline: datetime | None,
    rejected: int,
    sent_nothing: Sequence[str] = (),
) -> Path:
    """One PDF of every submission: an index whose rows link to each student, and bookmarks.

    Made again only when what it shows changed, so that collecting the same inbox again
    changes no file (the index says when it was made); then the parts of students whose
    hand-in did not change are copied from the earlier PDF, not typeset again."""
    inputs = _fingerprint(students, deadline, rejected, sent_nothing)
    if _made_from(output) == inputs:
        return output
    earlier, kept = _earlier_parts(output)
    digests = [_shown(manifest) for _, manifest in students]
    made = {
        number: (manifest, student_dir, staging / f"student-{number}.pdf")
        for number, (student_dir, manifest) in enumerate(students)
        if earlier is None or digests[number] not in kept
    }
    sections_of = _typeset(list(made.values()))
    parts = []
    for number, digest in enumerate(digests):
        if earlier is not None and number not in made:
            start, count, sections = kept[digest]
            parts.append(_Part(digest, earlier, (start, start + count), count, sections))
        else:
            path = made[number][2]
            parts.append(_Part(digest, path, None, len(PdfReader(path).pages), sections_of[path]))
    pages_per_index = max(1, math.ceil(len(students) / _ROWS_PER_PAGE))
    writer = PdfWriter()
    starts, page = [], pages_per_index
    for part in parts:
        starts.append(page)
        page += part.count
    rows = []
    for number, ((_, manifest), start) in enumerate(zip(students, starts, strict=True), 1):
        rows.append(
            [
                str(number),
                manifest["student"]["id"],
                manifest["student"]["name"],
                manifest["submitted_at"].replace("T", " "),
                "LATE" if manifest["late"] else "",
                f"{len(manifest['missing'])} item(s)" if manifest["missing"] else "",
                str(start + 1),
            ]
        )
    deadline_text = f"deadline {deadline.isoformat()}" if deadline else "no deadline given"
    late = sum(1 for _, manifest in students if manifest["late"])
    subtitle = (
        f"{len(students)} students · {late} late · {deadline_text} · "
        f"collected {datetime.now().astimezone().isoformat(timespec='minutes')}"
    )
    footer = f"{rejected} submission(s) rejected: see {REJECTED_CSV}. " if rejected else ""
    if sent_nothing:
        footer += f"{len(sent_nothing)} on the roster sent nothing: {', '.join(sent_nothing)}."
    index, rects = _index_pdf(rows, "Submissions", subtitle, footer)
    writer.append(io.BytesIO(index), import_outline=False)
    for part in parts:
        writer.append(part.source, pages=part.pages, import_outline=False)
    writer.add_outline_item(title="Index", page_number=0)
    for (_, manifest), part, start in zip(students, parts, starts, strict=True):
        student = manifest["student"]
        late_mark = " (late)" if manifest["late"] else ""
        parent = writer.add_outline_item(
            title=f"{student['id']}: {student['name']}{late_mark}", page_number=start, is_open=False
        )
        for title, offset in part.sections:
            writer.add_outline_item(title=title, page_number=start + offset, parent=parent)
    flat_rects = [(page, rect) for page, page_rects in enumerate(rects) for rect in page_rects]
    for (page, rect), start in zip(flat_rects, starts, strict=True):
        writer.add_annotation(page_number=page, annotation=Link(rect=rect, target_page_index=start))
    layout = {
        p.digest: [start, p.count, p.sections] for p, start in zip(parts, starts, strict=True)
    }
    writer.add_metadata(
        {"/Title": "All submissions", _INPUTS_KEY: inputs, _PARTS_KEY: json.dumps(layout)}
    )
    temporary = staging / MERGED_PDF
    with temporary.open("wb") as stream:
        writer.write(stream)
    temporary.replace(output)
    return output
