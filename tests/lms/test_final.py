"""Final grades from the gradebooks: each component, the late penalty with its reason, missing
work as 0 with a word; regrades and mark changes flow through; the LMS exports' layouts."""

from __future__ import annotations

import csv
from datetime import timedelta
from pathlib import Path

import pytest
from course_kit import auto_result, full_marks, handed_in, make_course

from grader import cli
from grader.gradebook.course_book import CourseBook
from grader.lms import exports
from grader.lms.final import final_grades, table


@pytest.fixture
def setup(tmp_path):
    course, projects = make_course(tmp_path)
    out = tmp_path / "graded"
    project1 = course.component("project1")
    gates = course.component("lstm_gates")
    on_time = handed_in(tmp_path, "CS21B042", gates.deadline.isoformat())
    auto_result(out, "lstm_gates", "CS21B042", 80, on_time)
    auto_result(out, "lstm_gates", "EE21B017", 100)
    auto_result(out, "lstm_backward", "CS21B042", 50)
    auto_result(out, "lstm_backward", "ME21B103", 0, status="missing")
    with CourseBook(out / "gradebook.sqlite") as book:
        late = (project1.deadline + timedelta(days=1, hours=12)).isoformat()
        book.record_checks(
            "CS21B042",
            "project1",
            late,
            {"report": {"verdict": "passes --check"}, "notebook": {"status": "x"}},
        )
        full_marks(book, projects.rubric, "CS21B042", "project1")
    return course, projects, out


def grade_of(course, projects, out, student):
    return next(g for g in final_grades(course, out, projects.rubric) if g.person.id == student)


def test_each_component_the_penalty_and_why_and_missing_work(setup):
    course, projects, out = setup
    grades = final_grades(course, out, projects.rubric)
    assert [g.person.id for g in grades] == ["CS21B042", "EE21B017", "ME21B103"]  # no TA
    asha = grades[0]
    parts = {p.component: p for p in asha.parts}
    assert parts["lstm_gates"].fraction == pytest.approx(0.8)
    assert not parts["lstm_gates"].lateness.late  # handed in exactly at the deadline
    assert parts["rnn_gradients"].status == "not graded yet"
    assert parts["lstm_backward"].fraction == pytest.approx(0.5)
    assert parts["project1"].raw == 1.0
    assert parts["project1"].fraction == pytest.approx(0.8)
    assert "1 d 12 h late (2 days): -20%" in parts["project1"].explanation()
    assert parts["project2"].status == "missing" and parts["project2"].pending  # nobody's yet
    assert parts["project2"].explanation() == "nobody has handed it in or been marked yet"
    assert asha.total == pytest.approx(12 + 0 + 10 + 20 + 0)
    assert asha.standing == pytest.approx((12 + 10 + 20) / (15 + 20 + 25) * 100, abs=0.01)
    priya = grades[2]
    assert {p.component: p.status for p in priya.parts}["lstm_backward"] == "missing"
    assert priya.total == 0
    text = table(course, grades)
    asha_row = next(line for line in text.splitlines() if line.startswith("CS21B042")).split()
    assert "80" in asha_row and "80*" in asha_row  # lstm_gates, and project1 with its penalty
    assert "ME21B103 lstm_backward: no hand-in: 0" in text
    assert "rnn_gradients: nobody has a grade yet (pending)" in text
    assert "CS21B042 lstm_gates" not in text  # graded on time: nothing to remark


def test_a_regrade_and_a_changed_mark_flow_through(setup):
    course, projects, out = setup
    assert grade_of(course, projects, out, "CS21B042").total == pytest.approx(42)
    auto_result(out, "lstm_gates", "CS21B042", 100)  # regraded: the newest result counts
    assert grade_of(course, projects, out, "CS21B042").total == pytest.approx(45)
    with CourseBook(out / "gradebook.sqlite") as book:
        book.set_mark("CS21B042", "project1", "results", 10, "no baseline after all", by="prof")
    assert grade_of(course, projects, out, "CS21B042").total == pytest.approx(45 - 0.8 * 2.5)


