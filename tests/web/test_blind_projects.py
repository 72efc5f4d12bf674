"""Project reports marked blind, by a marker with a token of their own (issue 39): in chromium,
every roster name, id and address searched for in the page, its address, its title, its
notebook, and under the report's painted boxes; a scanned page flagged, not shown to markers;
marks landing on the right student with the marker's name; what only the instructor may do
answered 403 for the marker."""

from __future__ import annotations

import json
import re
import subprocess
import xml.etree.ElementTree as ElementTree
from pathlib import Path

import nbformat
import pytest
from PIL import Image
from web_kit import (
    CHROMIUM,
    CHROMIUM_ARGS,
    ROSTER,
    TOKEN,
    graded_course,
    log_in,
    request,
    serving,
)
from written_kit import leaks_of

from grader.gradebook.course_book import BOOK_NAME, CourseBook
from grader.marking import blind
from grader.web.security import marker_token

playwright_api = pytest.importorskip("playwright.sync_api")

MARKER = "kiran"
MARKER_TOKEN = marker_token(TOKEN, MARKER)
OTHER = "meera"  # a marker of the course, not of project1
SIGNED = "CS21B042"  # Asha Verma: her report's title block names her and her id
SCANNED = "EE21B017"  # his first report replaced by a scan of it: no text layer
XHTML = "{http://www.w3.org/1999/xhtml}"
SIGNATURE = (
    "Asha Verma (CS21B042, asha.verma@example.edu), "
    "[open in Colab](https://colab.research.google.com/drive/1hT3kQ9xWm2Lr8ZpA5nVb0cY)"
)


def sign_and_scan(submissions: Path) -> None:
    """CS21B042 signs her notebook's first cell, with her Colab link, as students do;
    EE21B017's first report is made as a scanner makes it: page images, no text layer."""
    folder = submissions / SIGNED
    project = json.loads((folder / "manifest.json").read_text())["projects"][0]
    notebook = nbformat.read(folder / project["notebook"], as_version=4)
    notebook.cells[0].source += f"\n\nby {SIGNATURE}"
    nbformat.write(notebook, folder / project["notebook"])
    folder = submissions / SCANNED
    project = json.loads((folder / "manifest.json").read_text())["projects"][0]
    pdf = folder / project["report"]
    subprocess.run(["pdftoppm", "-png", "-r", "60", str(pdf), str(folder / "scan")], check=True)
    pages = [Image.open(p).convert("RGB") for p in sorted(folder.glob("scan-*.png"))]
    pages[0].save(pdf, save_all=True, append_images=pages[1:])
    for page in folder.glob("scan-*.png"):
        page.unlink()


@pytest.fixture(scope="module")
def course(tmp_path_factory) -> dict:
    base = tmp_path_factory.mktemp("blind-projects")
    folder, out = graded_course(base, plant=sign_and_scan)
    toml = folder / "course.toml"
    # the last table: project1, blind and marked by MARKER only
    toml.write_text(toml.read_text() + f"blind = true\nmarkers = [{MARKER!r}]\n")
    log = base / "serve.log"
    with serving(folder, out, "--add-marker", MARKER, "--add-marker", OTHER, log=log) as url:
        yield {"url": url, "out": out, "base": base, "log": log}


@pytest.fixture(scope="module")
def browser():
    with playwright_api.sync_playwright() as p:
        launched = p.chromium.launch(executable_path=str(CHROMIUM), args=CHROMIUM_ARGS)
        yield launched
        launched.close()


def session(browser, url: str, token: str):
    context = browser.new_context(viewport={"width": 1400, "height": 1000})
    page = context.new_page()
    log_in(page, url, token)
    return context, page


def key_of(course: dict, student: str) -> str:
    return blind.pseudonym(course["out"], "project1", student).split()[-1]


def report_of(course: dict, student: str) -> Path:
    with CourseBook(course["out"] / BOOK_NAME) as book:
        return Path(book.latest_checks(student, "project1")[0].checks["files"]["report"])


def leaks(text: str) -> list[str]:
    return leaks_of(ROSTER, text)


