"""Builders of real submission files for the bundle and collect tests.

Report PDFs are drawn with ReportLab directly (headings and text), so these tests do not depend on
``grader report``; notebooks are real nbformat v4 files; emails are built with ``email``.
"""

from __future__ import annotations

import base64
import hashlib
import html
import io
import json
import re
import subprocess
import zipfile
from collections.abc import Sequence
from datetime import datetime
from email.message import EmailMessage
from email.utils import format_datetime
from pathlib import Path

import nbformat
from nbformat.v4 import new_code_cell, new_markdown_cell, new_notebook, new_output
from PIL import Image
from reportlab.lib.pagesizes import A4
from reportlab.lib.styles import ParagraphStyle
from reportlab.pdfbase.pdfmetrics import stringWidth
from reportlab.pdfgen.canvas import Canvas

from grader.pdf.fonts import fonts, text_width
from grader.report import SECTIONS


def report_pdf(
    path: Path, sections: Sequence[str] = SECTIONS, pages: int = 1, title: str = ""
) -> Path:
    """A report PDF with ``sections`` as headings, spread over ``pages`` pages; ``title``
    above them on the first page."""
    path.parent.mkdir(parents=True, exist_ok=True)
    canvas = Canvas(str(path), pagesize=A4)
    per_page = max(1, -(-len(sections) // pages))
    for page in range(pages):
        y = 780
        if title and not page:
            canvas.setFont("Helvetica-Bold", 16)
            canvas.drawString(72, 800, title)
        for heading in sections[page * per_page : (page + 1) * per_page]:
            canvas.setFont("Helvetica-Bold", 14)
            canvas.drawString(72, y, heading)
            canvas.setFont("Helvetica", 10)
            canvas.drawString(72, y - 18, f"Text of the {heading.lower()} section, with results.")
            y -= 70
        canvas.showPage()
    canvas.save()
    return path


def png_bytes(width: int = 64, height: int = 40, color: str = "red") -> bytes:
    buffer = io.BytesIO()
    Image.new("RGB", (width, height), color).save(buffer, format="PNG")
    return buffer.getvalue()


def notebook_file(path: Path, code: Sequence[str] = ("x = 1\nprint(x)",), png: bool = True) -> Path:
    """An executed-looking notebook; with ``png``, its last cell shows a PNG figure."""
    cells = [new_markdown_cell("# A project")]
    for count, source in enumerate(code, 1):
        cells.append(new_code_cell(source, execution_count=count))
    if png:
        figure = new_output(
            "display_data", data={"image/png": base64.b64encode(png_bytes()).decode()}
        )
        cells[-1].outputs.append(figure)
    notebook = new_notebook(cells=cells, metadata={"colab": {"provenance": []}})
    path.parent.mkdir(parents=True, exist_ok=True)
    nbformat.write(notebook, path)
    return path


def colab(number: int) -> str:
    return f"https://colab.research.google.com/drive/1Abc{number}defGhiJklMnoPqrStuVwxYz0{number}"


def student_folder(
    root: Path,
    student_id: str = "CS21B001",
    name: str = "Asha Verma",
    email: str = "asha@example.edu",
    projects: int = 2,
    title: str = "Project number",
    dataset_bytes: int = 200,
    extra_toml: str = "",
) -> Path:
    """A folder with a valid submission.toml and its files; returns the toml's path."""
    root.mkdir(parents=True, exist_ok=True)
    lines = [
        extra_toml,
        "[student]",
        f"id = {json.dumps(student_id)}",
        f"name = {json.dumps(name)}",
        f"email = {json.dumps(email)}",
    ]
    for number in range(1, projects + 1):
        notebook_file(root / f"nb/project{number}.ipynb", code=(f"answer = {number}", "answer"))
        report_pdf(root / f"reports/project{number}.pdf")
        (root / f"data/project{number}.csv").parent.mkdir(exist_ok=True)
        (root / f"data/project{number}.csv").write_bytes(b"t,y\n" + b"1,2\n" * (dataset_bytes // 4))
        lines += [
            "",
            "[[project]]",
            f"title = {json.dumps(f'{title} {number}', ensure_ascii=False)}",
            f'colab = "{colab(number)}"',
            f'notebook = "nb/project{number}.ipynb"',
            f'report = "reports/project{number}.pdf"',
            f'dataset = "data/project{number}.csv"',
        ]
    toml = root / "submission.toml"
    toml.write_text("\n".join(lines) + "\n", encoding="utf-8")
    return toml


def message(
    sender: str,
    sent: datetime | None,
    body: str = "Please find my submission attached.",
    attachments: Sequence[tuple[str, bytes]] = (),
    html: str | None = None,
) -> EmailMessage:
    """An email as a mail client sends it; ``sent=None`` leaves out the Date header."""
    mail = EmailMessage()
    mail["From"] = sender
    mail["To"] = "lstm-course@example.edu"
    mail["Subject"] = "LSTM course submission"
    if sent is not None:
        mail["Date"] = format_datetime(sent)
    mail.set_content(body)
    if html is not None:
        mail.add_alternative(html, subtype="html")
    for name, data in attachments:
        maintype, subtype = {
            ".zip": ("application", "zip"),
            ".pdf": ("application", "pdf"),
            ".csv": ("text", "csv"),
        }.get(Path(name).suffix, ("application", "octet-stream"))
        if maintype == "text":
            mail.add_attachment(data.decode(), subtype=subtype, filename=name)
        else:
            mail.add_attachment(data, maintype=maintype, subtype=subtype, filename=name)
    return mail


def rezip(source: bytes, rename: dict[str, str] | None = None) -> bytes:
    """The members of a zip written again, optionally under other names."""
    rename = rename or {}
    out = io.BytesIO()
    with zipfile.ZipFile(io.BytesIO(source)) as old, zipfile.ZipFile(out, "w") as new:
        for info in old.infolist():
            new.writestr(rename.get(info.filename, info.filename), old.read(info))
    return out.getvalue()


def with_files(data: bytes, extra: dict[str, bytes], compression=zipfile.ZIP_STORED) -> bytes:
    """A bundle with more files, listed in its manifest with their right checksums."""
    out = io.BytesIO()
    with zipfile.ZipFile(io.BytesIO(data)) as old, zipfile.ZipFile(out, "w", compression) as new:
        manifest = json.loads(old.read("manifest.json"))
        manifest["files"].update({k: hashlib.sha256(v).hexdigest() for k, v in extra.items()})
        for info in old.infolist():
            if info.filename != "manifest.json":
                new.writestr(info.filename, old.read(info))
        for name, content in extra.items():
            new.writestr(name, content)
        new.writestr("manifest.json", json.dumps(manifest))
    return out.getvalue()


def replace_member(data: bytes, name: str, content: bytes) -> bytes:
    """The zip with one member's content changed and its manifest left as it was."""
    out = io.BytesIO()
    with zipfile.ZipFile(io.BytesIO(data)) as old, zipfile.ZipFile(out, "w") as new:
        for info in old.infolist():
            new.writestr(info.filename, content if info.filename == name else old.read(info))
    return out.getvalue()


# ---------------------------------------------------------------------------------------------
# Looking at PDFs: fonts, text, and what a page looks like rendered


def page_fonts(pdf: Path, page: int | None = None) -> list[tuple[str, str, bool]]:
    """(name, type, embedded) of each font on a page (every page: each font object of the PDF
    once), as pdffonts lists them."""
    pages = [] if page is None else ["-f", str(page), "-l", str(page)]
    listing = subprocess.run(
        ["pdffonts", *pages, str(pdf)],
        capture_output=True,
        text=True,
        check=True,
    ).stdout.splitlines()[2:]
    rows = [
        re.match(r"(\S+)\s+(.+?)\s+\S+\s+(yes|no)\s+(?:yes|no)\s+(?:yes|no)\s", row)
        for row in listing
    ]
    return [(row[1], row[2], row[3] == "yes") for row in rows if row]


def page_text(pdf: Path, page: int) -> str:
    """A page's text as poppler extracts it (it reads the ActualText of shaped text)."""
    return subprocess.run(
        ["pdftotext", "-f", str(page), "-l", str(page), str(pdf), "-"],
        capture_output=True,
        text=True,
        check=True,
    ).stdout


def rendered(pdf: Path, page: int, dpi: int = 60) -> Path:
    """The page rendered as a PNG beside the PDF (look at it)."""
    prefix = pdf.with_name(f"{pdf.stem}-page{page}")
    subprocess.run(
        ["pdftoppm", "-png", "-r", str(dpi), "-f", str(page), "-l", str(page), "-singlefile"]
        + [str(pdf), str(prefix)],
        check=True,
    )
    return prefix.with_suffix(".png")


def drawn_width(pdf: Path, page: int, text: str, limit: float, dpi: int = 60) -> float:
    """How wide ``text`` is drawn, in points, measured on the rendered page: from where poppler
    says its line's first word starts to the rightmost ink, looking no further than ``limit``."""
    layout = subprocess.run(
        ["pdftotext", "-bbox-layout", "-f", str(page), "-l", str(page), str(pdf), "-"],
        capture_output=True,
        text=True,
        check=True,
    ).stdout
    box = r'xMin="([\d.]+)" yMin="([\d.]+)" xMax="[\d.]+" yMax="([\d.]+)"'
    for line in re.finditer(rf"<line {box}>(.*?)</line>", layout, re.S):
        words = [
            (float(word[1]), html.unescape(word[4]))
            for word in re.finditer(rf"<word {box}>([^<]*)</word>", line[4])
        ]
        if text in " ".join(word for _, word in words):
            left = next(x for x, word in words if word.startswith(text.split()[0]))
            top, bottom = float(line[2]), float(line[3])
            break
    else:
        raise AssertionError(f"{text!r} is not on page {page} of {pdf}")
    scale = dpi / 72
    image = Image.open(rendered(pdf, page, dpi)).convert("L")
    rows = range(int(top * scale), int(bottom * scale) + 1)
    columns = [
        x
        for x in range(int(left * scale), min(image.width, int((left + limit) * scale)))
        if any(image.getpixel((x, y)) < 160 for y in rows)
    ]
    return (columns[-1] + 1) / scale - left


def set_widths(text: str, style: ParagraphStyle) -> tuple[float, float]:
    """The width of text in ``style`` with HarfBuzz shaping, and without (letter by letter)."""
    registry = fonts()
    primary, bold, italic = registry.face_of(style.fontName)
    plain = sum(
        stringWidth(run, registry.face(family, bold, italic), style.fontSize)
        for family, run in registry.runs(text, primary, shaping=False)
    )
    return text_width(text, style), plain
