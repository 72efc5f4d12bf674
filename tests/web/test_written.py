"""Marking written answers in `grader serve`, blind: in chromium, every roster name, id and
address searched for in each page; marks saved with who and when, counted in `grader final`;
the marks so far and the comments most used; a reveal logged; the CSV round trip."""

from __future__ import annotations

import csv
import subprocess
import sys
from urllib.parse import parse_qs, urlencode

import pytest
from web_kit import TOKEN, log_in, request, serving
from written_kit import QUESTION, ROOT, ROSTER, SCHEME_WORDS, leaks_of, written_course

from grader.gradebook.course_book import CourseBook
from grader.marking import blind
from grader.web.security import marker_token

playwright_api = pytest.importorskip("playwright.sync_api")

PAGE = f"/written/lstm_gates/{QUESTION}"
MARKER = "kiran"  # a marker's token of their own (grader serve --add-marker)


def grader(*args: str) -> subprocess.CompletedProcess:
    done = subprocess.run(
        [sys.executable, "-m", "grader.cli", *args], capture_output=True, text=True, cwd=ROOT
    )
    assert done.returncode == 0, done.stderr
    return done


@pytest.fixture(scope="module")
def course(tmp_path_factory) -> dict:
    base = tmp_path_factory.mktemp("written-web")
    toml, out = written_course(base, blind=True)
    with serving(toml.parent, out, "--add-marker", MARKER, log=base / "serve.log") as url:
        yield {"url": url, "out": out, "toml": toml, "base": base}


def opened(browser, url: str, path: str):
    context = browser.new_context(viewport={"width": 1300, "height": 1000})
    page = context.new_page()
    log_in(page, url)
    page.goto(url + path)
    return context, page


def leaks(html: str) -> list[str]:
    return leaks_of(ROSTER, html)


def test_blind_pages_show_pseudonyms_never_a_name_id_or_address(course, browser):
    context, page = opened(browser, course["url"], "/written")
    try:
        assert leaks(page.content()) == []
        page.click(f"text={QUESTION}")
        page.wait_for_url(f"**{PAGE}")
        html = page.content()
        assert leaks(html) == [], "a roster word reached the blind page"
        assert leaks(page.inner_text("body")) == []
        labels = page.locator("article.answer h3").all_inner_texts()
        assert len(labels) == 3 and all(label.startswith("Student ") for label in labels)
        # stable: the same student has the same pseudonym on the next load
        page.reload()
        assert page.locator("article.answer h3").all_inner_texts() == labels
        # Asha's signed answer is redacted, its math set as images with their TeX as text
        assert "[redacted]" in html
        assert page.locator("article.answer img[alt*='C_{t-1}']").count() == 2
        assert SCHEME_WORDS in html
        # and as a marker prints it: pdftotext of the page finds no roster word either
        pdf = course["base"] / "blind-page.pdf"
        page.pdf(path=str(pdf))
        printed = subprocess.run(["pdftotext", str(pdf), "-"], capture_output=True, text=True)
        assert "Student " in printed.stdout and leaks(printed.stdout) == []
    finally:
        context.close()


def mark(page, number: int, points: str, comment: str) -> None:
    article = page.locator("article.answer").nth(number)
    article.locator("input[type=number]").fill(points)
    article.locator("textarea").fill(comment)


