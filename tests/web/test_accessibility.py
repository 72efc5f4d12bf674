"""Every page a student or a marker uses meets WCAG 2.1 AA (issue 54), on the demo course as
`make demo` leaves it, served by `grader serve` and read in Debian's chromium:

- axe-core's WCAG 2.0/2.1 A and AA rules find nothing on any dashboard page (instructor and
  marker, blind marking on and off, every page the links and frames lead to), on every
  student's feedback.html, on the feedback mail's HTML part;
- the marking page's headings go down one level at a time (issue 89);
- a marker marks a project with the keyboard alone, and hears it saved (a live region);
- at 320 CSS px (a phone, or 400 % zoom) no page scrolls sideways, and the marking page puts
  the report's pages and the notebook under the rubric at full width.
"""

from __future__ import annotations

import email
import email.policy
import re
import subprocess
import sys
from collections.abc import Callable
from pathlib import Path
from typing import Any
from urllib.parse import urljoin, urlsplit

import pytest
from axe_kit import HEADING_ORDER, heading_jumps, sideways_scroll, violations
from regrade_kit import add_request
from sandbox_fence import FENCE
from web_kit import ROOT, TOKEN, log_in, run, serving

from grader.gradebook.course_book import BOOK_NAME, CourseBook
from grader.marking import blind
from grader.web import charts
from grader.web.security import marker_token

playwright_api = pytest.importorskip("playwright.sync_api")

MARKER = "Kiran Rao (TA)"  # the TA who marked the demo's projects and written answers
KEYBOARD_MARKER = "Lena Das (TA)"
UNMARKED = ("EE21B017", "project1")  # the demo marked every project: this one is cleared
# A path's shape: ids become '*', so each kind of page is checked once per pass.
FIXED = {"student", "students", "mark", "written", "request", "requests", "files", "audit"}
FIXED |= {"feedback", "notebook"}
NOT_PAGES = re.compile(r"\.(csv|pdf|png|zip)$|/logout")


@pytest.fixture(scope="module")
def demo(tmp_path_factory) -> dict:
    """`make demo`'s output, a regrade request in its book, one project's marks cleared, and
    `grader serve` on it with two markers."""
    base = tmp_path_factory.mktemp("a11y")
    out = base / "demo-out"
    done = subprocess.run(
        [*FENCE, sys.executable, "-m", "grader.demo", "--out", str(out)],
        capture_output=True,
        text=True,
        timeout=1800,
        cwd=ROOT,
    )
    assert done.returncode == 0, done.stderr[-3000:]
    folder, graded = out / "course-folder", out / "course"
    toml = folder / "course.toml"
    student, project = UNMARKED
    with CourseBook(graded / BOOK_NAME) as book:
        criteria = [m.criterion for m in book.marks(student, project)]
    for criterion in criteria:
        run("marks", "set", student, project, criterion, "-", "--course", str(toml),
            "--out", str(graded), "--by", "prof-a")  # fmt: skip
    add_request(
        graded / BOOK_NAME,
        "CS21B042",
        "lstm_gates",
        ("forget_gate",),
        "Please look at forget_gate again: I think the sign is right.",
        identity="message-id:a11y@example.edu",
        message_id="<a11y@example.edu>",
    )
    log = base / "serve.log"
    markers = ("--add-marker", MARKER, "--add-marker", KEYBOARD_MARKER)
    with serving(folder, graded, *markers, log=log) as url:
        yield {"url": url, "out": out, "graded": graded, "toml": toml, "base": base}


def blinded(toml: Path, on: bool) -> None:
    """The course marked blind throughout (on), or nowhere (off)."""
    text = re.sub(r"(?m)^#? ?blind = (true|false)", "blind = false", toml.read_text())
    if on:
        text = text.replace("blind = false", "blind = true")
    toml.write_text(text)


def key(out: Path, project: str, student: str, blind_on: bool) -> str:
    """The student's key in a marking page's address: their id, or their pseudonym's code."""
    return blind.pseudonym(out, project, student).split()[-1] if blind_on else student


def signed_in(browser, url: str, token: str, width: int = 1280):
    # The files' pages forbid every script by their Content-Security-Policy (sandbox): axe is
    # let in past it, as a browser extension would be.
    context = browser.new_context(viewport={"width": width, "height": 900}, bypass_csp=True)
    page = context.new_page()
    log_in(page, url, token)  # by the form: a token in an address never logs in
    return context, page


