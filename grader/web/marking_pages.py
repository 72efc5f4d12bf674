"""Marking a project: the page (report, notebook, checks beside the rubric), its "Save all" form,
and the JSON endpoint its script saves each criterion with.

Blind (course.toml ``blind = true`` for the course or the project's component): the page, its
title and its address name the student by their pseudonym only (:mod:`grader.marking.blind`),
students come in the pseudonyms' order, the report is shown as redacted page images
(:mod:`grader.web.blind_reports`) and the checks and notebook with every roster name, id,
address and Colab link redacted. The instructor can reveal who it is (logged).
"""

from __future__ import annotations

from starlette.concurrency import run_in_threadpool
from starlette.exceptions import HTTPException
from starlette.requests import Request
from starlette.responses import JSONResponse, RedirectResponse, Response
from starlette.routing import Route

from grader.course.config import Component, Course
from grader.course.rubric import Projects
from grader.errors import UserError
from grader.gradebook.course_book import BOOK_NAME, CourseBook, Mark
from grader.limits import WEB
from grader.marking import blind
from grader.marking.findings import beside_criteria
from grader.marking.marks import check_mark, project_score, record_mark
from grader.marking.pages import checks_html
from grader.roster import Person
from grader.web import blind_reports, inputs, studentfiles
from grader.web.dashboard import Dashboard
from grader.web.inputs import BadRequest, Posted
from grader.web.security import page_message

Wanted = dict[str, tuple[float | None, str]]  # criterion -> (points, comment)


def marking_order(
    dash: Dashboard, course: Course, component: Component, book: CourseBook, projects: Projects
) -> list[tuple[str, bool]]:
    """(student's key, completely marked) in roster order; when blind, in the pseudonyms'
    order (the roster's would tell who is who)."""
    order = [
        (
            dash.student_key(course, component, p),
            project_score(projects.rubric, book.marks(p.id, component.id)).complete,
        )
        for p in course.roster().students
    ]
    return sorted(order) if blind.is_blind(course, component) else order


def changed_in_form(posted: Posted) -> Wanted:
    """The criteria whose points or comment differ from what the page showed (its ``was:``
    twins), so a stale page never overwrites a criterion someone else marked meanwhile."""
    wanted: Wanted = {}
    for key, value in posted.fields.items():
        if not key.startswith("points:"):
            continue
        criterion = key.removeprefix("points:")
        comment = inputs.comment(posted.get(f"comment:{criterion}", ""))
        shown = (
            posted.get(f"was:points:{criterion}", ""),
            posted.get(f"was:comment:{criterion}", ""),
        )
        if (value, comment) != shown:
            wanted[criterion] = (inputs.points(value), comment)
    return wanted


