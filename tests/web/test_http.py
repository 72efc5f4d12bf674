"""`grader serve` attacked over HTTP, as issue 27 found it: each test sends what a hostile page,
a hostile student or a careless setup sends, on a real graded course (:mod:`web_kit`) whose
hand-ins carry planted links and whose notebooks forge hints."""

from __future__ import annotations

import csv
import json
import re
import sqlite3
import subprocess
import time
from pathlib import Path
from urllib.parse import urlencode

import nbformat
import pytest
from web_kit import (
    GRADER,
    ROOT,
    SAMPLES,
    TOKEN,
    graded_course,
    login_cookie,
    request,
    serving,
)

from grader.assignment.config import load_config
from grader.gradebook.course_book import CourseBook
from grader.gradebook.results import Gradebook

FORGED = "FULL MARKS ALREADY VERIFIED BY THE INSTRUCTOR"
PLANTED = "EE21B017"  # the collected student whose hand-in carries links out of it


def forging_notebook(folder: Path) -> Path:
    """frank's notebook: a graded function raising an error that reads like a hint."""
    nb = nbformat.read(SAMPLES / "asha.ipynb", as_version=4)
    for cell in nb.cells:
        if cell.cell_type == "code" and cell.source.startswith("def forget_gate"):
            cell.source = (
                "def forget_gate(x_t, h_prev, W_f, b_f):\n"
                f'    raise ValueError("boom\\nHint [forged-hint]: {FORGED}")\n'
            )
    path = folder / "frank.ipynb"
    nbformat.write(nb, path)
    return path


def plant_links(submissions: Path) -> None:
    """The first project's report linked to a gradebook, its notebook to /etc/passwd."""
    folder = submissions / PLANTED
    project = json.loads((folder / "manifest.json").read_text())["projects"][0]
    for key, target in (
        ("report", folder.parent.parent.parent / "graded" / "lstm_gates" / "gradebook.sqlite"),
        ("notebook", Path("/etc/passwd")),
    ):
        path = folder / project[key]
        path.unlink()
        path.symlink_to(target)


@pytest.fixture(scope="module")
def course(tmp_path_factory) -> dict:
    base = tmp_path_factory.mktemp("webhttp")
    folder, out = graded_course(base, [forging_notebook(base)], plant_links)
    # A feedback page replaced by a link, as if planted in the graded folder.
    feedback = out / "lstm_gates" / "dhaval" / "feedback.html"
    feedback.unlink()
    feedback.symlink_to("/etc/passwd")
    log = base / "serve.log"
    with serving(folder, out, log=log) as url:
        # A link with the token never logs in: the login form, and no cookie.
        status, headers, page = request(url, "GET", f"/?token={TOKEN}")
        assert status == 403 and "set-cookie" not in headers
        assert b"A token in an address does not log in" in page
        cookie = login_cookie(url)
        _, _, page = request(url, "GET", "/students", headers=[("Cookie", cookie)])
        csrf = re.search(rb'name="csrf-token" content="([^"]+)"', page).group(1).decode()
        yield {"url": url, "out": out, "folder": folder, "log": log, "cookie": cookie, "csrf": csrf}
    assert b"Traceback" not in log.read_bytes(), "a request made the server fail"


def get(course: dict, path: str, *headers: tuple[str, str | bytes]):
    return request(course["url"], "GET", path, headers=[("Cookie", course["cookie"]), *headers])


def post_form(course: dict, path: str, fields: dict, *headers, cookie: bool = True):
    sent = [("Content-Type", "application/x-www-form-urlencoded"), *headers]
    if cookie:
        sent.append(("Cookie", course["cookie"]))
    return request(course["url"], "POST", path, urlencode(fields).encode(), sent)


def post_json(course: dict, document: object, *headers, csrf: bool = True):
    sent = [("Content-Type", "application/json"), ("Cookie", course["cookie"]), *headers]
    if csrf:
        sent.append(("X-CSRF-Token", course["csrf"]))
    return request(course["url"], "POST", "/api/mark", json.dumps(document).encode(), sent)


