"""Everything wrong with a read ``submission.toml``, each problem saying what to do: the student,
each project's files (the notebook opens, the report follows the rules, the dataset's size), and
the template's stand-ins left in."""

from __future__ import annotations

import re
import tomllib
from pathlib import Path

import nbformat

from grader.bundle.submission import (
    COLAB_EXAMPLE,
    EMAIL,
    STUDENT_ID,
    STUDENT_KEYS,
    Student,
    Submission,
    SubmittedProject,
    is_colab_link,
)
from grader.inputs.resources import template
from grader.outputs.sizes import format_size


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


def check_project(project: SubmittedProject, number: int, max_dataset_bytes: int) -> list[str]:
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
    given = [(f"student.{key}", getattr(student, key)) for key in STUDENT_KEYS]
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
