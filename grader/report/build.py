"""Reading a report source, typesetting it on two pages, writing the PDF; the CLI."""

from __future__ import annotations

import argparse
import math
import os
import sys
import tempfile
from collections.abc import Mapping
from pathlib import Path

from reportlab.lib.pagesizes import A4, LETTER
from reportlab.platypus import LayoutError

from grader.errors import UserError
from grader.inputs.resources import write_template
from grader.limits import REPORT
from grader.pdf.fonts import SERIF, fonts
from grader.report.check import check_pdf
from grader.report.document import Report, all_spans, check_citations
from grader.report.layout import LAYOUTS, Layout, Typeset
from grader.report.notebook import report_from_notebook
from grader.report.sources import read_markdown
from grader.report.typeset import Typesetter

PAPERS: Mapping[str, tuple[float, float]] = {"a4": A4, "letter": LETTER}


class ReportDoesNotFit(UserError):
    """The content does not fit on two pages even with the tightest readable layout."""

    def __init__(self, message: str, words_over: int) -> None:
        super().__init__(message)
        self.words_over = words_over


def read_report(source: Path) -> Report:
    """Read and check a report source (Markdown or notebook); UserError says what to fix."""
    if not source.is_file():
        raise UserError(f"{source}: no such file. Start from templates/report.md.")
    suffix = source.suffix.lower()
    if suffix == ".pdf":
        raise UserError(
            f"{source} is already a PDF: check it with `grader report --check {source}`."
        )
    if suffix == ".ipynb":
        report = report_from_notebook(source)
    elif suffix in (".md", ".markdown", ".txt"):
        report = read_markdown(source)
    else:
        raise UserError(
            f"{source}: a report source is a Markdown file (.md) or a notebook (.ipynb). A PDF "
            f"made with another tool (Word, LaTeX, Google Docs) is checked with "
            f"`grader report --check`."
        )
    check_citations(report)
    return report


def typeset(report: Report, paper: str = "a4") -> Typeset:
    """The roomiest layout that fits on two pages; ReportDoesNotFit with the overflow if none."""
    paper = paper.lower()
    if paper not in PAPERS:
        raise UserError(f"paper must be one of {', '.join(PAPERS)}, not {paper!r}.")
    text = " ".join(
        [
            *report.meta.values(),
            *(s.text for sec in report.sections for s in all_spans(sec.blocks)),
        ]
    )
    missing = fonts().missing(text, SERIF)
    if missing:
        listed = ", ".join(f"{ch!r} (U+{ord(ch):04X})" for ch in sorted(missing))
        raise UserError(
            f"{report.source}: no installed font can draw {listed}; replace or remove "
            f"{'it' if len(missing) == 1 else 'them'}."
        )

    def attempt(layout: Layout) -> Typeset:
        try:
            return Typesetter(report, layout, PAPERS[paper]).build()
        except LayoutError as error:
            raise UserError(
                f"{report.source}: a block is taller than a page even with "
                f"{layout.describe()} (a huge table cell, list or quote?): split it."
            ) from error
        except Exception as error:  # ReportLab fails in many ways on odd content
            detail = " ".join(str(error).split())
            detail = detail if len(detail) < 200 else detail[:200] + "…"
            raise UserError(
                f"{report.source}: the report could not be typeset ({type(error).__name__}: "
                f"{detail}). Simplify the paragraph, table or formula that holds unusual "
                f"characters or markup, and report the problem to the course staff with the "
                f"source attached."
            ) from error

    roomiest = attempt(LAYOUTS[0])
    if roomiest.pages <= REPORT.max_pages:
        return roomiest
    tightest = attempt(LAYOUTS[-1])
    if tightest.pages > REPORT.max_pages:
        words = max(10, math.ceil(tightest.overflow * tightest.words_per_pt / 10) * 10)
        raise ReportDoesNotFit(
            f"{report.source} does not fit on two pages, even with {tightest.layout.describe()}, "
            f"tight spacing and small figures: about {words} words over two pages. Shorten it by "
            f"about {words} words (or the same space of code, tables or figures) and build again; "
            f"nothing was written.",
            words,
        )
    # The roomiest layout between them that fits: fewer pages as the layout tightens.
    fits, low, high = tightest, 0, len(LAYOUTS) - 1  # LAYOUTS[low] overflows, LAYOUTS[high] fits
    while high - low > 1:
        middle = (low + high) // 2
        result = attempt(LAYOUTS[middle])
        if result.pages <= REPORT.max_pages:
            fits, high = result, middle
        else:
            low = middle
    return fits


def build_report(source: Path, output: Path, paper: str = "a4") -> Path:
    """Build the two-page report PDF of ``source`` at ``output``; nothing is written on error."""
    result = typeset(read_report(Path(source)), paper)
    return write_atomically(Path(output), result.pdf)


def write_atomically(output: Path, data: bytes) -> Path:
    try:
        output.parent.mkdir(parents=True, exist_ok=True)
        handle, temporary = tempfile.mkstemp(
            dir=output.parent, prefix=f".{output.name}.", suffix=".part"
        )
    except OSError as error:
        raise UserError(
            f"cannot write {output} ({error.strerror or error}): choose another place with -o"
        ) from error
    try:
        with os.fdopen(handle, "wb") as file:
            file.write(data)
        os.replace(temporary, output)
    except BaseException:
        Path(temporary).unlink(missing_ok=True)
        raise
    return output


def add_arguments(parser: argparse.ArgumentParser) -> None:
    parser.add_argument(
        "source", nargs="?", help="report Markdown or notebook; with --check, a PDF"
    )
    parser.add_argument("-o", "--output", help="PDF to write (default: SOURCE with .pdf)")
    parser.add_argument("--paper", choices=["a4", "letter"], type=str.lower, default="a4")
    parser.add_argument(
        "--check",
        action="store_true",
        help="check an existing PDF: two pages at most, six sections in order",
    )
    parser.add_argument(
        "--template",
        metavar="FILE",
        default=None,
        help="write the six-section report template (Markdown) to FILE, to start from",
    )


def cli(args: argparse.Namespace) -> int:
    """`grader report SOURCE [-o PDF] [--paper a4|letter]`, `grader report --check PDF` or
    `grader report --template FILE`."""
    if args.template:
        write_template("report.md", Path(args.template))
        print(
            f"wrote {args.template}: the six sections to fill in. Then: grader report "
            f"{args.template}, and grader report --check on the PDF"
        )
        return 0
    if args.source is None:
        raise UserError("give the report to build (Markdown or a notebook), or --template FILE")
    source = Path(args.source)
    if args.check:
        problems = check_pdf(source)
        for problem in problems:
            print(problem)
        if not problems:
            print(f"{source}: OK (at most {REPORT.max_pages} pages, the six sections in order)")
        return 1 if problems else 0
    output = Path(args.output) if args.output else source.with_suffix(".pdf")
    report = read_report(source)
    for note in report.notes:
        print(f"note: {note}", file=sys.stderr)
    result = typeset(report, args.paper)
    write_atomically(output, result.pdf)
    print(
        f"wrote {output}: {result.pages} page{'s' if result.pages > 1 else ''}, "
        f"{args.paper.upper()}, {result.layout.describe()}"
    )
    return 0