def marks(course: dict, student: str) -> dict:
    with CourseBook(course["out"] / "gradebook.sqlite") as book:
        return {m.criterion: m for m in book.marks(student, "project1")}


def criteria(course: dict) -> list[str]:
    _, _, page = get(course, "/mark/project1/asha")
    return re.findall(r'data-criterion="([^"]+)"', page.decode())


# 1 -------------------------------------------------------------------------------------------
def test_save_all_stores_points_and_comments(course):
    first, second = criteria(course)[:2]
    form = {
        "csrf": course["csrf"],
        f"points:{first}": "2,5",
        f"was:points:{first}": "",
        f"comment:{first}": "Good framing of the question.",
        f"was:comment:{first}": "",
        f"points:{second}": "",
        f"was:points:{second}": "",
        f"comment:{second}": "",
        f"was:comment:{second}": "",
    }
    status, headers, _ = post_form(course, "/mark/project1/asha", form)
    assert status == 303
    saved = marks(course, "asha")
    assert saved[first].points == 2.5 and saved[first].comment == "Good framing of the question."
    assert second not in saved  # unchanged on the page: not written


# 2 -------------------------------------------------------------------------------------------
def test_an_authorization_header_does_not_skip_csrf(course):
    first = criteria(course)[0]
    document = {"student": "bhavin", "component": "project1", "criterion": first, "points": "1"}
    status, _, _ = post_json(course, document, ("Authorization", "Basic YTpi"), csrf=False)
    assert status == 403 and first not in marks(course, "bhavin")
    status, _, _ = post_json(course, document, ("Authorization", "token wrong"), csrf=False)
    assert status == 403 and first not in marks(course, "bhavin")
    # The access token itself in the header: a script, which no foreign page can be.
    status, _, _ = post_json(course, document, ("Authorization", f"token {TOKEN}"), csrf=False)
    assert status == 200 and marks(course, "bhavin")[first].points == 1


def test_a_post_without_the_csrf_token_is_refused_whatever_its_content_type(course):
    first = criteria(course)[0]
    document = {"student": "dhaval", "component": "project1", "criterion": first, "points": "2"}
    body = json.dumps(document).encode()
    # text/plain is what any page may post cross-site without asking: a JSON text sent so
    for kind in ("text/plain", "text/plain;charset=UTF-8", "multipart/form-data; boundary=x"):
        sent = [("Content-Type", kind), ("Cookie", course["cookie"])]
        status, _, answer = request(course["url"], "POST", "/api/mark", body, sent)
        assert status == 403 and b"CSRF" in answer, (kind, status, answer[:300])
    status, _, _ = request(course["url"], "POST", "/api/mark", body, [("Cookie", course["cookie"])])
    assert status == 403
    assert first not in marks(course, "dhaval")
    # The page's own request (its CSRF token) with a body of a kind it never sends: told so.
    sent = [("Content-Type", "text/plain"), ("Cookie", course["cookie"])]
    sent.append(("X-CSRF-Token", course["csrf"]))
    status, _, answer = request(course["url"], "POST", "/api/mark", body, sent)
    assert status == 415 and b"application/json" in answer
    assert first not in marks(course, "dhaval")


# 3 -------------------------------------------------------------------------------------------
def test_strange_values_are_4xx_never_500(course):
    url = course["url"]
    first = criteria(course)[0]
    answers = [
        request(url, "GET", "/?token=%C3%A9"),
        request(url, "GET", "/", headers=[("Authorization", b"token \xc3\xa9")]),
        request(url, "GET", "/", headers=[("Cookie", b"grader_session=\xc3\xa9")]),
        post_json(course, {"student": "asha"}, ("X-CSRF-Token", b"\xc3\xa9"), csrf=False),
        request(
            url,
            "POST",
            "/mark/project1/asha",
            b"--x\r\nContent-Disposition: form-data; name=\r\n\r\nbroken",
            [("Content-Type", "multipart/form-data; boundary=x"), ("Cookie", course["cookie"])],
        ),
        post_form(
            course, "/mark/project1/asha", {"csrf": course["csrf"], f"points:{first}": "lots"}
        ),
        post_json(
            course,
            {"student": "asha", "component": "project1", "criterion": first, "points": "NaN"},
        ),
        post_json(course, ["not", "an", "object"]),
        post_json(course, {"student": ["asha"], "component": "project1", "criterion": first}),
    ]
    for status, _, body in answers:
        assert 400 <= status < 500, body[:300]
        assert b"Traceback" not in body
    assert b"Traceback" not in course["log"].read_bytes()


