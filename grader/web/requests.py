"""The regrade queue in the dashboard: every request read from a reply to the feedback mail,
and one request's page: what the student wrote, the feedback they received, their notebook,
for auto-graded parts the exact cases run again (the recorded seed) with the diagnosis, and the
decision (accept with the new marks and a comment, or decline with the reason), which the watch
mails in the student's thread. Also each student's audit trail, and all of it as CSV.

Blind marking: where the request's component is blind (:func:`grader.marking.blind.is_blind`,
the one place that decides it), a request is shown by its number only, never by the student's
name or id; what the student wrote, the feedback and the notebook reach the page redacted.

Markers (``grader serve --add-marker``) see and decide the requests of the components they may
mark (:func:`grader.web.roles.may_mark`); the instructor all of them.
"""

from __future__ import annotations

import email
import email.policy
from collections.abc import Callable
from dataclasses import replace
from pathlib import Path
from urllib.parse import quote

from starlette.concurrency import run_in_threadpool
from starlette.exceptions import HTTPException
from starlette.requests import Request
from starlette.responses import FileResponse, HTMLResponse, RedirectResponse, Response
from starlette.routing import Route

from grader.course.config import Course
from grader.errors import UserError
from grader.gradebook import audit, book_reading
from grader.gradebook.course_book import BOOK_NAME
from grader.marking import blind
from grader.marking.audit_command import changes
from grader.regrades import decision as request_decision
from grader.regrades.book import Request as RegradeRequest
from grader.regrades.book import RequestBook
from grader.regrades.reading import bare_id
from grader.web import blind_reports, request_rerun, roles, studentfiles
from grader.web.dashboard import Dashboard
from grader.web.file_pages import FILE_HEADERS
from grader.web.inputs import BadRequest, Posted, comment, points


