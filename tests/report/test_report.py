"""The two-page report: built PDFs are parsed (pages, headings, author, link, fonts) and rendered
with pdftoppm; bad sources are refused with messages that name the problem; --check is run on
PDFs made here with ReportLab's canvas, as any other tool would make them."""

from __future__ import annotations

import base64
import re
import shutil
import subprocess
from pathlib import Path

import nbformat
import pdfplumber
import pytest
from hypothesis import example, given, settings
from hypothesis import strategies as st
from PIL import Image
from pypdf import PdfReader, PdfWriter
from report_kit import (
    REPO,
    body,
    front_matter,
    notebook_with,
    plot_png,
    report_cells,
    standard_sections,
    write_source,
)
from reportlab.lib.pagesizes import A4
from reportlab.pdfgen.canvas import Canvas
from shared_kit import corpus_notebook

from grader.cli import main
from grader.errors import UserError
from grader.report import (
    SECTIONS,
    SYNONYMS,
    ReportDoesNotFit,
    Span,
    build_report,
    check_pdf,
    tex_spans,
)

EXAMPLE = REPO / "examples" / "report" / "report.md"
TEMPLATE = REPO / "templates" / "report.md"


def pdf_text(path: Path) -> str:
    return "\n".join(page.extract_text() for page in PdfReader(path).pages)


def rendered_pages(pdf: Path) -> list[Image.Image]:
    prefix = pdf.with_suffix("")
    subprocess.run(["pdftoppm", "-png", "-r", "50", str(pdf), str(prefix)], check=True)
    return [
        Image.open(png).convert("RGB") for png in sorted(pdf.parent.glob(f"{prefix.name}-*.png"))
    ]


def ink(image: Image.Image) -> float:
    """Fraction of pixels that are not near-white."""
    grey = image.convert("L")
    return sum(1 for value in grey.get_flattened_data() if value < 200) / (grey.width * grey.height)


def coloured(image: Image.Image) -> int:
    """Pixels with a clearly saturated colour (the plot's lines), which text never has."""
    return sum(1 for r, g, b in image.get_flattened_data() if max(r, g, b) - min(r, g, b) > 80)


@pytest.fixture(scope="module")
def example_pdf(tmp_path_factory: pytest.TempPathFactory) -> Path:
    folder = tmp_path_factory.mktemp("example")
    shutil.copy(EXAMPLE, folder / "report.md")
    plot_png(folder / "figures" / "gradient_flow.png")
    return build_report(folder / "report.md", folder / "report.pdf")


# ---- building


def test_sections_are_the_six_headings_in_order():
    assert SECTIONS == (
        "Introduction",
        "Problem Statement",
        "Results and Discussion",
        "Data Visualization",
        "Conclusion and Future Direction",
        "References",
    )


def test_example_builds_two_pages_with_the_sections_in_order(example_pdf: Path):
    reader = PdfReader(example_pdf)
    assert 1 <= len(reader.pages) <= 2
    text = pdf_text(example_pdf)
    positions = [text.find(name) for name in SECTIONS]
    assert -1 not in positions and positions == sorted(positions), positions
    assert "Ananya Sharma" in text and "2023CS10417" in text
    assert reader.metadata.author == "Ananya Sharma (अनन्या शर्मा)"
    assert reader.metadata.title.startswith("Carrying Gradients Across Time")
    assert check_pdf(example_pdf) == []


def test_report_declares_its_language_and_shows_its_title(example_pdf: Path):
    """Screen readers choose their voice by /Lang; viewers show the title, not the file name
    (WCAG 3.1.1, 2.4.2; issue 54)."""
    catalog = PdfReader(example_pdf).trailer["/Root"]
    assert catalog["/Lang"] == "en"
    assert bool(catalog["/ViewerPreferences"]["/DisplayDocTitle"])
    info = subprocess.run(["pdfinfo", str(example_pdf)], capture_output=True, text=True).stdout
    assert "Title:" in info and "Carrying Gradients Across Time" in info


def test_example_numbers_references_and_keeps_citations(example_pdf: Path):
    text = pdf_text(example_pdf)
    references = text[text.rfind("References") :]
    assert [int(n) for n in re.findall(r"^\[(\d)\]", references, re.M)] == [1, 2, 3, 4, 5]
    assert "Long short-term memory" in references
    assert "[3]" in text[: text.find("References")]


