"""``grader bundle``: validation of submission.toml, the bundle zip, the submission PDF."""

from __future__ import annotations

import base64
import hashlib
import json
import shutil
import subprocess
import zipfile
from datetime import datetime
from pathlib import Path

import nbformat
import pytest
from nbformat.v4 import new_output
from PIL import Image
from pypdf import PdfReader
from submission_kit import (
    colab,
    drawn_width,
    notebook_file,
    page_fonts,
    page_text,
    png_bytes,
    rendered,
    report_pdf,
    set_widths,
    student_folder,
)

from grader import bundle
from grader.cli import main
from grader.errors import UserError
from grader.pdf import submission as submission_pdf
from grader.report import SECTIONS, build_report

EXAMPLES = Path(__file__).resolve().parent.parent / "examples" / "students"


def pdf_text(path: Path) -> str:
    return subprocess.run(
        ["pdftotext", "-layout", str(path), "-"], capture_output=True, text=True, check=True
    ).stdout


def uri_links(reader: PdfReader) -> list[str]:
    return [
        annotation.get_object()["/A"]["/URI"]
        for page in reader.pages
        for annotation in page.get("/Annots", [])
        if "/A" in annotation.get_object()
    ]


def test_bundle_writes_the_zip_with_manifest_and_checksums(tmp_path: Path) -> None:
    toml = student_folder(tmp_path / "asha")
    result = bundle.build_bundle(toml, tmp_path / "out")

    assert result.zip_path == tmp_path / "out" / "CS21B001.zip"
    with zipfile.ZipFile(result.zip_path) as archive:
        names = sorted(archive.namelist())
        manifest = json.loads(archive.read("manifest.json"))
        digests = {name: hashlib.sha256(archive.read(name)).hexdigest() for name in names}
    assert names == sorted(
        ["manifest.json"]
        + [
            f"project{n}/{f}"
            for n in (1, 2)
            for f in (f"project{n}.ipynb", f"project{n}.pdf", f"project{n}.csv")
        ]
    )
    assert manifest["schema"] == 1
    assert manifest["student"] == {
        "id": "CS21B001",
        "name": "Asha Verma",
        "email": "asha@example.edu",
    }
    assert manifest["projects"][1] == {
        "title": "Project number 2",
        "colab": colab(2),
        "notebook": "project2/project2.ipynb",
        "report": "project2/project2.pdf",
        "dataset": "project2/project2.csv",
        "dataset_link": None,
    }
    assert manifest["files"] == {name: d for name, d in digests.items() if name != "manifest.json"}
    assert datetime.fromisoformat(manifest["created"]).tzinfo is not None
    # Nothing but the two outputs is left in the output folder (no staging leftovers).
    assert sorted(p.name for p in (tmp_path / "out").iterdir()) == ["CS21B001.pdf", "CS21B001.zip"]


def test_submission_pdf_has_cover_reports_and_notebook_appendix(tmp_path: Path) -> None:
    toml = student_folder(tmp_path / "asha", name="José Müller")
    result = bundle.build_bundle(toml, tmp_path / "out")
    reader = PdfReader(result.pdf_path)

    # Cover (1 page) + two one-page reports + two one-page notebook appendices.
    assert len(reader.pages) == 5
    text = pdf_text(result.pdf_path)
    assert "Submission of José Müller" in text
    assert result.manifest["files"]["project1/project1.csv"] in text  # the checksum table
    assert "Problem Statement" in text  # the report pages themselves
    assert "answer = 2" in text  # the appendix's code cells
    assert set(uri_links(reader)) == {colab(1), colab(2)}
    outline = [(item.title, reader.get_destination_page_number(item)) for item in reader.outline]
    assert outline == [
        ("Cover", 0),
        ("Project 1 report", 1),
        ("Project 2 report", 2),
        ("Appendix 1: project 1 notebook project1.ipynb", 3),
        ("Appendix 2: project 2 notebook project2.ipynb", 4),
    ]
    # The notebook's PNG figure is drawn on its appendix page.
    images = reader.pages[3].images
    assert len(images) == 1 and images[0].image.size == (64, 40)


