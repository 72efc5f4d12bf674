"""The one Jinja2 environment every HTML page and mail of the grader is rendered through, with
autoescape: a student's name, answer or file name is text on every page, never markup, whoever
wrote the template. No module builds HTML in strings (``tests/test_templating.py`` checks).

The templates are the HTML files in each package's ``templates/`` folder
(``grader/web/templates/``, ``grader/similarity/templates/``...) and the shipped
``templates/`` (the feedback page), found by their file name alone: no two share one."""

from __future__ import annotations

import functools
from pathlib import Path
from typing import TYPE_CHECKING, Any

from grader.inputs import resources

if TYPE_CHECKING:
    from jinja2 import Environment
    from markupsafe import Markup

_PACKAGE = Path(__file__).resolve().parent


def folders() -> list[Path]:
    """Every folder templates are found in: each package's ``templates/``, then the shipped
    one (inside the package when installed, the repository's ``templates/`` in a checkout)."""
    found = sorted(p for p in _PACKAGE.glob("*/templates") if p.is_dir())
    shipped = resources.template("feedback.html").parent
    return found if shipped in found else [*found, shipped]


@functools.cache
def environment() -> Environment:
    """The environment, made once per process (compiled templates are kept in it)."""
    import jinja2  # the instructor's extra: a student's commands render no page

    return jinja2.Environment(
        loader=jinja2.FileSystemLoader(folders()),
        autoescape=True,
    )


@functools.cache
def _trimmed() -> Environment:
    """The same environment for templates written with their block tags on lines of their
    own (the feedback page's): the line a tag stands on is left out of the page."""
    return environment().overlay(trim_blocks=True, lstrip_blocks=True)


def render(template: str, /, *, trimmed: bool = False, **context: Any) -> str:
    """The template named ``template`` (e.g. ``"login.html"``) rendered with ``context``
    (any names, ``name`` and ``template`` too), every value escaped."""
    chosen = _trimmed() if trimmed else environment()
    return chosen.get_template(template).render(**context)


def fragment(template: str, /, **context: Any) -> Markup:
    """A part of a page (a table, a section) rendered on its own, for a page's template to
    take as it is: marked safe, since this environment escaped what it holds already."""
    from markupsafe import Markup

    return Markup(render(template, **context))
