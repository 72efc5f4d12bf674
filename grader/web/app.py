"""``grader serve``: the Starlette application (routes and page handlers).

Every route but the static refusal goes through :class:`grader.web.security.Guard`. Pages are
rendered on the server with Jinja2 (autoescaped); the only script is the marking page's, which
saves each criterion as it is entered.
"""

from __future__ import annotations

import sys
from dataclasses import dataclass
from pathlib import Path

from jinja2 import Environment, FileSystemLoader, select_autoescape
from starlette.applications import Starlette
from starlette.concurrency import run_in_threadpool
from starlette.exceptions import HTTPException
from starlette.middleware import Middleware
from starlette.middleware.base import BaseHTTPMiddleware
from starlette.requests import Request
from starlette.responses import FileResponse, HTMLResponse, JSONResponse, RedirectResponse, Response
from starlette.routing import Route

from grader.course.book import BOOK_NAME, CourseBook
from grader.course.config import Component, Course, load_course
from grader.course.marks import project_score, record_mark
from grader.course.pages import checks_html
from grader.course.rubric import Projects, load_projects
from grader.errors import UserError
from grader.gradebook import Gradebook
from grader.roster import Person
from grader.watch.state import watch_status
from grader.web import charts, classview, regrade, studentfiles
from grader.web.security import Guard

TEMPLATES = Path(__file__).resolve().parent / "templates"


@dataclass
class Site:
    """What one server serves: the course, its graded output, who marks."""

    course_path: Path
    out: Path
    marker: str  # recorded as the author of marks saved from this server

    def course(self) -> Course:
        return load_course(self.course_path)  # read per request: edits show without a restart

    def projects(self) -> Projects | None:
        folder = self.course_path.parent / "projects"
        return load_projects(folder) if (folder / "projects.toml").is_file() else None