def assert_all_fonts_embedded(pdf: Path, page: int) -> list[str]:
    """The page's fonts are embedded TrueType (none of the PDF built-ins); returns their names."""
    fonts = page_fonts(pdf, page)
    assert fonts and all(kind == "TrueType" and embedded for _, kind, embedded in fonts), fonts
    return [name for name, _, _ in fonts]


def test_a_devanagari_name_and_title_are_shaped_on_the_cover(tmp_path: Path) -> None:
    name, title = "अनन्या शर्मा", "दीर्घकालिक स्मृति परियोजना"
    toml = student_folder(tmp_path / "s", name=name, title=title)
    pdf = bundle.build_bundle(toml, tmp_path / "out").pdf_path

    text = page_text(pdf, 1)
    assert f"Submission of {name}" in text
    assert f"Project 1: {title} 1" in text and f"Project 2: {title} 2" in text
    fonts = assert_all_fonts_embedded(pdf, 1)
    assert any(font.endswith("NotoSansDevanagari-Bold") for font in fonts), fonts
    # Shaped, not letter by letter: न्य and र्मा join into conjuncts, so the heading is drawn
    # narrower than its letters side by side (and boxes for missing glyphs would differ again).
    heading = f"Submission of {name}"
    shaped, letters = set_widths(heading, submission_pdf._styles()["title"])
    drawn = drawn_width(pdf, 1, heading, limit=letters + 30)
    assert abs(drawn - shaped) < 3 < abs(drawn - letters), (drawn, shaped, letters)


def test_greek_and_accented_names_on_the_cover(tmp_path: Path) -> None:
    name, title = "Σοφία Παπαδοπούλου", "Πρόβλεψη με LSTM — Zoë & José Núñez"
    toml = student_folder(tmp_path / "s", name=name, title=title)
    pdf = bundle.build_bundle(toml, tmp_path / "out").pdf_path

    for text in (page_text(pdf, 1), PdfReader(pdf).pages[0].extract_text()):
        assert f"Submission of {name}" in text
        assert f"Project 2: {title} 2" in text
    fonts = assert_all_fonts_embedded(pdf, 1)
    assert not any("Devanagari" in font for font in fonts)  # Greek is DejaVu's own
    heading = f"Submission of {name}"
    shaped, letters = set_widths(heading, submission_pdf._styles()["title"])
    assert shaped == pytest.approx(letters, abs=0.5)  # nothing to join in Greek
    assert drawn_width(pdf, 1, "Submission", limit=letters + 30) == pytest.approx(shaped, abs=3)


def test_code_cells_are_shaded_and_keep_their_text(tmp_path: Path) -> None:
    code = ("def forget_gate(x_t, h_prev, W_f, b_f):\n    return 1", "print('नमस्ते दुनिया')")
    path = notebook_file(tmp_path / "nb.ipynb", code=code, png=False)
    pdf = tmp_path / "appendix.pdf"
    pdf.write_bytes(submission_pdf.notebook_pdf("Appendix", path))

    text = page_text(pdf, 1)
    assert "def forget_gate(x_t, h_prev, W_f, b_f):" in text
    assert "print('नमस्ते दुनिया')" in text
    assert_all_fonts_embedded(pdf, 1)
    page = Image.open(rendered(pdf, 1)).convert("L")
    shade = sum(1 for value in page.get_flattened_data() if 238 <= value <= 248)  # #f3f3f3
    # Two blocks, each about 400 px wide at 60 dpi and at least a line (12 px) high.
    assert shade > 2 * 400 * 12, shade


