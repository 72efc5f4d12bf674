"""Student submission bundles: validate a ``submission.toml``, write ``<id>.zip`` and ``<id>.pdf``.

A bundle zip holds each project's files under ``project<N>/`` and a ``manifest.json`` naming the
student, the projects and the SHA-256 of every file. The submission PDF is a cover page (student,
projects, clickable Colab links, datasets, checksums), the project reports, and an appendix with
each notebook's code cells and figures. ``grader collect`` reads the same manifest and renders the
same PDF for every student it collects.
"""

from __future__ import annotations

import argparse
import base64
import binascii
import hashlib
import io
import json
import re
import shutil
import tempfile
import tomllib
import zipfile
from collections.abc import Mapping, Sequence
from dataclasses import dataclass
from datetime import datetime
from pathlib import Path
from typing import Any

import nbformat
from PIL import Image as PILImage
from pypdf import PdfReader, PdfWriter
from reportlab.lib import colors
from reportlab.lib.pagesizes import A4
from reportlab.lib.styles import ParagraphStyle
from reportlab.lib.units import cm
from reportlab.platypus import (
    Image,
    KeepTogether,
    Paragraph,
    SimpleDocTemplate,
    Spacer,
    Table,
    TableStyle,
)

from grader.errors import UserError
from grader.fonts import MONO, SANS, code_block, fonts, paragraph

MANIFEST_NAME = "manifest.json"
MANIFEST_SCHEMA = 1
DEFAULT_PROJECTS = 2
DEFAULT_MAX_DATASET_MB = 10.0
STUDENT_ID = re.compile(r"[A-Za-z0-9][A-Za-z0-9._-]{0,63}")
EMAIL = re.compile(r"[^@\s]+@[^@\s]+\.[^@\s]+")
_COLAB = (
    r"https://colab\.research\.google\.com/"
    r"(?:drive/[A-Za-z0-9_-]{10,}"
    r"|github/[A-Za-z0-9_.-]+/[A-Za-z0-9_.-]+/blob/[^\s?#\"'<>]+\.ipynb)"
    r"(?:[?#][^\s\"'<>]*)?"
)
COLAB_LINK = re.compile(_COLAB)
COLAB_EXAMPLE = "https://colab.research.google.com/drive/<id>"

_STUDENT_KEYS = ("id", "name", "email")
_PROJECT_KEYS = ("title", "colab", "notebook", "report", "dataset", "dataset_link")
_COURSE_KEYS = ("projects", "max_dataset_mb")

# Limits of the notebook appendix, so that a notebook printing megabytes stays readable.
_MAX_REPORT_PAGES = 6
_MAX_CELL_LINES = 120
_MAX_NOTEBOOK_LINES = 2500
_MAX_FIGURES = 40
_MAX_FIGURE_PIXELS = 25_000_000


@dataclass(frozen=True)
class Student:
    id: str
    name: str
    email: str


@dataclass(frozen=True)
class Project:
    title: str
    colab: str
    notebook: Path | None
    report: Path | None
    dataset: Path | None
    dataset_link: str | None


@dataclass(frozen=True)
class Submission:
    """What a ``submission.toml`` says, with file paths resolved against its folder."""

    source: Path
    student: Student
    projects: tuple[Project, ...]
    projects_required: int
    max_dataset_bytes: int


@dataclass(frozen=True)
class Bundle:
    zip_path: Path
    pdf_path: Path
    manifest: dict[str, Any]


def sha256_file(path: Path) -> str:
    digest = hashlib.sha256()
    with path.open("rb") as stream:
        for chunk in iter(lambda: stream.read(1 << 20), b""):
            digest.update(chunk)
    return digest.hexdigest()


def format_size(size: int) -> str:
    if size < 1024:
        return f"{size} B"
    if size < 1024 * 1024:
        return f"{size / 1024:.1f} KB"
    return f"{size / (1024 * 1024):.1f} MB"