def test_title_block_has_a_clickable_colab_link(example_pdf: Path):
    first_page = PdfReader(example_pdf).pages[0]
    uris = [
        annotation.get_object()["/A"]["/URI"]
        for annotation in first_page.get("/Annots", [])
        if annotation.get_object()["/Subtype"] == "/Link"
    ]
    assert uris == ["https://colab.research.google.com/drive/1pXo7V2nK9cLq4eTgH3sWbZrYd5uM8aJf"]


def test_every_font_is_embedded_truetype(example_pdf: Path):
    listing = subprocess.run(
        ["pdffonts", str(example_pdf)], capture_output=True, text=True, check=True
    ).stdout.splitlines()[2:]
    assert listing, "no fonts listed"
    for row in listing:
        kind, embedded = row.split()[1], row.split()[-5]
        assert kind == "TrueType" and embedded == "yes", row
    names = " ".join(row.split()[0] for row in listing)
    assert "NotoSerif-Regular" in names and "NotoSansDevanagari" in names


def test_pages_render_with_text_and_the_figure(example_pdf: Path):
    pages = rendered_pages(example_pdf)
    assert len(pages) == len(PdfReader(example_pdf).pages)
    for page in pages:
        assert ink(page) > 0.02, "a page renders (almost) blank"
    assert sum(coloured(page) for page in pages) > 200, "the plot does not show"


def test_figure_is_embedded_as_an_image(example_pdf: Path):
    assert sum(len(page.images) for page in PdfReader(example_pdf).pages) == 1


@pytest.mark.parametrize(("paper", "size"), [("a4", (595, 842)), ("letter", (612, 792))])
def test_paper_size(tmp_path: Path, paper: str, size: tuple[int, int]):
    source = write_source(tmp_path, front_matter() + body(standard_sections()))
    pdf = build_report(source, tmp_path / "out.pdf", paper=paper)
    box = PdfReader(pdf).pages[0].mediabox
    assert (round(float(box.width)), round(float(box.height))) == size


def test_unicode_names_accents_and_greek_render(tmp_path: Path):
    text = body(
        standard_sections(
            Introduction="José Núñez and Zoë showed that σ(x) = 1/(1 + e⁻ˣ) and "
            "∂L/∂Cₜ₋₁ = ∂L/∂Cₜ ⊙ fₜ; λ = 10⁻³. नमस्ते दुनिया, प्रिया।"
        )
    )
    source = write_source(tmp_path, front_matter(author="प्रिया वर्मा (Priya Verma)") + text)
    pdf = build_report(source, tmp_path / "out.pdf")
    extracted = pdf_text(pdf)
    for phrase in ("José Núñez", "Zoë", "σ(x)", "∂L/∂C", "⊙", "λ", "Priya Verma"):
        assert phrase in extracted, phrase
    assert PdfReader(pdf).metadata.author == "प्रिया वर्मा (Priya Verma)"
    fonts = subprocess.run(["pdffonts", str(pdf)], capture_output=True, text=True).stdout
    assert "NotoSansDevanagari" in fonts and " no " not in fonts


def test_devanagari_in_bold_text_takes_the_bold_face(tmp_path: Path):
    text = body(standard_sections(Introduction="**प्रिया वर्मा** wrote नमस्ते."))
    source = write_source(tmp_path, front_matter(title="स्मृति and gates") + text)
    pdf = build_report(source, tmp_path / "out.pdf")
    fonts = subprocess.run(["pdffonts", str(pdf)], capture_output=True, text=True).stdout
    assert "NotoSansDevanagari-Bold" in fonts and "NotoSansDevanagari-Regular" in fonts, fonts
    assert " no " not in fonts


def test_a_character_no_font_can_draw_is_refused(tmp_path: Path):
    source = write_source(
        tmp_path, front_matter() + body(standard_sections(Introduction="Named after 漢."))
    )
    with pytest.raises(UserError, match=r"no installed font can draw '漢' \(U\+6F22\)"):
        build_report(source, tmp_path / "out.pdf")
    assert not (tmp_path / "out.pdf").exists()