class MarkingPages:
    def __init__(self, dashboard: Dashboard):
        self.dash = dashboard

    def _book(self) -> CourseBook:
        return CourseBook(self.dash.site.out / BOOK_NAME)

    def _target(self, request: Request) -> tuple[Course, Component, Person]:
        course = self.dash.site.course()
        component = self.dash.markable(request, course, request.path_params["component"], "project")
        return (
            course,
            component,
            self.dash.person_at(course, component, request.path_params["student"]),
        )

    async def next_unmarked(self, request: Request) -> Response:
        course = self.dash.site.course()
        component = self.dash.markable(request, course, request.path_params["component"], "project")
        projects = self.dash.projects()
        with self._book() as book:
            order = marking_order(self.dash, course, component, book, projects)
        target = next((s for s, done in order if not done), order[0][0] if order else None)
        if target is None:
            raise HTTPException(404, "the roster has no students")
        return RedirectResponse(f"/mark/{component.id}/{target}", status_code=303)

    async def page(self, request: Request) -> Response:
        course, component, who = self._target(request)
        projects = self.dash.projects()
        with self._book() as book:
            order = marking_order(self.dash, course, component, book, projects)
            marks = {m.criterion: m for m in book.marks(who.id, component.id)}
            latest = book.latest_checks(who.id, component.id)
        checks = latest[0].checks if latest else {}
        key = self.dash.student_key(course, component, who)
        keys = [s for s, _ in order]
        index = keys.index(key)
        after = order[index + 1 :] + order[:index]
        hidden = blind.is_blind(course, component)
        report = studentfiles.hand_in_file(checks, "report")
        unverified: tuple[int, ...] = ()
        if report is None:
            count = 0
        elif hidden:
            students = course.roster().students
            redacted = await run_in_threadpool(
                blind_reports.redacted_report, self.dash.site.out, report, students
            )
            count, unverified = len(redacted.pages), redacted.unverified
        else:
            pages = await run_in_threadpool(studentfiles.report_pages, self.dash.site.out, report)
            count = len(pages)
        shown_checks = checks_html(checks) if checks else None
        beside = beside_criteria(checks, projects.rubric.criteria)
        if hidden:
            scrub = blind_reports.scrubber(course.roster().students)
            shown_checks = scrub(shown_checks) if shown_checks else None
            beside = {criterion: scrub(html) for criterion, html in beside.items()}
        return self.dash.render(
            request,
            "mark.html",
            course,
            component=component,
            key=key,
            label=f"Student {key}" if hidden else f"{who.name or who.id} · {who.id}",
            blind=hidden,
            rubric=projects.rubric,
            marks=marks,
            score=project_score(projects.rubric, list(marks.values())),
            checks_html=shown_checks,
            beside=beside,
            report_pages=list(range(1, count + 1)),
            unverified=unverified,
            has_notebook=studentfiles.hand_in_file(checks, "notebook") is not None,
            position=index + 1,
            total=len(keys),
            previous=keys[index - 1] if index > 0 else None,
            next_unmarked=next((s for s, done in after if not done), None),
            max_comment=WEB.comment_chars,
            # Checks from before the hand-in folder was recorded show no file: say why.
            checks_predate_folders=bool(checks.get("files")) and "folder" not in checks,
        )

    async def reveal(self, request: Request) -> Response:
        """The instructor's reveal of a blind page's student (the gate keeps markers out),
        logged before the name is shown."""
        course, component, who = self._target(request)
        key = request.path_params["student"]
        if not blind.is_blind(course, component):
            raise HTTPException(404, f"{component.id} is not marked blind: nothing to reveal")
        shown = f"Student {key}"
        by = self.dash.who(request).name
        await run_in_threadpool(blind.reveal, self.dash.site.out, course, component, shown, by=by)
        return page_message(
            f"{shown} of {component.id}",
            f"{shown} of {component.id} is {who.name} ({who.id}). This reveal is logged, "
            f"with your name ({by}) and the time.",
            200,
        )

    def _save(
        self, course: Course, component: Component, who: Person, wanted: Wanted, by: str
    ) -> tuple[float, float, Mark | None]:
        """Record each wanted mark; (points, most points, the last mark saved)."""
        projects = self.dash.projects()
        roster = course.roster()
        for criterion, (points, _) in wanted.items():  # all or nothing
            check_mark(projects, roster, who.id, component.id, criterion, points)
        with self._book() as book:
            saved: Mark | None = None
            for criterion, (points, comment) in wanted.items():
                saved = record_mark(
                    book,
                    projects,
                    roster,
                    who.id,
                    component.id,
                    criterion,
                    points,
                    comment,
                    by=by,
                    source="web",
                )
            score = project_score(projects.rubric, book.marks(who.id, component.id))
        return score.points, score.max_points, saved

    async def save_form(self, request: Request) -> Response:
        """The form's plain POST ("Save all"): saves what the marker changed."""
        course, component, who = self._target(request)
        wanted = changed_in_form(request.state.posted)
        by = self.dash.who(request).name
        await run_in_threadpool(self._save, course, component, who, wanted, by)
        key = self.dash.student_key(course, component, who)
        return RedirectResponse(f"/mark/{component.id}/{key}", status_code=303)

    async def save_one(self, request: Request) -> Response:
        """The page's script: one criterion, answered in JSON."""
        posted: Posted = request.state.posted
        course = self.dash.site.course()
        try:
            component = self.dash.markable(request, course, posted.text("component"), "project")
            who = self.dash.person_at(course, component, posted.text("student"))
            criterion = posted.text("criterion")
            wanted = {
                criterion: (
                    inputs.points(posted.get("points")),
                    inputs.comment(posted.get("comment")),
                )
            }
            by = self.dash.who(request).name
            got, most, mark = await run_in_threadpool(
                self._save, course, component, who, wanted, by
            )
        except (BadRequest, HTTPException) as error:
            return JSONResponse({"error": error.detail}, error.status_code)
        except UserError as error:
            return JSONResponse({"error": str(error)}, 400)
        assert mark is not None
        return JSONResponse(
            {
                "marked_by": mark.marked_by,
                "marked_at": mark.marked_at,
                "points": mark.points,
                "total": f"{got:g} / {most:g}",
            }
        )


def routes(dashboard: Dashboard) -> list[Route]:
    pages = MarkingPages(dashboard)
    return [
        Route("/mark/{component}", pages.next_unmarked),
        Route("/mark/{component}/{student}", pages.page),
        Route("/mark/{component}/{student}", pages.save_form, methods=["POST"]),
        Route("/mark/{component}/{student}/reveal", pages.reveal, methods=["POST"]),
        Route("/api/mark", pages.save_one, methods=["POST"]),
    ]
