"""LTI 1.3 with a real platform on loopback (tests/kits/lti_platform_kit.py): registration, the
roster from NRPS, grades posted over AGS once and only when they change, the platform's
refusals, and a push killed halfway then resumed."""

from __future__ import annotations

import csv
import json
import os
import signal
import stat
import subprocess
import sys
from pathlib import Path

import jwt
import pytest
from course_kit import auto_result, make_course
from lti_course_kit import (
    STAFF,
    STUDENTS,
    expected,
    graded,
    grader,
    held,
    lms_points,
    push,
    registered,
)
from lti_platform_kit import TA, Platform, member

from grader import limits
from grader.cli import main
from grader.lms.lti import ledger, scopes
from grader.lms.lti.client import Session
from grader.lms.lti.commands import session_for

ROOT = Path(__file__).resolve().parents[2]


@pytest.fixture
def course(tmp_path):
    made, _ = make_course(tmp_path, edit=lms_points)
    assert made.component("lstm_gates").lms_points == 20
    return made


# --- registration -----------------------------------------------------------------------------


def test_init_makes_a_private_key_only_the_owner_reads_and_prints_what_to_register(course, capsys):
    assert grader(course, "lti", "init") == 0
    out = capsys.readouterr().out
    key = course.lti_dir / "tool-private-key.pem"
    assert stat.S_IMODE(key.stat().st_mode) == 0o600
    jwks = json.loads((course.lti_dir / "tool-jwks.json").read_text())
    (public,) = jwks["keys"]
    assert public["alg"] == "RS256" and public["use"] == "sig" and public["kid"]
    assert "d" not in public  # the private exponent never leaves the key file
    assert str(course.lti_dir / "tool-jwks.json") in out
    assert "--client-id" in out and "--deployment-id" in out and "--token-url" in out
    assert "PRIVATE" not in course.path.read_text() + out
    assert (course.lti_dir / ".gitignore").read_text() == "tool-private-key.pem\n"
    first = key.read_bytes()
    assert grader(course, "lti", "init") == 0
    assert key.read_bytes() == first  # made once, kept
    assert "kept" in capsys.readouterr().out


def test_a_key_others_can_read_is_refused(course, capsys):
    with registered(course, capsys):
        os.chmod(course.lti_dir / "tool-private-key.pem", 0o644)
        assert grader(course, "lti", "check") == 2
    assert "chmod 600" in capsys.readouterr().err


def test_registration_is_checked_against_the_platform(course, capsys):
    with registered(course, capsys) as platform:
        assert grader(course, "lti", "check") == 0
    out = capsys.readouterr().out
    assert "token granted; 3 students and 2 staff" in out
    assert platform.token_requests == 1
    text = (course.lti_dir / "platform.toml").read_text()
    assert platform.client_id in text and platform.token_url in text


def test_a_wrong_key_exits_2_with_one_line(course, capsys, tmp_path):
    with registered(course, capsys) as platform:
        other = tmp_path / "other"
        assert main(["lti", "init", "--course", str(_copy_course(course, other))]) == 0
        # the platform holds another tool's key for this client id
        platform.tool_jwks = json.loads(
            (other / "assignments" / "lti" / "tool-jwks.json").read_text()
        )
        capsys.readouterr()
        code = grader(course, "roster", "--from-lti")
    err = capsys.readouterr().err
    assert code == 2
    assert len(err.strip().splitlines()) == 1, err
    assert "refused the tool's token request" in err and "invalid_client" in err


def _copy_course(course, folder: Path) -> Path:
    made, _ = make_course(folder)
    return made.path


# --- the roster -------------------------------------------------------------------------------