def test_markdown_features_are_typeset(tmp_path: Path):
    results = (
        "Plain, *emphasis*, **strong**, `inline_code()`, ~~struck~~ and a "
        "[link](https://example.org).\n\n"
        "- first point\n  - nested point\n- second point\n\n"
        "1. step one\n2. step two\n\n"
        "> A quoted remark.\n\n"
        "```python\ndef forget_gate(x_t, h_prev, W_f, b_f):\n"
        "    return sigmoid(W_f @ z + b_f)\n```\n\n"
        "Table 1. Test error.\n\n| Model | MSE |\n|:--|--:|\n| RNN | 0.161 |\n| LSTM | 0.002 |\n"
    )
    source = write_source(
        tmp_path, front_matter() + body(standard_sections(**{"Results and Discussion": results}))
    )
    pdf = build_report(source, tmp_path / "out.pdf")
    text = pdf_text(pdf)
    for phrase in (
        "emphasis",
        "inline_code()",
        "nested point",
        "step two",
        "A quoted remark",
        "def forget_gate",
        "0.161",
        "Table 1.",
    ):
        assert phrase in text, phrase
    uris = [a.get_object()["/A"]["/URI"] for a in PdfReader(pdf).pages[0]["/Annots"]]
    assert "https://example.org" in uris


def test_template_builds_as_it_is(tmp_path: Path):
    shutil.copy(TEMPLATE, tmp_path / "report.md")
    pdf = build_report(tmp_path / "report.md", tmp_path / "report.pdf")
    assert check_pdf(pdf) == []
    text = pdf_text(pdf)
    assert "Your Name" in text and "guidance" not in text  # comments stay out of the PDF


def test_template_front_matter_has_the_documented_keys():
    head = TEMPLATE.read_text(encoding="utf-8").split("---")[1]
    keys = [line.split(":")[0] for line in head.strip().splitlines()]
    assert keys == ["title", "author", "student_id", "course", "project", "colab"]


# ---- TeX math


def plain(spans: list[Span]) -> str:
    """The text with _ or ^ where a subscript or superscript starts."""
    marks = {"sub": "_", "super": "^", "": ""}
    return "".join(
        (marks[s.script] if i == 0 or spans[i - 1].script != s.script else "") + s.text
        for i, s in enumerate(spans)
    )


def test_tex_becomes_text_with_italic_letters_and_scripts():
    spans = tex_spans(r"h_t = o_t \odot \tanh(C_{t-1})")
    assert plain(spans) == "h_t = o_t ⊙ tanh(C_t−1)"
    assert [s.text for s in spans if s.italic] == ["h", "t", "o", "t", "C", "t"]
    assert [s.text for s in spans if s.script == "sub"] == ["t", "t", "t", "−1"]
    assert plain(tex_spans(r"\frac{\partial L}{\partial C} \in \mathbb{R}^{H}")) == (
        "(∂L)/(∂C) ∈ ℝ^H"
    )


def test_emphasis_inside_emphasis_keeps_the_text_after_it_italic(tmp_path: Path):
    """`_outer *inner* after_` is <em>outer <em>inner</em> after</em>: the inner close leaves
    the text italic until the outer one closes (it once raised KeyError: 'italic')."""
    intro = "Plain _outer *inner* after_ plain."
    source = write_source(tmp_path, front_matter() + body(standard_sections(Introduction=intro)))
    build_report(source, tmp_path / "out.pdf")
    with pdfplumber.open(tmp_path / "out.pdf") as pdf:
        words = pdf.pages[0].extract_words(extra_attrs=["fontname"])
    italic = {w["text"].strip("."): "Italic" in w["fontname"] for w in words}
    assert italic["outer"] and italic["inner"] and italic["after"]
    assert not italic["Plain"] and not italic["plain"]


def test_tex_accents_sit_on_short_letters_and_beside_tall_ones():
    assert plain(tex_spans(r"\hat{y}")) == "ŷ"  # precomposed
    assert plain(tex_spans(r"\tilde{c}")) == "c\u0303"
    assert plain(tex_spans(r"\tilde{C}_t")) == "C^˜_t"


@given(st.text(alphabet="\\{}^_$ abcxyz12+-=&~", max_size=40))
def test_tex_never_fails_on_malformed_input(tex: str):
    assert isinstance(tex_spans(tex), list)


def test_math_in_a_report_is_set_as_text(tmp_path: Path):
    intro = (
        "The output is $h_t = o_t \\odot \\tanh(C_t)$, and the cell state\n\n"
        "$$C_t = f_t \\odot C_{t-1} + i_t \\odot \\tilde{C}_t$$\n\n"
        "A coffee costs $5 and a book $10."
    )
    source = write_source(tmp_path, front_matter() + body(standard_sections(Introduction=intro)))
    text = pdf_text(build_report(source, tmp_path / "out.pdf"))
    assert "tanh(C" in text and "⊙" in text and "\\odot" not in text
    assert "$5 and a book $10" in text