def named_boxes(pdf: Path) -> list[tuple[int, float, float, list[tuple[float, ...]]]]:
    """(page, width, height, boxes) of the PDF's words that are a roster word, read anew
    from the text layer (the test's own reading, not the product's)."""
    words = {w.lower() for w in re.findall(r"[\w.@]+", ROSTER.split("\n", 1)[1]) if len(w) > 1}
    words -= {"staff", "ta", "kiran", "rao", "example.edu", "b"}  # the TA's row, markup
    text = subprocess.run(
        ["pdftotext", "-bbox-layout", str(pdf), "-"], capture_output=True, check=True
    ).stdout
    found = []
    for number, page in enumerate(ElementTree.fromstring(text).iter(f"{XHTML}page"), start=1):
        boxes = [
            tuple(float(w.get(k)) for k in ("xMin", "yMin", "xMax", "yMax"))
            for w in page.iter(f"{XHTML}word")
            if (w.text or "").strip(".,;:()").lower() in words
        ]
        found.append((number, float(page.get("width")), float(page.get("height")), boxes))
    return found


def test_a_blind_report_shows_a_pseudonym_and_its_names_are_painted_over(course, browser):
    context, page = session(browser, course["url"], MARKER_TOKEN)
    try:
        page.goto(course["url"] + "/mark/project1")  # the first unmarked, by pseudonym
        students = [row.split(",")[0] for row in ROSTER.splitlines()[1:] if "staff" not in row]
        assert page.url.rsplit("/", 1)[-1] in {key_of(course, s) for s in students}
        key = key_of(course, SIGNED)
        page.goto(f"{course['url']}/mark/project1/{key}")
        assert leaks(page.url) == [] and leaks(page.title()) == []
        assert f"Student {key}" in page.inner_text("h1")
        assert leaks(page.content()) == [] and leaks(page.inner_text("body")) == []
        notebook = page.frame_locator("iframe.notebook").locator("body")
        assert "[redacted]" in notebook.inner_text()  # the first cell, and the Colab link
        assert leaks(notebook.inner_text()) == []
        frame = next(f for f in page.frames if "/files/notebook/" in f.url)
        assert leaks(frame.content()) == [] and leaks(frame.url) == []
        assert "colab.research" not in frame.content()
        assert page.locator("a[href$='report.pdf']").count() == 0  # the PDF as handed in
        assert page.locator("#reveal").count() == 0  # the instructor's only
        images = page.locator(".pages img")
        pages = named_boxes(report_of(course, SIGNED))
        assert images.count() == len(pages)
        assert sum(len(boxes) for *_, boxes in pages) >= 2  # the title block: name and id
        for number, width, height, boxes in pages:
            src = images.nth(number - 1).get_attribute("src")
            assert src and leaks(src) == []
            png = context.request.get(course["url"] + src)
            assert png.ok
            shot = course["base"] / f"redacted-{number}.png"
            shot.write_bytes(png.body())
            image = Image.open(shot).convert("RGB")
            sx, sy = image.width / width, image.height / height
            for x0, y0, x1, y1 in boxes:  # every pixel under a name's box is painted
                for x in range(int(x0 * sx) + 1, int(x1 * sx)):
                    for y in range(int(y0 * sy) + 1, int(y1 * sy)):
                        assert image.getpixel((x, y)) == (0, 0, 0), (number, x0, y0)
    finally:
        context.close()


def test_marks_saved_on_a_blind_page_land_on_the_student_with_the_markers_name(course, browser):
    context, page = session(browser, course["url"], MARKER_TOKEN)
    try:
        page.goto(f"{course['url']}/mark/project1/{key_of(course, SIGNED)}")
        fieldset = page.locator("fieldset").first
        criterion = fieldset.get_attribute("data-criterion")
        fieldset.locator("input[type=number]").fill("2")
        fieldset.locator("input[type=number]").dispatch_event("change")
        status = fieldset.locator(".status")
        playwright_api.expect(status).to_contain_text(f"saved by {MARKER}")
    finally:
        context.close()
    with CourseBook(course["out"] / BOOK_NAME) as book:
        (saved,) = [m for m in book.marks(SIGNED, "project1") if m.criterion == criterion]
        assert saved.points == 2 and saved.marked_by == MARKER
        assert not [m for m in book.marks(SCANNED, "project1") if m.criterion == criterion]


def test_a_scanned_report_is_flagged_and_kept_from_the_marker(course, browser):
    key = key_of(course, SCANNED)
    for token, sees in ((MARKER_TOKEN, False), (TOKEN, True)):
        context, page = session(browser, course["url"], token)
        try:
            page.goto(f"{course['url']}/mark/project1/{key}")
            warning = page.inner_text("#unverified")
            assert "no text layer" in warning and "redaction is not assured" in warning
            assert (page.locator(".pages img").count() > 0) is sees
            png = context.request.get(f"{course['url']}/files/report/project1/{key}/1.png")
            assert png.status == (200 if sees else 403)
        finally:
            context.close()


