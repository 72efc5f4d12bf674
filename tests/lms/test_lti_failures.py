"""The LMS as it really fails, on a platform on loopback that answers as Canvas's and Moodle's
own source does (tests/kits/lti_platform_kit.py): Canvas's throttle (403), a score stored but
answered after the tool's time-out (Moodle's 409 on a repeat), an outage mid-push (503), an LMS
that never answers; and registration as administrators do it (one JWK, scopes, Moodle's Link).

Each asserts what the LMS holds afterwards against final-grades.csv, and that no score the LMS
holds is recorded refused. The waits are the limits' (:class:`grader.limits.LtiLimits`), made
short here: what is asserted is what happens, never how long it took."""

from __future__ import annotations

import csv
import dataclasses
import json
import socket
import threading

import pytest
from course_kit import auto_result, full_marks, make_course
from lti_course_kit import (
    STUDENTS,
    expected,
    graded,
    grader,
    held,
    lms_points,
    push,
    registered,
)
from lti_platform_kit import member

from grader import limits
from grader.gradebook.course_book import CourseBook
from grader.lms.lti import ledger, scopes
from grader.lms.lti.client import Answer

COMPONENTS = {"lstm_gates": 20, "rnn_gradients": 30}
STUDENTS_MORE = [
    member("u-zoe", "Zoe Unal", "zoe.unal@example.edu", "SE21B007"),
    member("u-noor", "Noor Khan", "noor.khan@example.edu", "PH21B011"),
    member("u-ana", "Ananya Sharma", "ananya.sharma@example.edu", "BT21B055"),
]


@pytest.fixture
def course(tmp_path):
    made, _ = make_course(tmp_path, edit=lms_points)
    return made


@pytest.fixture
def quick(monkeypatch):
    """The LTI limits with pauses of a fraction of a second: a failing LMS is given up on after
    its tries (``attempts``), not its minute, so a busy machine changes nothing; a try still
    has two seconds, so only the platform's own silence runs past it."""
    fast = dataclasses.replace(
        limits.LTI,
        request_timeout_s=2.0,
        slow_notice_s=0.3,
        backoff_first_s=0.02,
        backoff_max_s=0.1,
        give_up_s=600.0,
    )
    monkeypatch.setattr(limits, "LTI", fast)
    return fast


def states(out) -> list[str]:
    with ledger.Ledger(out / "gradebook.sqlite") as book:
        return [row.state for row in book.scores()]


def holds_final_grades(platform, out) -> None:
    for component, points in COMPONENTS.items():
        assert held(platform, component) == expected(out, component, points)


def errors(text: str) -> list[str]:
    """stderr's lines, without the notes that say what the command waits for."""
    return [line for line in text.splitlines() if line and not line.startswith("note:")]


def test_canvas_throttle_403_is_waited_out_and_never_refused(course, capsys, tmp_path, quick):
    out = tmp_path / "graded"
    graded(out)
    with registered(course, capsys) as platform:
        platform.throttle_403 = 4  # Canvas's bucket is empty for a few requests
        assert push(course, out) == 0
        assert platform.throttle_403 == 0
    assert "refused" not in capsys.readouterr().err
    holds_final_grades(platform, out)
    assert "refused" not in states(out)


def test_a_throttle_that_lasts_stops_the_push_and_records_nothing_refused(
    course, capsys, tmp_path, quick
):
    out = tmp_path / "graded"
    graded(out)
    with registered(course, capsys) as platform:
        platform.on_score = lambda count: setattr(platform, "throttle_403", 10**6 * (count == 2))
        assert push(course, out) == 2
        (line,) = errors(capsys.readouterr().err)
        platform.throttle_403 = 0
        platform.on_score = None
        assert push(course, out) == 0
    assert "the LMS is not answering" in line and "Rate Limit Exceeded" in line
    assert "posted 2 of 6" in line
    holds_final_grades(platform, out)
    assert "refused" not in states(out)


