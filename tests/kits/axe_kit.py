"""axe-core in a real browser: the WCAG 2.0 and 2.1 A and AA rules run on a Playwright page.

axe-core is pinned through requirements.txt (axe-playwright-python carries its ``axe.min.js``)
and injected from that file: nothing is fetched at run time."""

from __future__ import annotations

from pathlib import Path

import axe_playwright_python

AXE_JS = Path(axe_playwright_python.__file__).parent / "axe.min.js"
WCAG_AA = ["wcag2a", "wcag2aa", "wcag21a", "wcag21aa"]
# Pages inside sandboxed frames are checked on their own (axe cannot run in a frame without
# scripts), so the frames themselves are not followed.
OPTIONS = {
    "runOnly": {"type": "tag", "values": WCAG_AA},
    "resultTypes": ["violations"],
    "iframes": False,
}


def violations(page) -> list[str]:
    """One line per element that breaks a rule: the rule, the element and axe's reason."""
    page.evaluate(AXE_JS.read_text(encoding="utf-8"))
    results = page.evaluate("options => axe.run(document, options)", OPTIONS)
    return [
        f"{rule['id']} at {node['target']}: {node.get('failureSummary', '')}"
        for rule in results["violations"]
        for node in rule["nodes"]
    ]


def sideways_scroll(page) -> int:
    """How many CSS pixels the page is wider than its window (0: it reflows)."""
    return page.evaluate(
        "document.documentElement.scrollWidth - document.documentElement.clientWidth"
    )
