"""The Canvas and Moodle files read the way those systems' importers read them (see
lms_importers): what an import leaves in the LMS, not just the file's layout. A component
nobody has graded stays out and the LMS keeps its grades; a student without an email never
has their grades land on someone else in Moodle; each component on its own points."""

from __future__ import annotations

import pytest
from course_kit import WIDE_ROSTER, auto_result, full_marks, make_course
from lms_importers import canvas_import, moodle_import

from grader import cli
from grader.course import exports
from grader.course.book import CourseBook
from grader.course.final import final_grades
from grader.errors import UserError

STUDENTS = ("CS21B042", "EE21B017", "ME21B103", "SE21B007", "BT21B055", "PH21B011")
EMAILS = {
    "CS21B042": "asha.verma@example.edu",
    "EE21B017": "rahul.menon@example.edu",
    "ME21B103": "priya.nair@example.edu",
    "SE21B007": "zoe.unal@example.edu",
    "BT21B055": "ananya.sharma@example.edu",
}
# What the LMS held before the import: last term's template, 90 for everything.
BEFORE = 90.0


def graded_course(tmp_path, edit=str):
    """The wide roster; lstm_gates graded for everyone (score = 50 + 10 * position),
    project1 marked in full for CS21B042; rnn_gradients, lstm_backward and project2 by nobody."""
    course, projects = make_course(tmp_path, WIDE_ROSTER, edit)
    out = tmp_path / "graded"
    for position, student in enumerate(STUDENTS):
        auto_result(out, "lstm_gates", student, 50 + 10 * position)
    with CourseBook(out / "gradebook.sqlite") as book:
        full_marks(book, projects.rubric, "CS21B042", "project1")
    return course, projects, out


def lms_before(course, keys) -> dict[str, dict[str, float | None]]:
    titles = [c.title for c in course.components] + [exports.FINAL_TOTAL_TITLE]
    return {key: dict.fromkeys(titles, BEFORE) for key in keys}


def test_a_component_nobody_has_graded_keeps_the_grades_the_lms_holds(tmp_path, capsys):
    course, _, out = graded_course(tmp_path)
    assert cli.main(["final", "--course", str(course.path), "--out", str(out)]) == 0
    gates, rnn = course.component("lstm_gates").title, course.component("rnn_gradients").title

    canvas, _ = canvas_import(out / "final" / "canvas-import.csv", lms_before(course, STUDENTS))
    assert canvas["EE21B017"][gates] == 60.0
    assert {canvas[s][rnn] for s in STUDENTS} == {BEFORE}  # not cleared to "no grade"
    assert canvas["EE21B017"][course.component("project1").title] == 0.0  # graded for some

    moodle = moodle_import(out / "final" / "moodle-import.csv", lms_before(course, EMAILS.values()))
    assert moodle["rahul.menon@example.edu"][gates] == 60.0
    assert {moodle[e][rnn] for e in EMAILS.values()} == {BEFORE}
    err = capsys.readouterr().err
    for ungraded in ("rnn_gradients", "lstm_backward", "project2"):
        assert f"note: {ungraded}: nobody has a grade yet, so it is left out" in err


def test_a_student_without_email_never_gets_graded_as_someone_else_in_moodle(tmp_path, capsys):
    course, projects, out = graded_course(tmp_path)
    assert cli.main(["final", "--course", str(course.path), "--out", str(out)]) == 0
    moodle = moodle_import(out / "final" / "moodle-import.csv", lms_before(course, EMAILS.values()))
    grades = {g.person.id: g for g in final_grades(course, out, projects.rubric)}
    gates = course.component("lstm_gates").title
    for student, address in EMAILS.items():
        # each Moodle user ends with their own grade, the student above Noor Khan included
        assert moodle[address][gates] == pytest.approx(grades[student].parts[0].fraction * 100)
        final = None if grades[student].pending else grades[student].total  # blank: no grade
        assert moodle[address][exports.FINAL_TOTAL_TITLE] == final
    assert "PH21B011" not in (out / "final" / "moodle-import.csv").read_text(encoding="utf-8")
    canvas, _ = canvas_import(out / "final" / "canvas-import.csv", lms_before(course, STUDENTS))
    assert canvas["PH21B011"][gates] == 100.0  # Canvas matches by SIS User ID: no email needed
    assert "note: PH21B011 (Noor Khan): no email on the roster, so left out of the Moodle" in (
        capsys.readouterr().err
    )
    # and listed beside the files, for whoever uploads them
    listed = (out / "final" / exports.NOTES_FILE).read_text(encoding="utf-8")
    assert "- PH21B011 (Noor Khan): no email on the roster, so left out of the Moodle" in listed