def shape(path: str) -> tuple[str, ...]:
    return tuple(part if part in FIXED else "*" for part in path.strip("/").split("/"))


def crawl(
    page, url: str, seeds: list[str], check: Callable[[Any], list[str]] = violations
) -> dict[str, list[str]]:
    """axe (or ``check``) on ``seeds`` and on every kind of page reachable from them by links
    and frames: path -> violations (what ``check`` found)."""
    found: dict[str, list[str]] = {}
    seen: set[tuple[str, ...]] = set()
    queue = list(seeds)
    while queue:
        path = queue.pop(0)
        if path in found or (shape(path) in seen and path not in seeds):
            continue
        seen.add(shape(path))
        answer = page.goto(url + path)
        assert answer is not None and answer.ok, f"{path}: {answer and answer.status}"
        if "text/html" not in (answer.headers.get("content-type") or ""):
            continue
        found[path] = check(page)
        targets = page.eval_on_selector_all(
            "a[href], iframe[src]", "els => els.map(e => e.href || e.src)"
        )
        for target in targets:
            parts = urlsplit(urljoin(page.url, target))
            if parts.netloc == urlsplit(url).netloc and not NOT_PAGES.search(parts.path):
                queue.append(parts.path)
    return found


@pytest.mark.parametrize("blind_on", [False, True], ids=["named", "blind"])
def test_axe_finds_nothing_on_any_dashboard_page(demo, browser, blind_on):
    blinded(demo["toml"], blind_on)
    checked: dict[str, list[str]] = {}
    # The students whose pages have the most in them: a report, a notebook and checks; the
    # feedback and regrade of a student who lost points; the regrade request.
    marking = [
        f"/mark/{project}/{key(demo['graded'], project, student, blind_on)}"
        for project, student in (("project1", "CS21B042"), ("project2", "EE21B017"))
    ]
    instructor = ["/", "/student/chitra", "/request/1", *marking]
    for who, token, seeds in (
        ("instructor", TOKEN, instructor),
        ("marker", marker_token(TOKEN, MARKER), ["/", *marking]),
    ):
        context, page = signed_in(browser, demo["url"], token)
        found = crawl(page, demo["url"], seeds)
        checked.update({f"{who} {path}": lines for path, lines in found.items()})
        context.close()
    context = browser.new_context()
    page = context.new_page()
    page.goto(demo["url"] + "/login")
    checked["signed out /login"] = violations(page)
    context.close()
    shapes = {shape(path.split(" ", 1)[1]) for path in checked}
    # The crawl reached every kind of page: marking, written answers, regrade, audit, files.
    for kind in ("mark", "written", "requests", "request", "audit", "files", "student"):
        assert any(kind in s for s in shapes), f"no {kind} page was reached: {sorted(checked)}"
    broken = {path: lines for path, lines in checked.items() if lines}
    assert not broken, "\n".join(f"{p}:\n  " + "\n  ".join(v) for p, v in broken.items())


def test_axe_finds_nothing_on_any_feedback_page_or_mail(demo, browser):
    pages = feedback_pages(demo["graded"])
    assert len(pages) >= 10
    context = browser.new_context(viewport={"width": 1280, "height": 900})
    page = context.new_page()
    broken = {}
    for feedback in pages:
        page.goto(feedback.as_uri())
        broken[str(feedback.relative_to(demo["graded"]))] = violations(page)
    mails = sorted((demo["graded"] / "mail").glob("*.eml"))
    assert mails
    for eml in mails:
        message = email.message_from_bytes(eml.read_bytes(), policy=email.policy.default)
        page.set_content(message.get_body(("html",)).get_content())
        broken[eml.name] = violations(page)
        for attached in message.iter_attachments():  # the projects' feedback pages
            if (attached.get_filename() or "").endswith(".html"):
                page.set_content(attached.get_content())
                broken[f"{eml.name}: {attached.get_filename()}"] = violations(page)
    context.close()
    broken = {name: lines for name, lines in broken.items() if lines}
    assert not broken, "\n".join(f"{p}:\n  " + "\n  ".join(v) for p, v in broken.items())


# A score as a person would not read it: more than two decimals before "/ max" or "of max".
LONG_SCORE = re.compile(r"\b\d+\.\d{3,}\s*(?:/|of)\s*\d")


