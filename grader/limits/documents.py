"""PDFs: reading one, the project report's rules, and the merged PDF of every hand-in."""

from __future__ import annotations

import os
from dataclasses import dataclass

from grader.errors import UserError
from grader.limits.units import MiB


@dataclass(frozen=True)
class PdfLimits:
    """What reading one PDF may take. A two-page report from Word, LaTeX or Google Docs
    reads in well under a second and 100 MB; a 350-page book's page sizes and first pages in
    a few seconds."""

    cpu_seconds: int = 20  # the reading child's CPU time (RLIMIT_CPU), at most
    memory_bytes: int = 1536 * MiB  # address space: pypdf's own share is the most
    wall_seconds: float = 120.0  # a child waiting on a busy machine, never forever

    @classmethod
    def from_environment(cls) -> PdfLimits:
        """The defaults, or ``GRADER_PDF_CPU_SECONDS`` and ``GRADER_PDF_MEMORY_MB`` where set
        (a slow machine, a course whose reports are large)."""
        try:
            cpu = int(os.environ.get("GRADER_PDF_CPU_SECONDS") or cls.cpu_seconds)
            memory = int(os.environ.get("GRADER_PDF_MEMORY_MB") or 0) * MiB
        except ValueError:
            raise UserError(
                "GRADER_PDF_CPU_SECONDS and GRADER_PDF_MEMORY_MB must be whole numbers"
            ) from None
        return cls(cpu, memory or cls.memory_bytes, max(cls.wall_seconds, 6.0 * cpu))


PDF = PdfLimits()


@dataclass(frozen=True)
class ReportRules:
    """The project report's rules (``grader report --check``), and how much of a PDF is read."""

    max_pages: int = 2  # the course's rule for a project report
    min_body_pt: float = 9.0  # body text no smaller than this
    pages_read: int = 10  # first pages whose text is read (a report's facts, its check)
    pdfs_kept: int = 512  # PDFs whose reading a process keeps, by content
    # A figure is decoded at 4 bytes a pixel before it is scaled down: 50 megapixels is 200 MB
    # at most, and a plot saved with plt.savefig(dpi=300) is a few megapixels. Larger is
    # refused with advice (a decompression bomb among them).
    figure_max_pixels: int = 50_000_000
    # An A4 page's width at 300 dpi: a figure is never printed larger, so more pixels are only
    # memory and megabytes in the PDF.
    figure_side_pixels: int = 2480
    caption_chars: int = 300  # a caption taken from the markdown before a plot: a sentence or two


REPORT = ReportRules()


@dataclass(frozen=True)
class SubmissionPdfLimits:
    """The merged PDF of every hand-in: so that a notebook printing megabytes stays readable."""

    report_pages: int = 6  # of each report copied in (the rules allow two); more are counted
    cell_lines: int = 120  # of one cell's source; the rest is cut with a note
    notebook_lines: int = 2500  # of one notebook's code, all cells together: about 40 pages
    figures: int = 40  # of one notebook's plots drawn; the rest are left out
    figure_pixels: int = 25_000_000  # of one plot: a larger one is named by its size, not drawn


SUBMISSION_PDF = SubmissionPdfLimits()
