"""What every page of ``grader serve`` needs: the site it serves
(:class:`~grader.web.site.Site`) and the :class:`Dashboard` the pages are given (the guard, the
templates, the regrade queue, the overview kept). The pages import this module, and
:mod:`grader.web.app` puts them together."""

from __future__ import annotations

from jinja2 import pass_context
from jinja2.runtime import Context
from starlette.exceptions import HTTPException
from starlette.requests import Request
from starlette.responses import HTMLResponse

from grader import templating
from grader.course.config import DEFAULT_DECIMALS, Component, Course
from grader.course.rubric import Projects
from grader.gradebook.course_book import BOOK_NAME, CourseBook
from grader.marking import blind
from grader.outputs.scores import for_people
from grader.roster import Person
from grader.web import regrade, roles
from grader.web.overview_cache import OverviewCache
from grader.web.regrade_jobs import JobStore, RegradeQueue
from grader.web.security import Guard, Who
from grader.web.site import Site


@pass_context
def _points(context: Context, value: float) -> str:
    """The pages' ``points`` filter: a score to the decimals of the course the page is of
    (every page is rendered with its ``course``)."""
    course = context.get("course")
    return for_people(value, course.decimals if course is not None else DEFAULT_DECIMALS)


class Dashboard:
    """What every page needs: the site, the guard, the templates, the regrade queue."""

    def __init__(self, site: Site, guard: Guard):
        self.site = site
        self.guard = guard
        # the grader's one, autoescaped, with a score as a person reads it (its own filters, so
        # the pages' filter is no other page's)
        self.env = templating.environment().overlay()
        self.env.filters = {**self.env.filters, "points": _points}
        with CourseBook(site.out / BOOK_NAME):  # its tables made now, not by the first page
            pass  # that reads it: that would change a file the overview is read from
        self.regrades = RegradeQueue(JobStore(site.out / BOOK_NAME), self._regrade)
        self.overviews = OverviewCache()

    def _regrade(self, student: str, component_id: str) -> tuple[bool, str]:
        course = self.site.course()
        return regrade.regrade(
            course, self.component(course, component_id, "auto"), self.site.out, student
        )

    def render(self, request: Request, name: str, course: Course, **context) -> HTMLResponse:
        page = self.env.get_template(name).render(
            course=course,
            csrf=self.guard.csrf_token(request.state.who),
            nonce=request.state.nonce,
            who=request.state.who,
            **context,
        )
        return HTMLResponse(page)

    @staticmethod
    def who(request: Request) -> Who:
        """Who sent the request (the gate let only the instructor or a marker through)."""
        return request.state.who

    def person(self, course: Course, student: str) -> Person:
        found = course.roster().by_id(student)
        if found is None or found.is_staff:
            raise HTTPException(404, f"no student {student!r} on the roster")
        return found

    def student_key(self, course: Course, component: Component, person: Person) -> str:
        """How pages and addresses name ``person`` for ``component``: the id, or when the
        component is blind the code of their pseudonym (no id may reach a blind address)."""
        if not blind.is_blind(course, component):
            return person.id
        return blind.pseudonym(self.site.out, component.id, person.id).split()[-1]

    def person_at(self, course: Course, component: Component, key: str) -> Person:
        """The student an address names (see :meth:`student_key`); 404 when none is."""
        if not blind.is_blind(course, component):
            return self.person(course, key)
        for person in course.roster().students:
            if self.student_key(course, component, person) == key:
                return person
        raise HTTPException(404, f"no student of {component.id} has the pseudonym {key!r}")

    def component(self, course: Course, component_id: str, kind: str | None = None) -> Component:
        component = course.component(component_id)
        if component is None or (kind and component.kind != kind):
            raise HTTPException(404, f"no {kind or ''} component {component_id!r} in the course")
        return component

    def markable(
        self, request: Request, course: Course, component_id: str, kind: str | None = None
    ) -> Component:
        """The component an address names, when the one asking may mark it (403 otherwise)."""
        component = self.component(course, component_id, kind)
        who = self.who(request)
        if not roles.may_mark(course, component.id, who):
            raise HTTPException(403, roles.not_theirs(component.id, who))
        return component

    def projects(self) -> Projects:
        projects = self.site.projects()
        if projects is None:
            raise HTTPException(404, f"no projects folder beside {self.site.course_path}")
        return projects