def test_a_one_mistake_page_puts_the_hint_first_and_reads_in_a_minute(demo, browser):
    """Issue 76: each one-mistake page of the demo (and every other page that lost points)
    has under 400 words above the fold of its detail, and the first function's hint inside
    the first screen, on a laptop (1280 x 800) and on a phone (320 x 640). Screenshots are
    left beside the demo for a person to look at."""
    pages = [p for p in feedback_pages(demo["graded"]) if p.name == "feedback.html"]
    long, late = {}, {}
    for width, height in ((1280, 800), (320, 640)):
        context = browser.new_context(viewport={"width": width, "height": height})
        page = context.new_page()
        for feedback in pages:
            page.goto(feedback.as_uri())
            name = f"{feedback.parent.parent.name}/{feedback.parent.name}"
            words = len(page.evaluate("document.body.innerText").split())  # closed: not read
            if words >= 400:
                long[name] = words
            hint = page.locator("section.fix p").first
            if hint.count():
                box = hint.bounding_box()
                if box is None or box["y"] + box["height"] > height:
                    late[f"{name} at {width}"] = box
            shot = demo["base"] / f"feedback-{name.replace('/', '-')}-{width}.png"
            page.screenshot(path=str(shot))
        context.close()
    assert not long, long
    assert not late, late
    assert any("What to fix" in p.read_text() for p in pages)


def test_no_score_a_person_reads_has_more_than_two_decimals(demo):
    """Issue 76: the feedback pages and the mail (text and HTML parts, and what they attach)
    show scores rounded (12.73 / 100), never the float computed (12.7273 / 100)."""
    texts = {str(p): p.read_text() for p in feedback_pages(demo["graded"])}
    for eml in sorted((demo["graded"] / "mail").glob("*.eml")):
        message = email.message_from_bytes(eml.read_bytes(), policy=email.policy.default)
        for part in message.walk():
            if part.get_content_maintype() == "text":
                texts[f"{eml.name}: {part.get_filename() or part.get_content_type()}"] = (
                    part.get_content()
                )
    assert len(texts) > 10
    found = {name: LONG_SCORE.findall(re.sub(r"<[^>]+>", "", text)) for name, text in texts.items()}
    assert LONG_SCORE.findall(re.sub(r"<[^>]+>", "", "Score: <strong>12.7273</strong> / 100"))
    assert not {name: hits for name, hits in found.items() if hits}


def long_scores(decimals: int) -> Callable[[Any], list[str]]:
    """What a page shows as a score with more than ``decimals``: a number before "%", "/ N",
    "of N" or "out of N", or alone in a number column (dates, times, seeds and tolerances are
    none of these)."""
    more = rf"\d+\.\d{{{decimals + 1},}}"
    scored = re.compile(rf"(?<![\d.]){more}\s*(?:%|/\s*\d|(?:out )?of\s+\d)")
    alone = re.compile(rf"\s*[+-]?{more}\s*")

    def found(page) -> list[str]:
        cells = page.eval_on_selector_all(".num", "els => els.map(e => e.innerText)")
        return scored.findall(page.inner_text("body")) + [c for c in cells if alone.fullmatch(c)]

    return found


@pytest.mark.parametrize("decimals", [2, 1])
def test_no_dashboard_page_shows_a_score_with_more_than_the_courses_decimals(
    demo, browser, decimals
):
    """Issue 76: every kind of dashboard page, as the instructor and as a marker, with the
    course's ``decimals`` at 2 (the default) and at 1, shows no score with more decimals than
    the course says. The feedback pages the dashboard serves are the files grading wrote (at
    the course's decimals then: 2), so they are left out of the pass at 1."""
    toml = demo["toml"]
    before = toml.read_text()
    if decimals != 2:
        toml.write_text(before.replace("[course]\n", f"[course]\ndecimals = {decimals}\n", 1))
    checked: dict[str, list[str]] = {}
    try:
        check = long_scores(decimals)
        for who, token in (("instructor", TOKEN), ("marker", marker_token(TOKEN, MARKER))):
            context, page = signed_in(browser, demo["url"], token)
            seeds = ["/", "/students", "/student/chitra", "/request/1"][
                : 4 if who == "instructor" else 1
            ]
            found = crawl(page, demo["url"], seeds, check)
            checked.update({f"{who} {path}": hits for path, hits in found.items()})
            context.close()
    finally:
        toml.write_text(before)
    shapes = {shape(path.split(" ", 1)[1]) for path in checked}
    for kind in ("students", "student", "request", "audit", "mark", "written"):
        assert any(kind in s for s in shapes), f"no {kind} page was reached: {sorted(checked)}"
    long = {
        path: hits
        for path, hits in checked.items()
        if hits and not (decimals != 2 and "feedback" in path)
    }
    assert not long, long


