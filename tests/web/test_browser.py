"""`grader serve` in a real browser (Debian's chromium driven by Playwright) on a real course
(:mod:`web_kit`): the sample submissions graded, the sample students' projects collected and
checked, the server started by the CLI inside the pid fence."""

from __future__ import annotations

import json
import sqlite3
import time
import urllib.error
import urllib.request
from pathlib import Path

import nbformat
import pytest
from web_kit import CHROMIUM, CHROMIUM_ARGS, TOKEN, graded_course, log_in, serving

from grader.gradebook.course_book import CourseBook
from grader.gradebook.results import Gradebook

playwright_api = pytest.importorskip("playwright.sync_api")


@pytest.fixture(scope="module")
def course(tmp_path_factory) -> dict:
    """A course folder, its graded output, and a running `grader serve`."""
    base = tmp_path_factory.mktemp("web")
    folder, out = graded_course(base)
    log = base / "serve.log"
    with serving(folder, out, log=log) as url:
        yield {"url": url, "out": out, "folder": folder, "base": base, "log": log}


def logged_in(browser, url: str):
    context = browser.new_context(viewport={"width": 1400, "height": 1000})
    page = context.new_page()
    log_in(page, url)
    return context, page


def test_without_the_token_every_page_is_refused(course):
    for path in (
        "/",
        "/students",
        "/student/asha",
        "/mark/project1",
        "/files/feedback/lstm_gates/asha",
    ):
        with pytest.raises(urllib.error.HTTPError) as refused:
            urllib.request.urlopen(course["url"] + path, timeout=10)
        assert refused.value.code == 403
        assert b"token" in refused.value.read()
    with pytest.raises(urllib.error.HTTPError) as wrong:
        urllib.request.urlopen(course["url"] + "/?token=not-the-token", timeout=10)
    assert wrong.value.code == 403


def test_the_token_logs_in_and_leaves_the_address_bar(course, browser):
    context, page = logged_in(browser, course["url"])
    assert page.url == course["url"] + "/"
    assert "Class overview" in page.inner_text("h1")
    cookie = next(c for c in context.cookies() if c["name"] == "grader_session")
    assert cookie["httpOnly"] and cookie["sameSite"] == "Strict"
    context.close()


def test_a_token_in_the_login_pages_address_does_not_log_in(course, browser):
    context = browser.new_context()
    page = context.new_page()
    answer = page.goto(f"{course['url']}/login?token={TOKEN}&next=/students")
    assert answer is not None and answer.status == 403
    assert "A token in an address does not log in" in page.inner_text("body")
    assert "grader_session" not in {c["name"] for c in context.cookies()}
    page.fill("input[type=password]", TOKEN)  # the form goes on where the link pointed
    with page.expect_navigation():
        page.press("input[type=password]", "Enter")
    assert page.url == course["url"] + "/students"
    context.close()


def test_a_token_link_taken_from_the_browsers_history_does_not_log_in(course, browser, tmp_path):
    """A shared lab machine: someone opened an old bookmark carrying the token, then logged in.
    The next person reads the browser profile's history database and opens what it holds."""
    profile = tmp_path / "profile"
    context = browser.browser_type.launch_persistent_context(
        str(profile), executable_path=str(CHROMIUM), args=CHROMIUM_ARGS
    )
    page = context.new_page()
    page.goto(f"{course['url']}/students?token={TOKEN}")
    page.fill("input[type=password]", TOKEN)
    with page.expect_navigation():
        page.press("input[type=password]", "Enter")
    assert page.url == course["url"] + "/students"
    context.close()  # writes the history database
    with sqlite3.connect(profile / "Default" / "History") as history:
        visited = [url for (url,) in history.execute("SELECT url FROM urls")]
    with_token = [url for url in visited if TOKEN in url]
    assert with_token, visited  # the browser keeps the address as opened: no server removes it
    stranger = browser.new_context()
    for url in with_token:
        intruder = stranger.new_page()
        answer = intruder.goto(url)
        assert answer is not None and answer.status == 403, url
        assert intruder.locator("input[type=password]").count() == 1  # the login form
        assert "Class overview" not in intruder.inner_text("body")
        assert intruder.goto(course["url"] + "/students").status == 403
    assert "grader_session" not in {c["name"] for c in stranger.cookies()}
    stranger.close()


