"""The feedback page says what the course's late policy did to a late hand-in (or, where the
grading does not know the course, that `grader final` applies it), and what a forbidden
shortcut means and what to do, without "passed" cases beside its 0."""

from __future__ import annotations

import html
import re
import shutil

from course_kit import ROOT, make_course

import reference_lstm as ref
from grader.assignment import load_assignment
from grader.feedback import export
from grader.feedback.lateness import course_lateness
from grader.hand_in_time import HandInTime
from grader.lms.lateness import lateness_of
from grader.scoring import Rules, score_function

ASSIGNMENT = load_assignment(ROOT / "assignments" / "lstm_gates")
RULES = Rules.of(ASSIGNMENT)


def _graded(**changes) -> export.GradedSubmission:
    cases = ASSIGNMENT.hidden_cases(3)
    functions = {}
    for name in ("forget_gate", "lstm_cell"):
        outcomes = [(ref.__dict__[name](*c.args), None) for c in cases[name]]
        forbidden = ["torch.nn.LSTMCell (called in lstm_cell)"] if name == "lstm_cell" else []
        scored = score_function(name, 10, cases[name], outcomes, RULES)
        functions[name] = scored.with_forbidden(forbidden)
    defaults = dict(
        student="asha", title="LSTM gates", seed=3, status="graded", reason=None, late=None
    )
    return export.GradedSubmission(functions=functions, **{**defaults, **changes})


def _text(page: str) -> str:
    return html.unescape(re.sub(r"\s+", " ", re.sub(r"<[^>]+>", " ", page)))


def test_a_late_hand_in_in_a_course_says_what_the_policy_keeps(tmp_path):
    course, _ = make_course(tmp_path)
    folder = course.assignment_folder("lstm_gates")
    shutil.copytree(ROOT / "assignments" / "lstm_gates", folder)
    # deadline 2026-12-18T23:59+05:30; 34 h 1 min late: 2 days at 10% a day
    lateness = course_lateness(
        folder, "lstm_gates", "asha", HandInTime("2026-12-20T10:00:00+05:30"), True
    )
    assert lateness is not None and lateness.factor == 0.8
    page = _text(export.feedback_html(_graded(late=True, lateness=lateness)))
    assert "Score: 10 / 20" in page
    assert "Late: 1 d 10 h 1 min late (2 days): -20%" in page
    assert "keeps 80% of its score: 8 of 20 (not 10) counts toward the final grade" in page
    on_time = course_lateness(
        folder, "lstm_gates", "asha", HandInTime("2026-12-18T12:00:00+05:30"), False
    )
    assert on_time is not None and not on_time.late
    assert "Late" not in _text(export.feedback_html(_graded(late=False, lateness=on_time)))


def test_a_hand_in_the_lms_called_late_with_no_time_reads_as_grader_final_reads_it(tmp_path):
    """Canvas's download says LATE and gives no time: the page says so, charges nothing it
    cannot compute, and is the very verdict ``grader final`` applies (not a guessed day)."""
    course, _ = make_course(tmp_path)
    folder = course.assignment_folder("lstm_gates")
    shutil.copytree(ROOT / "assignments" / "lstm_gates", folder)
    handed_in = HandInTime.of_record({"at": None, "late_verdict": "Canvas's LATE mark"})
    lateness = course_lateness(folder, "lstm_gates", "asha", handed_in, True)
    component = course.component("lstm_gates")
    assert component is not None
    assert lateness == lateness_of(course, component, "asha", handed_in, True)
    assert lateness.late and lateness.factor == 1.0
    assert "late by Canvas's LATE mark, how late is unknown" in lateness.why
    page = _text(export.feedback_html(_graded(late=True, lateness=lateness)))
    assert "how late is unknown" in page


def test_a_late_hand_in_outside_a_course_says_grader_final_applies_the_policy(tmp_path):
    lateness = course_lateness(ROOT / "examples", "lstm_gates", "asha", HandInTime(), True)
    assert lateness is None
    page = _text(export.feedback_html(_graded(late=True)))
    assert "before any late penalty: the course's late policy is applied by `grader final`" in page


def test_a_forbidden_shortcut_says_what_it_means_and_shows_no_passed_case():
    page = export.feedback_html(_graded())
    fix = _text(page.split('id="fix-lstm_cell"', 1)[1].split("</section>", 1)[0])
    assert "lstm_cell scores 0 whatever its values" in fix
    assert "Write lstm_cell in numpy, without the shortcut" in fix
    assert "forbidden" in fix.split("lstm_cell", 2)[1]  # the verdict beside the name
    assert "passed" not in fix
    detail = _text(page.split('id="lstm_cell"', 1)[1].split("</details>", 1)[0])
    assert "Forbidden shortcut: torch.nn.LSTMCell" in detail
    assert "passed" not in detail and "largest error" not in detail
    gate = _text(page.split("<code>forget_gate</code>", 1)[1].split("</tr>", 1)[0])
    assert "passed" in gate and "forbidden" not in gate


def test_scores_read_rounded_where_people_read_them_and_exact_where_machines_do():
    """Issue 76: a function that passes 1 of its 3 cases earns 10/3 = 3.3333 points: the page
    and results.json's output say 3.33, results.json's numbers keep what was computed."""
    cases = ASSIGNMENT.hidden_cases(3)["forget_gate"][:3]
    outcomes = [
        (ref.forget_gate(*c.args) + (0.0 if k < 1 else 1.0), None) for k, c in enumerate(cases)
    ]
    scored = score_function("forget_gate", 10, cases, outcomes, RULES)
    assert len(cases) == 3 and scored.score == round(10 / 3, 4)
    graded = export.GradedSubmission(
        "asha", "LSTM gates", 3, "graded", None, {"forget_gate": scored}
    )
    page = _text(export.feedback_html(graded))
    assert "Score: 3.33 / 10" in page and "3.333" not in page
    document = export.results_json(graded)
    assert document["score"] == scored.score and document["tests"][0]["score"] == scored.score
    assert document["output"].startswith("3.33 / 10 points.")
    # the cause first, then the case to paste, then the tolerance once and the cases
    output = document["tests"][0]["output"]
    hint, paste, cases_at = (
        output.index("Hint ["),
        output.index("paste this"),
        output.index("Cases (a value passes within 1e-05 + 0.0001·|expected| of the right one):"),
    )
    assert hint < paste < cases_at
    assert output.count("1e-05") == 1


def test_a_file_that_could_not_be_read_is_named_in_one_line_under_the_score():
    """Issue 95: collect listed a file of the hand-in as unreadable; the page and results.json
    name it, with why, in one line near the top; a hand-in without one says nothing of it."""
    unreadable = {"results.zip": "not a readable zip (file is not a zip file)"}
    graded = _graded(unreadable=unreadable)
    said = (
        "results.zip could not be read (not a readable zip (file is not a zip file)):"
        " the rest of your hand-in was graded"
    )
    page = _text(export.feedback_html(graded))
    assert said in page.split("Score: 10 / 20", 1)[1].split("What to fix", 1)[0]
    document = export.results_json(graded)
    assert document["output"].splitlines()[:2] == [said, "10 / 20 points."]
    assert document["extra_data"]["unreadable"] == unreadable
    missing = _graded(status="missing", reason="no hand-in for lstm_gates", unreadable=unreadable)
    assert "results.zip could not be read" in export.results_json(missing)["output"]
    assert "rest of your hand-in was graded" not in _text(export.feedback_html(missing))
    plain = _graded()
    assert "could not be read" not in _text(export.feedback_html(plain))
    assert "unreadable" not in export.results_json(plain)["extra_data"]