def test_a_partly_marked_project_says_so(setup):
    course, projects, out = setup
    with CourseBook(out / "gradebook.sqlite") as book:
        book.set_mark("EE21B017", "project2", "results", 20, "", by="ta")
    part = {p.component: p for p in grade_of(course, projects, out, "EE21B017").parts}["project2"]
    assert part.status == "partly marked"
    assert "1 of 9 criteria marked (the rest count 0)" in part.explanation()
    assert part.fraction == pytest.approx(0.2)


def read(path: Path) -> list[list[str]]:
    with path.open(encoding="utf-8", newline="") as stream:
        return list(csv.reader(stream))


def test_canvas_gradebook_import_layout(setup, tmp_path):
    # Canvas's gradebook import takes the layout of its gradebook export: the columns
    # "Student", "ID", "SIS User ID", "SIS Login ID", "Section", then one column per assignment
    # (a new name makes a new assignment), and an optional "Points Possible" row under the
    # header. Students are matched by one of name, ID or SIS User ID. Source: Ohio State's
    # CarmenCanvas guide "Import a CSV file to Carmen Grades"
    # (https://teaching.resources.osu.edu/toolsets/carmencanvas/guides/calculating-final-grades/import-csv-file-carmen-grades)
    # and Instructure's CSV rules (https://developerdocs.instructure.com/services/canvas/sis/file.sis_csv):
    # a mandatory header row, RFC 4180 quoting, UTF-8.
    course, projects, out = setup
    path = exports.canvas_csv(
        course, final_grades(course, out, projects.rubric), tmp_path / "c.csv"
    )
    rows = read(path)
    assert rows[0][:5] == ["Student", "ID", "SIS User ID", "SIS Login ID", "Section"]
    # rnn_gradients is graded for nobody yet and project2 marked for nobody: left out
    graded = ["lstm_gates", "lstm_backward", "project1"]
    assert rows[0][5:] == [course.component(c).title for c in graded] + ["Final grade"]
    assert rows[1][0].strip() == "Points Possible" and rows[1][5:] == ["100.00"] * 4
    assert rows[2][:4] == ["Verma, Asha", "", "CS21B042", "asha.verma@example.edu"]
    assert rows[2][5:] == ["80.00", "50.00", "80.00", ""]  # pending components: not final
    assert len(rows) == 2 + 3
    assert path.read_bytes().count(b"\r\n") == len(rows)


def test_moodle_grade_import_layout(setup, tmp_path):
    # Moodle's "Import grades: CSV file" reads the layout of its own CSV export: user columns
    # "First name", "Last name", "ID number", "Email address", then one column per grade item;
    # on import the user is mapped from "ID number" to useridnumber or from "Email address" to
    # useremail, and each column to a grade item or a new one. Source: MoodleDocs "Grade import"
    # (https://docs.moodle.org/311/en/Grade_import).
    course, projects, out = setup
    path = exports.moodle_csv(
        course, final_grades(course, out, projects.rubric), tmp_path / "m.csv"
    )
    rows = read(path)
    graded = ["lstm_gates", "lstm_backward", "project1"]
    assert rows[0] == ["First name", "Last name", "ID number", "Email address"] + [
        course.component(c).title for c in graded
    ] + ["Final grade"]
    assert rows[1][:4] == ["Asha", "Verma", "CS21B042", "asha.verma@example.edu"]
    assert rows[1][-1] == ""  # pending components: no final grade yet