def test_every_problem_is_listed_at_once_and_nothing_is_written(tmp_path: Path) -> None:
    folder = tmp_path / "broken"
    toml = student_folder(
        folder, email="not-an-address", extra_toml="[course]\nmax_dataset_mb = 0.0001"
    )
    text = toml.read_text()
    text = text.replace(f'colab = "{colab(1)}"', 'colab = "https://drive.google.com/file/d/1xyz"')
    text = text.replace('report = "reports/project2.pdf"', 'report = "reports/missing.pdf"')
    text = text.replace('notebook = "nb/project2.ipynb"', 'notbook = "nb/project2.ipynb"')
    toml.write_text(text)
    report_pdf(folder / "reports/project1.pdf", sections=SECTIONS[:3], pages=3)
    (folder / "nb/project1.ipynb").write_text("{not json")
    out = tmp_path / "out"

    with pytest.raises(UserError) as raised:
        bundle.build_bundle(toml, out)
    message = str(raised.value)
    for expected in (
        "student.email 'not-an-address' is not an email address",
        "project 1: colab 'https://drive.google.com/file/d/1xyz' is not a Colab notebook link",
        "project 1: notebook",  # does not open
        "does not open",
        "3 pages; the report must fit on 2 pages",
        "section 'Data Visualization' not found",
        "project 2: report",
        "missing.pdf does not exist",
        "unknown key 'notbook' in [project 2]",
        "project 2: notebook is missing",
        "over the 104 B limit",
        "give its link as dataset_link instead",
    ):
        assert expected in message, expected
    assert "nothing was written" in message
    assert not out.exists()


def test_the_course_sets_the_number_of_projects(tmp_path: Path) -> None:
    one = student_folder(tmp_path / "one", projects=1)
    with pytest.raises(
        UserError, match=r"the course asks for 2 project\(s\) and submission.toml has 1"
    ):
        bundle.build_bundle(one, tmp_path / "out")

    three = student_folder(tmp_path / "three", projects=3, extra_toml="[course]\nprojects = 3")
    result = bundle.build_bundle(three, tmp_path / "out")
    assert len(result.manifest["projects"]) == 3


def test_dataset_link_stands_in_for_a_large_dataset(tmp_path: Path) -> None:
    toml = student_folder(tmp_path / "s")
    text = toml.read_text().replace(
        'dataset = "data/project2.csv"', 'dataset_link = "https://www.kaggle.com/datasets/x/y"'
    )
    toml.write_text(text)
    manifest = bundle.build_bundle(toml, tmp_path / "out").manifest
    assert manifest["projects"][1]["dataset"] is None
    assert manifest["projects"][1]["dataset_link"] == "https://www.kaggle.com/datasets/x/y"
    assert "project2/project2.csv" not in manifest["files"]

    toml.write_text(
        text.replace(
            'dataset = "data/project1.csv"',
            'dataset = "data/project1.csv"\ndataset_link = "ftp://x"',
        )
    )
    with pytest.raises(UserError, match="project 1: give dataset or dataset_link, not both"):
        bundle.build_bundle(toml, tmp_path / "out2")


@pytest.mark.parametrize(
    "link",
    [
        "https://colab.research.google.com/drive/1hT3kQ9xWm2Lr8ZpA5nVb0cYd7eFgJiKs",
        "https://colab.research.google.com/drive/1hT3kQ9xWm2Lr8ZpA5nVb0cYd7eFgJiKs?usp=sharing",
        "https://colab.research.google.com/drive/1hT3kQ9xWm2Lr8ZpA5nVb0c#scrollTo=abc",
        "https://colab.research.google.com/github/owner/repo/blob/main/nb/LSTM.ipynb",
    ],
)
def test_colab_links_of_the_forms_colab_uses(link: str) -> None:
    assert bundle.is_colab_link(link)
    assert bundle.find_colab_links(f"My notebook: {link}. Thanks!") == [link]


@pytest.mark.parametrize(
    "link",
    [
        "http://colab.research.google.com/drive/1hT3kQ9xWm2Lr8ZpA5nVb0cYd7eFgJiKs",
        "https://colab.research.google.com/drive/",
        "https://colab.research.google.com/notebooks/intro.ipynb",
        "https://colab.research.google.com/github/owner/repo/tree/main",
        "https://drive.google.com/file/d/1hT3kQ9xWm2Lr8ZpA5nVb0cYd7eFgJiKs/view",
        "https://colab.research.google.com.evil.com/drive/1hT3kQ9xWm2Lr8ZpA5nVb0c",
    ],
)
def test_links_that_are_not_colab_notebooks(link: str) -> None:
    assert not bundle.is_colab_link(link)


