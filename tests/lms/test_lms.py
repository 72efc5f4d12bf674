"""The Canvas and Moodle files read the way those systems' importers read them (see
lms_importers): what an import leaves in the LMS, not just the file's layout. A component
nobody has graded stays out and the LMS keeps its grades; a student without an email never
has their grades land on someone else in Moodle, and has a row there, mapped by ID number; each
component on its own points."""

from __future__ import annotations

import csv

import pytest
from course_kit import WIDE_ROSTER, auto_result, full_marks, make_course
from lms_importers import ImportAborted, canvas_import, moodle_import

from grader import cli
from grader.errors import UserError
from grader.gradebook.course_book import CourseBook
from grader.lms import exports
from grader.lms.final import final_grades

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


def moodle_by_id(path, course) -> dict[str, dict[str, float | None]]:
    """Moodle's gradebook after importing ``path`` mapped from "ID number", as LMS-NOTES says."""
    return moodle_import(path, lms_before(course, STUDENTS), identity_column="ID number")


def test_a_component_nobody_has_graded_keeps_the_grades_the_lms_holds(tmp_path, capsys):
    course, _, out = graded_course(tmp_path)
    assert cli.main(["final", "--course", str(course.path), "--out", str(out)]) == 0
    gates, rnn = course.component("lstm_gates").title, course.component("rnn_gradients").title

    canvas, _ = canvas_import(out / "final" / "canvas-import.csv", lms_before(course, STUDENTS))
    assert canvas["EE21B017"][gates] == 60.0
    assert {canvas[s][rnn] for s in STUDENTS} == {BEFORE}  # not cleared to "no grade"
    assert canvas["EE21B017"][course.component("project1").title] == 0.0  # graded for some

    moodle = moodle_by_id(out / "final" / "moodle-import.csv", course)
    assert moodle["EE21B017"][gates] == 60.0
    assert {moodle[s][rnn] for s in STUDENTS} == {BEFORE}
    err = capsys.readouterr().err
    for ungraded in ("rnn_gradients", "lstm_backward", "project2"):
        assert f"note: {ungraded}: nobody has a grade yet, so it is left out" in err


def test_every_student_has_a_moodle_row_a_student_without_email_included(tmp_path, capsys):
    course, projects, out = graded_course(tmp_path)
    assert cli.main(["final", "--course", str(course.path), "--out", str(out)]) == 0
    path = out / "final" / "moodle-import.csv"
    rows = list(csv.DictReader(path.open(encoding="utf-8", newline="")))
    assert sorted(row["ID number"] for row in rows) == sorted(STUDENTS)
    assert {row["ID number"]: row["Email address"] for row in rows} == {**EMAILS, "PH21B011": ""}
    # mapped from ID number, as the notes say, each student ends with their own grades
    moodle = moodle_by_id(path, course)
    grades = {g.person.id: g for g in final_grades(course, out, projects.rubric)}
    gates = course.component("lstm_gates").title
    for student in STUDENTS:
        assert moodle[student][gates] == pytest.approx(grades[student].parts[0].fraction * 100)
        final = None if grades[student].pending else grades[student].total  # blank: no grade
        assert moodle[student][exports.FINAL_TOTAL_TITLE] == final
    assert moodle["PH21B011"][gates] == 100.0
    # mapped from Email address, the import stops rather than give Noor's grades to another
    with pytest.raises(ImportAborted):
        moodle_import(path, lms_before(course, EMAILS.values()))
    canvas, _ = canvas_import(out / "final" / "canvas-import.csv", lms_before(course, STUDENTS))
    assert canvas["PH21B011"][gates] == 100.0  # Canvas matches by SIS User ID: no email needed
    said = "map from 'ID number' to 'ID number'"
    assert said in capsys.readouterr().err
    # and written beside the files, for whoever uploads them
    listed = (out / "final" / exports.NOTES_FILE).read_text(encoding="utf-8")
    assert said in listed and "no email on the roster: PH21B011 (Noor Khan)" in listed


