"""The submission PDF's sections (``grader bundle`` and every student's part of the merged PDF):
whatever a student hands in (no project or three, notebooks of a page or several, reports of
several pages, damaged or too slow to read), each bookmark opens the first page of its section,
the sections follow one another with no page lost or repeated, and each font is embedded once
in the whole PDF, not once per section (the cover and appendices are typeset together)."""

from __future__ import annotations

import hashlib
import tempfile
from pathlib import Path

from hypothesis import HealthCheck, example, given, settings
from hypothesis import strategies as st
from pypdf import PdfReader
from submission_kit import notebook_file, page_fonts, page_text, report_pdf

from grader.limits import SUBMISSION_PDF
from grader.pdf.reading import DAMAGED, TOO_SLOW
from grader.pdf.submission import write_submission_pdf

REPORTS = ("none", "pages", "damaged", "too slow")
project = st.fixed_dictionaries(
    {
        "report": st.sampled_from(REPORTS),
        "report_pages": st.integers(1, SUBMISSION_PDF.report_pages + 2),
        # lines of each code cell: one cell of 130 is cut at 120; a dozen of 60 run over pages
        "cells": st.lists(st.integers(1, 130), max_size=12),
    }
)


def handed_in(folder: Path, projects: list[dict]) -> dict:
    """The files of ``projects`` written under ``folder``, and their manifest as collect and
    bundle write it."""
    manifest: dict = {
        "student": {"id": "CS21B007", "name": "Asha Verma", "email": "asha@example.edu"},
        "created": "2026-11-20T10:00:00+05:30",
        "projects": [],
        "files": {},
        "checks": {},
        "missing": [],
    }
    for number, planned in enumerate(projects, 1):
        entry: dict = {"title": f"Project {number}", "colab": None}
        code = ["\n".join(f"x{n} = {n}" for n in range(lines)) for lines in planned["cells"]]
        notebook = notebook_file(folder / f"p{number}.ipynb", code=code, png=bool(code))
        entry["notebook"] = notebook.name
        report = folder / f"report{number}.pdf"
        if planned["report"] == "pages":
            report_pdf(report, pages=planned["report_pages"], title=f"Report {number}")
        elif planned["report"] != "none":
            report.write_bytes(b"%PDF-1.7\nnot a PDF past its header\n")
        if planned["report"] != "none":
            entry["report"] = report.name
        if planned["report"] == "too slow":
            manifest["checks"][report.name] = {"problems": [f"{TOO_SLOW} (over 20 s)"]}
        manifest["projects"].append(entry)
    for path in sorted(folder.iterdir()):
        manifest["files"][path.name] = hashlib.sha256(path.read_bytes()).hexdigest()
    return manifest


def section_starts(planned: list[dict]) -> list[tuple[str, str, str]]:
    """(bookmark, how its first page begins, what else it says) of each section, in the PDF's
    order: a report that cannot be shown is a page saying why."""
    starts = [("Cover", "Submission of Asha Verma", "")]
    for number, project in enumerate(planned, 1):
        title = f"Project {number} report"
        if project["report"] == "pages":
            starts.append((title, f"Report {number}", ""))
        elif project["report"] != "none":
            why = DAMAGED if project["report"] == "damaged" else TOO_SLOW
            starts.append((title, title, " ".join(why.split()[:4])))
    for number in range(1, len(planned) + 1):
        title = f"Appendix {number}: project {number} notebook p{number}.ipynb"
        starts.append((title, title, ""))
    return starts


@settings(
    max_examples=12,
    deadline=None,
    suppress_health_check=[HealthCheck.function_scoped_fixture, HealthCheck.too_slow],
)
@given(planned=st.lists(project, max_size=3))
@example(  # every kind of report at once, and a notebook of several pages cut short
    planned=[
        {"report": "pages", "report_pages": SUBMISSION_PDF.report_pages + 2, "cells": [130] * 12},
        {"report": "damaged", "report_pages": 1, "cells": [60] * 6},
        {"report": "too slow", "report_pages": 1, "cells": []},
    ]
)
def test_each_bookmark_opens_its_section_and_each_font_is_embedded_once(tmp_path, planned):
    folder = Path(tempfile.mkdtemp(prefix="hand-in-", dir=tmp_path))  # one per example
    manifest = handed_in(folder, planned)
    pdf = folder / "submission.pdf"
    outline = write_submission_pdf(manifest, folder, pdf)
    reader = PdfReader(pdf)
    marks = [(item.title, reader.get_destination_page_number(item)) for item in reader.outline]
    assert marks == outline
    expected = section_starts(planned)
    assert [title for title, _ in marks] == [title for title, _, _ in expected]
    firsts = [page for _, page in marks]
    assert firsts[0] == 0 and firsts == sorted(set(firsts)), marks  # each at least a page
    for (title, page), (_, begins, says) in zip(marks, expected, strict=True):
        text = " ".join(page_text(pdf, page + 1).split())
        assert text.startswith(begins) and says in text, (title, text[:300])
    for number, project in enumerate(planned, 1):
        if project["report"] == "pages":  # its pages, none twice, and a note of those left out
            first = dict(marks)[f"Project {number} report"]
            following = firsts[firsts.index(first) + 1]
            shown = min(project["report_pages"], SUBMISSION_PDF.report_pages)
            more = project["report_pages"] - shown
            assert following - first == shown + (more > 0)
            if more:
                note = " ".join(page_text(pdf, following).split())
                assert note == f"Project {number} report {more} more pages not shown.", note
    # each font object once, named without its subset tag (AAAAAA+DejaVuSans)
    fonts = [name.split("+")[-1] for name, _, embedded in page_fonts(pdf) if embedded]
    assert fonts and len(fonts) == len(set(fonts)), fonts