def feedback_pages(graded: Path) -> list[Path]:
    """Every page a student receives: each assignment's feedback.html, each project's marks
    and its checks."""
    return sorted([*graded.glob("*/*/feedback.html"), *graded.glob("*/*-checks.html")])


def focused(page) -> dict:
    return page.evaluate(
        """() => { const e = document.activeElement; const f = e.closest('fieldset');
        return {tag: e.tagName, type: e.type || '', name: e.name || '', id: e.id,
                text: e.textContent.trim().slice(0, 40), level: !!e.closest('.levels'),
                criterion: f ? f.dataset.criterion : null}; }"""
    )


def test_a_marker_marks_a_project_with_the_keyboard_alone(demo, browser):
    blinded(demo["toml"], False)
    student, project = UNMARKED
    context, page = signed_in(browser, demo["url"], marker_token(TOKEN, KEYBOARD_MARKER))
    page.goto(f"{demo['url']}/mark/{project}/CS21B042")
    page.keyboard.press("Tab")
    assert focused(page)["text"] == "Skip to content"  # the first stop on the page
    page.keyboard.press("Enter")
    assert page.evaluate("document.activeElement.id") == "main"
    for _ in range(40):  # to the "next unmarked" link, and follow it
        page.keyboard.press("Tab")
        if focused(page)["id"] == "next-unmarked":
            break
    page.keyboard.press("Enter")
    page.wait_for_url(f"**/mark/{project}/{student}")
    criteria = page.locator("fieldset").evaluate_all("els => els.map(e => e.dataset.criterion)")
    scored, commented = set(), set()
    for _ in range(400):
        page.keyboard.press("Tab")
        now = focused(page)
        if now["level"] and now["criterion"] not in scored:
            page.keyboard.press("Enter")  # the first level: the most points
            scored.add(now["criterion"])
        elif now["tag"] == "TEXTAREA":
            page.keyboard.type(f"by keyboard: {now['criterion']}")
            commented.add(now["criterion"])
        elif now["tag"] == "BUTTON" and now["text"] == "Save all":
            break
    assert scored == commented == set(criteria)
    for criterion in criteria:  # each one said so where a screen reader hears it
        status = page.locator(f"fieldset[data-criterion='{criterion}'] [role=status]")
        playwright_api.expect(status).to_contain_text(f"saved by {KEYBOARD_MARKER}")
    with page.expect_navigation():
        page.keyboard.press("Enter")  # Save all: the comment of the last criterion too
    # On past the rubric: through the report and the notebook's frame, and out of it again.
    left_the_frame = False
    for _ in range(400):
        page.keyboard.press("Tab")
        after = page.evaluate(
            """() => { const frame = document.querySelector('iframe.notebook');
            const now = document.activeElement;
            return now !== frame && !!(frame.compareDocumentPosition(now)
                                       & Node.DOCUMENT_POSITION_FOLLOWING); }"""
        )
        if after:
            left_the_frame = True
            break
    assert left_the_frame, "the keyboard never got past the notebook's frame"
    with CourseBook(demo["graded"] / BOOK_NAME) as book:
        marks = {m.criterion: m for m in book.marks(student, project)}
    assert set(marks) == set(criteria)
    for criterion, mark in marks.items():
        assert mark.marked_by == KEYBOARD_MARKER and mark.source == "web"
        assert mark.comment == f"by keyboard: {criterion}" and mark.points is not None
    context.close()


def test_the_checks_beside_a_criterion_open_from_the_keyboard(demo, browser):
    """Issue 73: the checks of substance a criterion names sit in its fieldset, closed; the
    keyboard opens them, axe finds nothing in them open; the overview sums them up."""
    blinded(demo["toml"], False)
    context, page = signed_in(browser, demo["url"], marker_token(TOKEN, MARKER))
    page.goto(f"{demo['url']}/mark/project1/CS21B042")
    for _ in range(200):
        page.keyboard.press("Tab")
        if page.evaluate("document.activeElement.tagName") == "SUMMARY":
            break
    where = page.evaluate("document.activeElement.closest('fieldset').dataset.criterion")
    assert where == "dataset"  # the first criterion whose rubric names one of them
    page.keyboard.press("Enter")
    details = page.locator("fieldset[data-criterion='dataset'] details.beside")
    playwright_api.expect(details).to_have_attribute("open", "")
    playwright_api.expect(details).to_contain_text("the file read is the one handed in")
    results = page.locator("fieldset[data-criterion='results'] details.beside")
    playwright_api.expect(results).to_contain_text("in no output")  # the LSTM's 19.4
    page.evaluate("document.querySelectorAll('details').forEach(d => d.open = true)")
    assert violations(page) == []
    context.close()
    context, page = signed_in(browser, demo["url"], TOKEN)  # the overview is the instructor's
    page.goto(demo["url"] + "/")
    findings = page.locator("table.findings").first
    playwright_api.expect(findings).to_contain_text("use no LSTM")
    assert violations(page) == []
    context.close()


