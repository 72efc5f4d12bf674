"""Formulas, scripts, tables and notebook title blocks in built reports, checked where they land
on the page: glyph positions read back with pdfplumber (the tilde over the C, a fraction's
numerator over its bar), text extracted by pdftotext in reading order, and pages rendered with
pdftoppm to see that the ink is where the glyphs say."""

from __future__ import annotations

import subprocess
import unicodedata
from pathlib import Path

import matplotlib
import nbformat
import pdfplumber
import pytest
from fontTools.pens.boundsPen import BoundsPen
from fontTools.ttLib import TTFont
from PIL import Image
from pypdf import PdfReader
from report_kit import (
    body,
    front_matter,
    notebook_with,
    report_cells,
    standard_sections,
    write_source,
)
from shared_kit import corpus_notebook

from grader.cli import main
from grader.report import build_report, check_pdf

DPI = 288


def build(tmp_path: Path, introduction: str, **sections: str) -> Path:
    source = write_source(
        tmp_path,
        front_matter() + body(standard_sections(Introduction=introduction, **sections)),
    )
    return build_report(source, tmp_path / "out.pdf")


def pdftotext(pdf: Path, *options: str) -> str:
    command = ["pdftotext", *options, str(pdf), "-"]
    return subprocess.run(command, capture_output=True, text=True, check=True).stdout


def math_chars(pdf: Path) -> list[dict]:
    """The glyphs of formulas (set in STIX) on page 1, in drawing order."""
    with pdfplumber.open(pdf) as document:
        return [c for c in document.pages[0].chars if "STIX" in c["fontname"]]


def rules(pdf: Path) -> list[dict]:
    with pdfplumber.open(pdf) as document:
        return list(document.pages[0].rects)


_FONTS: dict[str, TTFont] = {}


def ink(char: dict) -> tuple[float, float, float, float]:
    """The box of a glyph's ink in PDF points (x0, y0, x1, y1, y upwards), from its outline in
    the STIX font it is set in and its origin on the page."""
    style = char["fontname"].split("+")[-1]
    name = {"STIXGeneral-Regular": "STIXGeneral", "STIXGeneral-Italic": "STIXGeneralItalic"}
    path = Path(matplotlib.get_data_path()) / "fonts" / "ttf" / f"{name[style]}.ttf"
    font = _FONTS.setdefault(style, TTFont(path))
    glyph = font.getBestCmap()[ord(char["text"])]
    pen = BoundsPen(font.getGlyphSet())
    font.getGlyphSet()[glyph].draw(pen)
    x_min, y_min, x_max, y_max = pen.bounds
    scale = char["size"] / font["head"].unitsPerEm
    x, y = char["matrix"][4], char["matrix"][5]
    return x + x_min * scale, y + y_min * scale, x + x_max * scale, y + y_max * scale


def centre(box: tuple[float, float, float, float]) -> float:
    return (box[0] + box[2]) / 2


def find(chars: list[dict], text: str, start: int = 0) -> dict:
    return next(c for c in chars[start:] if c["text"] == text)


def dark_pixels(pdf: Path, box: tuple[float, float, float, float]) -> int:
    """Dark pixels of page 1 rendered by pdftoppm inside a box in PDF points."""
    prefix = pdf.with_name(pdf.stem + "-page")
    subprocess.run(
        ["pdftoppm", "-png", "-r", str(DPI), "-f", "1", "-l", "1", str(pdf), str(prefix)],
        check=True,
    )
    image = Image.open(next(pdf.parent.glob(f"{prefix.name}*.png"))).convert("L")
    scale = DPI / 72
    height = image.height / scale
    x0, y0, x1, y1 = box
    crop = image.crop(
        (
            int(x0 * scale),
            int((height - y1) * scale),
            int(x1 * scale) + 1,
            int((height - y0) * scale) + 1,
        )
    )
    return sum(1 for value in crop.get_flattened_data() if value < 128)


# ---- accents, fractions, limits, roots


@pytest.mark.parametrize(
    "command, mark", [("tilde", "\u0303"), ("hat", "\u0302"), ("bar", "\u0304"), ("dot", "\u0307")]
)
def test_accent_sits_over_its_letter(tmp_path: Path, command: str, mark: str):
    pdf = build(tmp_path, "The candidate cell state is $\\" + command + "{C}_t$ at step t.")
    chars = math_chars(pdf)
    letter, accent = ink(find(chars, "C")), ink(find(chars, mark))
    assert letter[0] <= centre(accent) <= letter[2], (letter, accent)  # over it, not after it
    assert accent[1] > letter[3] - 0.5  # above its top
    assert dark_pixels(pdf, accent) > 0  # and drawn there
    assert unicodedata.normalize("NFC", f"C{mark}_t") in pdftotext(pdf)


def test_vector_arrow_sits_over_its_letter(tmp_path: Path):
    pdf = build(tmp_path, "The velocity $\\vec{v}$ is a vector.")
    chars = math_chars(pdf)
    letter, arrow = ink(find(chars, "v")), ink(find(chars, "\u20d7"))
    assert arrow[0] < centre(letter) < arrow[2] and arrow[1] > letter[3] - 0.5