def is_colab_link(text: str) -> bool:
    return COLAB_LINK.fullmatch(text) is not None


def find_colab_links(text: str) -> list[str]:
    """Colab notebook links in free text (an email body), in order, without repeats."""
    links = [match.group(0).rstrip(".,;:)]") for match in COLAB_LINK.finditer(text)]
    return list(dict.fromkeys(links))


# ---------------------------------------------------------------------------------------------
# Reading and validating submission.toml


def read_submission(path: Path) -> tuple[Submission, list[str]]:
    """Parse ``submission.toml``; return it and the problems of its shape (keys, types)."""
    try:
        data = tomllib.loads(path.read_text(encoding="utf-8"))
    except FileNotFoundError:
        raise UserError(
            f"{path} does not exist: copy templates/submission.toml next to your files"
        ) from None
    except (tomllib.TOMLDecodeError, UnicodeDecodeError) as error:
        raise UserError(
            f"{path} is not valid TOML ({error}): fix that line and run again"
        ) from None
    problems: list[str] = []
    base = path.parent

    def table(value: Any, where: str, known: Sequence[str]) -> dict[str, Any]:
        if not isinstance(value, dict):
            problems.append(f"{where} is missing: add a [{where}] table (see the template)")
            return {}
        for key in value.keys() - set(known):
            problems.append(
                f"unknown key {key!r} in [{where}]: the known keys are {', '.join(known)}"
            )
        return value

    def text(values: dict[str, Any], key: str, where: str) -> str:
        value = values.get(key, "")
        if not isinstance(value, str):
            problems.append(f"{where}.{key} must be a quoted string, not {value!r}")
            return ""
        return value.strip()

    def file(values: dict[str, Any], key: str, where: str) -> Path | None:
        value = text(values, key, where)
        return (base / value) if value else None

    for key in data.keys() - {"course", "student", "project"}:
        problems.append(
            f"unknown table or key {key!r}: the file has [course], [student], [[project]]"
        )
    course = table(data.get("course", {}), "course", _COURSE_KEYS)
    required = course.get("projects", DEFAULT_PROJECTS)
    if not isinstance(required, int) or isinstance(required, bool) or required < 1:
        problems.append(f"course.projects must be a whole number of at least 1, not {required!r}")
        required = DEFAULT_PROJECTS
    max_mb = course.get("max_dataset_mb", DEFAULT_MAX_DATASET_MB)
    if not isinstance(max_mb, int | float) or isinstance(max_mb, bool) or max_mb <= 0:
        problems.append(f"course.max_dataset_mb must be a positive number, not {max_mb!r}")
        max_mb = DEFAULT_MAX_DATASET_MB

    student_table = table(data.get("student"), "student", _STUDENT_KEYS)
    student = Student(*(text(student_table, key, "student") for key in _STUDENT_KEYS))

    project_tables = data.get("project", [])
    if not isinstance(project_tables, list):
        problems.append("write each project as a [[project]] table (double brackets)")
        project_tables = []
    projects = []
    for number, values in enumerate(project_tables, 1):
        where = f"project {number}"
        values = table(values, where, _PROJECT_KEYS)
        link = text(values, "dataset_link", where)
        projects.append(
            Project(
                title=text(values, "title", where),
                colab=text(values, "colab", where),
                notebook=file(values, "notebook", where),
                report=file(values, "report", where),
                dataset=file(values, "dataset", where),
                dataset_link=link or None,
            )
        )
    submission = Submission(
        source=path,
        student=student,
        projects=tuple(projects),
        projects_required=required,
        max_dataset_bytes=int(max_mb * 1024 * 1024),
    )
    return submission, problems