def test_overview_shows_the_class_and_its_common_mistakes(course, browser):
    context, page = logged_in(browser, course["url"])
    card = page.locator("#component-lstm_gates")
    text = card.inner_text()
    assert "5 graded" in text.replace("\n", " ")
    # asha..esha were graded; CS21B042, EE21B017 and frank sent nothing for this assignment.
    assert "3 missing" in text.replace("\n", " ")
    assert card.locator("svg").count() == 1
    mistakes = card.locator("table.mistakes").inner_text()
    assert "tanh-for-sigmoid" in mistakes and "bhavin" in mistakes
    assert "o-times-C" in mistakes and "chitra" in mistakes
    page.screenshot(path=str(course["base"] / "overview.png"), full_page=True)
    context.close()


def test_student_page_escapes_names_and_links_feedback(course, browser):
    context, page = logged_in(browser, course["url"])
    page.goto(course["url"] + "/student/bhavin")
    assert "Bhavin <b>Shah</b>" in page.inner_text("h1")  # shown as text, not bold markup
    assert page.locator("h1 b").count() == 0
    with page.expect_navigation():  # the page read is the feedback's, not the one leaving
        page.click("text=feedback page")
    assert "/files/feedback/lstm_gates/bhavin" in page.url
    assert "forget_gate" in page.content()
    context.close()


def fill_rubric(page, choose: int = 0) -> None:
    """Click the level ``choose`` of every criterion and wait until each is saved."""
    for fieldset in page.locator("fieldset").all():
        fieldset.locator(".levels li").nth(choose).click()
        playwright_api.expect(fieldset.locator(".status")).to_contain_text("saved by prof-a")


def test_marking_a_project_changes_the_overview(course, browser):
    context, page = logged_in(browser, course["url"])
    page.goto(course["url"] + "/mark/project1")
    student = page.url.rsplit("/", 1)[1]
    assert student == "asha"  # the first unmarked student in the roster's order
    page.goto(course["url"] + "/mark/project1/CS21B042")
    assert page.locator(".pages img").count() >= 1  # the report's pages, rendered
    frame = page.locator("iframe.notebook")
    assert frame.get_attribute("sandbox") == ""
    fill_rubric(page)
    page.screenshot(path=str(course["base"] / "marking.png"), full_page=True)
    with CourseBook(course["out"] / "gradebook.sqlite") as book:
        marks = book.marks("CS21B042", "project1")
    assert marks and all(m.marked_by == "prof-a" and m.source == "web" for m in marks)
    page.goto(course["url"] + "/")
    assert "1 fully marked" in page.locator("#component-project1").inner_text().replace("\n", " ")
    context.close()


def test_keyboard_goes_to_the_next_unmarked_student(course, browser):
    context, page = logged_in(browser, course["url"])
    page.goto(course["url"] + "/mark/project1/asha")
    page.keyboard.press("n")
    page.wait_for_url("**/mark/project1/bhavin")
    context.close()