# ---- fitting into two pages


def long_source(words: int) -> str:
    """A report whose Introduction holds ``words`` words in paragraphs of 20."""
    vocabulary = "the cell state carries the gradient back through many steps of time".split()
    sentence = [vocabulary[i % len(vocabulary)] for i in range(20)]
    paragraphs = [" ".join(sentence)] * (words // 20)
    return front_matter() + body(standard_sections(Introduction="\n\n".join(paragraphs)))


def test_long_report_shrinks_to_fit_but_keeps_text_at_least_9pt(tmp_path: Path):
    source = write_source(tmp_path, long_source(1000))
    pdf = build_report(source, tmp_path / "out.pdf")
    assert len(PdfReader(pdf).pages) == 2
    sizes = set()

    def visitor(text, cm, tm, font, size):  # noqa: ARG001 - pypdf's visitor signature
        if text.strip():
            sizes.add(round(size * tm[0], 2))

    for page in PdfReader(pdf).pages:
        page.extract_text(visitor_text=visitor)
    assert min(sizes) >= 9.0, sorted(sizes)


def test_too_long_report_is_refused_with_the_size_of_the_overflow(tmp_path: Path):
    source = write_source(tmp_path, long_source(2600))
    output = tmp_path / "out.pdf"
    with pytest.raises(ReportDoesNotFit, match=r"about \d+ words over two pages") as refused:
        build_report(source, output)
    assert not output.exists()
    over = refused.value.words_over
    assert f"about {over} words over two pages" in str(refused.value)
    # The estimate is of the right size: cutting it (and a little more) fits, half of it does not.
    source.write_text(long_source(2600 - int(over * 1.2) - 20), encoding="utf-8")
    build_report(source, output)
    source.write_text(long_source(2600 - over // 2), encoding="utf-8")
    with pytest.raises(ReportDoesNotFit):
        build_report(source, tmp_path / "other.pdf")


def test_failed_build_leaves_an_existing_pdf_untouched(tmp_path: Path):
    output = tmp_path / "report.pdf"
    output.write_bytes(b"previous report")
    source = write_source(tmp_path, long_source(4000))
    with pytest.raises(ReportDoesNotFit):
        build_report(source, output)
    assert output.read_bytes() == b"previous report"
    assert [p.name for p in tmp_path.iterdir() if p.name.startswith(".")] == []


# ---- bad sources


def without(name: str) -> list[tuple[str, str]]:
    return [(n, t) for n, t in standard_sections() if n != name]


@pytest.mark.parametrize(
    ("sections", "expected"),
    [
        (without("Problem Statement"), r"'Problem Statement' is missing"),
        (
            standard_sections(**{"Results and Discussion": "<!-- todo -->"}),
            r"'Results and Discussion' \(line \d+\) is empty",
        ),
        (
            standard_sections()[:3]
            + [("Results and Discussion", "Again.")]
            + standard_sections()[3:],
            r"'Results and Discussion' appears 2 times",
        ),
        (
            [standard_sections()[i] for i in (0, 1, 2, 4, 3, 5)],
            r"'(Data Visualization|Conclusion and Future Direction)' \(line \d+\) is out of order",
        ),
    ],
    ids=["missing", "empty", "duplicated", "out-of-order"],
)
def test_section_problems_name_the_section(tmp_path: Path, sections, expected):
    source = write_source(tmp_path, front_matter() + body(sections))
    with pytest.raises(UserError, match=expected):
        build_report(source, tmp_path / "out.pdf")
    assert not (tmp_path / "out.pdf").exists()


def test_near_miss_heading_is_pointed_out(tmp_path: Path):
    sections = [
        (n if n != "Problem Statement" else "Problem Statment", t) for n, t in standard_sections()
    ]
    source = write_source(tmp_path, front_matter() + body(sections))
    with pytest.raises(UserError, match="'Problem Statment' at line \\d+ meant to be it"):
        build_report(source, tmp_path / "out.pdf")


def test_headings_tolerate_numbering_case_and_ampersand(tmp_path: Path):
    sections = [
        (f"{i}. {n.upper().replace(' AND ', ' & ')}", t)
        for i, (n, t) in enumerate(standard_sections(), start=1)
    ]
    source = write_source(tmp_path, front_matter() + body(sections))
    assert check_pdf(build_report(source, tmp_path / "out.pdf")) == []


@pytest.mark.parametrize(
    ("meta", "expected"),
    [
        ({"student_id": None}, "no student_id"),
        ({"colab": "my notebook"}, "colab must be the web address"),
    ],
)
def test_front_matter_problems(tmp_path: Path, meta, expected):
    source = write_source(tmp_path, front_matter(**meta) + body(standard_sections()))
    with pytest.raises(UserError, match=expected):
        build_report(source, tmp_path / "out.pdf")


def test_no_front_matter(tmp_path: Path):
    source = write_source(tmp_path, body(standard_sections()))
    with pytest.raises(UserError, match="no front matter"):
        build_report(source, tmp_path / "out.pdf")


@pytest.mark.parametrize(
    ("figure", "expected"),
    [
        ("![A caption.](figures/missing.png)", "figures/missing.png was not found"),
        ("![](figures/flow.png)", "has no caption"),
        ("![Caption.](https://example.org/plot.png)", "is a web address"),
    ],
)
def test_figure_problems(tmp_path: Path, figure: str, expected: str):
    sections = standard_sections(**{"Data Visualization": figure})
    source = write_source(tmp_path, front_matter() + body(sections))
    with pytest.raises(UserError, match=expected):
        build_report(source, tmp_path / "out.pdf")


def test_citation_beyond_the_references(tmp_path: Path):
    sections = standard_sections(Introduction="As shown in [1] and [4], and on [0, 1].")
    source = write_source(tmp_path, front_matter() + body(sections))
    with pytest.raises(UserError, match=r"cites \[4\] but References lists 1 entry"):
        build_report(source, tmp_path / "out.pdf")


# ---- notebooks


def plot_cell(
    source: str, tags: list[str] | None = None, decay: float = 0.97
) -> nbformat.NotebookNode:
    cell = nbformat.v4.new_code_cell(source)
    cell.outputs = [
        nbformat.v4.new_output(
            "display_data", data={"image/png": base64.b64encode(plot_png(decay=decay)).decode()}
        )
    ]
    if tags:
        cell.metadata["tags"] = tags
    return cell


def test_notebook_uses_the_cell_tagged_figure(tmp_path: Path):
    cells = [
        plot_cell("# Loss per epoch\nplt.plot(losses)", tags=["figure"]),
        plot_cell("plt.plot(other)", decay=0.5),
        *report_cells(),
    ]
    pdf = build_report(notebook_with(cells, tmp_path), tmp_path / "out.pdf")
    assert check_pdf(pdf) == []
    assert sum(len(page.images) for page in PdfReader(pdf).pages) == 1
    assert "Figure 1. Loss per epoch" in pdf_text(pdf)


def test_notebook_without_tags_uses_the_plots_under_data_visualization(tmp_path: Path):
    cells = report_cells()
    position = next(i for i, c in enumerate(cells) if "Data Visualization" in c.source) + 1
    cells[position:position] = [
        plot_cell("# Gradient norm\nplot()", decay=0.9),
        plot_cell("plot()", decay=0.8),
    ]
    cells.insert(0, plot_cell("# An exploratory plot, not in the report", decay=0.7))
    pdf = build_report(notebook_with(cells, tmp_path), tmp_path / "out.pdf")
    assert sum(len(page.images) for page in PdfReader(pdf).pages) == 2
    text = pdf_text(pdf)
    assert "Figure 1. Gradient norm" in text and "exploratory" not in text
    assert text.find("Figure 2.") < text.find("Conclusion and Future Direction")


def test_notebook_without_front_matter_builds_and_says_what_the_title_block_lacks(
    tmp_path: Path, capsys
):
    cells = report_cells()
    cells[0] = nbformat.v4.new_markdown_cell("# Forecasting Airline Passengers")
    cells.append(plot_cell("# Passengers per month", tags=["figure"]))
    source = notebook_with(cells, tmp_path)
    assert main(["report", str(source)]) == 0
    assert "no author, student_id, colab" in capsys.readouterr().err
    pdf = source.with_suffix(".pdf")
    assert check_pdf(pdf) == []
    assert PdfReader(pdf).metadata.title == "Forecasting Airline Passengers"
    assert "Forecasting Airline Passengers" in pdf_text(pdf)[:100]


def test_a_real_colab_notebook_with_report_cells_uses_its_own_plot(tmp_path: Path):
    original = corpus_notebook(
        "srijeem__LSTM_Forecasting__Airline_Passenger_LSTM_Forecasting.ipynb"
    )
    notebook = nbformat.read(original, as_version=4)
    forecast = next(c for c in notebook.cells if c.source.startswith("# Predict on the test set"))
    forecast.metadata["tags"] = ["figure"]
    notebook.cells.extend(report_cells())
    source = tmp_path / "airline.ipynb"
    nbformat.write(notebook, source)
    pdf = build_report(source, tmp_path / "airline.pdf")
    assert check_pdf(pdf) == []
    assert sum(len(page.images) for page in PdfReader(pdf).pages) == 1
    assert "Figure 1. Predict on the test set" in pdf_text(pdf)


def test_notebook_figure_cell_without_output(tmp_path: Path):
    cell = nbformat.v4.new_code_cell("plt.plot(x)")
    cell.metadata["tags"] = ["figure"]
    with pytest.raises(UserError, match="tagged 'figure' but has no PNG output"):
        build_report(notebook_with([cell, *report_cells()], tmp_path), tmp_path / "out.pdf")


# ---- checking PDFs made with any tool


def make_pdf(path: Path, pages: list[list[str]]) -> Path:
    """A PDF with the given lines on each page, drawn with ReportLab's canvas."""
    canvas = Canvas(str(path), pagesize=A4)
    for lines in pages:
        y = 800
        for line in lines:
            canvas.setFont("Helvetica", 11)
            canvas.drawString(60, y, line)
            y -= 16
        canvas.showPage()
    canvas.save()
    return path


def headings_with_text(names=SECTIONS) -> list[str]:
    return [line for name in names for line in (name, "Some text of this section.")]


def test_check_passes_a_one_page_report(tmp_path: Path):
    assert check_pdf(make_pdf(tmp_path / "one.pdf", [headings_with_text()])) == []


def test_check_tolerates_numbering_case_ampersand_and_split_headings(tmp_path: Path):
    lines = [
        "1. INTRODUCTION",
        "Text.",
        "II. Problem statement",
        "Text.",
        "3 Results & Discussions",
        "Text.",
        "4. Data Visualisation",
        "Text.",
        "5. Conclusion and Future",
        "Directions",
        "Text.",
        "References",
        "[1] A paper.",
    ]
    assert check_pdf(make_pdf(tmp_path / "word.pdf", [lines])) == []


def test_check_refuses_three_pages(tmp_path: Path):
    lines = headings_with_text()
    pdf = make_pdf(tmp_path / "three.pdf", [lines[:4], lines[4:8], lines[8:]])
    problems = check_pdf(pdf)
    assert len(problems) == 1 and "3 pages" in problems[0]


def test_check_names_a_missing_section(tmp_path: Path):
    names = [n for n in SECTIONS if n != "Data Visualization"]
    problems = check_pdf(make_pdf(tmp_path / "missing.pdf", [headings_with_text(names)]))
    assert len(problems) == 1 and "'Data Visualization' not found" in problems[0]


def test_check_names_a_section_out_of_order(tmp_path: Path):
    names = [SECTIONS[i] for i in (0, 1, 2, 3, 5, 4)]
    problems = check_pdf(make_pdf(tmp_path / "order.pdf", [headings_with_text(names)]))
    assert len(problems) == 1 and "'References' (page 1) is out of order" in problems[0]


def test_check_reports_a_pdf_without_text(tmp_path: Path):
    plot_png(tmp_path / "scan.png")
    canvas = Canvas(str(tmp_path / "scan.pdf"), pagesize=A4)
    canvas.drawImage(str(tmp_path / "scan.png"), 50, 400, 400, 200)
    canvas.save()
    problems = check_pdf(tmp_path / "scan.pdf")
    assert len(problems) == 1 and "no text can be extracted" in problems[0]


@pytest.mark.parametrize("content", [b"", b"not a pdf at all", b"%PDF-1.4\n%broken\n" * 3])
def test_check_never_raises_on_a_damaged_file(tmp_path: Path, content: bytes):
    path = tmp_path / "damaged.pdf"
    path.write_bytes(content)
    problems = check_pdf(path)
    assert problems and str(path) in problems[0]


def test_check_reports_a_password_protected_pdf(tmp_path: Path):
    writer = PdfWriter(clone_from=make_pdf(tmp_path / "open.pdf", [headings_with_text()]))
    writer.encrypt(user_password="secret", algorithm="RC4-128")
    writer.write(tmp_path / "locked.pdf")
    problems = check_pdf(tmp_path / "locked.pdf")
    assert len(problems) == 1 and "encrypted with a password" in problems[0]


def test_check_a_missing_file(tmp_path: Path):
    assert "no such file" in check_pdf(tmp_path / "nothing.pdf")[0]


# ---- the command line


def test_cli_builds_next_to_the_source_and_checks(tmp_path: Path, capsys):
    source = write_source(tmp_path, front_matter() + body(standard_sections()))
    assert main(["report", str(source), "--paper", "letter"]) == 0
    assert "wrote" in capsys.readouterr().out and source.with_suffix(".pdf").is_file()
    assert main(["report", "--check", str(source.with_suffix(".pdf"))]) == 0
    assert "OK" in capsys.readouterr().out


def test_cli_check_exits_non_zero_and_says_why(tmp_path: Path, capsys):
    names = [n for n in SECTIONS if n != "Introduction"]
    pdf = make_pdf(tmp_path / "bad.pdf", [headings_with_text(names)] * 3)
    assert main(["report", "--check", str(pdf)]) == 1
    out = capsys.readouterr().out
    assert "3 pages" in out and "'Introduction' not found" in out


def test_cli_refusal_exits_2_with_the_message(tmp_path: Path, capsys):
    source = write_source(tmp_path, front_matter() + body(without("References")))
    assert main(["report", str(source), "-o", str(tmp_path / "out.pdf")]) == 2
    assert "'References' is missing" in capsys.readouterr().err
    assert not (tmp_path / "out.pdf").exists()


# ---- accepted heading names, page sizes, headings that are not text (issue 11)


@pytest.mark.parametrize(
    "section, heading",
    [(name, other) for name, others in SYNONYMS.items() for other in others[1:]]
    + [
        ("Data Visualization", "4. DATA VISUALISATION & EXPLANATION"),
        ("Conclusion and Future Direction", "V. Conclusions & Future Scope"),
        ("References", "Bibliography"),
    ],
)
def test_check_accepts_each_synonym_of_a_section(tmp_path: Path, section: str, heading: str):
    names = [heading if name == section else name for name in SECTIONS]
    assert check_pdf(make_pdf(tmp_path / "synonym.pdf", [headings_with_text(names)])) == []


def test_synonyms_are_listed_in_the_students_report_page():
    page = (REPO / "docs" / "students" / "report.md").read_text(encoding="utf-8")
    for others in SYNONYMS.values():
        for name in others:
            assert name in page, name


@pytest.mark.parametrize(
    "size, passes",
    [
        ((595.3, 841.9), True),  # A4
        ((612, 792), True),  # US Letter
        ((841.9, 595.3), True),  # A4 landscape
        ((600, 848), True),  # A4 within the tolerance
        ((612, 1008), False),  # US Legal
        ((595.3, 1757.5), False),  # 62 cm tall
    ],
)
def test_check_page_size(tmp_path: Path, size: tuple[float, float], passes: bool):
    canvas = Canvas(str(tmp_path / "size.pdf"), pagesize=size)
    y = size[1] - 60
    for line in headings_with_text():
        canvas.setFont("Helvetica", 11)
        canvas.drawString(60, y, line)
        y -= 16
    canvas.save()
    problems = check_pdf(tmp_path / "size.pdf")
    assert (problems == []) is passes, problems
    if not passes:
        assert f"page 1 is {size[0] / 72 * 2.54:.1f} × {size[1] / 72 * 2.54:.1f} cm" in problems[0]


def test_check_text_without_any_heading_says_so_once(tmp_path: Path):
    pdf = make_pdf(tmp_path / "no-headings.pdf", [["Some prose of the report."] * 20])
    problems = check_pdf(pdf)
    assert len(problems) == 1 and "no section heading could be read as text" in problems[0]


def test_check_missing_section_lists_its_other_names(tmp_path: Path):
    names = [n for n in SECTIONS if n != "References"]
    problems = check_pdf(make_pdf(tmp_path / "refs.pdf", [headings_with_text(names)]))
    assert len(problems) == 1
    assert "add a heading 'References' (or Bibliography, Works Cited)" in problems[0]


@settings(max_examples=20, deadline=None)
@given(
    st.lists(
        st.sampled_from(list("ab $\\{}^_|-*#`[]()<>!\n0123") + ["हि", "\\frac", "\\tilde"]),
        max_size=40,
    ).map("".join)
)
@example(text="_a _a__")  # emphasis in emphasis, which once raised KeyError: 'italic'
def test_any_introduction_builds_or_is_refused_with_a_message(tmp_path_factory, text: str):
    folder = tmp_path_factory.mktemp("fuzz")
    source = write_source(folder, front_matter() + body(standard_sections(Introduction=text)))
    try:
        build_report(source, folder / "out.pdf")
    except UserError:
        pass


def test_notebook_plots_stay_in_their_section_with_captions_from_comment_or_markdown(
    tmp_path: Path, capsys
):
    """Every plot is considered (no tags): one made under Results stays under Results, its
    caption the markdown before it; one under Data Visualization is captioned by its comment;
    one above the report is left out, and a note says so."""
    cells = report_cells()
    results = next(i for i, c in enumerate(cells) if "Results and Discussion" in c.source)
    cells[results] = nbformat.v4.new_markdown_cell(
        "## Results and Discussion\n\nThe **validation loss** falls steadily over the epochs."
    )
    cells.insert(results + 1, plot_cell("plt.plot(history)", decay=0.9))
    visual = next(i for i, c in enumerate(cells) if "Data Visualization" in c.source)
    cells.insert(visual + 1, plot_cell("fig = plot()\n# Gradient norm per step", decay=0.8))
    cells.insert(0, plot_cell("# An exploratory plot", decay=0.7))
    source = notebook_with(cells, tmp_path)
    assert main(["report", str(source)]) == 0
    assert "1 plot(s) lie above the report's first section heading" in capsys.readouterr().err
    pdf = source.with_suffix(".pdf")
    text = " ".join(pdf_text(pdf).split())
    assert sum(len(page.images) for page in PdfReader(pdf).pages) == 2
    first = text.find("Figure 1. The validation loss falls steadily over the epochs.")
    assert text.find("Results and Discussion") < first < text.find("Data Visualization")
    assert "Figure 2. Gradient norm per step" in text and "exploratory" not in text


def png_header(width: int, height: int) -> bytes:
    """A PNG that claims ``width`` x ``height`` pixels in a few bytes (as a decompression bomb
    does): its header, one tiny compressed row, its end."""
    import struct
    import zlib

    def chunk(kind: bytes, data: bytes) -> bytes:
        return (
            struct.pack(">I", len(data)) + kind + data + struct.pack(">I", zlib.crc32(kind + data))
        )

    header = struct.pack(">IIBBBBB", width, height, 8, 0, 0, 0, 0)
    return (
        b"\x89PNG\r\n\x1a\n"
        + chunk(b"IHDR", header)
        + chunk(b"IDAT", zlib.compress(b"\x00" * 64))
        + chunk(b"IEND", b"")
    )


@pytest.mark.parametrize(
    ("width", "height", "expected"),
    [
        (10_000, 6_000, "is 10000 x 6000 pixels, more than the 50 megapixels"),
        (20_000, 20_000, "a decompression bomb"),
    ],
)
def test_a_figure_too_large_is_refused_with_advice_not_a_traceback(
    tmp_path: Path, capsys, width: int, height: int, expected: str
):
    sections = standard_sections(**{"Data Visualization": "![Huge.](figures/huge.png)"})
    source = write_source(tmp_path, front_matter() + body(sections))
    (tmp_path / "figures" / "huge.png").write_bytes(png_header(width, height))
    assert main(["report", str(source)]) == 2
    err = capsys.readouterr().err
    assert expected in err and "dpi=200" in err and "Traceback" not in err


def test_a_large_figure_is_scaled_to_the_page_before_it_is_embedded(tmp_path: Path):
    sections = standard_sections(
        **{"Data Visualization": "![A photo of the setup.](figures/big.png)"}
    )
    source = write_source(tmp_path, front_matter() + body(sections))
    Image.new("RGB", (6000, 4000), "navy").save(tmp_path / "figures" / "big.png")
    pdf = build_report(source, tmp_path / "out.pdf")
    [embedded] = [image for page in PdfReader(pdf).pages for image in page.images]
    assert max(embedded.image.size) == 2480  # an A4 page's width at 300 dpi