def check_student(student: Student) -> list[str]:
    problems = []
    if not student.id:
        problems.append('student.id is missing: add id = "<your roll number>" under [student]')
    elif not STUDENT_ID.fullmatch(student.id):
        problems.append(
            f"student.id {student.id!r} may hold only letters, digits, '.', '_' and '-' "
            "(at most 64, starting with a letter or digit): use your roll number"
        )
    if not student.name:
        problems.append('student.name is missing: add name = "<your full name>" under [student]')
    if not EMAIL.fullmatch(student.email):
        problems.append(
            f"student.email {student.email!r} is not an email address: "
            "use the address you will send from"
        )
    return problems


def check_notebook(path: Path) -> str | None:
    """Why the notebook at ``path`` does not open, or None when it does."""
    try:
        nbformat.read(path, as_version=4)
    except Exception as error:  # nbformat raises JSON, validation and version errors alike
        return f"{type(error).__name__}: {error}"
    return None


def check_project(project: Project, number: int, max_dataset_bytes: int) -> list[str]:
    """Every problem of one project, each saying what to do."""
    from grader.report import check_pdf

    where = f"project {number}"
    problems = []
    if not project.title:
        problems.append(f'{where}: title is missing: add title = "..."')
    if not project.colab:
        problems.append(
            f"{where}: colab link is missing: in Colab use Share > Copy link, and paste it as "
            f'colab = "{COLAB_EXAMPLE}"'
        )
    elif not is_colab_link(project.colab):
        problems.append(
            f"{where}: colab {project.colab!r} is not a Colab notebook link: it should look like "
            f"{COLAB_EXAMPLE} or https://colab.research.google.com/github/<owner>/<repo>/blob/"
            "<branch>/<file>.ipynb (Share > Copy link in Colab)"
        )

    def existing(path: Path | None, key: str, what: str, suffix: str) -> Path | None:
        if path is None:
            problems.append(f'{where}: {key} is missing: add {key} = "<path to the {what}>"')
        elif not path.is_file():
            problems.append(
                f"{where}: {key} {path} does not exist: fix the path (relative to submission.toml)"
            )
        elif path.suffix.lower() != suffix:
            problems.append(f"{where}: {key} {path} is not a {suffix} file: give the {what}")
        else:
            return path
        return None

    notebook = existing(project.notebook, "notebook", "notebook (File > Download .ipynb)", ".ipynb")
    if notebook and (reason := check_notebook(notebook)):
        problems.append(
            f"{where}: notebook {notebook} does not open ({reason}): download it again from Colab "
            "with File > Download > Download .ipynb"
        )
    report = existing(project.report, "report", "report PDF (grader report)", ".pdf")
    if report:
        problems.extend(
            f"{where}: report {problem} (fix it where you wrote it and export the PDF again, "
            f"or build it with `grader report`; `grader report --check` checks it alone)"
            for problem in check_pdf(report)
        )
    if project.dataset and project.dataset_link:
        problems.append(f"{where}: give dataset or dataset_link, not both")
    elif project.dataset:
        if not project.dataset.is_file():
            problems.append(f"{where}: dataset {project.dataset} does not exist: fix the path")
        elif (size := project.dataset.stat().st_size) > max_dataset_bytes:
            problems.append(
                f"{where}: dataset {project.dataset} is {format_size(size)}, over the "
                f"{format_size(max_dataset_bytes)} limit: upload it (Google Drive, Kaggle, ...) "
                "and give its link as dataset_link instead"
            )
    elif project.dataset_link and not re.fullmatch(r"https?://\S+", project.dataset_link):
        problems.append(
            f"{where}: dataset_link {project.dataset_link!r} is not a web link: give the "
            "https:// address where the dataset can be downloaded"
        )
    return problems


