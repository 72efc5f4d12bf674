"""HTML pages of the course stage: a project's automatic checks beside its rubric (for the
marker), and a project's marks with comments (for the student), rendered from the templates in
``marking/templates/``: titles, file names and errors come from student files, and the
templates escape them."""

from __future__ import annotations

from pathlib import Path
from typing import Any

from grader import templating
from grader.course.rubric import Project, Projects, Rubric
from grader.gradebook.course_book import CourseBook, Mark
from grader.marking.findings import findings_html
from grader.marking.marks import project_score
from grader.projects.kinds import FILE_ROLES


def checks_html(checks: dict[str, Any]) -> str:
    """The automatic checks as three small tables: report, dataset, notebook."""
    from grader.report import SECTIONS  # the report package is heavy; only pages need it

    notebook, report, dataset = (checks.get(role, {}) for role in FILE_ROLES)
    verdict = str(report.get("verdict", "?"))
    report_rows = [("problem", str(p)) for p in report.get("problems", [])]
    if report.get("pages") is not None:
        report_rows.append(("pages", str(report["pages"])))
        words = report.get("words", {})
        report_rows += [(f"words: {name}", str(words.get(name, 0))) for name in SECTIONS]
        report_rows.append(
            (
                "figures",
                f"{report.get('figures')} ({report.get('figure_images')} images, "
                f"{report.get('figure_captions')} captions)",
            )
        )
        guessed = (
            " (guessed from lines with a year or a link)"
            if report.get("references_guessed")
            else ""
        )
        report_rows.append(
            (
                "references",
                f"{report.get('references')}{guessed}; "
                f"{report.get('citations_in_text', 0)} citations in the text",
            )
        )
    run = notebook.get("run", {})
    notebook_rows = [
        (key, str(notebook[key]))
        for key in (
            "status",
            "file",
            "code_cells",
            "cells_with_outputs",
            "saved_outputs",
            "reads_files",
        )
        if key in notebook
    ]
    notebook_rows += [
        (f"run: {key}", str(value)) for key, value in run.items() if value is not None
    ]
    return templating.fragment(
        "project_checks.html",
        verdict=verdict,
        verdict_class="good" if verdict.startswith("passes") else "bad",
        report=report_rows,
        dataset=[(key, str(value)) for key, value in dataset.items()],
        notebook=notebook_rows,
        findings=findings_html(checks),
    )


def _when(iso: str) -> str:
    """'2026-11-22T21:12:04.421518+00:00' as '2026-11-22 21:12 UTC'."""
    return iso[:16].replace("T", " ") + " UTC"


def rubric_html(rubric: Rubric, marks: list[Mark], *, for_student: bool = False) -> str:
    """The rubric with the marks and comments; for the marker also each criterion's id, the
    checks that inform it, and who marked it when."""
    by_criterion = {m.criterion: m for m in marks}
    rows = []
    for criterion in rubric.criteria:
        mark = by_criterion.get(criterion.id)
        rows.append(
            {
                "title": criterion.title,
                "id": criterion.id,
                "checks": ", ".join(criterion.checks) or "-",
                "levels": [(f"{lv.points:g}", lv.descriptor) for lv in criterion.levels],
                "given": "" if mark is None or mark.points is None else f"{mark.points:g}",
                "points": f"{criterion.points:g}",
                "comment": "" if mark is None else mark.comment,
                "marked": None
                if for_student or mark is None
                else f"{mark.marked_by}, {_when(mark.marked_at)}",
            }
        )
    score = project_score(rubric, marks)
    return templating.fragment(
        "project_rubric.html",
        criteria=rows,
        for_student=for_student,
        total=f"{score.points:g} / {score.max_points:g}",
        marked=f"{score.marked} of {score.criteria} criteria marked",
    )


def write_checks_page(
    out: Path,
    projects: Projects,
    student: str,
    project: Project,
    checks: dict[str, Any],
    book: CourseBook,
) -> Path:
    """``<out>/<student>/<project>-checks.html``: the checks beside the rubric and marks so far."""
    page = templating.render(
        "project_checks_page.html",
        title=f"{student}: {project.title}",
        subtitle=checks.get("title", ""),
        checks=checks_html(checks),
        rubric=rubric_html(projects.rubric, book.marks(student, project.id)),
    )
    path = out / student / f"{project.id}-checks.html"
    path.parent.mkdir(parents=True, exist_ok=True)
    path.write_text(page, encoding="utf-8")
    return path


def refresh_checks_pages(out: Path, projects: Projects, book: CourseBook) -> int:
    """Write every marking page again from the newest checks and the current marks (after
    marks changed elsewhere, e.g. by an import); returns how many were written."""
    by_id = {p.id: p for p in projects.projects}
    written = 0
    for checks in book.latest_checks():
        project = by_id.get(checks.component)
        if project is not None:
            write_checks_page(out, projects, checks.student, project, checks.checks, book)
            written += 1
    return written


def feedback_page(
    projects: Projects, project: Project, student_name: str, marks: list[Mark]
) -> str:
    """What the student reads about one project: each criterion's mark and comment."""
    return templating.render(
        "project_feedback_page.html",
        title=f"{project.title}: feedback for {student_name}",
        rubric=rubric_html(projects.rubric, marks, for_student=True),
    )