def test_roster_from_lti_reads_both_pages_and_lists_what_changed(course, capsys):
    renamed = member("u-asha", "Asha V. Verma", "asha.verma@example.edu", "CS21B042")
    newcomer = member("u-zoe", "Zoe Unal", "zoe.unal@example.edu", "SE21B007")
    observer = member("u-mum", "A Parent", "parent@example.org", role="Mentor")
    dropped = member("u-gone", "Gone Student", "gone@example.edu", "XX21B001", status="Inactive")
    people = [renamed, STUDENTS[1], newcomer, observer, dropped, *STAFF]  # ME21B103 left
    with registered(course, capsys, members=people, page_size=4) as platform:
        assert grader(course, "roster", "--from-lti", "--dry-run") == 0
        assert "ME21B103" in course.roster_path.read_text()  # a dry run writes nothing
        capsys.readouterr()
        assert grader(course, "roster", "--from-lti") == 0
    out = capsys.readouterr().out
    assert platform.requests == 4  # two pages, twice
    assert "added: SE21B007 Zoe Unal" in out and "added: meera.iyer" not in out
    assert "changed: CS21B042: name 'Asha Verma' -> 'Asha V. Verma'" in out
    assert "removed (not in the LMS): ME21B103" in out
    assert "left out: A Parent" in out and "left out: Gone Student: inactive" in out
    roster = course.roster()
    assert [p.id for p in roster.students] == ["CS21B042", "EE21B017", "SE21B007"]
    assert {p.emails[0] for p in roster.staff} == {
        "kiran.rao@example.edu",
        "meera.iyer@example.edu",
    }
    assert grader(course, "roster", "--from-lti") == 2  # the platform is gone: one clear line
    assert "cannot reach the LMS" in capsys.readouterr().err


def test_a_roster_from_lti_keeps_sections_and_other_addresses_of_the_old_one(tmp_path, capsys):
    old = (
        "id,name,email,role,section\n"
        "CS21B042,Asha Verma,asha.verma@example.edu;asha.v@gmail.com,student,A\n"
        "TA01,Kiran Rao,kiran.rao@example.edu,staff,\n"
    )
    course, _ = make_course(tmp_path, roster=old, edit=lms_points)
    sis_renamed = member("u-asha", "Asha Verma", "ASHA.VERMA@example.edu", "cs21b042-new")
    with registered(course, capsys, members=[sis_renamed, STUDENTS[1]]):
        assert grader(course, "roster", "--from-lti") == 0
    asha, rahul, kiran = course.roster().people
    assert asha.id == "CS21B042" and asha.section == "A"  # her gradebook rows stay hers
    assert asha.emails == ("ASHA.VERMA@example.edu", "asha.v@gmail.com")
    assert rahul.id == "EE21B017" and rahul.section == ""
    assert kiran.is_staff  # staff the LMS does not list stay


def test_a_roster_from_the_lms_that_fails_the_checks_leaves_the_old_one(course, capsys):
    twins = [STUDENTS[0], member("u-x", "Asha Twin", "asha.verma@example.edu", "CS99")]
    before = course.roster_path.read_text()
    with registered(course, capsys, members=twins):
        assert grader(course, "roster", "--from-lti") == 2
    assert "also on line" in capsys.readouterr().err
    assert course.roster_path.read_text() == before


# --- grades -----------------------------------------------------------------------------------


def test_scores_read_back_equal_final_grades_and_a_second_run_posts_nothing(
    course, capsys, tmp_path
):
    out = tmp_path / "graded"
    graded(out)
    with registered(course, capsys) as platform:
        assert push(course, out) == 0
        first = capsys.readouterr().out
        posts, items = len(platform.score_posts), dict(platform.line_items)
        assert push(course, out) == 0
        second = capsys.readouterr().out
    assert held(platform, "lstm_gates") == expected(out, "lstm_gates", 20)
    assert held(platform, "rnn_gradients") == expected(out, "rnn_gradients", 30)
    assert held(platform, "rnn_gradients")["ME21B103"] == 0  # missing work, once graded, is 0
    # never graded, nobody marked: no line item, no zeros
    assert sorted(i["resourceId"] for i in items.values()) == ["lstm_gates", "rnn_gradients"]
    assert {i["scoreMaximum"] for i in items.values()} == {20, 30}
    assert posts == 6 and "posted 6" in first and "line items made 2" in first
    assert len(platform.score_posts) == posts and platform.line_items == items
    assert "posted 0, unchanged 6" in second
    assert platform.token_requests == 2  # one token per run, kept for all its requests
    (_, _, sample), *_ = platform.score_posts
    assert sample["gradingProgress"] == "FullyGraded" and sample["activityProgress"] == "Completed"
    assert sample["comment"].startswith("80.0% of Assignment 1")
    with ledger.Ledger(out / "gradebook.sqlite") as book:
        rows = book.scores()
        runs = book.runs()
    assert len(rows) == 6 and {r.state for r in rows} == {"accepted"}
    assert all(r.answer.startswith("200") for r in rows)
    assert len(runs) == 2 and runs[1]["summary"].startswith("posted 0, unchanged 6")