def test_two_browsers_marking_at_once_lose_nothing(course, browser):
    first, page_a = logged_in(browser, course["url"])
    second, page_b = logged_in(browser, course["url"])
    for page in (page_a, page_b):
        page.goto(course["url"] + "/mark/project1/EE21B017")
    criteria = page_a.locator("fieldset").evaluate_all("els => els.map(e => e.dataset.criterion)")
    one, two = criteria[0], criteria[1]
    page_a.fill(f"input[name='points:{one}']", "1")
    page_a.locator(f"input[name='points:{one}']").dispatch_event("change")
    playwright_api.expect(
        page_a.locator(f"fieldset[data-criterion='{one}'] .status")
    ).to_contain_text("saved")
    page_b.fill(f"input[name='points:{two}']", "2")
    page_b.locator(f"input[name='points:{two}']").dispatch_event("change")
    playwright_api.expect(
        page_b.locator(f"fieldset[data-criterion='{two}'] .status")
    ).to_contain_text("saved")
    # B's page is stale for criterion one; its "Save all" must not overwrite A's mark.
    page_b.click("button[type=submit]")
    page_b.wait_for_load_state()
    # Both save the same criterion: the later one wins, both stay in the history.
    page_a.fill(f"input[name='points:{two}']", "3")
    page_a.locator(f"input[name='points:{two}']").dispatch_event("change")
    playwright_api.expect(
        page_a.locator(f"fieldset[data-criterion='{two}'] .status")
    ).to_contain_text("saved")
    with CourseBook(course["out"] / "gradebook.sqlite") as book:
        current = {m.criterion: m.points for m in book.marks("EE21B017", "project1")}
        history = [m.points for m in book.mark_history("EE21B017", "project1", two)]
    assert current[one] == 1 and current[two] == 3
    assert history == [2, 3]
    first.close()
    second.close()


def test_posts_without_the_csrf_token_or_from_another_site_are_refused(course, browser):
    context, page = logged_in(browser, course["url"])
    body = {"student": "asha", "component": "project1", "criterion": "introduction", "points": "5"}
    plain = page.request.post(
        course["url"] + "/api/mark",
        data=json.dumps(body),
        headers={"Content-Type": "application/json"},
    )
    assert plain.status == 403
    csrf = page.locator("meta[name=csrf-token]").get_attribute("content")
    foreign = page.request.post(
        course["url"] + "/api/mark",
        data=json.dumps(body),
        headers={
            "Content-Type": "application/json",
            "X-CSRF-Token": csrf,
            "Origin": "http://evil.example",
        },
    )
    assert foreign.status == 403
    good = page.request.post(
        course["url"] + "/api/mark",
        data=json.dumps(body),
        headers={"Content-Type": "application/json", "X-CSRF-Token": csrf},
    )
    assert good.status == 200, good.text()
    context.close()


def test_student_html_never_runs_in_the_instructors_browser(course, browser):
    # A hand-in whose notebook outputs script and HTML, as a hostile student would write it.
    checks_folder = course["out"]
    with CourseBook(checks_folder / "gradebook.sqlite") as book:
        latest = book.latest_checks("CS21B042", "project1")[0]
    notebook_path = Path(latest.checks["files"]["notebook"])
    nb = nbformat.read(notebook_path, as_version=4)
    nb.cells[0].outputs = [
        nbformat.v4.new_output(
            "display_data",
            data={
                "text/html": "<script>parent.document.title='pwned'</script>"
                "<img src=x onerror=\"parent.document.title='pwned'\">"
            },
        )
    ]
    nbformat.write(nb, notebook_path)
    context, page = logged_in(browser, course["url"])
    answer = page.request.get(course["url"] + "/files/notebook/project1/CS21B042")
    assert "sandbox" in answer.headers["content-security-policy"]
    page.goto(course["url"] + "/mark/project1/CS21B042")
    page.wait_for_timeout(1500)
    assert page.title() != "pwned"
    context.close()


def test_save_all_keeps_a_typed_comment_after_a_reload(course, browser):
    context, page = logged_in(browser, course["url"])
    page.goto(course["url"] + "/mark/project1/dhaval")
    criterion = page.locator("fieldset").first.get_attribute("data-criterion")
    page.fill(f"input[name='points:{criterion}']", "1")
    comment = "Clear motivation; the second figure needs axis labels."
    page.fill(f"textarea[name='comment:{criterion}']", comment)
    with page.expect_navigation():
        page.click("button[type=submit]")  # "Save all", as the marker clicks it
    page.reload()
    assert page.input_value(f"textarea[name='comment:{criterion}']") == comment
    assert page.input_value(f"input[name='points:{criterion}']") == "1.0"
    with CourseBook(course["out"] / "gradebook.sqlite") as book:
        saved = {m.criterion: m for m in book.marks("dhaval", "project1")}
    assert saved[criterion].comment == comment
    context.close()


