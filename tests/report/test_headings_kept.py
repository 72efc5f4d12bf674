"""A heading never stands alone at the foot of a page: a heading right before a figure goes
where the figure goes, and the demo's reports still hold on their two pages what they held."""

from __future__ import annotations

import shutil
from pathlib import Path

from report_kit import page_lines

from grader.report import build_report

STUDENT = Path(__file__).resolve().parents[2] / "examples" / "students" / "CS21B042" / "reports"


def test_a_heading_before_a_figure_moves_to_the_figures_page(tmp_path):
    """The sample student's project 1: its "Data Visualization" heading, then the figure, fell
    at the foot of page 1 with the figure on page 2."""
    reports = Path(shutil.copytree(STUDENT, tmp_path / "reports"))
    pdf = build_report(reports / "project1.md", reports / "project1.pdf")
    first, second = page_lines(pdf, 1), page_lines(pdf, 2)
    assert "Data Visualization" not in first, first[-3:]
    assert second[0] == "Data Visualization", second[:3]
    assert any(line.startswith("Figure 1.") for line in second)
    # page 1 holds what it held: every section before the figure's, whole
    assert first[-2].endswith("that.") and first[-1] == "1", first[-3:]
    assert "Conclusion and Future Direction" in second and "References" in second
