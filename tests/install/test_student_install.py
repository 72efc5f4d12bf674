"""The student's install as users make it: the wheel alone (no extra) in a fresh virtualenv of
Debian's own Python, outside the checkout, run by an ordinary user account: no torch, a report
from its template, Devanagari shaped, an instructor's command refused with what to install,
everything the student's commands import."""

from __future__ import annotations

from install_kit import (
    EXAMPLES,
    IMPORT_ALL,
    NEEDS_TORCH,
    NOT_THE_GRADERS,
    STUDENT_MODULES,
    as_user,
    checked,
    copy_for,
    needs_debian_python,
)
from wheel_kit import checkout_version

pytestmark = needs_debian_python
ACCOUNT = "grader-test-student"  # made by these tests when they run as root


def test_the_student_install_has_no_torch_and_builds_a_report_from_its_template(account, student):
    run = lambda *command: as_user(account, student, *command)  # noqa: E731
    for package in ("torch", "dask", "starlette", "IPython"):
        absent = run("venv/bin/python", "-c", f"import {package}")
        assert absent.returncode != 0 and "ModuleNotFoundError" in absent.stderr, package
    checked(run("grader", "report", "--template", "report.md"))
    assert "# Introduction" in (student / "report.md").read_text()
    checked(run("grader", "report", "report.md"))
    assert "OK" in checked(run("grader", "report", "--check", "report.pdf")).stdout
    checked(run("grader", "bundle", "--template", "submission.toml"))
    assert "[student]" in (student / "submission.toml").read_text()


DEVANAGARI = "अनन्या शर्मा ने हिन्दी में लिखा"


def _shaped_glyphs(text: str) -> int:
    """How many glyphs HarfBuzz makes of ``text``'s words in the report's Devanagari font."""
    import uharfbuzz

    from grader.pdf.fonts import NOTO

    font = uharfbuzz.Font(
        uharfbuzz.Face(uharfbuzz.Blob.from_file_path(str(NOTO / "NotoSansDevanagari-Regular.ttf")))
    )
    glyphs = 0
    for word in text.split():
        buffer = uharfbuzz.Buffer()
        buffer.add_str(word)
        buffer.guess_segment_properties()
        uharfbuzz.shape(font, buffer)
        glyphs += len(buffer.glyph_infos)
    return glyphs


def test_the_student_install_shapes_devanagari_in_the_report(account, student):
    """The wheel alone (the student's install) sets conjuncts and vowel signs as HarfBuzz
    shapes them: as many glyphs on the page as shaping makes, fewer than the characters."""
    import pdfplumber

    run = lambda *command: as_user(account, student, *command)  # noqa: E731
    checked(run("grader", "report", "--template", "devanagari.md"))
    source = (student / "devanagari.md").read_text(encoding="utf-8")
    heading = source.index("\n", source.index("# Introduction")) + 1
    text = source[:heading] + f"\n{DEVANAGARI}\n" + source[heading:]
    (student / "devanagari.md").write_text(text, encoding="utf-8")
    checked(run("grader", "report", "devanagari.md"))
    with pdfplumber.open(student / "devanagari.pdf") as document:
        drawn = [
            c
            for page in document.pages
            for c in page.chars
            if "Devanagari" in c["fontname"] and c["text"].strip()
        ]
    shaped = _shaped_glyphs(DEVANAGARI)
    assert shaped < len(DEVANAGARI.replace(" ", ""))  # conjuncts join: shaping shows
    assert len(drawn) == shaped


def test_an_instructor_command_in_a_student_install_says_what_to_install(account, student):
    notebook = copy_for(account, EXAMPLES / "lstm_gates", student / "samples") / "asha.ipynb"
    done = as_user(account, student, "grader", "grade", "--assignment", "nowhere", "--out", "o",
                   str(notebook))  # fmt: skip
    assert done.returncode == 2, done.stderr
    assert "lstm-course-grader[instructor]" in done.stderr
    assert "Traceback" not in done.stderr


def test_the_base_install_provides_everything_the_students_commands_import(account, student):
    done = as_user(account, student, "venv/bin/python", "-c", IMPORT_ALL,
                   ",".join(STUDENT_MODULES), ",".join(NOT_THE_GRADERS + NEEDS_TORCH))  # fmt: skip
    assert done.returncode == 0, done.stdout + done.stderr


def test_grader_version_names_the_installed_package(account, student):
    """The version the wheel was built as from this checkout (not the checkout's own editable
    install's, which keeps the version of the commit it was installed at)."""
    done = checked(as_user(account, student, "grader", "--version"))
    assert done.stdout.strip() == f"grader {checkout_version()}"
