"""``grader serve``: the application, put together from its pages.

Every request passes :class:`grader.web.gate.Gate` first (host names, session, body, CSRF,
headers). Pages are rendered on the server with Jinja2 (autoescaped); the only script is the
marking page's, which saves each criterion as it is entered, and carries the answer's nonce.
The pages are grouped by what they show: the class (:mod:`~grader.web.class_pages`), the
marking (:mod:`~grader.web.marking_pages`) and the students' files
(:mod:`~grader.web.file_pages`); each is given the :class:`~grader.web.dashboard.Dashboard`,
which needs none of them. Nothing lives only in the server's memory: marks and regrade
jobs are in the gradebook.
"""

from __future__ import annotations

import contextlib
import logging
from collections.abc import AsyncIterator

from starlette.applications import Starlette
from starlette.exceptions import HTTPException
from starlette.requests import Request
from starlette.responses import Response
from starlette.types import ASGIApp

from grader.errors import UserError
from grader.limits import WEB
from grader.web import class_pages, file_pages, marking_pages, requests, similarity_page, written
from grader.web.dashboard import Dashboard
from grader.web.gate import Gate
from grader.web.security import Guard, page_message
from grader.web.site import Site

_log = logging.getLogger(__name__)


def create_app(site: Site, guard: Guard) -> ASGIApp:
    dashboard = Dashboard(site, guard)
    routes = [
        *class_pages.routes(dashboard),
        *marking_pages.routes(dashboard),
        *file_pages.routes(dashboard),
        *requests.routes(dashboard),  # the regrade queue and the audit trail
        *written.routes(dashboard),
        *similarity_page.routes(dashboard),
    ]

    @contextlib.asynccontextmanager
    async def lifespan(app: Starlette) -> AsyncIterator[None]:
        stop = dashboard.overviews.keep_ready(site, WEB.overview_settle_s)
        try:
            yield
        finally:
            stop()

    app = Starlette(
        routes=routes,
        exception_handlers={HTTPException: _http_error, UserError: _user_error},
        lifespan=lifespan,
    )
    return Gate(app, guard)


async def _http_error(request: Request, error: Exception) -> Response:
    assert isinstance(error, HTTPException)
    title = "Not found" if error.status_code == 404 else "Cannot do that"
    return page_message(title, str(error.detail), error.status_code)


async def _user_error(request: Request, error: Exception) -> Response:
    _log.warning(str(error))
    return page_message("Cannot do that", str(error), 400)