@pytest.mark.parametrize("flavour", ["moodle", "canvas"])
def test_a_score_stored_but_answered_after_the_timeout_is_posted(
    course, capsys, tmp_path, quick, flavour
):
    out = tmp_path / "graded"
    graded(out)
    with registered(course, capsys, flavour=flavour) as platform:
        platform.late_answers, platform.late_s = 1, quick.request_timeout_s + 1
        assert push(course, out) == 0
    printed = capsys.readouterr()
    assert "refused" not in printed.err
    assert "posted 6" in printed.out
    holds_final_grades(platform, out)
    assert len(platform.score_posts) == 6  # read back, not sent again
    assert states(out).count("confirmed") == 1 and "refused" not in states(out)


@pytest.mark.parametrize("flavour", ["canvas", "moodle"])
def test_a_changed_comment_whose_answer_is_lost_is_sent_again_not_confirmed(
    course, capsys, tmp_path, quick, flavour
):
    """Only the comment changes (the component renamed: the scores stay); the first score's
    post is lost before the LMS stores it. The read-back finds the old comment beside the
    same score: the score is sent again, never recorded confirmed with the old comment held."""
    out = tmp_path / "graded"
    graded(out)
    with registered(course, capsys, flavour=flavour) as platform:
        assert push(course, out) == 0
        before = held(platform, "lstm_gates")
        text = course.path.read_text()
        course.path.write_text(text.replace(": LSTM gates", ": the LSTM's gates", 1))
        platform.lost_unstored, platform.late_s = 1, quick.request_timeout_s + 1
        assert push(course, out) == 0
    assert platform.lost_unstored == 0
    assert held(platform, "lstm_gates") == before
    comments = [
        result["comment"]
        for (item, _), result in platform.results.items()
        if platform.line_items[item]["resourceId"] == "lstm_gates"
    ]
    assert len(comments) == 3 and all("the LSTM's gates" in c for c in comments)
    assert "confirmed" not in states(out) and "refused" not in states(out)


def test_a_line_item_made_but_answered_late_is_found_not_made_twice(
    course, capsys, tmp_path, quick
):
    out = tmp_path / "graded"
    graded(out)
    with registered(course, capsys) as platform:
        platform.late_on, platform.late_answers = "line items", 1
        platform.late_s = quick.request_timeout_s + 1
        assert push(course, out) == 0
    made = sorted(item["resourceId"] for item in platform.line_items.values())
    assert made == sorted(COMPONENTS)  # one column each
    holds_final_grades(platform, out)


def test_a_proxy_time_out_after_moodle_stored_the_score_is_not_a_refusal(
    course, capsys, tmp_path, quick
):
    out = tmp_path / "graded"
    graded(out)
    with registered(course, capsys, flavour="moodle") as platform:
        platform.stored_then_504 = 1  # stored; the proxy in front answers 504; resent: 409
        assert push(course, out) == 0
    assert [code for code, _ in platform.refused_scores] == [409]  # Moodle's, read back
    holds_final_grades(platform, out)
    assert states(out).count("confirmed") == 1 and "refused" not in states(out)


def test_moodle_takes_a_changed_mark_posted_within_the_same_second(course, capsys, tmp_path):
    out = tmp_path / "graded"
    graded(out)
    with registered(course, capsys, flavour="moodle") as platform:
        assert push(course, out) == 0
        auto_result(out, "lstm_gates", "EE21B017", 75.0)  # a regrade, a moment later
        assert push(course, out) == 0
    holds_final_grades(platform, out)
    assert "refused" not in states(out)


@pytest.mark.parametrize("flavour", ["canvas", "moodle"])
def test_an_outage_mid_push_stops_with_one_line_and_the_next_run_finishes(
    course, capsys, tmp_path, quick, flavour
):
    out = tmp_path / "graded"
    graded(out)
    with registered(course, capsys, flavour=flavour) as platform:

        def down_after_second(count: int) -> None:
            if count == 2:  # the line items are made, two scores stored: the LMS goes down
                platform.outage = True

        platform.on_score = down_after_second
        assert push(course, out) == 2
        err = capsys.readouterr().err
        tried = platform.unanswered
        platform.outage, platform.on_score = False, None
        assert push(course, out) == 0
    (line,) = errors(err)
    assert line.startswith("grader final: the LMS is not answering") and "503" in line
    assert "posted 2 of 6 scores" in line and "run `grader final --push lti` again" in line
    # the score in flight tried a bounded number of times, the rest never tried
    assert tried <= limits.LTI.attempts
    assert "refused" not in states(out)
    holds_final_grades(platform, out)
    posted = [(item, user) for item, user, _ in platform.score_posts]
    assert len(posted) == len(set(posted)) == 6