def test_appendix_survives_a_hostile_notebook(tmp_path: Path) -> None:
    huge_cell = "\n".join(f"x{i} = {i}  # \x00\x07 control characters" for i in range(5000))
    path = notebook_file(tmp_path / "nb.ipynb", code=(huge_cell, "y = 'tab\there'"), png=False)
    notebook = nbformat.read(path, as_version=4)
    notebook.cells[-1].outputs = [
        new_output("display_data", data={"image/png": encoded})
        for encoded in (
            "!!not base64!!",
            base64.b64encode(b"\x89PNG broken").decode(),
            base64.b64encode(png_bytes(6000, 6000)).decode(),
        )
    ]
    nbformat.write(notebook, path)
    output = tmp_path / "appendix.pdf"
    output.write_bytes(submission_pdf.notebook_pdf("Appendix", path))
    text = pdf_text(output)
    assert "more lines not shown" in text
    assert "figure not shown: UnidentifiedImageError" in text
    assert "figure not shown: 6000x6000 pixels" in text
    assert len(PdfReader(output).pages) < 10


def test_cli_reports_problems_with_exit_2_and_bundles_with_exit_0(
    tmp_path: Path, capsys: pytest.CaptureFixture[str]
) -> None:
    toml = student_folder(tmp_path / "s")
    bad = tmp_path / "bad.toml"
    bad.write_text(toml.read_text().replace("[[project]]", "[[projects]]", 1))
    assert main(["bundle", str(bad), "--out", str(tmp_path / "out")]) == 2
    assert "unknown table or key 'projects'" in capsys.readouterr().err

    assert main(["bundle", str(toml), "--out", str(tmp_path / "out")]) == 0
    out = capsys.readouterr().out
    assert f"Bundle: {tmp_path / 'out' / 'CS21B001.zip'}" in out


def test_invalid_toml_says_where(tmp_path: Path) -> None:
    toml = tmp_path / "submission.toml"
    toml.write_text('[student]\nid = "unterminated\n')
    with pytest.raises(UserError, match="is not valid TOML"):
        bundle.build_bundle(toml, tmp_path / "out")


@pytest.mark.slow
@pytest.mark.parametrize("student", ["CS21B042", "EE21B017"])
def test_the_sample_students_bundle(tmp_path: Path, student: str) -> None:
    folder = shutil.copytree(EXAMPLES / student, tmp_path / student)
    for source in (folder / "reports").glob("*.md"):
        build_report(source, source.with_suffix(".pdf"))
    result = bundle.build_bundle(folder / "submission.toml", tmp_path / "bundles")
    manifest = result.manifest
    assert manifest["student"]["id"] == student
    assert all(project["notebook"] and project["report"] for project in manifest["projects"])
    reader = PdfReader(result.pdf_path)
    assert set(uri_links(reader)) >= {p["colab"] for p in manifest["projects"]}
    assert sum(len(page.images) for page in reader.pages) >= 1  # a notebook figure


def test_the_templates_own_placeholders_are_refused_each_by_name(tmp_path: Path) -> None:
    toml = student_folder(
        tmp_path / "as-shipped",
        student_id="CS21B000",
        name="Your Full Name",
        email="your.name@example.edu",
    )
    placeholder = "https://colab.research.google.com/drive/YOUR-NOTEBOOK-ID"
    toml.write_text(toml.read_text().replace(colab(1), placeholder))
    out = tmp_path / "out"
    with pytest.raises(UserError) as raised:
        bundle.build_bundle(toml, out)
    message = str(raised.value)
    for expected in (
        "student.id is still the template's placeholder 'CS21B000'",
        "student.name is still the template's placeholder 'Your Full Name'",
        "student.email is still the template's placeholder 'your.name@example.edu'",
        f"project 1: colab is still the template's placeholder '{placeholder}'",
    ):
        assert expected in message, expected
    assert "project 2: colab" not in message  # a real link of its own
    assert not out.exists()
