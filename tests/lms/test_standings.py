"""Mid-term standings (issue 37): `grader final --so-far`, the mail and the LMS files say what is
graded, what is pending and the standing over the graded components only; a component not
graded yet is never a 0 in anything a student or an LMS receives; components can be chosen."""

from __future__ import annotations

import csv
import email
import email.policy
from pathlib import Path

import pytest
from course_kit import auto_result, full_marks, handed_in, make_course

from grader import cli
from grader.gradebook.course_book import CourseBook


@pytest.fixture
def midterm(tmp_path):
    """Assignment 1 graded (Asha 100%, Rahul 50%, Priya sent nothing); project 1 handed in by
    Asha (marked in full) and Rahul (not marked yet); the rest graded for nobody."""
    course, projects = make_course(tmp_path)
    out = tmp_path / "graded"
    gates = course.component("lstm_gates")
    on_time = handed_in(tmp_path, "CS21B042", str(gates.deadline))
    auto_result(out, "lstm_gates", "CS21B042", 100, on_time)
    auto_result(out, "lstm_gates", "EE21B017", 50)
    auto_result(out, "lstm_gates", "ME21B103", 0, status="missing")
    with CourseBook(out / "gradebook.sqlite") as book:
        for student in ("CS21B042", "EE21B017"):
            book.record_checks(
                student,
                "project1",
                str(course.component("project1").deadline),
                {"report": {"verdict": "passes --check"}, "notebook": {"status": "ran"}},
            )
        full_marks(book, projects.rubric, "CS21B042", "project1")
    return course, out


def rows_of(path: Path) -> dict[str, dict[str, str]]:
    with path.open(encoding="utf-8", newline="") as stream:
        rows = list(csv.DictReader(stream))
    key = next(k for k in ("SIS User ID", "ID number", "student") if k in rows[0])
    return {row[key]: row for row in rows if row[key]}  # not Canvas's "Points Possible" row


def args(course, out, *more: str) -> list[str]:
    return ["--course", str(course.path), "--out", str(out), *more]


def test_so_far_gives_the_standing_over_graded_components_and_leaves_pending_blank(midterm, capsys):
    course, out = midterm
    assert cli.main(["final", *args(course, out), "--so-far"]) == 0
    printed = capsys.readouterr().out
    assert "standing/100" in printed
    canvas = rows_of(out / "final" / "canvas-import.csv")
    asha, rahul = canvas["CS21B042"], canvas["EE21B017"]
    # weights 15 (assignment 1) and 25 (project 1): Asha has full marks on both
    assert asha["Standing so far"] == "100.00"
    assert rahul["Project 1"] == ""  # handed in, not marked: no grade, not 0
    assert rahul["Standing so far"] == "50.00"  # over assignment 1 only
    assert canvas["ME21B103"]["Assignment 1: LSTM gates"] == "0.00"  # sent nothing: a real 0
    assert "Assignment 2: RNN gradients" not in asha  # graded for nobody: left out
    moodle = rows_of(out / "final" / "moodle-import.csv")
    assert moodle["EE21B017"]["Project 1"] == ""
    assert moodle["EE21B017"]["Standing so far"] == "50.00"


def test_a_final_grade_with_pending_components_is_never_sent_to_an_lms(midterm, capsys):
    course, out = midterm
    assert cli.main(["final", *args(course, out)]) == 0
    notes = capsys.readouterr().err
    canvas = rows_of(out / "final" / "canvas-import.csv")
    assert canvas["CS21B042"]["Final grade"] == ""  # 40 of 100 weight graded: not final
    assert "--so-far" in notes
    plain = rows_of(out / "final" / "final-grades.csv")["CS21B042"]
    assert plain["rnn_gradients"] == "" and plain["rnn_gradients remark"] == "not graded yet"
    assert plain["standing over graded components (out of 100)"] == "100.00"
    assert plain["pending"] == "rnn_gradients; lstm_backward; project2"


def test_the_console_total_says_pending_as_the_csv_leaves_it_blank(midterm, capsys):
    """Issue 67: the printed table counted a pending component as 0 in total/100 (15.00 for
    Asha, whose graded work is full marks) while final-grades.csv left it blank."""
    course, out = midterm
    assert cli.main(["final", *args(course, out)]) == 0
    printed = capsys.readouterr().out
    asha = next(line.split() for line in printed.splitlines() if line.startswith("CS21B042"))
    assert asha[-1] == "pending"
    assert "15.00" not in printed and "counted 0: see" not in printed
    assert "no total while a component is pending" in printed


def test_the_mail_says_what_is_graded_and_pending_never_a_zero(midterm, capsys):
    course, out = midterm
    assert cli.main(["mail", *args(course, out), "--from", "TA <ta@example.edu>"]) == 0
    message = email.message_from_bytes(
        (out / "mail" / "CS21B042.eml").read_bytes(), policy=email.policy.default
    )
    text = message.get_body(("plain",)).get_content()
    assert "Assignment 1: LSTM gates: 100%" in text
    assert "Assignment 2: RNN gradients: pending (not graded yet)" in text
    assert "Standing so far: 100 out of 100, over the graded components only" in text
    assert "Not graded yet: Assignment 2: RNN gradients, Assignment 3" in text
    assert ": 0%" not in text and "Final grade" not in text
    html = message.get_body(("html",)).get_content()
    assert "Standing so far: 100 out of 100" in html


def test_chosen_components_for_the_mail_and_the_exports(midterm, capsys):
    course, out = midterm
    chosen = ["--components", "lstm_gates"]
    assert cli.main(["mail", *args(course, out), "--from", "TA <ta@example.edu>", *chosen]) == 0
    text = (
        email.message_from_bytes(
            (out / "mail" / "EE21B017.eml").read_bytes(), policy=email.policy.default
        )
        .get_body(("plain",))
        .get_content()
    )
    assert "Assignment 1: LSTM gates: 50%" in text and "Final grade: 50 out of 100" in text
    assert "Project" not in text and "RNN" not in text
    assert cli.main(["final", *args(course, out), *chosen]) == 0
    header = next(csv.reader((out / "final" / "canvas-import.csv").open(encoding="utf-8")))
    assert header[5:] == ["Assignment 1: LSTM gates", "Final grade"]
    assert cli.main(["final", *args(course, out), "--components", "lstm_gates,nope"]) == 2
    assert "nope is not a component" in capsys.readouterr().err
