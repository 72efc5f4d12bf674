"""The marker's pages of written answers as students really write them, in chromium, with the
assignment blind (the course is not): names and ids inside tokens and accent-folded redacted
in the text, the pasted image's name and the request's page; a 60,000-character answer reached
whole through its parts, one over the cap with its "cut at" line; a pasted image shown as an
image; an edited answer cell flagged. And regrade requests decided by the marker of their
component, on record, and refused to a marker of another."""

from __future__ import annotations

import base64
import json
import shutil
import subprocess
import sys
from urllib.parse import quote

import pytest
from answers_kit import END, LONG, PASTED, answers_course, leaks, png_bytes
from regrade_kit import add_request
from web_kit import ROOT, TOKEN, log_in, login_cookie, request, serving
from written_kit import QUESTION

from grader.gradebook.course_book import BOOK_NAME
from grader.limits import WEB, WRITTEN
from grader.regrades.book import RequestBook
from grader.web.request_rerun import RERUNS
from grader.web.security import marker_token

playwright_api = pytest.importorskip("playwright.sync_api")

PAGE = f"/written/lstm_gates/{QUESTION}"
KIRAN = "kiran"  # marks lstm_gates (course.toml: markers = ["kiran"])


def _request(out, student: str, component: str, parts: tuple[str, ...], message: str) -> int:
    return add_request(
        out / BOOK_NAME,
        student,
        component,
        parts,
        message,
        identity=f"{student}-{component}",
        received_at="2026-11-20T10:00:00+00:00",
        feedback_sent_at="2026-11-19T10:00:00+00:00",
        window_closes="2026-12-19T10:00:00+00:00",
        message_id="<asked@example.edu>",
        refs="",
        subject="Re: feedback",
        recipient="chitra.rao@example.edu",
    )


@pytest.fixture(scope="module")
def course(tmp_path_factory) -> dict:
    base = tmp_path_factory.mktemp("written-blind-tokens")
    toml, out = answers_course(base, WRITTEN.answer_chars)
    ours = _request(
        out,
        "s1234567",
        "lstm_gates",
        (QUESTION,),
        "Chitra Rao (s1234567) here, see chitra_rao_final.pdf: regrade forget-one please.",
    )
    theirs = _request(out, "EE21B017", "rnn_gradients", ("rnn_forward",), "regrade rnn_forward")
    with serving(
        toml.parent, out, "--add-marker", KIRAN, "--add-marker", "meera", log=base / "serve.log"
    ) as url:
        yield {"url": url, "out": out, "toml": toml, "ours": ours, "theirs": theirs}


def _as(browser, url: str, token: str):
    context = browser.new_context(viewport={"width": 1300, "height": 1000})
    page = context.new_page()
    log_in(page, url, token)  # by the form: a token in an address never logs in
    return context, page


def _everything(page) -> str:
    """The page's markup, its text and every attribute of every element (alt, title, href)."""
    attributes = page.evaluate(
        "() => [...document.querySelectorAll('*')].flatMap(e => [...e.attributes]"
        ".map(a => a.value)).join('\\n')"
    )
    return "\n".join([page.content(), page.inner_text("body"), page.title(), attributes])


def test_a_blind_component_shows_no_name_or_id_inside_any_token(course, browser):
    context, page = _as(browser, course["url"], marker_token(TOKEN, KIRAN))
    try:
        for path in ("/", "/written", "/requests", f"/request/{course['ours']}"):
            page.goto(course["url"] + path)
            assert leaks(_everything(page)) == [], path
        page.goto(course["url"] + PAGE)
        assert leaks(_everything(page)) == []
        assert "[redacted]_gradients.png" in page.inner_text("body")
        further = page.locator("article.answer p.more a")  # the answer over the cap's parts
        assert further.count() > 0
        for link in [a.get_attribute("href") for a in further.all()]:
            page.goto(course["url"] + link)
            assert leaks(_everything(page)) == []
    finally:
        context.close()


def test_a_pasted_image_reaches_the_marker_as_an_image(course, browser):
    context, page = _as(browser, course["url"], marker_token(TOKEN, KIRAN))
    try:
        page.goto(course["url"] + PAGE)
        image = page.locator("img.pasted")
        assert image.count() == 1
        assert image.evaluate("i => i.complete && i.naturalWidth") == 4  # decoded: an image
        assert PASTED not in image.get_attribute("alt")
        src = image.get_attribute("src")
        assert src.startswith("data:image/png;base64,")
        assert base64.b64decode(src.split(",", 1)[1]) == png_bytes()
    finally:
        context.close()


def test_a_60000_character_answer_reaches_the_marker_whole(course, browser):
    context, page = _as(browser, course["url"], TOKEN)
    try:
        page.goto(course["url"] + PAGE)
        article = page.locator("article.answer", has_text=END)
        assert article.count() == 1
        assert article.locator("p.more").count() == 0  # on the question's page, not in parts
        shown = article.locator(".text").inner_text()
        expected = LONG.replace("Zoe Angstrom (me21b099-final)", "[redacted] ([redacted]-final)")
        # every character, in order (paragraphs are laid out by the browser)
        assert "".join(shown.split()) == "".join(expected.split())
        assert shown.rstrip().endswith(END)
    finally:
        context.close()