def test_display_fraction_and_sum_are_stacked(tmp_path: Path):
    pdf = build(tmp_path, "The loss:\n\n$$L = \\frac{1}{N}\\sum_{n=1}^{N} \\ell_n$$\n\nas usual.")
    chars = math_chars(pdf)
    one, n_over = find(chars, "1"), find(chars, "N")
    bar = min(rules(pdf), key=lambda r: abs(r["x0"] - one["x0"]))
    assert ink(one)[1] > bar["bottom"] - 1e-6 or one["matrix"][5] > ink(n_over)[3]
    assert one["matrix"][5] > n_over["matrix"][5] + 5  # numerator above the denominator
    assert bar["x0"] <= centre(ink(one)) <= bar["x1"]
    total = find(chars, "\u2211")
    after = chars.index(total) + 1
    lower = chars[after : after + 3]  # mathtext draws the lower limit right after the sign
    assert "".join(c["text"] for c in lower) == "n=1"
    assert all(ink(c)[3] < ink(total)[1] + 0.5 for c in lower)  # below the sign
    assert all(ink(total)[0] - 3 < centre(ink(c)) < ink(total)[2] + 3 for c in lower)
    text = pdftotext(pdf)
    assert "L = 1/N∑_{n=1}^N ℓ_n" in text


def test_inline_sum_sets_its_limits_beside_it(tmp_path: Path):
    pdf = build(tmp_path, "The mean $\\frac{1}{N}\\sum_{n=1}^{N} x_n$ of the batch.")
    chars = math_chars(pdf)
    total = find(chars, "\u2211")
    upper = find(chars, "N", chars.index(total))
    assert upper["x0"] >= total["x1"] - 0.5  # beside the sign, not over it


def test_square_root_has_its_bar_over_the_radicand(tmp_path: Path):
    pdf = build(tmp_path, "Scaled by $\\sqrt{d_k}$ as in attention.")
    chars = math_chars(pdf)
    radicand = ink(find(chars, "d"))
    bars = [r for r in rules(pdf) if r["x0"] <= centre(radicand) <= r["x1"]]
    assert bars and min(bars, key=lambda r: r["top"])["top"] < 842 - radicand[3]
    assert "√(d_k)" in pdftotext(pdf)


def test_formulas_extract_in_reading_order(tmp_path: Path):
    pdf = build(
        tmp_path,
        "Here $h_t = o_t \\odot \\tanh(C_t)$ and\n\n"
        "$$C_t = f_t \\odot C_{t-1} + i_t \\odot \\tilde{C}_t$$\n\nwith rate $10^{-3}$.",
    )
    text = " ".join(pdftotext(pdf).split())
    assert "Here h_t = o_t ⊙ tanh(C_t) and" in text
    assert "C_t = f_t ⊙ C_{t−1} + i_t ⊙ C̃_t" in text
    assert "with rate 10^{−3}." in text


# ---- next to Devanagari


def test_devanagari_next_to_formulas_builds_with_a_real_minus(tmp_path: Path):
    pdf = build(tmp_path, "हिन्दी में $C_{t-1}$ और $10^{-3}$ तथा $e^{-x}$ देखें।")
    text = " ".join(pdftotext(pdf).split())
    assert "हिन्दी में C_{t−1} और 10^{−3} तथा e^{−x} देखें।" in text
    minus = [c for c in math_chars(pdf) if c["text"] == "\u2212"]
    assert len(minus) == 3
    assert all(dark_pixels(pdf, ink(c)) > 0 for c in minus)  # drawn, not an empty box


def test_formula_in_a_table_cell_and_a_list(tmp_path: Path):
    table = "| Gate | Formula |\n|---|---|\n| forget | $\\sigma(W_f [x_t, h_{t-1}] + b_f)$ |\n"
    pdf = build(tmp_path, table + "\n- the state $\\tilde{C}_t$\n")
    text = " ".join(pdftotext(pdf).split())
    assert "forget σ(W_f[x_t, h_{t−1}] + b_f)" in text and "the state C̃_t" in text


def test_a_formula_mathtext_cannot_set_is_text_with_a_note(tmp_path: Path, capsys):
    intro = "Aligned:\n\n$$\\begin{aligned} a &= b \\\\ c &= d \\end{aligned}$$\n\nDone."
    source = write_source(tmp_path, front_matter() + body(standard_sections(Introduction=intro)))
    assert main(["report", str(source)]) == 0
    assert "set as plain text" in capsys.readouterr().err
    assert "Done." in pdftotext(source.with_suffix(".pdf"))


# ---- tables


CITIES = (
    "| City | Samples | MSE | MAE | RMSE | R2 | Epochs | Time (s) | Batch | Hidden |\n"
    "|---|---:|---:|---:|---:|---:|---:|---:|---:|---:|\n"
    "| Mumbai metropolitan region | 12000 | 0.0021 | 0.031 | 0.046 | 0.97 | 50 | 123.4 | 64 "
    "| 128 |\n"
    "| Thiruvananthapuram | 8000 | 0.0035 | 0.042 | 0.059 | 0.95 | 50 | 98.1 | 64 | 128 |\n"
)