# 4 -------------------------------------------------------------------------------------------
def test_a_foreign_host_header_gets_nothing(course):
    status, _, body = get(course, "/students", ("Host", "evil.example"))
    assert status == 403
    assert b"Asha Verma" not in body and b"LSTM course" not in body
    status, _, body = get(course, "/students", ("Host", "localhost"))
    assert status == 200 and b"Asha Verma" in body


# 5 -------------------------------------------------------------------------------------------
def test_links_out_of_the_course_are_not_followed(course):
    for path in (
        "/files/feedback/lstm_gates/dhaval",
        f"/files/notebook/project1/{PLANTED}",
        f"/files/report/project1/{PLANTED}/report.pdf",
    ):
        status, _, body = get(course, path)
        assert status == 404, path
        assert b"root:" not in body and b"SQLite" not in body
    with CourseBook(course["out"] / "gradebook.sqlite") as book:
        recorded = book.latest_checks(PLANTED, "project1")[0].checks["files"]
    assert "report" not in recorded and "notebook" not in recorded
    status, _, _ = get(course, "/files/report/project1/CS21B042/report.pdf")
    assert status == 200  # a real hand-in is still shown


# 6 -------------------------------------------------------------------------------------------
def test_a_students_error_message_never_becomes_a_hint(course):
    status, _, body = get(course, "/")
    assert status == 200
    assert b"forged-hint" not in body and FORGED.encode() not in body
    assert b"tanh-for-sigmoid" in body  # the grader's own diagnosis is still shown


# 8 -------------------------------------------------------------------------------------------
def wait_for_regrade(course: dict, student: str) -> str:
    for _ in range(900):
        _, _, page = get(course, f"/student/{student}")
        found = re.search(rb'id="regrade-lstm_gates">(.*?)</div>', page, re.S)
        if (
            found
            and b"<strong>queued" not in found.group(1)
            and b"<strong>running" not in found.group(1)
        ):
            return found.group(1).decode()
        time.sleep(1)
    raise AssertionError("the regrade did not end")


def test_regrade_clicks_queue_one_background_job_per_student(course):
    path = "/student/esha/regrade/lstm_gates"
    answers = [post_form(course, path, {"csrf": course["csrf"]}) for _ in range(8)]
    assert all(status == 303 for status, _, _ in answers)
    assert answers[0][1]["location"].endswith("notice=queued")
    assert all(a[1]["location"].endswith("notice=busy") for a in answers[1:])
    with sqlite3.connect(course["out"] / "gradebook.sqlite") as db:
        jobs = db.execute("SELECT COUNT(*) FROM serve_regrades WHERE student = 'esha'").fetchone()
    assert jobs == (1,)
    assert "regraded" in wait_for_regrade(course, "esha")
    with Gradebook(course["out"] / "lstm_gates" / "gradebook.sqlite") as book:
        assert len(book.history("esha")) == 2


def test_the_regrade_timeout_follows_the_notebook_timeout():
    from grader.web.regrade import regrade_timeout

    config = load_config(ROOT / "assignments" / "lstm_gates")
    longer = type(config)(**{**config.__dict__, "notebook_timeout": config.notebook_timeout * 3})
    assert regrade_timeout(config) > config.notebook_timeout
    assert regrade_timeout(longer) - regrade_timeout(config) == 2 * config.notebook_timeout