def check_submission(submission: Submission) -> list[str]:
    """Every problem of a submission at once; empty when it can be bundled."""
    problems = check_student(submission.student)
    found, required = len(submission.projects), submission.projects_required
    if found != required:
        problems.append(
            f"the course asks for {required} project(s) and submission.toml has {found}: "
            "write one [[project]] table per project"
        )
    links = [project.colab for project in submission.projects if project.colab]
    for link in {link for link in links if links.count(link) > 1}:
        problems.append(f"two projects share the Colab link {link}: give each its own notebook")
    for number, project in enumerate(submission.projects, 1):
        problems.extend(check_project(project, number, submission.max_dataset_bytes))
    return problems


# ---------------------------------------------------------------------------------------------
# Writing the bundle


def make_manifest(
    submission: Submission, files: Mapping[str, str], paths: Sequence[Mapping[str, str]]
) -> dict[str, Any]:
    """The bundle manifest; ``paths`` holds each project's file paths inside the bundle by role."""
    student = submission.student
    return {
        "schema": MANIFEST_SCHEMA,
        "student": {"id": student.id, "name": student.name, "email": student.email},
        "projects": [
            {
                "title": project.title,
                "colab": project.colab,
                "notebook": where.get("notebook"),
                "report": where.get("report"),
                "dataset": where.get("dataset"),
                "dataset_link": project.dataset_link,
            }
            for project, where in zip(submission.projects, paths, strict=True)
        ],
        "created": datetime.now().astimezone().isoformat(timespec="seconds"),
        "files": dict(files),
    }


def build_bundle(submission_toml: Path, out_dir: Path) -> Bundle:
    """Validate ``submission_toml``; write ``<id>.zip`` and ``<id>.pdf`` into ``out_dir``.

    Raises UserError listing every problem, before anything is written.
    """
    submission, problems = read_submission(submission_toml)
    problems += check_submission(submission)
    if problems:
        listing = "\n".join(f"  - {problem}" for problem in problems)
        raise UserError(
            f"{submission_toml} has {len(problems)} problem(s); nothing was written:\n{listing}"
        )
    out_dir.mkdir(parents=True, exist_ok=True)
    student_id = submission.student.id
    with tempfile.TemporaryDirectory(dir=out_dir, prefix=".bundle-") as staging_name:
        staging = Path(staging_name)
        root = staging / student_id
        files: dict[str, str] = {}
        paths = []
        for number, project in enumerate(submission.projects, 1):
            where = {}
            for role in ("notebook", "report", "dataset"):
                source = getattr(project, role)
                if source is None:
                    continue
                relpath = f"project{number}/{source.name}"
                if relpath in files:  # e.g. a dataset named like the report
                    relpath = f"project{number}/{role}-{source.name}"
                (root / relpath).parent.mkdir(parents=True, exist_ok=True)
                shutil.copyfile(source, root / relpath)
                files[relpath] = sha256_file(root / relpath)
                where[role] = relpath
            paths.append(where)
        manifest = make_manifest(submission, files, paths)
        (root / MANIFEST_NAME).write_text(json.dumps(manifest, indent=2, ensure_ascii=False) + "\n")

        zip_tmp = staging / "bundle.zip"
        write_zip(root, [*files, MANIFEST_NAME], zip_tmp)
        pdf_tmp = staging / "bundle.pdf"
        write_submission_pdf(manifest, root, pdf_tmp)
        zip_path, pdf_path = out_dir / f"{student_id}.zip", out_dir / f"{student_id}.pdf"
        zip_tmp.replace(zip_path)
        pdf_tmp.replace(pdf_path)
    return Bundle(zip_path=zip_path, pdf_path=pdf_path, manifest=manifest)


def write_zip(root: Path, relpaths: Sequence[str], output: Path) -> None:
    with zipfile.ZipFile(output, "w", compression=zipfile.ZIP_DEFLATED) as archive:
        for relpath in relpaths:
            archive.write(root / relpath, relpath)


# ---------------------------------------------------------------------------------------------
# The submission PDF


