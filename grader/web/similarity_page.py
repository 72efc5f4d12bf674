"""``/similarity``: the report of ``grader similarity`` run with ``--out <out>/similarity`` (or
a ``similarity`` folder beside the graded output).

It quotes the students' code and text side by side, so it is served as their files are (a
sandbox, no script); the gate lets the instructor only see it (it names students, and a marker
may mark blind)."""

from __future__ import annotations

from pathlib import Path

from starlette.exceptions import HTTPException
from starlette.requests import Request
from starlette.responses import FileResponse, Response
from starlette.routing import Route

from grader.web.dashboard import Dashboard
from grader.web.file_pages import FILE_HEADERS

FOLDER, PAGE = "similarity", "similarity.html"  # where the dashboard looks for the report


def similarity_report(out: Path) -> Path | None:
    """The similarity report in the graded output, or beside it as the instructors' tutorial
    writes it (``--out similarity/`` next to ``graded/``), if one was written."""
    found = [folder / FOLDER / PAGE for folder in (out, out.parent)]
    return next((page for page in found if page.is_file()), None)


def routes(dashboard: Dashboard) -> list[Route]:
    async def report(request: Request) -> Response:
        page = similarity_report(dashboard.site.out)
        if page is None:
            raise HTTPException(
                404,
                f"no similarity report yet: run grader similarity ... --out "
                f"{dashboard.site.out / FOLDER}",
            )
        return FileResponse(page, media_type="text/html", headers=FILE_HEADERS)

    return [Route("/similarity", report)]