def test_a_changed_mark_posts_one_update_with_a_newer_timestamp(course, capsys, tmp_path):
    out = tmp_path / "graded"
    graded(out)
    with registered(course, capsys) as platform:
        assert push(course, out) == 0
        auto_result(out, "lstm_gates", "EE21B017", 75.0)  # a regrade
        assert push(course, out, "--dry-run") == 0
        dry = capsys.readouterr().out
        assert len(platform.score_posts) == 6
        assert push(course, out) == 0
    assert "would post EE21B017 lstm_gates: 15/20 (was 11.1)" in dry
    changed = [p for p in platform.score_posts if p[1] == "u-rahul" and p[0].endswith("/1")]
    assert len(platform.score_posts) == 7 and len(changed) == 2
    assert changed[1][2]["timestamp"] > changed[0][2]["timestamp"]
    assert held(platform, "lstm_gates")["EE21B017"] == 15.0


def test_the_final_grade_goes_only_where_every_part_is_a_grade(course, capsys, tmp_path):
    out = tmp_path / "graded"
    graded(out)
    with registered(course, capsys) as platform:
        assert push(course, out, "--push-total") == 0
    # lstm_backward is not graded yet and the projects are not marked: no final grade yet
    assert "final-grade" not in {i["resourceId"] for i in platform.line_items.values()}
    assert "the final grade is not posted" in capsys.readouterr().err


def test_a_student_the_lms_does_not_know_is_reported_and_the_rest_go_on(course, capsys, tmp_path):
    out = tmp_path / "graded"
    graded(out)
    rahul_as_ta = member("u-rahul", "Rahul Menon", "rahul.menon@example.edu", "EE21B017", role=TA)
    people = [STUDENTS[0], rahul_as_ta, *STAFF]  # ME21B103 not enrolled
    with registered(course, capsys, members=people) as platform:
        assert push(course, out) == 1
    err = capsys.readouterr().err
    assert "not in the LMS: ME21B103 (Priya Nair)" in err
    assert "refused: EE21B017 lstm_gates: 422" in err and "not a student" in err
    assert set(held(platform, "lstm_gates")) == {"CS21B042"}
    with ledger.Ledger(out / "gradebook.sqlite") as book:
        refused = book.scores(state="refused")
    assert {r.student for r in refused} == {"EE21B017"} and "422" in refused[0].answer


def test_busy_platform_429_is_waited_out(course, capsys, tmp_path):
    out = tmp_path / "graded"
    graded(out)
    with registered(course, capsys) as platform:
        platform.throttle = 3
        assert push(course, out) == 0
        assert platform.throttle == 0  # three 429s answered, and waited out
    assert held(platform, "lstm_gates") == expected(out, "lstm_gates", 20)


# --- tokens -----------------------------------------------------------------------------------


def test_a_forged_or_expired_token_is_refused_and_the_tool_gets_a_new_one(course, capsys):
    with registered(course, capsys) as platform:
        url = f"{platform.base}/api/lti/courses/7/line_items"
        session = session_for(course, scopes.PUSH)
        forged = platform.mint(600, key_pem=_other_key())
        expired = platform.mint(-60)
        for token in (forged, expired):
            assert _get(url, token) == 401
        assert _get(url, platform.mint(600)) == 200
        assert session.call("GET", url, "application/json").status == 200
        platform.expire_tokens()
        assert session.call("GET", url, "application/json").status == 200
        assert session.token_requests == 2
        replay = session.assertion()
        assert _token(platform, replay) == 200
        assert _token(platform, replay) == 401  # a jti used before


