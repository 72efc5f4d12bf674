"""``[course] decimals`` (issue 76): the course says how a person reads a score, 1 or 2 decimals
(2 unless it says). A course of the LSTM gates where one student keeps the cell state from c0 at
every step of ``lstm_forward`` (right at T=1, wrong at every longer sequence: 1 of its 4 cases,
so 3.75 of its 15 points and 88.75 of 100) is graded through ``grader grade`` in the sandbox,
mailed by ``grader mail`` and served by ``grader serve``. With ``decimals = 1`` the page, the
grades.csv, the mail and the dashboard say 88.8 (a half rounds up); with the default, 88.75;
results.json keeps the exact numbers. Anything but 1 or 2 is refused in one line."""

from __future__ import annotations

import csv
import email
import email.policy
import html
import json
import re
import shutil
from pathlib import Path

import nbformat
import pytest
from course_kit import make_course
from web_kit import COURSE_TOML, ROOT, ROSTER, login_cookie, request, run, serving

from grader.errors import UserError
from grader.grading import remote
from grader.grading.grader_process import plan_for

SAMPLE = ROOT / "examples" / "lstm_gates" / "asha.ipynb"  # every function right
CARRIED = "h_t, c_t = lstm_cell(x_t, h_t, c_t, params)"
# A student's slip: each step starts again from c0, the cell state is never carried.
DROPPED = "h_t, c_t = lstm_cell(x_t, h_t, c0, params)"


def _folder(base: Path, decimals: str) -> Path:
    """A course folder with the LSTM gates, ``decimals`` under its [course]."""
    folder = base / "course"
    folder.mkdir(parents=True)
    toml = COURSE_TOML.replace("scale = 100\n", f"scale = 100\n{decimals}")
    (folder / "course.toml").write_text(toml)
    (folder / "roster.csv").write_text(ROSTER)
    # copied as `grader init` copies it (a link's course would be the one it leads to)
    shutil.copytree(ROOT / "assignments" / "lstm_gates", folder / "lstm_gates")
    shutil.copytree(ROOT / "assignments" / "projects", folder / "projects")
    return folder


def _course(base: Path, decimals: str) -> tuple[Path, Path]:
    """(course.toml, graded output) of a course whose asha handed in the slip, graded."""
    folder = _folder(base, decimals)
    notebook = nbformat.read(SAMPLE, as_version=4)
    [cell] = [c for c in notebook.cells if CARRIED in c.source]
    cell.source = cell.source.replace(CARRIED, DROPPED)
    handed = base / "hand-ins" / "asha.ipynb"
    handed.parent.mkdir()
    nbformat.write(notebook, handed)
    out = base / "graded"
    run("grade", "--assignment", str(folder / "lstm_gates"), "--out", str(out / "lstm_gates"),
        "--seed", "11", str(handed))  # fmt: skip
    run("mail", "--course", str(folder / "course.toml"), "--out", str(out),
        "--from", "TA <ta@example.edu>")  # fmt: skip
    return folder / "course.toml", out


@pytest.fixture(scope="module", params=["decimals = 1\n", ""], ids=["one", "default"])
def graded(request, tmp_path_factory):
    shown = "88.8" if request.param else "88.75"
    toml, out = _course(tmp_path_factory.mktemp("decimals"), request.param)
    return toml, out, shown, "3.8" if request.param else "3.75"


def _text(page: str) -> str:
    return html.unescape(re.sub(r"\s+", " ", re.sub(r"<[^>]+>", " ", page)))


def test_the_page_and_grades_csv_say_the_courses_decimals_and_results_json_the_exact(graded):
    _, out, total, forward = graded
    folder = out / "lstm_gates" / "asha"
    document = json.loads((folder / "results.json").read_text())
    assert document["score"] == 88.75  # exact, as a machine reads it
    [test] = [t for t in document["tests"] if t["name"] == "lstm_forward"]
    assert (test["score"], test["max_score"]) == (3.75, 15)
    assert document["output"].startswith(f"{total} / 100 points.")
    page = _text((folder / "feedback.html").read_text())
    assert f"Score: {total} / 100" in page
    assert re.search(rf"lstm_forward : partial ?, {re.escape(forward)} / 15", page)
    assert (total == "88.8") == ("88.75" not in page)
    fix = document["extra_data"]["fix"]["lstm_forward"]
    assert fix and fix in page  # the page's first words on it, kept for the mails
    with (out / "lstm_gates" / "grades.csv").open(newline="") as handle:
        [row] = list(csv.DictReader(handle))
    assert (row["score"], row["lstm_forward"]) == (total, forward)


def test_the_mail_says_the_score_then_what_to_fix_in_the_pages_words(graded):
    _, out, total, forward = graded
    fix = json.loads((out / "lstm_gates" / "asha" / "results.json").read_text())["extra_data"]
    message = email.message_from_bytes(
        (out / "mail" / "asha.eml").read_bytes(), policy=email.policy.default
    )
    lines = message.get_body(("plain",)).get_content().splitlines()
    score = lines.index(f"  Assignment 1: LSTM gates: {total}%")
    assert lines[score + 1 : score + 3] == [
        f"    lstm_forward: {forward} / 15",
        f"      {fix['fix']['lstm_forward']}",
    ]
    assert lines.index("The feedback pages are attached.") > score
    page = _text(message.get_body(("html",)).get_content())
    assert f"{total}%" in page and f"lstm_forward ({forward} / 15): " in page


def test_the_dashboard_says_the_courses_decimals(graded, tmp_path):
    toml, out, total, _ = graded
    with serving(toml.parent, out, log=tmp_path / "serve.log") as url:
        cookie = login_cookie(url)
        status, _, body = request(url, "GET", "/student/asha", headers=[("Cookie", cookie)])
        assert status == 200
        page = _text(body.decode())
        assert f"{total}%" in page and f"{total} / 100" in page
        status, _, body = request(url, "GET", "/students", headers=[("Cookie", cookie)])
        assert status == 200 and f"{total}%" in _text(body.decode())


def test_a_dask_worker_that_sees_no_course_folder_is_given_its_decimals(tmp_path):
    """The job a Dask worker takes carries the course's decimals: the worker's plan, made in
    a folder that is no course, writes the pages with them (no notebook is run here)."""
    folder = _folder(tmp_path, "decimals = 1\n")
    plan = plan_for(folder / "lstm_gates", tmp_path / "out", unsafe_no_sandbox=True)
    assert plan.decimals == 1
    job = remote.job_of(plan, None, True)
    on_worker = remote._plan(job)  # outside a worker: in the system's temporary folder
    shutil.rmtree(on_worker.config.directory.parent)
    assert on_worker.decimals == 1


@pytest.mark.parametrize("value", ["3", "0", '"2"', "true", "1.5"])
def test_decimals_other_than_one_or_two_are_refused_in_one_line(tmp_path, value):
    with pytest.raises(UserError) as refused:
        make_course(
            tmp_path, edit=lambda text: text.replace("[course]", f"[course]\ndecimals = {value}", 1)
        )
    said = str(refused.value)
    assert "'course.decimals'" in said and "give 1" in said and "\n" not in said