def test_roster_and_check_stop_with_one_line_when_the_lms_is_down(course, capsys, quick):
    before = course.roster_path.read_text()
    with registered(course, capsys) as platform:
        platform.outage = True
        for command, done in (
            (("roster", "--from-lti"), f"{course.roster_path} left as it was"),
            (("lti", "check"), "nothing checked"),
        ):
            assert grader(course, *command) == 2
            (line,) = errors(capsys.readouterr().err)
            assert "the LMS is not answering: it answered 503 Service Unavailable" in line
            # as the push's line ends: what was done, and the same command again later
            assert line.endswith(f"; {done}: run `grader {' '.join(command)}` again later"), line
    assert course.roster_path.read_text() == before


def test_defaults_end_an_outage_within_a_minute():
    lti = limits.LTI
    # no try starts later than give_up_s - request_timeout_s after the first failure
    assert lti.give_up_s <= 60 and lti.request_timeout_s < lti.give_up_s
    assert lti.slow_notice_s < lti.request_timeout_s  # a silent LMS is named before a try ends


@pytest.mark.parametrize("flavour", ["canvas", "moodle"])
def test_an_lms_that_never_answers_says_what_it_waits_for_and_stops(
    course, capsys, tmp_path, quick, flavour, monkeypatch
):
    # the minute's rule: no try starts later than give_up_s - request_timeout_s after the first
    monkeypatch.setattr(limits, "LTI", dataclasses.replace(quick, give_up_s=5.0))
    out = tmp_path / "graded"
    graded(out)
    with registered(course, capsys, flavour=flavour) as platform:
        platform.silent = True
        try:
            assert push(course, out) == 2
        finally:
            platform.silent = False
    err = capsys.readouterr().err
    assert "note: waiting for the LMS to answer POST" in err  # the token request, first
    (line,) = errors(err)
    assert line.startswith("grader final: the LMS is not answering")
    assert f"gave no answer in {quick.request_timeout_s:g} s" in line
    assert "nothing posted: run `grader final --push lti` again later" in line
    assert platform.unanswered in (1, 2)  # a try at 0 s, one at ~2 s; none at ~4 s


# --- one rule for the push and the files --------------------------------------------------


def test_a_partly_marked_project_is_pushed_as_the_files_give_it(tmp_path, capsys):
    course, projects = make_course(tmp_path, edit=lms_points)
    out = tmp_path / "graded"
    graded(out)
    for student in ("CS21B042", "EE21B017", "ME21B103"):
        auto_result(out, "lstm_backward", student, 70.0)
    rubric = projects.rubric
    with CourseBook(out / "gradebook.sqlite") as book:
        for student in ("CS21B042", "EE21B017", "ME21B103"):
            full_marks(book, rubric, student, "project2")
            if student != "CS21B042":
                full_marks(book, rubric, student, "project1")
        first = rubric.criteria[0]
        book.set_mark("CS21B042", "project1", first.id, first.points, "", by="ta")
    with registered(course, capsys) as platform:
        assert push(course, out, "--push-total") == 0
    files = out / "final"
    notes = (files / "LMS-NOTES.txt").read_text(encoding="utf-8")
    assert "CS21B042 project1" in notes and "count 0" in notes and "--push lti" in notes
    points = {c.id: c.lms_points for c in course.components}
    for component, lms in points.items():
        assert held(platform, component) == expected(out, component, lms), component
    asha_project = held(platform, "project1")["CS21B042"]
    assert 0 < asha_project < points["project1"]
    with (files / "final-grades.csv").open(encoding="utf-8") as stream:
        totals = {r["student"]: float(r["total (out of 100)"]) for r in csv.DictReader(stream)}
    assert held(platform, "final-grade") == totals
    (comment,) = [
        s["comment"]
        for item, user, s in platform.score_posts
        if user == "u-asha" and platform.line_items[item]["resourceId"] == "project1"
    ]
    assert "criteria marked (the rest count 0)" in comment


# --- registration as administrators do it -------------------------------------------------


