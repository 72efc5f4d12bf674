"""Who may do what on ``grader serve``: the instructor everything; a marker (``--add-marker``)
only marking, in the blind views where blindness is on.

A marker may open the markers' home page, mark projects and written answers, see the files
those pages show (a blind report's redacted pages, a blind notebook's redacted text), and see
and decide the regrade requests, each only of the components they may mark
(:func:`may_mark`: a component's ``markers`` in course.toml, else every marker). A marker may
not see the class's grades or its students' pages, the audit trail, the reveal log, nor reveal
a pseudonym: each of those answers 403 with a page that says so.
"""

from __future__ import annotations

from starlette.requests import Request
from starlette.responses import HTMLResponse

from grader.course.config import Course
from grader.web.security import Who, page_message

# Path prefixes a marker's session may use (GET or POST).
_MARKER_PREFIXES = ("/mark/", "/written/", "/files/report/", "/files/notebook/", "/request/")
_MARKER_PATHS = ("/", "/written", "/api/mark", "/requests")
# Inside the marker's prefixes, what only the instructor may do (a blind report's PDF, names
# and all, is refused by its page: only the page knows the component is blind).
_INSTRUCTOR_SUFFIXES = ("/reveal",)


def may_mark(course: Course, component_id: str, who: Who) -> bool:
    """Whether ``who`` may mark the component and decide its regrade requests: the instructor
    every component; a marker those whose ``markers`` name them, or that list no markers.
    The one place that decides it, for the marking, written-answer, file and request pages
    and the marker's home page."""
    if who.instructor:
        return True
    component = course.component(component_id)
    return component is not None and (component.markers is None or who.name in component.markers)


def not_theirs(component_id: str, who: Who) -> str:
    """The 403 page's words for a component ``who`` may not mark."""
    return (
        f"{who.name} does not mark {component_id}: its markers are those course.toml lists "
        "for it. Ask the instructor if you should mark it."
    )


def marker_may(path: str) -> bool:
    if path.endswith(_INSTRUCTOR_SUFFIXES):
        return False
    return path in _MARKER_PATHS or path.startswith(_MARKER_PREFIXES)


def refusal(request: Request, who: Who) -> HTMLResponse | None:
    """The 403 page for what ``who`` may not do; None when they may."""
    if who.instructor or marker_may(request.url.path):
        return None
    return page_message(
        "Only the instructor can do that",
        f"You are logged in as the marker {who.name}. Markers mark projects and written "
        "answers; the grades, the students' pages, the audit trail and "
        "revealing a blind pseudonym are the instructor's. Ask the instructor if you need it.",
        403,
    )