def _styles() -> dict[str, ParagraphStyle]:
    registry = fonts()
    body = ParagraphStyle("body", fontName=registry.face(SANS), fontSize=9.5, leading=12.5)
    bold = registry.face(SANS, bold=True)
    mono = registry.face(MONO)
    return {
        "title": ParagraphStyle(
            "title", body, fontName=bold, fontSize=17, leading=21, spaceAfter=4
        ),
        "h2": ParagraphStyle(
            "h2", body, fontName=bold, fontSize=12, leading=15, spaceBefore=10, spaceAfter=4
        ),
        "body": body,
        "link": ParagraphStyle("link", body, textColor=colors.HexColor("#1a56c4"), linkUnderline=1),
        "small": ParagraphStyle(
            "small", body, fontSize=7.5, leading=9.5, textColor=colors.HexColor("#555555")
        ),
        "warn": ParagraphStyle("warn", body, textColor=colors.HexColor("#b00020")),
        "mono": ParagraphStyle("mono", body, fontName=mono, fontSize=6.8, leading=8.4),
        "code": ParagraphStyle(
            "code",
            body,
            fontName=mono,
            fontSize=7.5,
            leading=9.2,
            backColor=colors.HexColor("#f3f3f3"),
            borderPadding=3,
            spaceBefore=5,
            spaceAfter=9,
        ),
    }


def _printable(text: str) -> str:
    """Text without control characters or lone surrogates, which the PDF fonts cannot draw."""
    text = text.encode("utf-8", "replace").decode("utf-8").expandtabs(4)
    return "".join(ch for ch in text if ch in "\n" or ch >= " " and ch != "\x7f")


def _para(text: str, style: ParagraphStyle) -> Paragraph:
    return paragraph(_printable(text), style)


def _link(url: str, style: ParagraphStyle) -> Paragraph:
    return paragraph(_printable(url), style, link=url)


def _pdf_bytes(story: list, title: str) -> bytes:
    buffer = io.BytesIO()
    doc = SimpleDocTemplate(
        buffer,
        pagesize=A4,
        title=title,
        initialFontName=fonts().face(SANS),
        leftMargin=1.8 * cm,
        rightMargin=1.8 * cm,
        topMargin=1.6 * cm,
        bottomMargin=1.6 * cm,
    )
    doc.build(story)
    return buffer.getvalue()


def _file_cell(root: Path, relpath: str | None, style: ParagraphStyle) -> Paragraph:
    if relpath is None:
        return _para("none", style)
    path = root / relpath
    size = f" ({format_size(path.stat().st_size)})" if path.is_file() else " (not found)"
    return _para(relpath + size, style)