class RequestPages:
    def __init__(self, dashboard: Dashboard):
        self.dash = dashboard

    def _request(self, request: Request) -> RegradeRequest:
        with RequestBook(self.dash.site.out / BOOK_NAME) as book:
            found = book.find(number=request.path_params["number"])
        if found is None:
            raise HTTPException(404, "no such regrade request")
        who = self.dash.who(request)
        if not roles.may_mark(self.dash.site.course(), found.component, who):
            raise HTTPException(
                403,
                f"Request #{found.id} is about {found.component}. "
                + roles.not_theirs(found.component, who),
            )
        return found

    def _redact(self, course: Course, wanted: RegradeRequest) -> Callable[[str], str] | None:
        """What a page of ``wanted`` passes the student's words through: blind, their names out."""
        if not blind.is_blind(course, wanted.component):
            return None
        return blind_reports.scrubber(course.roster().students)

    async def queue(self, request: Request) -> Response:
        course = self.dash.site.course()
        who = self.dash.who(request)
        with RequestBook(self.dash.site.out / BOOK_NAME) as book:
            requests = [r for r in book.all() if roles.may_mark(course, r.component, who)]
        hidden = {r.id for r in requests if blind.is_blind(course, r.component)}
        names = {p.id: p.name for p in course.roster().students}
        return self.dash.render(
            request,
            "requests.html",
            course,
            requests=sorted(requests, key=lambda r: (r.state != "open", -r.id)),
            names={
                r.student: names.get(r.student, r.student) for r in requests if r.id not in hidden
            },
            hidden=hidden,
        )

    async def page(self, request: Request) -> Response:
        course, out = self.dash.site.course(), self.dash.site.out
        wanted = self._request(request)
        component = course.component(wanted.component)
        parts = await run_in_threadpool(
            request_decision.parts_now, course, out, self.dash.site.projects(), wanted
        )
        redact = self._redact(course, wanted)
        asker = None if redact else course.roster().by_id(wanted.student)
        rerun = request_rerun.results(out, wanted)
        notice = request.query_params.get("notice", "")
        if redact is not None:  # what the student wrote, and what their code printed
            wanted = replace(
                wanted, message=redact(wanted.message), answer=redact(wanted.answer or "")
            )
            rerun = {
                name: {**test, "output": redact(str(test.get("output", "")))}
                for name, test in rerun.items()
            }
            notice = redact(notice)  # a failed re-run's last line may name their files
        return self.dash.render(
            request,
            "request.html",
            course,
            req=wanted,
            asker=asker,
            component=component,
            parts=parts,
            feedback_text=(redact or str)(_feedback_text(out, wanted)),
            has_feedback_page=(out / wanted.component / wanted.student / "feedback.html").is_file(),
            has_notebook=self._notebook(wanted) is not None,
            rerun=rerun,
            notice=notice,
        )

    def _notebook(self, wanted: RegradeRequest) -> Path | None:
        return request_rerun.graded_notebook(self.dash.site.out, wanted)

    async def notebook(self, request: Request) -> Response:
        wanted = self._request(request)
        path = self._notebook(wanted)
        if path is None:
            raise HTTPException(404, "no notebook for this request")
        course = self.dash.site.course()
        redact = self._redact(course, wanted)
        html = await run_in_threadpool(
            studentfiles.notebook_html,
            self.dash.site.out,
            path,
            redact,
            blind_reports.roster_digest(course.roster().students) if redact else "",
        )
        return HTMLResponse(html, headers=FILE_HEADERS)

    async def feedback(self, request: Request) -> Response:
        wanted = self._request(request)
        folder = self.dash.site.out / wanted.component / wanted.student
        page = studentfiles.inside(folder / "feedback.html", folder)
        if page is None:
            raise HTTPException(404, "no feedback page")
        redact = self._redact(self.dash.site.course(), wanted)
        if redact is None:
            return FileResponse(page, media_type="text/html", headers=FILE_HEADERS)
        html = await run_in_threadpool(
            lambda: redact(page.read_text(encoding="utf-8", errors="replace"))
        )
        return HTMLResponse(html, headers=FILE_HEADERS)

    async def rerun(self, request: Request) -> Response:
        wanted = self._request(request)
        course = self.dash.site.course()
        ok, said = await run_in_threadpool(request_rerun.rerun, course, self.dash.site.out, wanted)
        notice = said if ok else f"could not run the cases again: {said}"
        return _back(wanted, notice)

    async def decide(self, request: Request) -> Response:
        wanted = self._request(request)
        posted: Posted = request.state.posted
        decision = posted.get("decision")
        if decision not in ("accept", "decline"):
            raise BadRequest("send decision=accept or decision=decline")
        new_points = {}
        if decision == "accept":
            for part in wanted.parts:
                value = points(posted.get(f"points-{part}"))
                if value is not None:
                    new_points[part] = value
        site = self.dash.site
        try:
            await run_in_threadpool(
                lambda: request_decision.decide(
                    site.course(),
                    site.out,
                    site.projects(),
                    wanted.id,
                    accept=decision == "accept",
                    points=new_points,
                    comment=comment(posted.get("comment")),
                    by=self.dash.who(request).name,
                )
            )
        except UserError as error:
            return _back(wanted, f"nothing was decided: {error}")
        verb = "accepted" if decision == "accept" else "declined"
        return _back(wanted, f"request #{wanted.id} {verb}; the watch mails the answer")

    async def trail(self, request: Request) -> Response:
        course = self.dash.site.course()
        who = self.dash.person(course, request.path_params["student"])
        autos = [c.id for c in course.components if c.kind == "auto"]
        found = await run_in_threadpool(changes, self.dash.site.out, autos, who.id)
        return self.dash.render(request, "audit.html", course, person=who, changes=found)

    async def trail_csv(self, request: Request) -> Response:
        course = self.dash.site.course()
        autos = [c.id for c in course.components if c.kind == "auto"]
        found = await run_in_threadpool(changes, self.dash.site.out, autos)
        return Response(
            audit.to_csv(found),
            media_type="text/csv; charset=utf-8",
            headers={"Content-Disposition": 'attachment; filename="audit.csv"'},
        )


def _back(wanted: RegradeRequest, notice: str) -> Response:
    return RedirectResponse(f"/request/{wanted.id}?notice={quote(notice)}", status_code=303)


def _feedback_text(out: Path, wanted: RegradeRequest) -> str:
    """The text of the feedback mail the request answers, when the watch sent it (a mail of
    ``grader mail`` is not kept: its marks and pages are on the student's page)."""
    sent = book_reading.rows(
        out / BOOK_NAME,
        "watch_outbox",
        "SELECT o.message FROM watch_outbox o JOIN mail_sent s ON s.digest = o.digest",
    )
    for (raw,) in sent:
        message = email.message_from_bytes(raw, policy=email.policy.default)
        if bare_id(str(message.get("Message-ID", ""))) == wanted.feedback_id:
            body = message.get_body(("plain",))
            return body.get_content() if body is not None else ""
    return ""


def routes(dashboard: Dashboard) -> list[Route]:
    pages = RequestPages(dashboard)
    return [
        Route("/requests", pages.queue),
        Route("/request/{number:int}", pages.page),
        Route("/request/{number:int}/notebook", pages.notebook),
        Route("/request/{number:int}/feedback", pages.feedback),
        Route("/request/{number:int}/rerun", pages.rerun, methods=["POST"]),
        Route("/request/{number:int}/decide", pages.decide, methods=["POST"]),
        Route("/audit/{student}", pages.trail),
        Route("/audit.csv", pages.trail_csv),
    ]
