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


# axe's own check that headings go down one level at a time: a best practice to axe, tagged
# with no WCAG rule, so that the WCAG run above leaves it out; WCAG 1.3.1 all the same.
HEADING_ORDER = {**OPTIONS, "runOnly": {"type": "rule", "values": ["heading-order"]}}


def violations(page, options: dict = OPTIONS) -> list[str]:
    """One line per element that breaks a rule: the rule, the element and axe's reason."""
    page.evaluate(AXE_JS.read_text(encoding="utf-8"))
    results = page.evaluate("options => axe.run(document, options)", options)
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


def heading_jumps(page) -> list[str]:
    """Each heading more than one level below the heading before it, in the document's order
    (as a screen reader lists them: those in closed ``<details>`` too), the first not an h1."""
    headings = page.eval_on_selector_all(
        "h1, h2, h3, h4, h5, h6",
        "found => found.map(h => [Number(h.tagName[1]), h.textContent.trim().slice(0, 60)])",
    )
    jumps, before = [], 0
    for level, text in headings:
        if level > before + 1:
            jumps.append(f"h{level} {text!r} after " + (f"h{before}" if before else "no heading"))
        before = level
    return jumps
