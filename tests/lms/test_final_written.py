"""`grader final` with written answers not yet marked: their part is pending (blank, with the
note) in final-grades.csv and canvas-import.csv, never a grade that leaves them out or a 0;
marked, it counts."""

from __future__ import annotations

import csv
from pathlib import Path

from course_kit import auto_result, make_course
from written_kit import QUESTION, with_written_question

from grader import cli
from grader.gradebook.course_book import CourseBook, MarkChange

STUDENTS = ("CS21B042", "EE21B017", "ME21B103")


def _rows(path: Path) -> list[dict[str, str]]:
    with path.open(encoding="utf-8-sig", newline="") as handle:
        return list(csv.DictReader(handle))


def test_unmarked_written_answers_leave_the_part_pending(tmp_path, capsys):
    course, _ = make_course(tmp_path)
    with_written_question(course.assignment_folder("lstm_gates"))
    out = tmp_path / "graded"
    for student in STUDENTS:
        auto_result(out, "lstm_gates", student, 80)
    args = ["final", "--course", str(course.path), "--out", str(out)]
    assert cli.main(args) == 0
    printed = capsys.readouterr().out
    assert f"written answers not marked yet ({QUESTION})" in printed
    final = {r["student"]: r for r in _rows(out / "final" / "final-grades.csv")}
    for student in STUDENTS:
        assert final[student]["lstm_gates"] == ""  # pending, never 0 nor 80 of 100
        assert "lstm_gates" in final[student]["pending"]
        assert f"written answers not marked yet ({QUESTION})" in final[student]["lstm_gates remark"]
    title = course.component("lstm_gates").title
    canvas = _rows(out / "final" / "canvas-import.csv")
    assert all(row.get(title, "") == "" for row in canvas)

    with CourseBook(out / "gradebook.sqlite") as book:
        change = MarkChange(STUDENTS[0], "lstm_gates", f"written:{QUESTION}", 2.0, "Right.")
        book.set_marks([change], by="prof-a", source="web")
    assert cli.main(args) == 0
    final = {r["student"]: r for r in _rows(out / "final" / "final-grades.csv")}
    assert float(final[STUDENTS[0]]["lstm_gates"]) > 80  # 82 of 102
    assert final[STUDENTS[1]]["lstm_gates"] == ""
    canvas = {r["SIS User ID"]: r for r in _rows(out / "final" / "canvas-import.csv")}
    assert canvas[STUDENTS[0]][title] != "" and canvas[STUDENTS[1]][title] == ""