def cover_pdf(manifest: Mapping[str, Any], root: Path) -> bytes:
    """The cover page(s): student, projects with clickable Colab links, datasets, checksums."""
    s = _styles()
    student = manifest["student"]
    story: list = [
        _para(f"Submission of {student['name'] or student['id']}", s["title"]),
        _para(f"Student ID {student['id']}  ·  {student['email']}", s["body"]),
        _para(f"Bundle created {manifest.get('created') or 'unknown'}", s["body"]),
    ]
    if manifest.get("submitted_at"):
        late = "  ·  LATE" if manifest.get("late") else ""
        source = manifest.get("source") or ""
        story.append(
            _para(
                f"Submitted {manifest['submitted_at']}{late}  ·  from {source}",
                s["warn"] if late else s["body"],
            )
        )
    grid = TableStyle(
        [
            ("FONTNAME", (0, 0), (-1, -1), s["body"].fontName),  # not Helvetica, not embedded
            ("VALIGN", (0, 0), (-1, -1), "TOP"),
            ("LINEBELOW", (0, 0), (-1, -1), 0.25, colors.HexColor("#dddddd")),
            ("LEFTPADDING", (0, 0), (-1, -1), 2),
        ]
    )
    for number, project in enumerate(manifest["projects"], 1):
        story.append(_para(f"Project {number}: {project.get('title') or '(no title)'}", s["h2"]))
        colab = project.get("colab")
        if project.get("dataset"):
            dataset = _file_cell(root, project["dataset"], s["body"])
        elif project.get("dataset_link"):
            dataset = _link(project["dataset_link"], s["link"])
        else:
            dataset = _para("none", s["body"])
        cells = {
            "Colab": _link(colab, s["link"]) if colab else _para("none", s["warn"]),
            "Notebook": _file_cell(root, project.get("notebook"), s["body"]),
            "Report": _file_cell(root, project.get("report"), s["body"]),
            "Dataset": dataset,
        }
        rows = [[_para(label, s["body"]), cell] for label, cell in cells.items()]
        story.append(Table(rows, colWidths=[2.2 * cm, 15 * cm], style=grid, hAlign="LEFT"))
    if manifest.get("missing"):
        story.append(_para("Missing", s["h2"]))
        story.extend(_para(f"• {item}", s["warn"]) for item in manifest["missing"])
    if manifest.get("notes"):
        story.append(_para("Notes", s["h2"]))
        story.extend(_para(f"• {note}", s["body"]) for note in manifest["notes"])
    story.append(_para("Files and SHA-256 checksums", s["h2"]))
    rows = []
    for relpath, digest in manifest["files"].items():
        path = root / relpath
        size = format_size(path.stat().st_size) if path.is_file() else "not found"
        rows.append([_para(relpath, s["mono"]), _para(size, s["mono"]), _para(digest, s["mono"])])
    if rows:
        story.append(
            Table(rows, colWidths=[5.4 * cm, 1.6 * cm, 10.4 * cm], style=grid, hAlign="LEFT")
        )
    story.append(Spacer(1, 6))
    story.append(
        _para(
            "Check a file with: sha256sum <file>. The reports and an appendix with "
            "each notebook's code cells and figures follow.",
            s["small"],
        )
    )
    return _pdf_bytes(story, f"Submission {student['id']}")


def _figures(cell: Any) -> list[bytes]:
    """PNG and JPEG images among a code cell's outputs."""
    images = []
    for output in cell.get("outputs", []):
        data = output.get("data", {}) if isinstance(output, dict) else {}
        for mime in ("image/png", "image/jpeg"):
            encoded = data.get(mime)
            if isinstance(encoded, list):
                encoded = "".join(encoded)
            if isinstance(encoded, str):
                try:
                    images.append(base64.b64decode(encoded))
                except (binascii.Error, ValueError):
                    continue
                break
    return images


def _figure(data: bytes, width: float, max_height: float, s: Mapping[str, ParagraphStyle]):
    try:
        with PILImage.open(io.BytesIO(data)) as picture:
            pixels_wide, pixels_high = picture.size
    except Exception as error:  # PIL raises many types for broken images
        return _para(f"[figure not shown: {type(error).__name__}]", s["small"])
    if pixels_wide * pixels_high > _MAX_FIGURE_PIXELS or not pixels_wide or not pixels_high:
        return _para(f"[figure not shown: {pixels_wide}x{pixels_high} pixels]", s["small"])
    scale = min(width / pixels_wide, max_height / pixels_high, 0.75)
    return Image(
        io.BytesIO(data), width=pixels_wide * scale, height=pixels_high * scale, hAlign="LEFT"
    )


