"""The class's pages: the overview, the students' final grades, one student, a regrade."""

from __future__ import annotations

from starlette.concurrency import run_in_threadpool
from starlette.requests import Request
from starlette.responses import RedirectResponse, Response
from starlette.routing import Route

from grader.gradebook.course_book import BOOK_NAME
from grader.gradebook.results import Gradebook, Row
from grader.limits import WEB
from grader.watch.state import watch_status
from grader.web import classview, roles, student_list, variant_view
from grader.web.dashboard import Dashboard
from grader.web.similarity_page import similarity_report

# What a regrade click answers, by the code in the address the page is sent back to: fixed
# texts, so the address cannot put words on the page.
NOTICES = {
    "queued": (True, "Regrade queued: this page shows its progress and refreshes itself."),
    "busy": (False, "A regrade of this student is already queued or running; none was added."),
    "full": (False, "Too many regrades are waiting; try again when some have ended."),
}


class ClassPages:
    def __init__(self, dashboard: Dashboard):
        self.dash = dashboard

    async def overview(self, request: Request) -> Response:
        site = self.dash.site
        course = site.course()
        who = self.dash.who(request)
        if not who.instructor:  # a marker sees what they may mark only
            mine = [c for c in course.components if roles.may_mark(course, c.id, who)]
            return self.dash.render(request, "marker_home.html", course, mine=mine)
        overview = await run_in_threadpool(self.dash.overviews.get, site)
        watch = await run_in_threadpool(watch_status, site.out / BOOK_NAME)
        return self.dash.render(
            request,
            "overview.html",
            course,
            views=overview.views,
            histograms=overview.histograms,
            roster_size=len(course.roster().students),
            watch=watch,
            listed=WEB.names_listed,
            similarity=similarity_report(site.out) is not None,
        )

    async def students(self, request: Request) -> Response:
        site = self.dash.site
        course = site.course()
        query = request.query_params
        shown = student_list.list_page(
            course.roster().students, query.get("q", ""), query.get("page", "1")
        )
        grades = await run_in_threadpool(
            classview.grades_of, course, site.out, site.projects(), shown.people
        )
        return self.dash.render(
            request,
            "students.html",
            course,
            grades=grades,
            shown=shown,
            search_chars=WEB.search_chars,
        )

    async def student(self, request: Request) -> Response:
        site = self.dash.site
        course = site.course()
        who = self.dash.person(course, request.path_params["student"])
        found = await run_in_threadpool(
            classview.grades_of, course, site.out, site.projects(), (who,)
        )
        grade = found[0]
        parts = [(course.component(p.component), p) for p in grade.parts]
        feedback, sources, history = {}, {}, []
        latest: dict[str, Row | None] = {}
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
            latest[component.id] = rows[-1] if rows else None
        jobs = {job.component: job for job in self.dash.regrades.store.latest_of(who.id)}
        notice = NOTICES.get(request.query_params.get("notice", ""))
        return self.dash.render(
            request,
            "student.html",
            course,
            person=who,
            grade=grade,
            parts=parts,
            feedback=feedback,
            sources=sources,
            history=history,
            jobs=jobs,
            waiting=any(job.active for job in jobs.values()),
            notice=notice,
            variants=variant_view.student_variants(course, who.id, latest),
            # the marking page's address: the student's id, or on a blind project the pseudonym
            marking_keys={
                c.id: self.dash.student_key(course, c, who)
                for c in course.components
                if c.kind == "project"
            },
        )

    async def regrade(self, request: Request) -> Response:
        course = self.dash.site.course()
        who = self.dash.person(course, request.path_params["student"])
        component = self.dash.component(course, request.path_params["component"], "auto")
        notice = await run_in_threadpool(self.dash.regrades.submit, who.id, component.id)
        return RedirectResponse(f"/student/{who.id}?notice={notice}", status_code=303)


def routes(dashboard: Dashboard) -> list[Route]:
    pages = ClassPages(dashboard)
    return [
        Route("/", pages.overview),
        Route("/students", pages.students),
        Route("/student/{student}", pages.student),
        Route("/student/{student}/regrade/{component}", pages.regrade, methods=["POST"]),
    ]