@pytest.mark.parametrize("blind_on", [False, True], ids=["named", "blind"])
def test_the_marking_pages_headings_go_down_one_level_at_a_time(demo, browser, blind_on):
    """Issue 89 (WCAG 1.3.1): the marking page with the checks beside the rubric, blind or
    not, to the instructor and to a marker: no heading more than one level below the one before
    it (the checks beside a criterion sit under the rubric's h2), by axe's heading-order rule and
    by the headings' own levels, the checks open or closed; and axe's WCAG rules find nothing."""
    blinded(demo["toml"], blind_on)
    try:
        path = f"/mark/project1/{key(demo['graded'], 'project1', 'CS21B042', blind_on)}"
        for token in (TOKEN, marker_token(TOKEN, MARKER)):
            context, page = signed_in(browser, demo["url"], token)
            page.goto(demo["url"] + path)
            assert page.locator("details.beside").count() >= 2  # the checks beside the rubric
            assert heading_jumps(page) == []
            page.evaluate("document.querySelectorAll('details').forEach(d => d.open = true)")
            assert page.locator("details.beside h3").count() >= 2
            assert heading_jumps(page) == [] and violations(page, HEADING_ORDER) == []
            assert violations(page) == []
            context.close()
    finally:
        blinded(demo["toml"], False)  # the demo's course as the other tests find it: named


def test_a_mark_not_saved_is_announced(demo, browser):
    context, page = signed_in(browser, demo["url"], marker_token(TOKEN, KEYBOARD_MARKER))
    page.goto(f"{demo['url']}/mark/project2/CS21B042")
    fieldset = page.locator("fieldset").first
    points = fieldset.locator("input[type=number]")
    points.fill("1000")  # more than the criterion is worth: the dashboard refuses it
    points.press("Tab")
    status = fieldset.locator("[role=status]")
    playwright_api.expect(status).to_contain_text("not saved")
    context.close()


def test_every_page_reflows_at_320_css_pixels(demo, browser):
    blinded(demo["toml"], False)
    context, page = signed_in(browser, demo["url"], TOKEN, width=320)
    paths = ["/", "/students", "/student/CS21B042", "/audit/CS21B042", "/requests", "/request/1"]
    paths += ["/written", "/mark/project1/CS21B042"]
    wide = {}
    for path in paths:
        page.goto(demo["url"] + path)
        wide[path] = sideways_scroll(page)
    for feedback in feedback_pages(demo["graded"]):
        page.goto(feedback.as_uri())
        wide[str(feedback.relative_to(demo["graded"]))] = sideways_scroll(page)
    assert not {path: px for path, px in wide.items() if px > 0}
    page.goto(demo["url"] + "/mark/project1/CS21B042")
    page.screenshot(path=str(demo["base"] / "marking-320.png"), full_page=True)
    rubric = page.locator("#rubric").bounding_box()
    report = page.locator(".pages img").first.bounding_box()
    notebook = page.locator("iframe.notebook").bounding_box()
    assert rubric and report and notebook
    assert report["y"] >= rubric["y"] + rubric["height"]  # under the rubric, not covered
    assert report["width"] >= 250 and notebook["width"] >= 250  # a phone's width, not 2 px
    context.close()


def test_a_histograms_caption_gives_its_figures():
    text = charts.histogram_text([0.4, 0.6, 1.0, 1.0, 0.95])
    assert text == (
        "5 scores, median 95 %, from 40 % to 100 %: "
        "3 in 90\u2013100 %, 1 in 60\u201370 %, 1 in 40\u201350 %."
    )
    assert charts.histogram_text([]) == "No score yet: nothing graded or marked."
    assert 'aria-hidden="true"' in charts.score_histogram([0.5])  # the caption is read instead