def test_plain_csv_and_the_cli(setup, capsys):
    course, projects, out = setup
    code = cli.main(["final", "--course", str(course.path), "--out", str(out)])
    printed = capsys.readouterr().out
    assert code == 0
    asha_line = next(line for line in printed.splitlines() if line.startswith("CS21B042"))
    # rnn_gradients and project2 are pending: no total, as the CSV (it was 42.00, them as 0)
    assert "Asha Verma" in asha_line and asha_line.split()[-1] == "pending"
    rows = read(out / "final" / "final-grades.csv")
    header, asha = rows[0], rows[1]
    assert header[:3] == ["student", "name", "email"] and header[-1] == "total (out of 100)"
    record = dict(zip(header, asha, strict=True))
    assert record["project1 late penalty %"] == "20"
    assert "1 d 12 h late" in record["project1 remark"]
    assert record["project2 remark"] == "nobody has handed it in or been marked yet"
    assert record["project2"] == "" and record["pending"] == "rnn_gradients; project2"
    assert (out / "final" / "canvas-import.csv").is_file()
    assert (out / "final" / "moodle-import.csv").is_file()


def test_a_late_auto_graded_hand_in_with_its_time(setup, tmp_path):
    course, projects, out = setup
    deadline = course.component("lstm_gates").deadline
    folder = handed_in(tmp_path, "EE21B017", (deadline + timedelta(hours=30)).isoformat())
    auto_result(out, "lstm_gates", "EE21B017", 100, folder, late=True)
    part = grade_of(course, projects, out, "EE21B017").parts[0]
    assert part.fraction == pytest.approx(0.8)
    assert part.explanation() == "1 d 6 h late (2 days): -20%"


def test_the_graded_versions_own_time_counts_and_a_newer_version_is_said(setup, tmp_path):
    # graded on time; the student sent another version two days late, collected since and not
    # graded yet: the grade is the graded version's, and the remark says a newer one waits
    course, projects, out = setup
    deadline = course.component("lstm_gates").deadline
    graded_at = (deadline - timedelta(hours=3)).isoformat()
    folder = handed_in(tmp_path, "EE21B017", (deadline + timedelta(days=2)).isoformat())
    auto_result(out, "lstm_gates", "EE21B017", 100, folder, handed_in_at=graded_at)
    part = grade_of(course, projects, out, "EE21B017").parts[0]
    assert part.fraction == 1.0 and not part.lateness.late
    assert "is not graded yet (grader grade --resume grades it)" in part.explanation()


def test_a_late_flag_without_a_time_is_counted_as_one_day_and_says_so(setup):
    course, projects, out = setup
    auto_result(out, "lstm_gates", "EE21B017", 100, "EE21B017.ipynb", late=True)
    part = grade_of(course, projects, out, "EE21B017").parts[0]
    assert part.fraction == pytest.approx(0.9)
    assert part.explanation().startswith("late, time unknown (counted as 1 day)")


def test_a_hand_in_time_without_a_zone_is_read_in_the_deadlines_zone(setup, tmp_path, capsys):
    # 2026-12-19T23:59:00 as a hand edit or another tool writes it: no UTC offset. Read as the
    # deadline's own zone (+05:30) it is exactly one day after 2026-12-18T23:59:00+05:30.
    course, projects, out = setup
    folder = handed_in(tmp_path, "EE21B017", "2026-12-19T23:59:00")
    auto_result(out, "lstm_gates", "EE21B017", 100, folder, late=True)
    with CourseBook(out / "gradebook.sqlite") as book:
        book.record_checks(
            "ME21B103",
            "project1",
            "2027-02-13T01:59:00",  # two hours after the deadline: within the grace period
            {"report": {"verdict": "passes --check"}, "notebook": {"status": "x"}},
        )
        full_marks(book, projects.rubric, "ME21B103", "project1")
    code = cli.main(["final", "--course", str(course.path), "--out", str(out)])
    printed = capsys.readouterr().out
    assert code == 0
    gates = grade_of(course, projects, out, "EE21B017").parts[0]
    assert gates.fraction == pytest.approx(0.9)
    assert gates.explanation() == (
        "1 d late (1 day): -10%; the hand-in time 2026-12-19T23:59:00 has no zone, "
        "read as UTC+05:30"
    )
    assert "EE21B017 lstm_gates: 1 d late (1 day): -10%" in printed
    project = {p.component: p for p in grade_of(course, projects, out, "ME21B103").parts}
    assert project["project1"].fraction == 1.0
    assert "within the 2 h grace period" in project["project1"].explanation()