def test_two_markers_on_one_question_lose_nothing_and_totals_flow(course, browser):
    first, page_a = opened(browser, course["url"], PAGE)
    second, page_b = opened(browser, course["url"], PAGE)
    try:
        # both opened the page before either saved: each saves only what they changed
        mark(page_a, 0, "2", "Right: the cell state is kept.")
        mark(page_b, 1, "1", "Right: the cell state is kept.")
        page_a.click("button[type=submit]")
        with page_b.expect_request(lambda r: r.method == "POST") as posted:
            page_b.click("button[type=submit]")
        page_b.wait_for_url("**saved=1")
        # the page sends only the answer its marker changed (a big class stays a small form)
        sent = parse_qs(posted.value.post_data or "")
        (points,) = [k for k in sent if k.startswith("points:")]
        assert "comment:" + points.removeprefix("points:") in sent
        text = page_b.inner_text("#summary")
        assert "2 of 3 marked" in text
        assert "Right: the cell state is kept. × 2" in text  # the comment most used
        cells = page_b.locator("#distribution td.num").all_inner_texts()
        assert cells == ["1", "1", "2", "1"]  # one student with 1 point, one with 2
    finally:
        first.close()
        second.close()
    with CourseBook(course["out"] / "gradebook.sqlite") as book:
        marks = [
            m for m in book.marks(component="lstm_gates") if m.criterion == f"written:{QUESTION}"
        ]
    assert len(marks) == 2 and {m.marked_by for m in marks} == {"prof-a"}
    assert all(m.marked_at for m in marks)
    final = grader("final", "--course", str(course["toml"]), "--out", str(course["out"]))
    assert f"written answers not marked yet ({QUESTION})" in final.stdout  # the third student


def test_a_reveal_names_the_student_and_is_logged(course):
    shown = blind.pseudonym(course["out"], "lstm_gates", "CS21B042")
    said = grader(
        "written",
        "reveal",
        "lstm_gates",
        shown,
        "--course",
        str(course["toml"]),
        "--out",
        str(course["out"]),
        "--by",
        "prof-b",
    )
    assert "Asha Verma (CS21B042)" in said.stdout
    assert [(r[0], r[2], r[3]) for r in blind.reveals(course["out"])] == [
        ("lstm_gates", "CS21B042", "prof-b")
    ]


def test_written_marks_export_and_import_as_csv(course, tmp_path):
    path = tmp_path / "written.csv"
    common = ("--course", str(course["toml"]), "--out", str(course["out"]))
    grader("written", "export", "lstm_gates", str(path), *common)
    rows = list(csv.DictReader(path.open()))
    assert [r["student"] for r in rows] == ["CS21B042", "EE21B017", "ME21B099"]
    marked = [r for r in rows if r[QUESTION]]
    assert len(marked) == 2 and sum(float(r["total"]) for r in rows) == 3  # as saved on the page
    (unmarked,) = [r for r in rows if not r[QUESTION]]
    unmarked[QUESTION], unmarked[f"{QUESTION} comment"] = "0.5", "Not answered in words."
    with path.open("w", newline="") as handle:
        writer = csv.DictWriter(handle, fieldnames=list(rows[0]))
        writer.writeheader()
        writer.writerows(rows)
    said = grader("written", "import", "lstm_gates", str(path), *common, "--by", "ta-c")
    assert "applied 1 changed marks" in said.stdout
    final = grader("final", *common)
    assert "written answers not marked yet" not in final.stdout


def test_a_markers_written_mark_records_the_markers_name_and_the_audit_is_refused(course):
    """Runs last: it changes the third student's mark, which the CSV test imported."""
    key = blind.pseudonym(course["out"], "lstm_gates", "ME21B099").split()[-1]
    with CourseBook(course["out"] / "gradebook.sqlite") as book:
        (now,) = [m for m in book.marks("ME21B099", "lstm_gates")]
    form = {
        f"points:{key}": "1",
        f"comment:{key}": "Say what f = 1 keeps.",
        f"was:points:{key}": f"{now.points:g}",
        f"was:comment:{key}": now.comment,
    }
    headers = [
        ("Authorization", f"token {marker_token(TOKEN, MARKER)}"),
        ("Content-Type", "application/x-www-form-urlencoded"),
    ]
    status, _, _ = request(course["url"], "POST", PAGE, urlencode(form).encode(), headers)
    assert status == 303
    with CourseBook(course["out"] / "gradebook.sqlite") as book:
        (saved,) = [m for m in book.marks("ME21B099", "lstm_gates")]
    assert (saved.points, saved.marked_by) == (1, MARKER)
    status, _, body = request(course["url"], "GET", "/audit.csv", headers=headers[:1])
    assert status == 403 and b"Only the instructor" in body
