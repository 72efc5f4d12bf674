"""PDFs from the wild cannot stall a run: each is read in a child process with a CPU-time and a
memory limit, and what goes wrong is told in words for the student, never a library's."""

from __future__ import annotations

import json
from datetime import datetime, timedelta, timezone
from pathlib import Path

import pytest
from hostile_pdf import stalling_pdf
from mailkit import gmail, notebook, takeout_mbox, titled_report
from pypdf import PdfReader, PdfWriter
from submission_kit import report_pdf

from grader import intake
from grader.cli import main
from grader.pdf.reading import DAMAGED, TOO_SLOW, PdfLimits
from grader.report import check_pdf

IST = timezone(timedelta(hours=5, minutes=30))
QUICK = PdfLimits(cpu_seconds=2)  # the stalling PDF needs a minute: two seconds show the limit
LIBRARY_WORDS = ("brotli", "jbig2", "install", "pypdf", "error", "exception", "decode")


@pytest.fixture(scope="module")
def stalling(tmp_path_factory: pytest.TempPathFactory) -> Path:
    return stalling_pdf(tmp_path_factory.mktemp("stall") / "report.pdf")


def test_a_pdf_that_takes_a_minute_is_reported_not_waited_for(stalling: Path) -> None:
    problems = check_pdf(stalling, QUICK)
    assert problems == [f"{stalling}: {TOO_SLOW}"]


def test_a_pdf_that_takes_too_much_memory_is_reported(stalling: Path) -> None:
    problems = check_pdf(stalling, PdfLimits(cpu_seconds=60, memory_bytes=300 * 1024 * 1024))
    assert problems == [f"{stalling}: {TOO_SLOW}"]


def test_cli_check_of_a_stalling_pdf_says_what_to_do(
    stalling: Path, monkeypatch: pytest.MonkeyPatch, capsys: pytest.CaptureFixture[str]
) -> None:
    monkeypatch.setenv("GRADER_PDF_CPU_SECONDS", "2")
    assert main(["report", "--check", str(stalling)]) == 1
    assert "this PDF takes too long to read: export it again from the program that made it" in (
        capsys.readouterr().out
    )


def test_collect_goes_on_past_a_stalling_report(
    stalling: Path, tmp_path: Path, monkeypatch: pytest.MonkeyPatch
) -> None:
    monkeypatch.setenv("GRADER_PDF_CPU_SECONDS", "2")
    sent = datetime(2023, 1, 15, 19, tzinfo=IST)
    mails = [
        gmail(
            "Asha Verma <asha@example.edu>",
            sent,
            "Project 1",
            "Attached.",
            attachments=[
                ("project1.ipynb", notebook("# Project 1")),
                ("p1.pdf", stalling.read_bytes()),
            ],
        ),
        gmail(
            "Rahul Menon <rahul@example.edu>",
            sent,
            "Project 1",
            "Attached.",
            attachments=[("p1.pdf", titled_report("Project 1: Stock prices"))],
        ),
    ]
    out = tmp_path / "out"
    summary = intake.collect(takeout_mbox(tmp_path / "in.mbox", mails), out)
    assert summary.placed == ["in.mbox#1", "in.mbox#2"]
    manifest = json.loads((out / "asha" / "manifest.json").read_text(encoding="utf-8"))
    assert manifest["checks"]["project1/p1.pdf"]["problems"] == [TOO_SLOW]
    merged = PdfReader(out / "all_submissions.pdf")
    text = " ".join(page.extract_text() for page in merged.pages)
    assert "p1.pdf: this PDF takes too long to read" in text


def test_an_owner_password_only_pdf_is_read_not_called_a_scan(tmp_path: Path) -> None:
    plain = report_pdf(tmp_path / "plain.pdf", title="Project 1")
    assert check_pdf(plain) == []
    writer = PdfWriter(clone_from=plain)
    # Word's "Restrict editing" and many export dialogs: anyone may open it, not change it.
    writer.encrypt(user_password="", owner_password="teacher-only", algorithm="AES-128")
    writer.write(tmp_path / "restricted.pdf")
    assert check_pdf(tmp_path / "restricted.pdf") == []


def _with_content_filter(path: Path, filter_name: bytes) -> Path:
    """A one-page PDF whose content stream names a filter pypdf cannot decode here (Brotli, a
    PDF 2.0 extension; JBIG2, an image codec that needs an outside program)."""
    content = b"BT /F1 12 Tf 72 700 Td (Introduction) Tj ET"
    objects = [
        b"<< /Type /Catalog /Pages 2 0 R >>",
        b"<< /Type /Pages /Kids [3 0 R] /Count 1 >>",
        b"<< /Type /Page /Parent 2 0 R /MediaBox [0 0 595 842] "
        b"/Resources << /Font << /F1 5 0 R >> >> /Contents 4 0 R >>",
        b"<< /Length %d /Filter /%s >>\nstream\n" % (len(content), filter_name)
        + content
        + b"\nendstream",
        b"<< /Type /Font /Subtype /Type1 /BaseFont /Helvetica >>",
    ]
    data, offsets = b"%PDF-1.7\n", []
    for number, body in enumerate(objects, 1):
        offsets.append(len(data))
        data += b"%d 0 obj\n" % number + body + b"\nendobj\n"
    start = len(data)
    data += b"xref\n0 6\n0000000000 65535 f \n"
    data += b"".join(b"%010d 00000 n \n" % offset for offset in offsets)
    data += b"trailer\n<< /Size 6 /Root 1 0 R >>\nstartxref\n%d\n%%%%EOF\n" % start
    path.write_bytes(data)
    return path


@pytest.mark.parametrize("filter_name", [b"BrotliDecode", b"JBIG2Decode"])
def test_what_a_library_says_never_reaches_the_student(tmp_path: Path, filter_name) -> None:
    [problem] = check_pdf(_with_content_filter(tmp_path / "odd.pdf", filter_name))
    said = problem.removeprefix(f"{tmp_path / 'odd.pdf'}: ")
    assert "export it again from the program that made it" in said or "export the PDF" in said
    assert not any(word in said.lower() for word in LIBRARY_WORDS), said
    assert "scan" not in said


@pytest.mark.parametrize("content", [b"", b"<html>not a pdf</html>", b"%PDF-1.4\n%broken\n"])
def test_a_damaged_file_is_told_in_plain_words(tmp_path: Path, content: bytes) -> None:
    (tmp_path / "x.pdf").write_bytes(content)
    assert check_pdf(tmp_path / "x.pdf") == [f"{tmp_path / 'x.pdf'}: {DAMAGED}"]


def test_the_report_facts_markers_see_read_the_pdf_under_the_same_limits(
    stalling: Path, monkeypatch: pytest.MonkeyPatch
) -> None:
    """The project checks (`grader grade --assignment .../projects`) read each report for the
    marking page: a stalling PDF is a finding there too, in the student's words."""
    from grader.report.facts import report_facts

    monkeypatch.setenv("GRADER_PDF_CPU_SECONDS", "2")
    facts = report_facts(stalling)
    assert facts["verdict"] == "fails --check" and facts["pages"] is None
    assert facts["error"] == TOO_SLOW