def create_app(site: Site, guard: Guard) -> Starlette:
    env = Environment(loader=FileSystemLoader(TEMPLATES), autoescape=select_autoescape())
    flashes: dict[str, list[tuple[str, bool]]] = {}  # student -> messages for their next view

    def render(request: Request, name: str, course: Course, **context) -> HTMLResponse:
        page = env.get_template(name).render(course=course, csrf=guard.csrf_token(), **context)
        return HTMLResponse(page, headers={"Content-Security-Policy": _PAGE_CSP})

    def person(course: Course, student: str) -> Person:
        found = course.roster().by_id(student)
        if found is None or found.is_staff:
            raise HTTPException(404, f"no student {student!r} on the roster")
        return found

    def component_of(course: Course, component_id: str, kind: str | None = None) -> Component:
        component = course.component(component_id)
        if component is None or (kind and component.kind != kind):
            raise HTTPException(404, f"no {kind or ''} component {component_id!r} in the course")
        return component

    async def overview(request: Request) -> Response:
        course = site.course()
        views = await run_in_threadpool(classview.class_view, course, site.out, site.projects())
        histograms = {v.component.id: charts.score_histogram(v.fractions) for v in views}
        roster_size = len(course.roster().students)
        watch = await run_in_threadpool(watch_status, site.out / BOOK_NAME)
        return render(
            request,
            "overview.html",
            course,
            views=views,
            histograms=histograms,
            roster_size=roster_size,
            watch=watch,
        )

    async def students(request: Request) -> Response:
        course = site.course()
        grades = await run_in_threadpool(classview.grades, course, site.out, site.projects())
        return render(request, "students.html", course, grades=list(grades.values()))

    async def student(request: Request) -> Response:
        course = site.course()
        who = person(course, request.path_params["student"])
        grades = await run_in_threadpool(classview.grades, course, site.out, site.projects())
        grade = grades[who.id]
        parts = [(course.component(p.component), p) for p in grade.parts]
        feedback, sources, history = {}, {}, []
        for component in course.components:
            if component.kind != "auto":
                continue
            page = site.out / component.id / who.id / "feedback.html"
            feedback[component.id] = page.is_file()
            book_path = site.out / component.id / BOOK_NAME
            rows = []
            if book_path.is_file():
                with Gradebook(book_path) as book:
                    rows = book.history(who.id)
            sources[component.id] = rows[-1].source if rows else None
            history += [(component.id, row) for row in rows]
        return render(
            request,
            "student.html",
            course,
            person=who,
            grade=grade,
            parts=parts,
            feedback=feedback,
            sources=sources,
            history=history,
            flashes=flashes.pop(who.id, []),
        )

    async def regrade_student(request: Request) -> Response:
        course = site.course()
        who = person(course, request.path_params["student"])
        component = component_of(course, request.path_params["component"], "auto")
        ok, message = await run_in_threadpool(regrade.regrade, course, component, site.out, who.id)
        flashes.setdefault(who.id, []).append((message, ok))
        return RedirectResponse(f"/student/{who.id}", status_code=303)

    def marking_order(
        course: Course, component: Component, book: CourseBook, projects: Projects
    ) -> list[tuple[str, bool]]:
        """(student, completely marked) in roster order."""
        order = []
        for p in course.roster().students:
            score = project_score(projects.rubric, book.marks(p.id, component.id))
            order.append((p.id, score.complete))
        return order

    async def mark_next(request: Request) -> Response:
        course = site.course()
        component = component_of(course, request.path_params["component"], "project")
        projects = _need_projects(site)
        with CourseBook(site.out / BOOK_NAME) as book:
            order = marking_order(course, component, book, projects)
        target = next((s for s, done in order if not done), order[0][0] if order else None)
        if target is None:
            raise HTTPException(404, "the roster has no students")
        return RedirectResponse(f"/mark/{component.id}/{target}", status_code=303)

    async def mark_page(request: Request) -> Response:
        course = site.course()
        component = component_of(course, request.path_params["component"], "project")
        who = person(course, request.path_params["student"])
        projects = _need_projects(site)
        with CourseBook(site.out / BOOK_NAME) as book:
            order = marking_order(course, component, book, projects)
            marks = {m.criterion: m for m in book.marks(who.id, component.id)}
            latest = book.latest_checks(who.id, component.id)
        checks = latest[0].checks if latest else {}
        ids = [s for s, _ in order]
        index = ids.index(who.id)
        after = order[index + 1 :] + order[:index]
        next_unmarked = next((s for s, done in after if not done), None)
        report = _hand_in_file(checks, "report")
        pages = (
            await run_in_threadpool(studentfiles.report_pages, site.out, report) if report else []
        )
        return render(
            request,
            "mark.html",
            course,
            component=component,
            person=who,
            rubric=projects.rubric,
            marks=marks,
            score=project_score(projects.rubric, list(marks.values())),
            checks_html=checks_html(checks)
            if checks
            else "<p>No automatic checks yet: run "
            "<code>grader grade --assignment assignments/projects</code>.</p>",
            report_pages=list(range(1, len(pages) + 1)),
            has_notebook=_hand_in_file(checks, "notebook") is not None,
            position=index + 1,
            total=len(ids),
            previous=ids[index - 1] if index > 0 else None,
            next_unmarked=next_unmarked,
        )

    def save_marks(
        course: Course,
        component: Component,
        who: Person,
        wanted: dict[str, tuple[float | None, str]],
    ) -> tuple[float, float, object]:
        projects = _need_projects(site)
        with CourseBook(site.out / BOOK_NAME) as book:
            saved = None
            for criterion, (points, comment) in wanted.items():
                saved = record_mark(
                    book,
                    projects,
                    course.roster(),
                    who.id,
                    component.id,
                    criterion,
                    points,
                    comment,
                    by=site.marker,
                    source="web",
                )
            score = project_score(projects.rubric, book.marks(who.id, component.id))
        return score.points, score.max_points, saved

    async def mark_form(request: Request) -> Response:
        """The form's plain POST (without script): saves only what the marker changed, so a
        stale page never overwrites a criterion someone else marked meanwhile."""
        course = site.course()
        component = component_of(course, request.path_params["component"], "project")
        who = person(course, request.path_params["student"])
        form = await request.form()
        wanted: dict[str, tuple[float | None, str]] = {}
        for key, value in form.items():
            if not key.startswith("points:"):
                continue
            criterion = key.removeprefix("points:")
            comment = str(form.get(f"comment:{criterion}", ""))
            if (str(value), comment) != (
                str(form.get(f"was:points:{criterion}", "")),
                str(form.get(f"was:comment:{criterion}", "")),
            ):
                wanted[criterion] = (_points(str(value)), comment)
        try:
            await run_in_threadpool(save_marks, course, component, who, wanted)
        except UserError as error:
            return HTMLResponse(f"<p>{_escape(str(error))}</p>", status_code=400)
        return RedirectResponse(f"/mark/{component.id}/{who.id}", status_code=303)

    async def mark_api(request: Request) -> Response:
        course = site.course()
        try:
            body = await request.json()
            component = component_of(course, str(body["component"]), "project")
            who = person(course, str(body["student"]))
            points = _points(str(body.get("points", "")))
            wanted = {str(body["criterion"]): (points, str(body.get("comment", "")))}
            got, most, mark = await run_in_threadpool(save_marks, course, component, who, wanted)
        except (ValueError, KeyError, TypeError):
            return JSONResponse({"error": "send student, component, criterion, points"}, 400)
        except UserError as error:
            return JSONResponse({"error": str(error)}, 400)
        return JSONResponse(
            {
                "marked_by": mark.marked_by,
                "marked_at": mark.marked_at,
                "points": mark.points,
                "total": f"{got:g} / {most:g}",
            }
        )

    def student_file(request: Request, key: str) -> Path:
        course = site.course()
        component = component_of(course, request.path_params["component"], "project")
        who = person(course, request.path_params["student"])
        with CourseBook(site.out / BOOK_NAME) as book:
            latest = book.latest_checks(who.id, component.id)
        path = _hand_in_file(latest[0].checks if latest else {}, key)
        if path is None:
            raise HTTPException(404, f"no {key} handed in")
        return path

    async def report_pdf(request: Request) -> Response:
        pdf = student_file(request, "report")
        return FileResponse(
            pdf,
            media_type="application/pdf",
            headers=_FILE_HEADERS,
            content_disposition_type="inline",
            filename="report.pdf",
        )

    async def report_png(request: Request) -> Response:
        pages = await run_in_threadpool(
            studentfiles.report_pages, site.out, student_file(request, "report")
        )
        number = request.path_params["page"]
        if not 1 <= number <= len(pages):
            raise HTTPException(404, "no such page")
        return FileResponse(pages[number - 1], media_type="image/png", headers=_FILE_HEADERS)

    async def notebook(request: Request) -> Response:
        html = await run_in_threadpool(
            studentfiles.notebook_html, site.out, student_file(request, "notebook")
        )
        return HTMLResponse(html, headers=_FILE_HEADERS)

    async def feedback_page(request: Request) -> Response:
        course = site.course()
        component = component_of(course, request.path_params["component"], "auto")
        who = person(course, request.path_params["student"])
        page = site.out / component.id / who.id / "feedback.html"
        if not page.is_file():
            raise HTTPException(404, "no feedback page yet")
        return FileResponse(page, media_type="text/html", headers=_FILE_HEADERS)

    async def guarded(request: Request, call_next) -> Response:
        login = guard.login_redirect(request)
        if login is not None:
            return login
        refusal = await guard.check(request)
        return refusal if refusal is not None else await call_next(request)

    routes = [
        Route("/", overview),
        Route("/students", students),
        Route("/student/{student}", student),
        Route("/student/{student}/regrade/{component}", regrade_student, methods=["POST"]),
        Route("/mark/{component}", mark_next),
        Route("/mark/{component}/{student}", mark_page),
        Route("/mark/{component}/{student}", mark_form, methods=["POST"]),
        Route("/api/mark", mark_api, methods=["POST"]),
        Route("/files/report/{component}/{student}/report.pdf", report_pdf),
        Route("/files/report/{component}/{student}/{page:int}.png", report_png),
        Route("/files/notebook/{component}/{student}", notebook),
        Route("/files/feedback/{component}/{student}", feedback_page),
    ]
    return Starlette(
        routes=routes,
        middleware=[Middleware(BaseHTTPMiddleware, dispatch=guarded)],
        exception_handlers={HTTPException: _http_error, UserError: _user_error},
    )