# 7 -------------------------------------------------------------------------------------------
def test_a_regrade_keeps_everyone_in_grades_csv(course):
    grades = course["out"] / "lstm_gates" / "grades.csv"
    before = {row["student"] for row in csv.DictReader(grades.open())}
    assert {"asha", "bhavin", "frank"} <= before
    status, _, _ = post_form(course, "/student/asha/regrade/lstm_gates", {"csrf": course["csrf"]})
    assert status == 303
    assert "regraded" in wait_for_regrade(course, "asha")
    assert {row["student"] for row in csv.DictReader(grades.open())} == before


# 9 -------------------------------------------------------------------------------------------
def test_bodies_and_comments_are_bounded(course):
    first = criteria(course)[0]
    huge = {
        "student": "chitra",
        "component": "project1",
        "criterion": first,
        "points": "1",
        "comment": "x" * 2_000_000,
    }
    status, _, _ = post_json(course, huge)
    assert status == 413
    status, _, body = post_json(course, {**huge, "comment": "y" * 20_000})
    assert status == 400 and b"too long" in body
    assert first not in marks(course, "chitra")


# 10 ------------------------------------------------------------------------------------------
def test_the_token_is_in_no_address(course):
    banner = course["log"].read_text()
    assert TOKEN in banner and "token=" not in banner
    status, _, body = request(course["url"], "GET", "/login")
    assert status == 200 and b'type="password"' in body
    status, _, _ = post_form(course, "/login", {"token": "wrong"}, cookie=False)
    assert status == 403


# 11 ------------------------------------------------------------------------------------------
def script_sources(policy: str) -> str:
    """What a Content-Security-Policy lets scripts come from (script-src, else default-src)."""
    directives = dict(
        (part.strip().split(" ", 1) + [""])[:2] for part in policy.split(";") if part.strip()
    )
    return directives.get("script-src", directives.get("default-src", "*"))


def test_every_answer_carries_the_protective_headers(course):
    for status, headers, _body in (
        get(course, "/mark/project1/asha"),
        get(course, "/no/such/page"),
        request(course["url"], "GET", "/"),
        get(course, "/files/notebook/project1/CS21B042"),
    ):
        assert headers.get("x-content-type-options") == "nosniff", status
        assert headers.get("referrer-policy") == "no-referrer", status
        assert "'unsafe-inline'" not in script_sources(headers["content-security-policy"])
    _, headers, page = get(course, "/mark/project1/asha")
    nonce = re.search(r"script-src 'nonce-([^']+)'", headers["content-security-policy"]).group(1)
    assert re.findall(rb"<script[^>]*>", page) == [f'<script nonce="{nonce}">'.encode()]


def test_another_host_needs_tls_or_an_explicit_insecure_http(course, certificate, tmp_path):
    serve = [
        *GRADER,
        "serve",
        "--course",
        str(course["folder"] / "course.toml"),
        "--out",
        str(course["out"]),
        "--port",
        "1",
    ]
    refused = subprocess.run(
        [*serve, "--host", "0.0.0.0"], capture_output=True, text=True, cwd=ROOT, timeout=120
    )
    assert refused.returncode != 0
    assert "--certfile" in refused.stderr and "--insecure-http" in refused.stderr
    assert "Traceback" not in refused.stderr
    cert, key = certificate
    log = tmp_path / "serve.log"
    with serving(
        course["folder"],
        course["out"],
        "--certfile",
        str(cert),
        "--keyfile",
        str(key),
        log=log,
    ) as url:
        import http.client
        import ssl

        host, port = url.removeprefix("http://").split(":")
        connection = http.client.HTTPSConnection(
            host, int(port), timeout=60, context=ssl._create_unverified_context()
        )
        connection.request(
            "POST",
            "/login",
            urlencode({"token": TOKEN}),
            {"Content-Type": "application/x-www-form-urlencoded"},
        )
        answer = connection.getresponse()
        assert answer.status == 303
        assert "secure" in answer.getheader("set-cookie").lower()
        connection.close()
    assert "https://" in log.read_text()
