"""The projects' checks of substance as HTML (a Jinja2 template, every value escaped): whole on
a project's checks page, and beside each rubric criterion the kinds of checks it names."""

from __future__ import annotations

from typing import Any

from markupsafe import Markup

from grader import templating

KINDS = ("model", "pitfalls", "numbers", "provenance")


def substance_html(
    checks: dict[str, Any], kinds: tuple[str, ...] = KINDS, level: int = 3
) -> Markup | str:
    """The checks of ``kinds`` in ``checks``; '' when they hold none (checks made before)."""
    if not any(kind in checks for kind in KINDS):
        return ""
    return Markup(
        templating.render("substance.html", checks=checks, kinds=kinds, level=level).strip()
    )


def beside_criteria(checks: dict[str, Any], criteria: Any) -> dict[str, str]:
    """Each criterion's id -> the checks of substance its ``checks`` name, their headings one
    level below the rubric's own (h2 on the marking page): headings in order (WCAG 1.3.1)."""
    beside = {}
    for criterion in criteria:
        kinds = tuple(k for k in criterion.checks if k in KINDS)
        html = substance_html(checks, kinds, level=3) if kinds else ""
        if html:
            beside[criterion.id] = html
    return beside
