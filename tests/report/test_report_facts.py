"""The report facts a marker sees, from PDFs made the way students make them: pdflatex (the
article class, a figure, a thebibliography list) and the grader's own `grader report`."""

from __future__ import annotations

import shutil
import subprocess

import pytest

from grader.report.facts import report_facts, section_heading

LATEX = r"""
\documentclass[11pt]{article}
\usepackage{graphicx}
\begin{document}
\title{Forecasting river levels with an LSTM}\author{Student}\maketitle
\section{Introduction}
River levels follow the rain of the days before, so a sequence model suits them well.
\section{Problem Statement}
Given thirty days of levels, predict the next day's level; the metric is the RMSE in metres.
\section{Results and Discussion}
The LSTM reaches an RMSE of 0.12 m against 0.20 m for persistence \cite{a}, as Table 1 shows.
\section{Data Visualization \& explanation}
\begin{figure}[h]\centering\includegraphics[width=4cm]{plot.png}
\caption{Levels and the forecast.}\end{figure}
Figure 1 shows the forecast following the level closely except at the floods \cite{b,c}.
\section{Conclusion \& Future Direction}
Rain as a second input is the next step.
\begin{thebibliography}{9}
\bibitem{a} S. Hochreiter and J. Schmidhuber. Long short-term memory. 1997.
\bibitem{b} Central Water Commission. River level data. Kaggle, 2021.
\bibitem{c} F. Chollet. Keras. https://keras.io, 2015.
\end{thebibliography}
\end{document}
"""


@pytest.mark.skipif(shutil.which("pdflatex") is None, reason="pdflatex is not installed")
def test_a_pdflatex_report(tmp_path):
    import matplotlib

    matplotlib.use("Agg")
    import matplotlib.pyplot as plt

    fig, ax = plt.subplots(figsize=(3, 2))
    ax.plot([1, 3, 2])
    fig.savefig(tmp_path / "plot.png")
    (tmp_path / "report.tex").write_text(LATEX)
    for _ in range(2):  # the second pass resolves the citations, as students run it
        subprocess.run(
            ["pdflatex", "-interaction=nonstopmode", "report.tex"],
            cwd=tmp_path,
            check=True,
            capture_output=True,
            timeout=120,
        )
    facts = report_facts(tmp_path / "report.pdf")
    assert facts["verdict"] == "passes --check", facts["problems"]
    assert facts["pages"] in (1, 2)
    words = facts["words"]
    assert words["Problem Statement"] == len(
        "Given thirty days of levels, predict the next day's level; the metric is the RMSE in "
        "metres.".split()
    )
    assert words["Data Visualization"] > 10 and words["Conclusion and Future Direction"] >= 7
    assert facts["figures"] == 1
    assert facts["references"] == 3
    assert facts["citations_in_text"] == 2


def test_a_pdf_that_is_not_one_is_a_finding_not_a_crash(tmp_path):
    bad = tmp_path / "report.pdf"
    bad.write_bytes(b"%PDF-1.4\nnot really")
    facts = report_facts(bad)
    assert facts["verdict"] == "fails --check"
    assert facts["pages"] is None


@pytest.mark.parametrize(
    ("line", "section"),
    [
        ("4 Data Visualization & explanation", "Data Visualization"),
        ("5. Conclusion & Future Direction", "Conclusion and Future Direction"),
        ("III. RESULTS AND DISCUSSION", "Results and Discussion"),
        ("The introduction of gates changed everything in this field", None),
    ],
)
def test_section_headings_as_students_write_them(line, section):
    assert section_heading(line) == section
