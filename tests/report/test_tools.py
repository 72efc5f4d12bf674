"""`grader report --check` on PDFs made by the tools students use: pdflatex (article, IEEEtran,
report class), LibreOffice from a .docx written with python-docx, and pandoc. The tools come from
Debian (make system-deps); a missing tool fails the test with the package to install, it is never
skipped silently."""

from __future__ import annotations

import os
import shutil
import subprocess
from pathlib import Path

import pytest
from docx import Document
from PIL import Image, ImageDraw, ImageFont

from grader.cli import main
from grader.pdf.fonts import DEJAVU
from grader.report import check_pdf

TOOLS = {
    "pdflatex": "texlive-latex-base texlive-latex-recommended",
    "pandoc": "pandoc",
    "soffice": "libreoffice-writer-nogui",
}
PROSE = (
    "The forget gate decides how much of the previous cell state is kept at each step, so the "
    "gradient can flow back through many time steps without vanishing. "
)


def tool(name: str) -> str:
    path = shutil.which(name)
    if path is None:
        pytest.fail(f"{name} is not installed: apt-get install {TOOLS[name]} (make system-deps)")
    return path


def run(command: list[str], folder: Path) -> None:
    environment = {**os.environ, "HOME": str(folder)}  # LibreOffice keeps a profile in HOME
    result = subprocess.run(
        command, cwd=folder, capture_output=True, text=True, timeout=240, env=environment
    )
    assert result.returncode == 0, result.stdout[-2000:] + result.stderr[-2000:]


def pdflatex(folder: Path, name: str, source: str) -> Path:
    (folder / f"{name}.tex").write_text(source, encoding="utf-8")
    run([tool("pdflatex"), "-interaction=nonstopmode", "-halt-on-error", f"{name}.tex"], folder)
    return folder / f"{name}.pdf"


def latex_body(headings: list[str], references: str = "thebibliography") -> str:
    """Sections with prose, the last heading made by LaTeX's own bibliography environment."""
    sections = "".join(f"\\section{{{h}}}\n{PROSE * 3}\n\n" for h in headings)
    bibliography = (
        "\\begin{thebibliography}{9}\n\\bibitem{lstm} S. Hochreiter and J. Schmidhuber. "
        "Long short-term memory. 1997.\n\\end{thebibliography}\n"
    )
    return sections + (bibliography if references == "thebibliography" else "")


HEADINGS = [
    "Introduction",
    "Problem Statement",
    "Results and Discussion",
    "Data Visualization \\& Explanation",
    "Conclusion and Future Work",
]


def test_pdflatex_article_with_instructor_headings_passes(tmp_path: Path):
    source = (
        "\\documentclass[11pt]{article}\n\\usepackage[a4paper,margin=2cm]{geometry}\n"
        "\\begin{document}\n\\title{Gates}\\author{Ravi}\\maketitle\n"
        + latex_body(HEADINGS)  # article: thebibliography is headed "References"
        + "\\end{document}\n"
    )
    pdf = pdflatex(tmp_path, "article", source)
    assert check_pdf(pdf) == []


def test_pdflatex_report_class_bibliography_heading_passes(tmp_path: Path):
    # The report and book classes head thebibliography "Bibliography" (\bibname).
    source = (
        "\\documentclass{report}\n\\usepackage[letterpaper,margin=2cm]{geometry}\n"
        "\\begin{document}\n"
        + latex_body(HEADINGS[:3] + ["Data Visualisation", "Conclusion and Future Scope"])
        + "\\end{document}\n"
    )
    pdf = pdflatex(tmp_path, "reportclass", source)
    text = subprocess.run(["pdftotext", str(pdf), "-"], capture_output=True, text=True).stdout
    assert "Bibliography" in text and "References" not in text
    assert check_pdf(pdf) == []


def test_pdflatex_ieeetran_conference_passes(tmp_path: Path):
    # IEEEtran numbers sections in Roman numerals and sets them in small capitals.
    source = (
        "\\documentclass[conference]{IEEEtran}\n\\begin{document}\n"
        "\\title{Gates and Gradients}\\author{\\IEEEauthorblockN{Ravi Kumar}}\\maketitle\n"
        + latex_body(HEADINGS)
        + "\\end{document}\n"
    )
    pdf = pdflatex(tmp_path, "ieee", source)
    assert check_pdf(pdf) == []


def test_pdflatex_page_62_cm_tall_fails_with_its_size(tmp_path: Path, capsys):
    source = (
        "\\documentclass{article}\n"
        "\\usepackage[paperwidth=21cm,paperheight=62cm,margin=2cm]{geometry}\n"
        "\\begin{document}\n" + latex_body(HEADINGS) + (PROSE * 40) + "\\end{document}\n"
    )
    pdf = pdflatex(tmp_path, "tall", source)
    problems = check_pdf(pdf)
    assert len(problems) == 1, problems
    assert "page 1 is 21.0 × 62.0 cm" in problems[0] and "A4 (21.0 × 29.7 cm)" in problems[0]
    assert main(["report", "--check", str(pdf)]) == 1
    assert "62.0 cm" in capsys.readouterr().out


