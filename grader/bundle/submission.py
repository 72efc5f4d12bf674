"""What a student's ``submission.toml`` says: its student and projects, read with the problems
of its shape (keys, types), and the forms its values must have (a roll number, an email
address, a Colab link)."""

from __future__ import annotations

import re
import tomllib
from collections.abc import Sequence
from dataclasses import dataclass
from pathlib import Path
from typing import Any

from grader.errors import UserError
from grader.limits import COURSE
from grader.projects.kinds import FILE_ROLES, KEEPABLE

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

STUDENT_KEYS = ("id", "name", "email")
_PROJECT_KEYS = ("title", "colab", *FILE_ROLES, "dataset_link")
_COURSE_KEYS = ("projects", "max_dataset_mb", "keep_from_students")


@dataclass(frozen=True)
class Student:
    id: str
    name: str
    email: str


@dataclass(frozen=True)
class SubmittedProject:
    """One ``[[project]]`` of a ``submission.toml`` (the course's own project is
    :class:`grader.course.rubric.Project`)."""

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
    projects: tuple[SubmittedProject, ...]
    projects_required: int
    max_dataset_bytes: int
    # the kinds of the course's checks it keeps from its students (grader.projects.kinds)
    kept_from_students: frozenset[str] = frozenset()


def is_colab_link(text: str) -> bool:
    return COLAB_LINK.fullmatch(text) is not None


def find_colab_links(text: str) -> list[str]:
    """Colab notebook links in free text (an email body), in order, without repeats."""
    links = [match.group(0).rstrip(".,;:)]") for match in COLAB_LINK.finditer(text)]
    return list(dict.fromkeys(links))


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

    kept = course.get("keep_from_students", [])
    if not isinstance(kept, list) or not all(isinstance(k, str) for k in kept):
        problems.append(f"course.keep_from_students must be a list of quoted kinds, not {kept!r}")
        kept = []
    for unknown in sorted(set(kept) - set(KEEPABLE)):
        problems.append(
            f"course.keep_from_students names {unknown!r}, which is no kind of check: "
            f"the kinds are {', '.join(KEEPABLE)} (keep the template the course gave you)"
        )
    student_table = table(data.get("student"), "student", STUDENT_KEYS)
    student = Student(*(text(student_table, key, "student") for key in STUDENT_KEYS))

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
            SubmittedProject(
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
        kept_from_students=frozenset(kept) & frozenset(KEEPABLE),
    )
    return submission, problems