def test_the_token_request_is_signed_as_the_security_framework_asks(course, capsys):
    with registered(course, capsys) as platform:
        session = session_for(course, scopes.PUSH)
        first, second = session.assertion(), session.assertion()
    header = jwt.get_unverified_header(first)
    (key,) = json.loads((course.lti_dir / "tool-jwks.json").read_text())["keys"]
    assert header["alg"] == "RS256" and header["kid"] == key["kid"]
    public = jwt.PyJWK(key).key
    claims = jwt.decode(first, public, algorithms=["RS256"], audience=platform.token_url)
    assert claims["iss"] == claims["sub"] == platform.client_id
    assert claims["exp"] - claims["iat"] == limits.LTI.assertion_lifetime_s <= 600
    assert claims["jti"] != jwt.decode(second, options={"verify_signature": False})["jti"]


def test_a_token_is_kept_until_shortly_before_it_expires(course, capsys):
    with registered(course, capsys, token_lifetime_s=3600) as platform:
        session = session_for(course, scopes.PUSH)
        url = f"{platform.base}/api/lti/courses/7/line_items"
        for _ in range(3):
            assert session.call("GET", url, "application/json").ok
        assert session.token_requests == 1
        platform.token_lifetime_s = int(limits.LTI.token_margin_s)  # expired for the tool
        fresh = session_for(course, scopes.PUSH)
        for _ in range(3):
            assert fresh.call("GET", url, "application/json").ok
        assert fresh.token_requests == 3


def _other_key() -> str:
    from lti_platform_kit import _pem_pair

    return _pem_pair()[0]


def _get(url: str, token: str) -> int:
    from urllib.error import HTTPError
    from urllib.request import Request, urlopen

    try:
        with urlopen(Request(url, headers={"Authorization": f"Bearer {token}"})) as answer:
            return answer.status
    except HTTPError as error:
        return error.code


def _token(platform: Platform, assertion: str) -> int:
    from urllib.error import HTTPError
    from urllib.parse import urlencode
    from urllib.request import urlopen

    from grader.lms.lti.client import ASSERTION_TYPE

    form = {
        "grant_type": "client_credentials",
        "client_assertion_type": ASSERTION_TYPE,
        "client_assertion": assertion,
        "scope": " ".join(scopes.PUSH),
    }
    try:
        with urlopen(platform.token_url, data=urlencode(form).encode()) as answer:
            return answer.status
    except HTTPError as error:
        return error.code


def test_the_platform_holds_canvas_score_rules(course, capsys):
    with registered(course, capsys) as platform:
        session: Session = session_for(course, scopes.PUSH)
        items = f"{platform.base}/api/lti/courses/7/line_items"
        made = session.call("POST", items, "application/json", {"label": "A", "scoreMaximum": 10})
        scores = json.loads(made.body)["id"] + "/scores"
        base = {
            "userId": "u-asha",
            "activityProgress": "Completed",
            "gradingProgress": "FullyGraded",
        }
        now = "2027-01-01T10:00:00.000001+00:00"
        post = lambda body: session.call("POST", scores, "application/json", body)  # noqa: E731
        assert post(base).status == 400  # no timestamp
        assert post({**base, "timestamp": now, "scoreGiven": 5}).status == 400  # no maximum
        good = {**base, "timestamp": now, "scoreGiven": 5, "scoreMaximum": 10}
        assert post(good).status == 200
        assert post({**good, "timestamp": "2027-01-01T09:00:00+00:00"}).status == 400
        assert post({**good, "userId": "u-kiran"}).status == 422  # a TA is not a student


# --- a kill halfway ---------------------------------------------------------------------------


def test_a_push_killed_halfway_then_resumed_posts_each_score_once(course, capsys, tmp_path):
    out = tmp_path / "graded"
    graded(out)
    with registered(course, capsys) as platform:
        running: list[subprocess.Popen] = []

        def kill_at_third(count: int) -> None:
            if count == 3:  # the score is stored; the tool never hears the answer
                os.kill(running[0].pid, signal.SIGKILL)

        platform.on_score = kill_at_third
        command = [sys.executable, "-m", "grader.cli", "final", "--course", str(course.path)]
        running.append(
            subprocess.Popen(
                [*command, "--out", str(out), "--push", "lti"],
                cwd=ROOT,
                stdout=subprocess.DEVNULL,
                stderr=subprocess.DEVNULL,
            )
        )
        assert running[0].wait(timeout=300) == -signal.SIGKILL
        platform.on_score = None
        assert len(platform.score_posts) == 3
        assert push(course, out) == 0
        resumed = capsys.readouterr().out
    posted = [(item, user) for item, user, _ in platform.score_posts]
    assert len(posted) == 6 and len(set(posted)) == 6  # each score once
    assert "found posted by an interrupted run 1" in resumed
    assert held(platform, "lstm_gates") == expected(out, "lstm_gates", 20)
    assert held(platform, "rnn_gradients") == expected(out, "rnn_gradients", 30)
    with ledger.Ledger(out / "gradebook.sqlite") as book:
        states = [row.state for row in book.scores()]
    assert states.count("confirmed") == 1 and states.count("accepted") == 5