def test_table_columns_take_their_content_width_without_breaking_words(tmp_path: Path):
    pdf = build(tmp_path, "Results per city.\n\n" + CITIES)
    lines = pdftotext(pdf, "-layout").splitlines()
    for word in ("Samples", "Mumbai", "Thiruvananthapuram", "metropolitan", "Epochs", "Hidden"):
        assert any(word in line for line in lines), word
    assert not any("Sampl" in line and "Samples" not in line for line in lines)


def test_a_table_too_wide_for_whole_words_hyphenates(tmp_path: Path):
    word = "Thiruvananthapuram"
    header = "| " + " | ".join(f"{word}{i}" for i in range(7)) + " |\n"
    table = header + "|" + "---|" * 7 + "\n| " + " | ".join(["1"] * 7) + " |\n"
    pdf = build(tmp_path, "Too many long names.\n\n" + table)
    pieces = pdftotext(pdf, "-layout").split()
    assert any(p.endswith("-") and len(p) > 3 and word.startswith(p[:-1]) for p in pieces)


# ---- notebook title block from the first cell


@pytest.mark.parametrize(
    "first_cell",
    [
        "# Forecasting Airline Passengers\n\n**Name:** Ravi Kumar  \n**Roll no:** 21CS1042  \n"
        "**Email:** ravi.kumar@example.edu  \n"
        "[![Open In Colab](https://colab.research.google.com/assets/colab-badge.svg)]"
        "(https://colab.research.google.com/drive/1AbC_dEf)",
        '<a href="https://colab.research.google.com/drive/1AbC_dEf" target="_parent"><img '
        'src="https://colab.research.google.com/assets/colab-badge.svg" alt="Open In Colab"/></a>'
        "\n\n# Forecasting Airline Passengers\n\nName - Ravi Kumar | Roll No.: 21CS1042 | "
        "E-mail: <ravi.kumar@example.edu>",
    ],
)
def test_notebook_title_block_from_the_first_cell(tmp_path: Path, capsys, first_cell: str):
    cells = report_cells()
    cells[0] = nbformat.v4.new_markdown_cell(first_cell)
    source = notebook_with(cells, tmp_path)
    assert main(["report", str(source)]) == 0
    err = capsys.readouterr().err
    assert "author was read from cell 1: 'Ravi Kumar'" in err and "no author" not in err
    pdf = source.with_suffix(".pdf")
    text = " ".join(pdftotext(pdf).split())
    assert "Forecasting Airline Passengers" in text
    assert "Ravi Kumar · Student ID: 21CS1042 · ravi.kumar@example.edu" in text
    assert "https://colab.research.google.com/drive/1AbC_dEf" in text
    assert check_pdf(pdf) == []


def test_a_real_colab_badge_gives_the_title_block_its_link(tmp_path: Path, capsys):
    original = corpus_notebook(
        "krshrey10__Stock_Price_Prediction_LSTM__Stock_Price_Prediction_LSTM.ipynb"
    )
    badge = nbformat.read(original, as_version=4).cells[0]  # the student's own first cell
    cells = report_cells()
    cells[0] = nbformat.v4.new_markdown_cell(badge.source + "\n\n**Name:** Shreya K\n")
    source = notebook_with(cells, tmp_path)
    assert main(["report", str(source)]) == 0
    link = "https://colab.research.google.com/github/krshrey10/Stock_Price_Prediction_LSTM"
    assert link in pdftotext(source.with_suffix(".pdf"))
    assert "colab was read from cell 1" in capsys.readouterr().err


def test_devanagari_words_joined_to_scripts_and_code_keep_one_font_each(tmp_path: Path):
    # ReportLab shapes a word in the font of its first piece: C<sub>t−1</sub> (the minus is not
    # in Noto Serif) crashed it, and `code`हिन्दी came out as empty boxes in the code font.
    pdf = build(tmp_path, "हिन्दी में C<sub>t−1</sub> और `code`हिन्दी **मोटा**सामान्य अंत।")
    text = " ".join(pdftotext(pdf).split())
    assert "हिन्दी में Ct−1 और codeहिन्दी मोटासामान्य अंत।" in text
    with pdfplumber.open(pdf) as document:
        chars = document.pages[0].chars
    assert {c["text"] for c in chars if "Mono" in c["fontname"]} == set("code")
    assert any("Devanagari" in c["fontname"] for c in chars)


def test_a_title_with_a_formula_is_set_and_named_by_its_reading_text(tmp_path: Path):
    source = write_source(
        tmp_path,
        front_matter(title="'Carrying $\\tilde{C}_t$ across time'") + body(standard_sections()),
    )
    pdf = build_report(source, tmp_path / "out.pdf")
    assert pdftotext(pdf).startswith("Carrying C̃_t across time")
    assert PdfReader(pdf).metadata.title == "Carrying C̃_t across time"
    assert any(c["text"] == "\u0303" for c in math_chars(pdf))