class SlowNetwork:
    """Holds the marking page's saves (``/api/mark``) on their way, as a network that answers
    late, until :meth:`answer`."""

    def __init__(self, page):
        self.page, self.held, self.holding = page, [], True
        page.route("**/api/mark", self._arrived)

    def _arrived(self, route) -> None:
        if self.holding:
            self.held.append(route)
        else:
            route.continue_()

    def on_their_way(self) -> int:
        """How many saves are held, once the first is (late on a busy machine) and whatever
        else the page would send with it had time to."""
        for _ in range(600):
            if self.held:
                break
            self.page.wait_for_timeout(100)
        self.page.wait_for_timeout(500)
        return len(self.held)

    def answer(self) -> None:
        """Let the held saves through, and every save after them."""
        self.holding = False
        while self.held:
            self.held.pop(0).continue_()


def _marking_dhaval(course: dict, browser, nth: int) -> tuple:
    """A marker's browser context on dhaval's project page, the page, and its ``nth``
    criterion (each test its own, on one course)."""
    context, page = logged_in(browser, course["url"])
    page.goto(course["url"] + "/mark/project1/dhaval")
    return context, page, page.locator("fieldset").nth(nth).get_attribute("data-criterion")


def _current_and_history(out: Path, student: str, criterion: str) -> tuple[tuple, list[tuple]]:
    with CourseBook(out / "gradebook.sqlite") as book:
        current = {m.criterion: m for m in book.marks(student, "project1")}[criterion]
        history = book.mark_history(student, "project1", criterion)
    return (current.points, current.comment), [(m.points, m.comment) for m in history]


def test_save_all_is_posted_only_once_the_saves_on_their_way_are_answered(course, browser):
    # Moving from the points to the comment saves the points with no comment yet. On a slow
    # network that save is still on its way when the marker clicks "Save all": were both sent
    # side by side, the server could record the comment-less one last.
    context, page, criterion = _marking_dhaval(course, browser, 1)
    network = SlowNetwork(page)
    posted: list[str] = []
    page.on("request", lambda r: posted.append(r.url) if r.method == "POST" else None)
    page.fill(f"input[name='points:{criterion}']", "2")
    comment = "The problem statement names no baseline to beat."
    page.fill(f"textarea[name='comment:{criterion}']", comment)
    page.click("button[type=submit]", no_wait_after=True)
    assert network.on_their_way() == 1  # the points' save; the comment's waits behind it
    assert [url for url in posted if "/api/" not in url] == []  # "Save all" waits too
    with page.expect_navigation():
        network.answer()
    current, history = _current_and_history(course["out"], "dhaval", criterion)
    assert current == (2, comment) and history == [(2, ""), (2, comment)]
    assert page.input_value(f"textarea[name='comment:{criterion}']") == comment
    context.close()


def test_the_next_student_link_waits_for_the_saves_on_their_way(course, browser):
    context, page, criterion = _marking_dhaval(course, browser, 2)
    network = SlowNetwork(page)
    page.fill(f"input[name='points:{criterion}']", "1")
    comment = "Say which figure shows the exploding gradient."
    page.fill(f"textarea[name='comment:{criterion}']", comment)
    page.click("#next-unmarked", no_wait_after=True)
    assert network.on_their_way() == 1
    assert page.url.endswith("/mark/project1/dhaval")  # still here: a save is on its way
    with page.expect_navigation():
        network.answer()
    assert not page.url.endswith("/dhaval")
    current, history = _current_and_history(course["out"], "dhaval", criterion)
    assert current == (1, comment) and history == [(1, ""), (1, comment)]
    context.close()