def test_names_with_commas_quotes_and_devanagari_survive_the_files(tmp_path):
    course, projects, out = graded_course(tmp_path)
    grades = final_grades(course, out, projects.rubric)
    path = exports.moodle_csv(course, grades, tmp_path / "m.csv")
    text = path.read_text(encoding="utf-8")
    assert '"Ünal, Zoë","""Z""",SE21B007,zoe.unal@example.edu' in text
    assert "अनन्या,शर्मा,BT21B055" in text


def test_each_component_is_exported_on_its_points_in_the_lms(tmp_path):
    def points(text: str) -> str:
        text = text.replace('id = "lstm_gates"\n', 'id = "lstm_gates"\nlms_points = 20\n')
        return text.replace('id = "project1"\n', 'id = "project1"\nlms_points = 12.5\n')

    course, projects, out = graded_course(tmp_path, points)
    assert course.component("lstm_gates").lms_points == 20
    assert course.component("lstm_backward").lms_points == 100  # the default
    grades = final_grades(course, out, projects.rubric)
    gates, project1 = course.component("lstm_gates").title, course.component("project1").title

    canvas, possible = canvas_import(
        exports.canvas_csv(course, grades, tmp_path / "c.csv"), lms_before(course, STUDENTS)
    )
    assert possible == {gates: 20.0, project1: 12.5, exports.FINAL_TOTAL_TITLE: 100.0}
    assert canvas["CS21B042"][gates] == 10.0  # 50% of 20 points
    assert canvas["EE21B017"][gates] == 12.0  # 60% of 20
    assert canvas["CS21B042"][project1] == 12.5
    for student in STUDENTS:
        assert canvas[student][gates] <= possible[gates]

    moodle = moodle_import(
        exports.moodle_csv(course, grades, tmp_path / "m.csv"), lms_before(course, EMAILS.values())
    )
    assert moodle["priya.nair@example.edu"][gates] == 14.0  # 70% of 20
    assert moodle["asha.verma@example.edu"][project1] == 12.5


def test_lms_points_must_be_a_positive_number(tmp_path):
    def zero(text: str) -> str:
        return text.replace('id = "lstm_gates"\n', 'id = "lstm_gates"\nlms_points = 0\n')

    with pytest.raises(UserError, match=r"'component\[0\].lms_points' must be more than 0"):
        make_course(tmp_path, edit=zero)


def test_moodle_gets_an_address_in_the_case_the_roster_writes_it(tmp_path):
    # Moodle matches the import's addresses as its users hold them, case and all; a roster from
    # Moodle writes them so. The grader still knows the student by mail in any case.
    mixed = WIDE_ROSTER.replace("rahul.menon@example.edu", "Rahul.Menon@Example.edu")
    assert mixed != WIDE_ROSTER
    course, _, out = graded_course(tmp_path)
    (course.path.parent / "roster.csv").write_text(mixed, encoding="utf-8")
    assert cli.main(["final", "--course", str(course.path), "--out", str(out)]) == 0
    users = [*EMAILS.values()]
    users[users.index("rahul.menon@example.edu")] = "Rahul.Menon@Example.edu"
    moodle = moodle_import(out / "final" / "moodle-import.csv", lms_before(course, users))
    assert moodle["Rahul.Menon@Example.edu"][course.component("lstm_gates").title] == 60.0


def test_a_title_with_a_comma_quotes_and_umlauts_keeps_its_column_and_values(tmp_path):
    quiz = 'Quiz — Wörter, "week 1"'

    def titled(text: str) -> str:
        return text.replace('title = "Assignment 1: LSTM gates"', "title = '" + quiz + "'")

    course, _, out = graded_course(tmp_path, titled)
    assert course.component("lstm_gates").title == quiz
    assert cli.main(["final", "--course", str(course.path), "--out", str(out)]) == 0
    canvas, possible = canvas_import(
        out / "final" / "canvas-import.csv", lms_before(course, STUDENTS)
    )
    assert possible[quiz] == 100.0
    assert [canvas[s][quiz] for s in STUDENTS] == [50.0, 60.0, 70.0, 80.0, 90.0, 100.0]
    moodle = moodle_import(out / "final" / "moodle-import.csv", lms_before(course, EMAILS.values()))
    assert [moodle[EMAILS[s]][quiz] for s in STUDENTS[:5]] == [50.0, 60.0, 70.0, 80.0, 90.0]
