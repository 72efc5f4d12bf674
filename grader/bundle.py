"""Student submission bundles: validate a ``submission.toml``, write ``<id>.zip`` and ``<id>.pdf``.

A bundle zip holds each project's files under ``project<N>/`` and a ``manifest.json`` naming the
student, the projects and the SHA-256 of every file; the PDF is :mod:`grader.submission_pdf`'s.
``grader collect`` reads the same manifest and renders the same PDF for every student it
collects.
"""

from __future__ import annotations

import argparse
import hashlib
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

from grader.errors import UserError
from grader.limits import COURSE
from grader.resources import template, write_template
from grader.submission_pdf import format_size, write_submission_pdf

MANIFEST_NAME = "manifest.json"
MANIFEST_SCHEMA = 1
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
            f"{path} does not exist: write one next to your files with "
            f"`grader bundle --template {path}` and fill it in"
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
    required = course.get("projects", COURSE.projects)
    if not isinstance(required, int) or isinstance(required, bool) or required < 1:
        problems.append(f"course.projects must be a whole number of at least 1, not {required!r}")
        required = COURSE.projects
    max_mb = course.get("max_dataset_mb", COURSE.max_dataset_mb)
    if not isinstance(max_mb, int | float) or isinstance(max_mb, bool) or max_mb <= 0:
        problems.append(f"course.max_dataset_mb must be a positive number, not {max_mb!r}")
        max_mb = COURSE.max_dataset_mb

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


def template_placeholders() -> dict[str, str]:
    """The values the shipped submission.toml stands in with (its roll number, name, email,
    project titles and Colab links), each -> the key it stands under; read from the template
    itself, so a changed template is still recognised. Paths are left out: a student may
    well keep the template's ``notebooks/project1.ipynb``."""
    data = tomllib.loads(template("submission.toml").read_text(encoding="utf-8"))
    found = {str(v): f"student.{k}" for k, v in data.get("student", {}).items()}
    for project in data.get("project", []):
        found |= {str(project[k]): k for k in ("title", "colab") if k in project}
    return found


def check_placeholders(submission: Submission) -> list[str]:
    """What is still the template's own stand-in, named one by one."""
    placeholders = template_placeholders()
    student = submission.student
    given = [(f"student.{key}", getattr(student, key)) for key in _STUDENT_KEYS]
    for number, project in enumerate(submission.projects, 1):
        given += [(f"project {number}: {key}", getattr(project, key)) for key in ("title", "colab")]
    return [
        f"{where} is still the template's placeholder {value!r}: write your own"
        for where, value in given
        if value and value in placeholders
    ]


def check_submission(submission: Submission) -> list[str]:
    """Every problem of a submission at once; empty when it can be bundled."""
    problems = check_student(submission.student) + check_placeholders(submission)
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


def add_arguments(parser: argparse.ArgumentParser) -> None:
    parser.add_argument(
        "submission", nargs="?", help="submission.toml (--template writes one to fill in)"
    )
    parser.add_argument(
        "--template",
        metavar="FILE",
        default=None,
        help="write a submission.toml to fill in to FILE",
    )
    parser.add_argument("--out", default="bundle", help="output folder (default: bundle/)")


def cli(args: argparse.Namespace) -> int:
    if args.template:
        write_template("submission.toml", Path(args.template))
        print(
            f"wrote {args.template}: fill it in next to your files, "
            f"then grader bundle {args.template}"
        )
        return 0
    if args.submission is None:
        raise UserError("give your submission.toml, or --template FILE to write one to fill in")
    bundle = build_bundle(Path(args.submission), Path(args.out))
    print(f"Bundle: {bundle.zip_path}")
    print(f"Submission PDF: {bundle.pdf_path}")
    print("Email both files, before the deadline, to the address the course gives.")
    return 0