def heading_picture(folder: Path, text: str) -> Path:
    """A heading as a picture, as a poster tool or a screenshot pasted into Word makes it."""
    font = ImageFont.truetype(str(DEJAVU / "DejaVuSans-Bold.ttf"), 48)
    image = Image.new("RGB", (40 + int(font.getlength(text)), 70), "white")
    ImageDraw.Draw(image).text((20, 8), text, fill="black", font=font)
    path = folder / f"{text.split()[0].lower()}.png"
    image.save(path)
    return path


def test_pdflatex_headings_as_pictures_say_no_heading_could_be_read(tmp_path: Path):
    names = [*[h.replace("\\&", "&") for h in HEADINGS], "References"]
    body = "".join(
        f"\\noindent\\includegraphics[height=0.5cm]{{{heading_picture(tmp_path, h).name}}}\n\n"
        f"{PROSE * 2}\n\n"
        for h in names
    )
    source = (
        "\\documentclass{article}\n\\usepackage{graphicx}\n\\begin{document}\n"
        + body
        + "\\end{document}\n"
    )
    pdf = pdflatex(tmp_path, "pictures", source)
    problems = check_pdf(pdf)
    assert len(problems) == 1, problems
    assert "no section heading could be read as text" in problems[0]
    assert "headings as text" in problems[0] and "add a heading" not in problems[0]


def libreoffice_pdf(document: Document, path: Path) -> Path:
    """The .docx saved at path and exported to PDF by LibreOffice, as File > Export as PDF."""
    document.save(path)
    profile = f"-env:UserInstallation=file://{path.parent}/profile"
    run([tool("soffice"), profile, "--headless", "--convert-to", "pdf", path.name], path.parent)
    return path.with_suffix(".pdf")


def test_libreoffice_docx_with_word_headings_passes(tmp_path: Path):
    document = Document()
    document.add_heading("Gates and Gradients", level=0)
    for heading in [
        "1. Introduction",
        "2. Problem Statement",
        "3. Results & Discussion",
        "4. Data Visualization and Explanation",
        "5. Conclusion & Future Direction",
        "Works Cited",
    ]:
        document.add_heading(heading, level=1)
        document.add_paragraph(PROSE * 2)
    assert check_pdf(libreoffice_pdf(document, tmp_path / "report.docx")) == []


def test_libreoffice_docx_missing_section_names_its_other_names(tmp_path: Path):
    document = Document()
    for heading in [
        "Introduction",
        "Problem Statement",
        "Results and Discussion",
        "Data Visualization",
        "Conclusions and Outlook",
        "References",
    ]:
        document.add_heading(heading, level=1)
        document.add_paragraph(PROSE)
    problems = check_pdf(libreoffice_pdf(document, tmp_path / "outlook.docx"))
    assert len(problems) == 1, problems
    assert "'Conclusion and Future Direction' not found" in problems[0]
    assert "Conclusion and Future Work, Conclusion and Future Scope" in problems[0]
    assert "is 'Conclusions and Outlook' (page 1) meant to be it?" in problems[0]


def test_pandoc_markdown_to_pdf_passes(tmp_path: Path):
    tool("pdflatex")
    markdown = "".join(
        f"# {heading}\n\n{PROSE}\n\n"
        for heading in [
            "Introduction",
            "Problem Statement",
            "Results and Discussion",
            "Data Visualisation",
            "Conclusion and Future Direction",
            "References",
        ]
    )
    (tmp_path / "report.md").write_text(
        "---\ntitle: Gates\nauthor: Ravi\ngeometry: margin=2cm\n---\n\n" + markdown,
        encoding="utf-8",
    )
    run([tool("pandoc"), "report.md", "-o", "report.pdf"], tmp_path)
    assert check_pdf(tmp_path / "report.pdf") == []


def test_check_suggests_the_section_a_heading_most_likely_stands_for(tmp_path: Path):
    from submission_kit import report_pdf

    headings = [
        "Introduction",
        "Problem Statement",
        "Experimental Results",
        "Data Visualization",
        "Conclusion and Future Direction",
        "References",
    ]
    problems = check_pdf(report_pdf(tmp_path / "report.pdf", sections=headings))
    assert len(problems) == 1, problems
    assert "section 'Results and Discussion' not found" in problems[0]
    assert "is 'Experimental Results' (page 1) meant to be it?" in problems[0]
