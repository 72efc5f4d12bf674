"""The two-page project report: build it from Markdown or a notebook, or check any report PDF.

``build_report`` reads a Markdown file started from ``templates/report.md`` (or a notebook whose
markdown cells hold the sections), checks the six sections, and typesets a short paper with
ReportLab's platypus: a title block, the sections, figures with captions, tables, TeX math set by
matplotlib's mathtext, numbered references and page numbers. It tries layouts from roomy to
tight until the report fits on two pages, and refuses with the size of the overflow when even
the tightest does not. ``check_pdf`` checks a report PDF made with any tool.

Modules: ``sections`` (the six headings and their accepted names), ``document`` (the report as
data), ``markdown``, ``sources`` and ``notebook`` (reading), ``inline`` and ``formulas`` (text
and math), ``images`` (figures read and scaled), ``layout``, ``styles``, ``markup``, ``tables``
and ``typeset`` (typesetting), ``check`` (any PDF, read by :mod:`grader.pdf.reading`),
``facts`` (what a report shows a marker at a glance), ``build`` (the entry points
and the CLI).
"""

from grader.report.build import (
    PAPERS,
    ReportDoesNotFit,
    build_report,
    cli,
    read_report,
    typeset,
    write_atomically,
)
from grader.report.check import check_pdf
from grader.report.inline import Span, tex_spans
from grader.report.layout import LAYOUTS
from grader.report.notebook import FIGURE_TAG
from grader.report.sections import SECTIONS, SYNONYMS, section_of
from grader.report.sources import FRONT_MATTER_KEYS, REQUIRED_KEYS

__all__ = [
    "FIGURE_TAG",
    "FRONT_MATTER_KEYS",
    "LAYOUTS",
    "PAPERS",
    "REQUIRED_KEYS",
    "SECTIONS",
    "SYNONYMS",
    "ReportDoesNotFit",
    "Span",
    "build_report",
    "check_pdf",
    "cli",
    "read_report",
    "section_of",
    "tex_spans",
    "typeset",
    "write_atomically",
]
