"""A student's files as the dashboard serves them: the report (PDF and page images), the notebook
(static HTML in a sandbox) and the feedback page, each only from inside the course's folders
after every link is resolved."""

from __future__ import annotations

from collections.abc import Sequence
from pathlib import Path

from starlette.concurrency import run_in_threadpool
from starlette.exceptions import HTTPException
from starlette.requests import Request
from starlette.responses import FileResponse, HTMLResponse, Response
from starlette.routing import Route

from grader.gradebook.course_book import BOOK_NAME, CourseBook
from grader.marking import blind
from grader.roster import Person
from grader.web import blind_reports, studentfiles
from grader.web.dashboard import Dashboard

# A student's file may show itself, never run anything or load anything.
FILE_HEADERS = {"Content-Security-Policy": studentfiles.SANDBOX_CSP}


class FilePages:
    def __init__(self, dashboard: Dashboard):
        self.dash = dashboard

    def _hand_in(self, request: Request, key: str) -> tuple[Path, Sequence[Person] | None]:
        """The handed-in file, and the students to redact from it when the component is
        blind (None when it is not)."""
        course = self.dash.site.course()
        component = self.dash.markable(request, course, request.path_params["component"], "project")
        who = self.dash.person_at(course, component, request.path_params["student"])
        with CourseBook(self.dash.site.out / BOOK_NAME) as book:
            latest = book.latest_checks(who.id, component.id)
        path = studentfiles.hand_in_file(latest[0].checks if latest else {}, key)
        if path is None:
            raise HTTPException(404, f"no {key} handed in")
        hidden = blind.is_blind(course, component)
        return path, course.roster().students if hidden else None

    async def report_pdf(self, request: Request) -> Response:
        """The PDF as handed in: a blind one's names unredacted, so only the instructor's."""
        report, students = self._hand_in(request, "report")
        if students is not None and not self.dash.who(request).instructor:
            raise HTTPException(
                403,
                "this report is marked blind and its PDF names the student: markers see its "
                "redacted pages on the marking page",
            )
        return FileResponse(
            report,
            media_type="application/pdf",
            headers=FILE_HEADERS,
            content_disposition_type="inline",
            filename="report.pdf",
        )

    async def report_png(self, request: Request) -> Response:
        report, students = self._hand_in(request, "report")
        out, number = self.dash.site.out, request.path_params["page"]
        if students is None:
            pages = await run_in_threadpool(studentfiles.report_pages, out, report)
        else:
            redacted = await run_in_threadpool(blind_reports.redacted_report, out, report, students)
            pages = list(redacted.pages)
            if number in redacted.unverified and not self.dash.who(request).instructor:
                raise HTTPException(
                    403, "this page has no text layer, so it cannot be redacted: ask the instructor"
                )
        if not 1 <= number <= len(pages):
            raise HTTPException(404, "no such page")
        return FileResponse(pages[number - 1], media_type="image/png", headers=FILE_HEADERS)

    async def notebook(self, request: Request) -> Response:
        notebook, students = self._hand_in(request, "notebook")
        scrub = None if students is None else blind_reports.scrubber(students)
        digest = "" if students is None else blind_reports.roster_digest(students)
        html = await run_in_threadpool(
            studentfiles.notebook_html, self.dash.site.out, notebook, scrub, digest
        )
        return HTMLResponse(html, headers=FILE_HEADERS)

    async def feedback(self, request: Request) -> Response:
        course = self.dash.site.course()
        component = self.dash.component(course, request.path_params["component"], "auto")
        who = self.dash.person(course, request.path_params["student"])
        folder = self.dash.site.out / component.id / who.id
        page = studentfiles.inside(folder / "feedback.html", folder)
        if page is None or studentfiles.inside(page, self.dash.site.out) is None:
            raise HTTPException(404, "no feedback page yet")
        return FileResponse(page, media_type="text/html", headers=FILE_HEADERS)


def routes(dashboard: Dashboard) -> list[Route]:
    pages = FilePages(dashboard)
    return [
        Route("/files/report/{component}/{student}/report.pdf", pages.report_pdf),
        Route("/files/report/{component}/{student}/{page:int}.png", pages.report_png),
        Route("/files/notebook/{component}/{student}", pages.notebook),
        Route("/files/feedback/{component}/{student}", pages.feedback),
    ]