def test_an_answer_over_the_cap_says_where_it_was_cut(course, browser):
    context, page = _as(browser, course["url"], TOKEN)
    try:
        page.goto(course["url"] + PAGE)
        cap = WRITTEN.answer_chars
        said = f"cut at {cap:,} characters of {cap + 100:,}"
        article = page.locator("article.answer", has_text=said)
        assert article.count() == 1
        parts = -(-cap // WEB.answer_page_chars)
        assert f"Part 1 of {parts}" in article.inner_text()
    finally:
        context.close()


def test_an_edited_answer_cell_is_flagged_with_the_answer_shown(course, browser):
    context, page = _as(browser, course["url"], TOKEN)
    try:
        page.goto(course["url"] + PAGE)
        article = page.locator("article.answer", has_text="Gates multiply.")
        assert "points edited in the notebook" in article.locator("ul.flags").inner_text()
    finally:
        context.close()


def test_the_assignments_blind_switch_hides_the_student_on_the_request_page(course, browser):
    context, page = _as(browser, course["url"], TOKEN)  # even the instructor's page is blind
    try:
        page.goto(f"{course['url']}/requests")
        ours, theirs = (page.locator(f"#request-{course[k]}") for k in ("ours", "theirs"))
        assert leaks(ours.inner_html()) == [] and "(blind marking)" in ours.inner_text()
        assert "Bhavin Shah" in theirs.inner_text()  # rnn_gradients is not blind
        page.goto(f"{course['url']}/request/{course['ours']}")
        assert "Student hidden" in page.inner_text("body")
        assert "regrade forget-one please" in page.inner_text("#message")
        assert leaks(_everything(page)) == []
    finally:
        context.close()


def test_a_blind_request_pages_rerun_output_and_notice_name_no_one(course, browser):
    # what the student's code printed when its cases ran again, and a failed run's last line
    rerun = course["out"] / RERUNS / f"request-{course['ours']}" / "rerun" / "1"
    rerun.mkdir(parents=True)
    said = "returned 'plotChitraRao by s1234567_final', expected 'forget'"
    test = {"name": QUESTION, "status": "failed", "score": 0, "max_score": 2, "output": said}
    (rerun / "results.json").write_text(json.dumps({"tests": [test]}), encoding="utf-8")
    context, page = _as(browser, course["url"], marker_token(TOKEN, KIRAN))
    try:
        notice = quote("the run failed: /srv/source/s1234567/chitra_rao.ipynb: NameError")
        page.goto(f"{course['url']}/request/{course['ours']}?notice={notice}")
        assert "expected 'forget'" in page.inner_text("body")
        assert "NameError" in page.inner_text("body")
        assert leaks(_everything(page).replace(notice, "")) == []
    finally:
        context.close()
        shutil.rmtree(rerun.parent.parent)


def test_the_marker_of_a_component_decides_its_request_on_record(course, browser):
    context, page = _as(browser, course["url"], marker_token(TOKEN, KIRAN))
    try:
        page.goto(f"{course['url']}/requests")
        listed = page.locator("#requests tr[id^=request-]").all_inner_texts()
        assert len(listed) == 1 and "lstm_gates" in listed[0]  # not the other marker's
        page.goto(f"{course['url']}/request/{course['ours']}")
        page.fill(f"input[name=points-{QUESTION}]", "2")
        page.fill("textarea[name=comment]", "Right: f = 1 keeps the cell state.")
        page.click("#accept")
        assert "accepted" in page.inner_text("#state")
        assert f"by {KIRAN}" in page.inner_text("#decision")
        refused = context.request.get(f"{course['url']}/request/{course['theirs']}")
        assert refused.status == 403
        page.goto(f"{course['url']}/request/{course['ours']}")
        csrf = page.locator("input[name=csrf]").first.get_attribute("value")
        posted = context.request.post(
            f"{course['url']}/request/{course['theirs']}/decide",
            form={"csrf": csrf, "decision": "decline", "comment": "no"},
            headers={"Origin": course["url"]},
        )
        assert posted.status == 403 and "does not mark" in posted.text()
    finally:
        context.close()
    with RequestBook(course["out"] / BOOK_NAME) as book:
        assert book.find(number=course["theirs"]).state == "open"
    trail = subprocess.run(
        [sys.executable, "-m", "grader.cli", "audit", "s1234567", "--course", str(course["toml"]),
         "--out", str(course["out"])],
        capture_output=True, text=True, timeout=120, cwd=ROOT,
    )  # fmt: skip
    assert f"by {KIRAN} (regrade)" in trail.stdout, trail.stdout + trail.stderr
    assert QUESTION in trail.stdout


def test_a_marker_marks_only_the_written_answers_course_toml_gives_them(course):
    """lstm_gates lists kiran as its marker: meera may not open or save its answers, and her
    home page and list of written answers leave it out; kiran's show it."""
    url = course["url"]
    meera = [("Cookie", login_cookie(url, marker_token(TOKEN, "meera")))]
    status, _, body = request(url, "GET", PAGE, headers=meera)
    assert status == 403, status
    assert b"meera does not mark lstm_gates" in body and b"Ask the instructor" in body
    part = f"{PAGE}/anything/part/1"
    assert request(url, "GET", part, headers=meera)[0] == 403
    for path in ("/written", "/"):
        status, _, body = request(url, "GET", path, headers=meera)
        assert status == 200 and b"lstm_gates" not in body and b"LSTM gates" not in body, path
    kiran = [("Cookie", login_cookie(url, marker_token(TOKEN, KIRAN)))]
    assert request(url, "GET", PAGE, headers=kiran)[0] == 200
    status, _, body = request(url, "GET", "/written", headers=kiran)
    assert status == 200 and f"/written/lstm_gates/{QUESTION}".encode() in body
    assert b"RNN gradients" not in request(url, "GET", "/", headers=kiran)[2]
