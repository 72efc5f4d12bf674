"""The dashboard shows per-student variants (issue 55): a hand-in that is not the student's own
notebook is flagged on the overview and the student's page with both students named, the
class-wide notebook as such, and the student's page gives their own values and drawn questions;
both pages pass axe-core's WCAG 2.1 AA rules in chromium."""

from __future__ import annotations

import pytest
from axe_kit import violations
from pools_kit import with_pool
from variants_kit import roster, with_variants
from web_kit import log_in, login_cookie, request, serving

from grader.cli import main
from grader.gradebook.results import Gradebook, Row
from grader.variants.record import read_record

# What grading recorded of each hand-in's variant (grader.variants.attribution's words).
VERDICTS = {
    "S000": "own",
    "S001": "class-wide notebook",
    "S002": "another student's: released to S003, handed in by S002",
    "S003": "another student's: released to S002, handed in by S003",
}


@pytest.fixture(scope="module")
def served(tmp_path_factory) -> dict:
    """A `grader init` course of four students released per student (lstm_gates drawing 2 of 4
    gates, rnn_gradients with its own values), their lstm_gates graded as VERDICTS says."""
    base = tmp_path_factory.mktemp("variant-flags")
    folder = base / "course"
    assert main(["init", str(folder)]) == 0
    (folder / "roster.csv").write_text(roster(4), encoding="utf-8")
    with_pool(folder / "assignments" / "lstm_gates")
    with_variants(folder / "assignments" / "rnn_gradients")
    for name in ("lstm_gates", "rnn_gradients"):
        release = ["assign", str(folder / "assignments" / name), "--per-student"]
        assert main([*release, "--out", str(base / "release")]) == 0
    out = folder / "graded"
    with Gradebook(out / "lstm_gates" / "gradebook.sqlite") as book:
        run = book.start_run("lstm_gates", {})
        for student, verdict in VERDICTS.items():
            functions = {"cell_state": 15.0, "hidden_state": 15.0}
            row = Row(student, "x.ipynb", student, 1, "graded", None, 30, 50, False, functions)
            book.record(run, Row(**{**row.__dict__, "variant": verdict}))
    with serving(folder, out, log=base / "serve.log") as url:
        yield {"url": url, "cookie": login_cookie(url), "course": folder}


def page(served: dict, path: str) -> str:
    status, _, body = request(served["url"], "GET", path, headers=[("Cookie", served["cookie"])])
    assert status == 200, status
    return body.decode()


def test_the_overview_flags_every_hand_in_not_the_students_own(served):
    html = page(served, "/")
    assert 'id="variant-flags-lstm_gates"' in html
    assert "<strong>3</strong> hand-in(s) not the student's own notebook" in html
    for student in ("S001", "S002", "S003"):
        said = VERDICTS[student].replace("'", "&#39;")
        assert f'<a href="/student/{student}">{student}</a>: {said}</li>' in html
    assert '<a href="/student/S000">S000</a>:' not in html


def test_the_students_page_gives_their_values_questions_and_the_flag(served):
    html = page(served, "/student/S002")
    values = read_record(served["course"], "rnn_gradients").of("S002").values
    drawn = read_record(served["course"], "lstm_gates").of("S002").questions["gates"]
    assert (
        f"values: W_rec = {values['W_rec']}, steps = {values['steps']}, activation ="
        f" {values['activation']}" in html
    )
    assert f"questions: pool gates: {', '.join(drawn)}" in html
    assert (
        "Flagged: the hand-in is not S002's own notebook (another student&#39;s: released to"
        " S003, handed in by S002)" in html
    )
    own = page(served, "/student/S000")
    assert "Flagged" not in own and "hand-in: own notebook" in own


def test_the_flagged_pages_pass_axe(served, browser):
    context = browser.new_context(viewport={"width": 1280, "height": 900})
    tab = context.new_page()
    try:
        log_in(tab, served["url"])
        found = {}
        for path in ("/", "/student/S002", "/student/S001"):
            tab.goto(served["url"] + path)
            found[path] = violations(tab)
        # the flag's link to the student is reached by the keyboard
        tab.goto(served["url"] + "/")
        link = tab.locator("#variant-flags-lstm_gates a", has_text="S002")
        link.focus()
        tab.keyboard.press("Enter")
        tab.wait_for_url("**/student/S002")
    finally:
        context.close()
    assert not any(found.values()), found