def test_with_every_address_known_moodle_can_be_mapped_by_either(tmp_path):
    course, projects, out = graded_course(tmp_path)
    course.roster_path.write_text(
        WIDE_ROSTER.replace("Noor Khan,,", "Noor Khan,noor.khan@example.edu,"), encoding="utf-8"
    )
    assert cli.main(["final", "--course", str(course.path), "--out", str(out)]) == 0
    path = out / "final" / "moodle-import.csv"
    users = [*EMAILS.values(), "noor.khan@example.edu"]
    by_email = moodle_import(path, lms_before(course, users))
    by_id = moodle_by_id(path, course)
    gates = course.component("lstm_gates").title
    assert [by_email[user][gates] for user in users] == [by_id[s][gates] for s in STUDENTS]
    listed = (out / "final" / exports.NOTES_FILE).read_text(encoding="utf-8")
    assert "mapping 'Email address' to 'Email address' works too" in listed


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

    moodle = moodle_by_id(exports.moodle_csv(course, grades, tmp_path / "m.csv"), course)
    assert moodle["ME21B103"][gates] == 14.0  # 70% of 20
    assert moodle["CS21B042"][project1] == 12.5


def test_lms_points_must_be_a_positive_number(tmp_path):
    def zero(text: str) -> str:
        return text.replace('id = "lstm_gates"\n', 'id = "lstm_gates"\nlms_points = 0\n')

    with pytest.raises(UserError, match=r"'component\[0\].lms_points' must be more than 0"):
        make_course(tmp_path, edit=zero)


def test_moodle_gets_an_address_in_the_case_the_roster_writes_it(tmp_path):
    # Moodle matches the import's addresses as its users hold them, case and all; a roster from
    # Moodle writes them so. The grader still knows the student by mail in any case.
    mixed = WIDE_ROSTER.replace("rahul.menon@example.edu", "Rahul.Menon@Example.edu")
    mixed = mixed.replace("Noor Khan,,", "Noor Khan,noor.khan@example.edu,")  # mapped by email
    assert mixed != WIDE_ROSTER
    course, _, out = graded_course(tmp_path)
    (course.path.parent / "roster.csv").write_text(mixed, encoding="utf-8")
    assert cli.main(["final", "--course", str(course.path), "--out", str(out)]) == 0
    users = [*EMAILS.values(), "noor.khan@example.edu"]
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
    moodle = moodle_by_id(out / "final" / "moodle-import.csv", course)
    assert [moodle[s][quiz] for s in STUDENTS] == [50.0, 60.0, 70.0, 80.0, 90.0, 100.0]


def test_a_title_saved_decomposed_by_a_mac_editor_lands_on_the_lms_column_of_that_name(tmp_path):
    # TextEdit and other macOS editors may save "ö" as "o" + U+0308; the LMS holds the title as
    # typed in a browser, composed. A basic TOML string, escaped quotes, a trailing space.
    quiz = 'Quiz — Wörter, "week 1"'
    saved = 'title = "Quiz — Wo\u0308rter, \\"week 1\\" "'

    def titled(text: str) -> str:
        return text.replace('title = "Assignment 1: LSTM gates"', saved)

    course, _, out = graded_course(tmp_path, titled)
    assert saved in course.path.read_text(encoding="utf-8")
    assert cli.main(["final", "--course", str(course.path), "--out", str(out)]) == 0
    held = [quiz if c.id == "lstm_gates" else c.title for c in course.components]

    def lms(keys):
        return {key: dict.fromkeys([*held, exports.FINAL_TOTAL_TITLE], BEFORE) for key in keys}

    canvas, possible = canvas_import(out / "final" / "canvas-import.csv", lms(STUDENTS))
    assert possible[quiz] == 100.0
    assert [canvas[s][quiz] for s in STUDENTS] == [50.0, 60.0, 70.0, 80.0, 90.0, 100.0]
    assert all(set(canvas[s]) == set(lms(STUDENTS)[s]) for s in STUDENTS)  # no new column
    path = out / "final" / "moodle-import.csv"
    moodle = moodle_import(path, lms(STUDENTS), identity_column="ID number")
    assert [moodle[s][quiz] for s in STUDENTS] == [50.0, 60.0, 70.0, 80.0, 90.0, 100.0]
    assert all(set(moodle[s]) == set(lms(STUDENTS)[s]) for s in STUDENTS)


def test_two_components_with_one_title_are_refused(tmp_path):
    def twins(text: str) -> str:
        return text.replace('title = "Assignment 2: RNN gradients"', 'title = "Project 1"')

    with pytest.raises(UserError, match=r"'rnn_gradients' and 'project1' have the same title"):
        make_course(tmp_path, edit=twins)
