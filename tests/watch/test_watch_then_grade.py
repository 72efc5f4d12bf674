"""A hand-in ``grader watch`` graded and answered keeps the score it was mailed when the
instructor grades the class with ``grader grade`` after the deadline, and when the dashboard
regrades it, before ``grader grade`` or after (issue 89): every grading of those bytes draws the
cases of the seed the watch recorded for them, from the student's folder collect filed them in.
A student who mails their notebook again with a space changed is answered on the same cases, the
student's own (issue 96), which ``grader grade`` draws too where nothing was recorded.
The mailbox server is the scripted one (tests/kits/scripted_imap_kit.py)."""

from __future__ import annotations

import subprocess
import sys
from datetime import UTC, datetime, timedelta
from pathlib import Path

import pytest
from course_kit import ROOT
from partial_credit_kit import clipping
from sandbox_fence import FENCE
from scripted_imap_kit import ScriptedImap
from watch_kit import notebook_hand_in
from web_kit import login_cookie, request, serving

from grader.gradebook.results import Gradebook, Row
from grader.grading.seeds import case_seed
from grader.variants.draw import course_key
from tests.watch.test_watch import once
from tests.web.test_http import wait_for_regrade

pytestmark = pytest.mark.slow

HAND_INS = "LSTM hand-ins"


@pytest.fixture
def scripted():
    server = ScriptedImap({HAND_INS: False, "INBOX": False})
    yield server
    server.close()


def graded(out: Path, student: str) -> Row:
    with Gradebook(out / "lstm_gates" / "gradebook.sqlite") as book:
        return book.history(student)[-1]


def test_what_the_watch_mailed_is_what_grade_and_the_dashboards_regrade_give(
    course: Path, scripted: ScriptedImap, smtp
) -> None:
    students = {"asha": 4, "bhavin": 3}  # gates clipped at 4 and at 3: cases decide the points
    sent = datetime.now(UTC).replace(microsecond=0) - timedelta(minutes=10)
    for student, limit in students.items():
        mail = notebook_hand_in(student, clipping(limit), sent)
        scripted.deliver(bytes(mail), HAND_INS, sent + timedelta(seconds=40))
    done = once(course, scripted, smtp)
    assert len(smtp[0].received) == 2, done.stderr
    out, submissions = course.parent.parent / "graded", course.parent.parent / "submissions"
    watched = {student: graded(out, student) for student in students}
    assert all(0 < row.score < 100 for row in watched.values()), watched

    for student, row in watched.items():  # graded from where collect filed it
        assert Path(row.source) == (submissions / student).resolve()

    with serving(course.parent, out, log=course.parent.parent / "serve.log") as url:
        dashboard = {"url": url, "cookie": login_cookie(url)}
        regrade(dashboard, "bhavin")  # graded by the watch alone: its staged copy is gone
        run = grade(course, out, *(submissions / student for student in students))
        assert "seeds: 2 as recorded for the same notebooks" in run.stderr, run.stderr
        regrade(dashboard, "asha")  # graded by the watch, then by grade
    for student, mailed in watched.items():
        with Gradebook(out / "lstm_gates" / "gradebook.sqlite") as book:
            history = book.history(student)
        assert len(history) == 3, history  # the watch's, grade's and the regrade's
        for again in history[1:]:
            assert (again.score, again.functions, again.seed) == (
                mailed.score,
                mailed.functions,
                mailed.seed,
            )


def test_a_notebook_mailed_again_with_a_space_changed_is_graded_on_the_same_cases(
    course: Path, scripted: ScriptedImap, smtp
) -> None:
    clipped = clipping(4)  # gates clipped at 4: the cases decide their points
    sent = datetime.now(UTC).replace(microsecond=0) - timedelta(minutes=10)
    for student in ("asha", "bhavin"):  # the same notebook from two students
        mail = notebook_hand_in(student, clipped, sent)
        scripted.deliver(bytes(mail), HAND_INS, sent + timedelta(seconds=40))
    once(course, scripted, smtp)
    out = course.parent.parent / "graded"
    asha, bhavin = graded(out, "asha"), graded(out, "bhavin")
    key = course_key(course.parent)  # the course's secret, made by the watch's first grading
    assert asha.seed == case_seed(key, "lstm_gates", "asha")
    assert bhavin.seed == case_seed(key, "lstm_gates", "bhavin")
    assert asha.seed != bhavin.seed
    assert 0 < asha.score < 100, asha

    again = clipped.replace(b"exp cannot overflow", b"exp  cannot overflow")
    later = sent + timedelta(minutes=5)
    scripted.deliver(bytes(notebook_hand_in("asha", again, later)), HAND_INS, later)
    once(course, scripted, smtp)
    resubmitted = graded(out, "asha")
    assert resubmitted.sha256 != asha.sha256
    assert (resubmitted.seed, resubmitted.score, resubmitted.functions) == (
        asha.seed,
        asha.score,
        asha.functions,
    )

    fresh = course.parent.parent / "graded-again"  # a gradebook that never saw the hand-in
    run = grade(course, fresh, course.parent.parent / "submissions" / "asha")
    assert "1 the student's own" in run.stderr, run.stderr
    graded_again = graded(fresh, "asha")
    assert (graded_again.sha256, graded_again.seed, graded_again.score) == (
        resubmitted.sha256,
        resubmitted.seed,
        resubmitted.score,
    )
    assert graded_again.functions == resubmitted.functions


def grade(course: Path, out: Path, *sources: Path) -> subprocess.CompletedProcess:
    """``grader grade`` of the course's lstm_gates into ``out``/lstm_gates, in the fence."""
    run = subprocess.run(
        [*FENCE, sys.executable, "-m", "grader.cli", "grade"]
        + ["--assignment", str(course.parent / "lstm_gates"), "--out", str(out / "lstm_gates")]
        + [str(source) for source in sources],
        capture_output=True,
        text=True,
        timeout=900,
        cwd=ROOT,
    )
    assert run.returncode == 0, run.stderr[-3000:]
    return run


def regrade(dashboard: dict[str, str], student: str) -> None:
    """The dashboard's Regrade button for ``student``'s lstm_gates, pressed and waited for."""
    url, cookie = dashboard["url"], dashboard["cookie"]
    _, _, page = request(url, "GET", "/students", headers=[("Cookie", cookie)])
    csrf = page.split(b'name="csrf-token" content="')[1].split(b'"')[0].decode()
    status, _, _ = request(
        url,
        "POST",
        f"/student/{student}/regrade/lstm_gates",
        f"csrf={csrf}".encode(),
        [("Content-Type", "application/x-www-form-urlencoded"), ("Cookie", cookie)],
    )
    assert status == 303
    assert "regraded" in wait_for_regrade(dashboard, student)