def test_init_prints_the_one_key_canvas_takes(course, capsys):
    assert grader(course, "lti", "init") == 0
    lines = capsys.readouterr().out.splitlines()
    at = next(i for i, line in enumerate(lines) if "Public JWK" in line)
    key = json.loads(lines[at + 1])
    assert key["kty"] == "RSA" and key["alg"] == "RS256" and key["kid"] and "keys" not in key
    (registered_key,) = json.loads((course.lti_dir / "tool-jwks.json").read_text())["keys"]
    assert key == registered_key and "d" not in key
    listed = [line.split(": ")[0].strip() for line in lines if "/scope/" in line]
    assert set(listed) == set(scopes.ROSTER + scopes.CHECK + scopes.PUSH)


@pytest.mark.parametrize("flavour", ["canvas", "moodle"])
def test_a_scope_the_key_lacks_is_named_and_the_rest_still_work(course, capsys, tmp_path, flavour):
    out = tmp_path / "graded"
    graded(out)
    without_scores = {s for s in scopes.PUSH if s != scopes.SCORES} | {scopes.LINE_ITEMS_READ}
    with registered(course, capsys, flavour=flavour, enabled_scopes=without_scores):
        assert grader(course, "roster", "--from-lti") == 0  # asks only for the members
        assert grader(course, "lti", "check") == 0
        capsys.readouterr()
        assert push(course, out) == 2
    (line,) = errors(capsys.readouterr().err)
    assert "does not give the tool the scope " + scopes.SCORES in line
    assert "Can create and update submission results" in line
    assert scopes.MEMBERS_READ + " (" not in line  # only the missing one is named


def test_moodle_link_header_with_curly_quotes_is_followed(course, capsys):
    people = [*STUDENTS, *STUDENTS_MORE]
    with registered(course, capsys, members=people, page_size=2, flavour="moodle") as platform:
        assert grader(course, "roster", "--from-lti", "--dry-run") == 0
    assert platform.requests == 3  # three pages of two
    assert "added: SE21B007" in capsys.readouterr().out


def test_next_page_is_read_with_any_quotes():
    moodle = "<https://m/x?page=1>; rel=“first”, <https://m/x?page=2>; rel=“next”"
    for header in (
        moodle,
        moodle.encode().decode("latin-1"),  # as http.client reads PHP's UTF-8 bytes
        '<https://m/x?page=1>; rel="first", <https://m/x?page=2>; rel="next"',
        "<https://m/x?page=2>; rel=next",
        '<https://m/x?page=2>; rel="next last"',
    ):
        assert Answer(200, {"link": header}, b"").next_page() == "https://m/x?page=2", header
    assert Answer(200, {"link": '<https://m/x>; rel="nextish"'}, b"").next_page() is None


@pytest.fixture
def cut_short():
    """An LMS on loopback (or a proxy before it) that drops every connection halfway through
    its answer: it promises a body and closes after a few bytes of it."""
    server = socket.create_server(("127.0.0.1", 0))

    def answer_halfway() -> None:
        while True:
            try:
                client, _ = server.accept()
            except OSError:  # the test is over
                return
            with client:
                client.recv(65536)
                client.sendall(
                    b"HTTP/1.1 200 OK\r\nContent-Type: application/json\r\n"
                    b'Content-Length: 400\r\n\r\n{"access_tok'
                )

    threading.Thread(target=answer_halfway, daemon=True).start()
    yield f"http://127.0.0.1:{server.getsockname()[1]}"
    server.close()


def test_an_answer_cut_short_is_a_one_line_stop_not_a_traceback(
    course, capsys, tmp_path, quick, cut_short
):
    out = tmp_path / "graded"
    graded(out)
    with registered(course, capsys) as platform:
        flags = platform.init_flags()
    for flag in ("--token-url", "--lineitems-url", "--memberships-url"):
        at = flags.index(flag) + 1
        flags[at] = cut_short + "/" + flags[at].split("/", 3)[-1]
    assert grader(course, "lti", "init", *flags) == 0
    capsys.readouterr()
    for command in (("roster", "--from-lti"), ("final", "--out", str(out), "--push", "lti")):
        assert grader(course, *command) == 2
        (line,) = errors(capsys.readouterr().err)
        assert "the LMS is not answering: it dropped the connection" in line, line