def as_marker(course: dict, method: str, path: str, token: str = MARKER_TOKEN):
    return request(course["url"], method, path, headers=[("Authorization", f"token {token}")])


def test_a_marker_is_refused_what_is_the_instructors(course):
    key = key_of(course, SIGNED)
    for method, path in (
        ("GET", "/students"),
        ("GET", "/student/asha"),
        ("GET", "/audit/asha"),
        ("GET", "/audit.csv"),
        ("POST", f"/mark/project1/{key}/reveal"),
        ("POST", "/student/asha/regrade/lstm_gates"),
    ):
        status, _, body = as_marker(course, method, path)
        assert status == 403, (method, path, status)
        assert b"Only the instructor can do that" in body and MARKER.encode() in body
    pdf = f"/files/report/project1/{key}/report.pdf"  # the names, unredacted
    status, _, body = as_marker(course, "GET", pdf)
    assert status == 403 and b"redacted pages on the marking page" in body
    assert as_marker(course, "GET", pdf, TOKEN)[0] == 200
    status, _, body = as_marker(course, "GET", "/")
    assert status == 200 and b"Mark Project 1" in body and b"Students</a>" not in body
    assert as_marker(course, "GET", "/students", TOKEN)[0] == 200
    assert blind.reveals(course["out"]) == []  # the marker's reveal was refused before it ran


def test_the_instructor_reveals_and_the_reveal_is_logged(course):
    key = key_of(course, SIGNED)
    status, _, body = as_marker(course, "POST", f"/mark/project1/{key}/reveal", TOKEN)
    assert status == 200 and b"Asha Verma (CS21B042)" in body
    ((component, shown, student, by, _),) = blind.reveals(course["out"])
    assert (component, shown, student) == ("project1", f"Student {key}", SIGNED)
    assert by == "prof-a"
    # an id in a blind address is no page: the address would tie the id to the page
    assert as_marker(course, "GET", f"/mark/project1/{SIGNED}", TOKEN)[0] == 404


def test_the_students_page_links_their_blind_marking_page_by_its_pseudonym(course):
    """The instructor's page of a student links each project's marking page: on a blind
    project by the pseudonym (an id in a blind address is no page), and the link answers."""
    status, _, body = as_marker(course, "GET", f"/student/{SIGNED}", TOKEN)
    assert status == 200
    links = re.findall(r'href="(/mark/[^"]+)"', body.decode())
    assert f"/mark/project1/{key_of(course, SIGNED)}" in links
    for link in (link for link in links if link.count("/") == 3):  # a student's, not "next"
        assert as_marker(course, "GET", link, TOKEN)[0] == 200, link


def test_a_marker_not_listed_for_the_project_may_not_mark_it(course, browser):
    """project1's ``markers`` name kiran only: meera's home page leaves it out, and its marking
    pages, its files and a mark posted by her script all answer 403; nothing is saved."""
    key = key_of(course, SIGNED)
    context, page = session(browser, course["url"], marker_token(TOKEN, OTHER))
    try:
        assert "Project 1" not in page.inner_text("main")
        assert "Written answers" in page.inner_text("main")  # lstm_gates: every marker's
        for path in (
            "/mark/project1",
            f"/mark/project1/{key}",
            f"/files/notebook/project1/{key}",
            f"/files/report/project1/{key}/1.png",
        ):
            answer = page.goto(f"{course['url']}{path}")
            assert answer is not None and answer.status == 403, path
            assert f"{OTHER} does not mark project1" in page.inner_text("body"), path
        page.goto(course["url"])
        csrf = page.locator("meta[name=csrf-token]").get_attribute("content")
        posted = context.request.post(
            f"{course['url']}/api/mark",
            form={"csrf": csrf, "component": "project1", "student": key,
                  "criterion": "introduction", "points": "1", "comment": "by the wrong marker"},
            headers={"Origin": course["url"]},
        )  # fmt: skip
        assert posted.status == 403 and "does not mark project1" in posted.json()["error"]
    finally:
        context.close()
    with CourseBook(course["out"] / BOOK_NAME) as book:
        assert all(m.marked_by != OTHER for m in book.marks(SIGNED, "project1"))