def test_the_next_student_link_stays_while_a_save_is_refused(course, browser):
    context, page, criterion = _marking_dhaval(course, browser, 4)
    fieldset = page.locator(f"fieldset[data-criterion='{criterion}']")
    most = float(page.get_attribute(f"input[name='points:{criterion}']", "max"))
    page.fill(f"input[name='points:{criterion}']", f"{most + 1:g}")  # past the rubric's points
    page.click("#next-unmarked")
    playwright_api.expect(fieldset.locator(".status")).to_contain_text("not saved:")
    page.wait_for_timeout(500)
    assert page.url.endswith("/mark/project1/dhaval")  # the reason stays in view
    page.fill(f"input[name='points:{criterion}']", f"{most:g}")
    with page.expect_navigation():
        page.click("#next-unmarked")
    assert not page.url.endswith("/dhaval")
    current, _ = _current_and_history(course["out"], "dhaval", criterion)
    assert current == (most, "")
    context.close()


def test_leaving_another_way_while_a_save_is_on_its_way_asks_first(course, browser):
    context, page, criterion = _marking_dhaval(course, browser, 3)
    network = SlowNetwork(page)
    page.fill(f"input[name='points:{criterion}']", "1")
    page.locator(f"input[name='points:{criterion}']").dispatch_event("change")
    assert network.on_their_way() == 1
    asked: list[str] = []
    page.on("dialog", lambda dialog: (asked.append(dialog.type), dialog.dismiss()))
    page.click("nav a[href='/students']", no_wait_after=True)
    page.wait_for_timeout(500)
    assert asked == ["beforeunload"] and page.url.endswith("/mark/project1/dhaval")
    network.answer()
    status = page.locator(f"fieldset[data-criterion='{criterion}'] .status")
    playwright_api.expect(status).to_contain_text("saved by")
    with page.expect_navigation():
        page.click("nav a[href='/students']")  # nothing on its way: it leaves unasked
    assert asked == ["beforeunload"] and page.url.endswith("/students")
    context.close()


def test_the_token_leaves_no_trace_in_the_browsers_history(course, browser, tmp_path):
    # The banner `grader serve` printed: an address, and the token apart from it.
    banner = course["log"].read_text()
    address = next(w for w in banner.split() if w.startswith("http://"))
    assert TOKEN not in address
    profile = tmp_path / "profile"  # a browser profile of its own, with a history database
    context = browser.browser_type.launch_persistent_context(
        str(profile), executable_path=str(CHROMIUM), args=CHROMIUM_ARGS
    )
    page = context.new_page()
    page.goto(address)
    page.fill("input[type=password]", TOKEN)
    with page.expect_navigation():
        page.press("input[type=password]", "Enter")
    assert "Class overview" in page.inner_text("h1")
    page.goto(course["url"] + "/students")
    context.close()  # writes the history database
    with sqlite3.connect(profile / "Default" / "History") as history:
        visited = [url for (url,) in history.execute("SELECT url FROM urls")]
    assert visited and not [url for url in visited if TOKEN in url or "token=" in url]


def test_regrade_runs_in_the_background_and_keeps_the_history(course, browser):
    context, page = logged_in(browser, course["url"])
    page.goto(course["url"] + "/student/chitra")
    started = time.monotonic()
    page.click("#part-lstm_gates button")
    print(f"the page answered in {time.monotonic() - started:.1f} s")
    # The page answers at once with the job's state, and reloads itself until it ends.
    assert "queued" in page.locator(".flash.notice").inner_text()
    status = page.locator("#regrade-lstm_gates")
    playwright_api.expect(status).to_contain_text("done", timeout=600_000)
    assert "regraded" in status.inner_text()
    with Gradebook(course["out"] / "lstm_gates" / "gradebook.sqlite") as book:
        assert len(book.history("chitra")) == 2
    page.screenshot(path=str(course["base"] / "student.png"), full_page=True)
    context.close()
