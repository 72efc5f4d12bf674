"""HTML pages of the course stage: a project's automatic checks beside its rubric (for the
marker), and a project's marks with comments (for the student). Everything shown is escaped:
titles, file names and errors come from student files."""

from __future__ import annotations

from html import escape
from pathlib import Path
from typing import Any

from grader.course.rubric import Project, Projects, Rubric
from grader.gradebook.course_book import CourseBook, Mark
from grader.marking.marks import project_score
from grader.marking.substance import substance_html

_STYLE = """
body{font:15px/1.45 system-ui,sans-serif;margin:2em auto;max-width:70em;color:#222}
h1{font-size:1.4em} h2{font-size:1.1em;margin-top:1.4em} h3{font-size:1em}
table{border-collapse:collapse;width:100%}
td,th{border:1px solid #ccc;padding:.35em .5em;vertical-align:top;text-align:left}
th{background:#f3f3f3} .bad{color:#a40000} .good{color:#0a6b1f} .muted{color:#666}
.cols{display:grid;grid-template-columns:1fr 1.4fr;gap:1.5em} td{overflow-wrap:anywhere}
@media (max-width:40em){body{margin:1em .6em}.cols{grid-template-columns:minmax(0,1fr)}
td,th{padding:.3em .3em}}
"""


def _page(title: str, body: str) -> str:
    return (
        f'<!doctype html>\n<html lang="en"><head><meta charset="utf-8">'
        f'<meta name="viewport" content="width=device-width, initial-scale=1">'
        f"<title>{escape(title)}</title><style>{_STYLE}</style></head>"
        f"<body>{body}</body></html>\n"
    )


def _rows(pairs: list[tuple[str, str]]) -> str:
    return "".join(f"<tr><th>{escape(k)}</th><td>{v}</td></tr>" for k, v in pairs)


def checks_html(checks: dict[str, Any]) -> str:
    """The automatic checks as three small tables: report, dataset, notebook."""
    from grader.report import SECTIONS  # the report package is heavy; only pages need it

    report, dataset, notebook = (checks.get(k, {}) for k in ("report", "dataset", "notebook"))
    verdict = str(report.get("verdict", "?"))
    klass = "good" if verdict.startswith("passes") else "bad"
    report_rows = [("verdict", f'<span class="{klass}">{escape(verdict)}</span>')]
    report_rows += [("problem", escape(p)) for p in report.get("problems", [])]
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
    dataset_rows = [(key, escape(str(value))) for key, value in dataset.items()]
    run = notebook.get("run", {})
    notebook_rows = [
        (key, escape(str(notebook[key])))
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
        (f"run: {key}", escape(str(value))) for key, value in run.items() if value is not None
    ]
    substance = substance_html(checks)
    return (
        f"<h2>Report</h2><table>{_rows(report_rows)}</table>"
        f"<h2>Dataset</h2><table>{_rows(dataset_rows)}</table>"
        f"<h2>Notebook (run end to end in the projects' runtime)</h2>"
        f"<table>{_rows(notebook_rows)}</table>"
        + (f"<h2>The model, the numbers, the pitfalls</h2>{substance}" if substance else "")
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
        given = "" if mark is None or mark.points is None else f"{mark.points:g}"
        levels = "".join(
            f"<li><b>{level.points:g}</b>: {escape(level.descriptor)}</li>"
            for level in criterion.levels
        )
        comment = "" if mark is None else escape(mark.comment)
        about = ""
        if not for_student:
            checks = escape(", ".join(criterion.checks) or "-")
            about = f" <span class='muted'>({escape(criterion.id)}; checks: {checks})</span>"
            if mark is not None:
                comment += (
                    f'<div class="muted">{escape(mark.marked_by)}, {_when(mark.marked_at)}</div>'
                )
        rows.append(
            f"<tr><td><b>{escape(criterion.title)}</b>{about}<ul>{levels}</ul></td>"
            f"<td>{given or '&ndash;'} / {criterion.points:g}</td><td>{comment}</td></tr>"
        )
    score = project_score(rubric, marks)
    return (
        f"<table><tr><th>criterion and levels</th><th>mark</th><th>comment</th></tr>{''.join(rows)}"
        f"<tr><th>total</th><td>{score.points:g} / {score.max_points:g}</td>"
        f"<td>{score.marked} of {score.criteria} criteria marked</td></tr></table>"
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
    title = f"{student}: {project.title}"
    body = (
        f"<h1>{escape(title)}</h1><p>{escape(checks.get('title', ''))}</p>"
        f"<p class='muted'>The automatic checks inform the marker; they are not the mark.</p>"
        f"<div class='cols'><div>{checks_html(checks)}</div>"
        f"<div><h2>Rubric</h2>{rubric_html(projects.rubric, book.marks(student, project.id))}"
        "</div></div>"
    )
    path = out / student / f"{project.id}-checks.html"
    path.parent.mkdir(parents=True, exist_ok=True)
    path.write_text(_page(title, body), encoding="utf-8")
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
    title = f"{project.title}: feedback for {student_name}"
    table = rubric_html(projects.rubric, marks, for_student=True)
    return _page(title, f"<h1>{escape(title)}</h1>{table}")
