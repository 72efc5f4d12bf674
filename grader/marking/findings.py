"""The findings of a project's checks of substance as HTML: the marker's view of them (the
student's is :mod:`grader.projects.findings`), in a Jinja2 template, every value escaped: whole
on a project's checks page, and beside each rubric criterion the parts of the checks it names."""

from __future__ import annotations

from typing import Any

from markupsafe import Markup

from grader import templating
from grader.projects.kinds import PARTS


def findings_html(
    checks: dict[str, Any], parts: tuple[str, ...] = PARTS, level: int = 3
) -> Markup | str:
    """The checks' ``parts`` in ``checks``; '' when they hold none (checks made before)."""
    if not any(part in checks for part in PARTS):
        return ""
    return Markup(
        templating.render("findings.html", checks=checks, parts=parts, level=level).strip()
    )


def beside_criteria(checks: dict[str, Any], criteria: Any) -> dict[str, str]:
    """Each criterion's id -> the findings of the parts its ``checks`` name, their headings one
    level below the rubric's own (h2 on the marking page): headings in order (WCAG 1.3.1)."""
    beside = {}
    for criterion in criteria:
        parts = tuple(k for k in criterion.checks if k in PARTS)
        html = findings_html(checks, parts, level=3) if parts else ""
        if html:
            beside[criterion.id] = html
    return beside