def notebook_pdf(title: str, path: Path) -> bytes:
    """An appendix section: the notebook's code cells and figures, cut to a readable length."""
    s = _styles()
    story: list = [_para(title, s["title"])]
    try:
        notebook = nbformat.read(path, as_version=4)
    except Exception as error:  # nbformat raises JSON, validation and version errors alike
        story.append(
            _para(f"The notebook could not be read: {type(error).__name__}: {error}", s["warn"])
        )
        return _pdf_bytes(story, title)
    lines_left, figures_left = _MAX_NOTEBOOK_LINES, _MAX_FIGURES
    width = A4[0] - 3.6 * cm - 12  # the frame less its padding
    code_cells = [cell for cell in notebook.cells if cell.get("cell_type") == "code"]
    if not code_cells:
        story.append(_para("The notebook has no code cells.", s["body"]))
    for cell in code_cells:
        if lines_left <= 0:
            story.append(
                _para("[the rest of the notebook is not shown: see the notebook]", s["small"])
            )
            break
        lines = _printable(str(cell.get("source", ""))).splitlines() or [""]
        shown = lines[: min(_MAX_CELL_LINES, lines_left)]
        lines_left -= len(shown)
        if len(lines) > len(shown):
            shown.append(f"# ... {len(lines) - len(shown)} more lines not shown")
        count = cell.get("execution_count")
        label = _para(f"In [{count if count is not None else ' '}]:", s["small"])
        code = code_block("\n".join(shown), s["code"], width)
        # A short cell moves whole to the next page; a long one starts at once and splits.
        story.extend([KeepTogether([label, code])] if len(shown) < 40 else [label, code])
        for data in _figures(cell):
            if figures_left <= 0:
                break
            figures_left -= 1
            story.append(_figure(data, width, 9 * cm, s))
            story.append(Spacer(1, 6))
    return _pdf_bytes(story, title)


def message_pdf(title: str, message: str) -> bytes:
    """A one-page stand-in for a file that could not be included."""
    s = _styles()
    return _pdf_bytes([_para(title, s["title"]), _para(message, s["warn"])], title)


def write_submission_pdf(
    manifest: Mapping[str, Any], root: Path, output: Path
) -> list[tuple[str, int]]:
    """Write the whole submission as one PDF, with bookmarks; return (bookmark, first page) pairs.

    ``root`` is the folder holding the files at the manifest's relative paths.
    """
    sections: list[tuple[str, bytes]] = [("Cover", cover_pdf(manifest, root))]
    for number, project in enumerate(manifest["projects"], 1):
        if project.get("report"):
            title = f"Project {number} report"
            sections.append((title, _report_section(title, root / project["report"])))
    for number, project in enumerate(manifest["projects"], 1):
        if project.get("notebook"):
            title = f"Appendix {number}: project {number} notebook {Path(project['notebook']).name}"
            sections.append((title, notebook_pdf(title, root / project["notebook"])))
    writer = PdfWriter()
    outline = []
    for title, data in sections:
        outline.append((title, len(writer.pages)))
        writer.append(io.BytesIO(data), import_outline=False)
    for title, page in outline:
        writer.add_outline_item(title=title, page_number=page)
    writer.add_metadata({"/Title": f"Submission {manifest['student']['id']}"})
    with output.open("wb") as stream:
        writer.write(stream)
    return outline


def _report_section(title: str, path: Path) -> bytes:
    """The report's own pages, or a stand-in page saying why they cannot be shown."""
    try:
        reader = PdfReader(path)
        writer = PdfWriter()
        for page in reader.pages[:_MAX_REPORT_PAGES]:
            writer.add_page(page)
        if len(reader.pages) > _MAX_REPORT_PAGES:
            more = len(reader.pages) - _MAX_REPORT_PAGES
            writer.append(io.BytesIO(message_pdf(title, f"{more} more pages not shown.")))
        buffer = io.BytesIO()
        writer.write(buffer)
        return buffer.getvalue()
    except Exception as error:  # pypdf raises many types for broken or hostile PDFs
        return message_pdf(
            title, f"{path.name} could not be read as a PDF: {type(error).__name__}: {error}"
        )


# ---------------------------------------------------------------------------------------------


def cli(args: argparse.Namespace) -> int:
    bundle = build_bundle(Path(args.submission), Path(args.out))
    print(f"Bundle: {bundle.zip_path}")
    print(f"Submission PDF: {bundle.pdf_path}")
    print("Email both files, before the deadline, to the address the course gives.")
    return 0