def _two_assignments(text: str) -> str:
    """course.toml with only its first two components, both auto-graded."""
    head, _, _ = lms_points(text).partition('[[component]]\nid = "lstm_backward"')
    return head


def test_the_final_grade_is_posted_once_every_part_is_a_grade(tmp_path, capsys):
    course, _ = make_course(tmp_path, edit=_two_assignments)
    out = tmp_path / "graded"
    graded(out)
    with registered(course, capsys) as platform:
        assert push(course, out, "--push-total") == 0
    (total,) = [i for i in platform.line_items.values() if i["resourceId"] == "final-grade"]
    assert total["label"] == "Final grade" and total["scoreMaximum"] == course.scale
    with (out / "final" / "final-grades.csv").open(encoding="utf-8") as stream:
        totals = {
            row["student"]: float(row["total (out of 100)"]) for row in csv.DictReader(stream)
        }
    assert held(platform, "final-grade") == totals


def test_bad_lti_input_is_one_clear_line(course, capsys):
    assert grader(course, "lti", "init", "--token-url", "http://lms.example.edu/token") == 2
    assert "give an https:// URL" in capsys.readouterr().err
    assert not course.lti_dir.exists()  # nothing made
    assert grader(course, "lti", "init") == 0
    assert grader(course, "lti", "check") == 2
    assert "client_id, deployment_id" in capsys.readouterr().err  # what is still to give
    assert grader(course, "final", "--dry-run") == 2
    assert "go with --push lti" in capsys.readouterr().err


def test_moodle_line_item_urls_keep_their_query_after_the_service_path():
    from grader.lms.lti.delivery import below as _below

    item = "https://moodle.uni.edu/mod/lti/services.php/2/lineitems/5/lineitem?type_id=3"
    assert _below(item, "/scores") == (
        "https://moodle.uni.edu/mod/lti/services.php/2/lineitems/5/lineitem/scores?type_id=3"
    )
    assert _below(item, "/results", {"user_id": "7"}).endswith(
        "/lineitem/results?type_id=3&user_id=7"
    )


def test_a_key_revoked_mid_push_stops_with_one_line_and_the_next_run_finishes(
    course, capsys, tmp_path
):
    out = tmp_path / "graded"
    graded(out)
    with registered(course, capsys) as platform:
        registered_key = platform.tool_jwks
        other = tmp_path / "other"
        assert main(["lti", "init", "--course", str(_copy_course(course, other))]) == 0

        def revoke_at_second(count: int) -> None:
            if count == 2:  # the administrator replaces the tool's key; tokens end with it
                platform.tool_jwks = json.loads(
                    (other / "assignments" / "lti" / "tool-jwks.json").read_text()
                )
                platform.expire_tokens()

        platform.on_score = revoke_at_second
        capsys.readouterr()
        assert push(course, out) == 2
        (error,) = [x for x in capsys.readouterr().err.splitlines() if not x.startswith("note:")]
        assert error.startswith("grader final: the LMS refused") and "invalid_client" in error
        with ledger.Ledger(out / "gradebook.sqlite") as book:
            assert book.runs()[-1]["summary"].startswith("stopped: the LMS refused")
        platform.on_score = None
        platform.tool_jwks = registered_key
        assert push(course, out) == 0
    posted = [(item, user) for item, user, _ in platform.score_posts]
    assert len(posted) == 6 and len(set(posted)) == 6
    assert held(platform, "lstm_gates") == expected(out, "lstm_gates", 20)