# The dashboard's own pages: its inline style and the marking script, nothing from elsewhere.
_PAGE_CSP = (
    "default-src 'none'; img-src 'self' data:; style-src 'unsafe-inline'; "
    "script-src 'unsafe-inline'; connect-src 'self'; frame-src 'self'; form-action 'self'; "
    "frame-ancestors 'none'; base-uri 'none'"
)
_FILE_HEADERS = {
    "Content-Security-Policy": studentfiles.SANDBOX_CSP,
    "X-Content-Type-Options": "nosniff",
}


def _need_projects(site: Site) -> Projects:
    projects = site.projects()
    if projects is None:
        raise HTTPException(404, f"no projects folder beside {site.course_path}")
    return projects


def _hand_in_file(checks: dict, key: str) -> Path | None:
    """The path of a handed-in file the project checks recorded, if it is still there."""
    recorded = (checks.get("files") or {}).get(key)
    path = Path(recorded) if recorded else None
    return path if path is not None and path.is_file() else None


def _points(text: str) -> float | None:
    text = text.strip().replace(",", ".")
    return None if text == "" else float(text)


def _escape(text: str) -> str:
    from html import escape

    return escape(text)


async def _http_error(request: Request, error: HTTPException) -> Response:
    return HTMLResponse(
        f'<!doctype html><meta charset="utf-8"><body style="font:16px system-ui;margin:3em">'
        f'<h1>{error.status_code}</h1><p>{_escape(str(error.detail))}</p><p><a href="/">'
        "Back to the overview</a></p>",
        status_code=error.status_code,
    )


async def _user_error(request: Request, error: UserError) -> Response:
    print(f"grader serve: {error}", file=sys.stderr)
    return HTMLResponse(f"<p>{_escape(str(error))}</p>", status_code=400)
