"""A roster id typed in another case (cs21b042 for CS21B042) is the same student: ``marks set``
and ``marks import`` store the mark under the roster's spelling, so ``grader final`` and the
mail count it; marks stored under another spelling before are moved to the roster's, the later
save standing where both had one; an id on no roster is refused by name."""

from __future__ import annotations

import csv
import sqlite3

import pytest
from course_kit import make_course

from grader import cli
from grader.gradebook.course_book import CourseBook
from grader.lms.final import final_grades


@pytest.fixture
def course(tmp_path):
    course, projects = make_course(tmp_path)
    return course, projects, tmp_path / "graded"


def common(course, out) -> list[str]:
    return ["--course", str(course.path), "--out", str(out)]


def total(course, projects, out, student: str) -> float:
    return next(
        g.total for g in final_grades(course, out, projects.rubric) if g.person.id == student
    )


def test_marks_set_in_another_case_lands_on_the_rosters_student(course, capsys):
    course, projects, out = course
    args = ["marks", "set", "cs21b042", "project1", "introduction", "2", *common(course, out)]
    assert cli.main(args) == 0
    assert "CS21B042 project1 introduction: 2 (project so far 2/100" in capsys.readouterr().out
    with CourseBook(out / "gradebook.sqlite") as book:
        assert [m.student for m in book.marks()] == ["CS21B042"]
    assert total(course, projects, out, "CS21B042") == pytest.approx(0.5)  # 2% of weight 25
    assert cli.main(["marks", "history", "Cs21B042", *common(course, out)]) == 0
    assert "project1  introduction: 2  by" in capsys.readouterr().out


def test_an_id_on_no_roster_is_refused_by_name(course, capsys):
    course, _, out = course
    args = ["marks", "set", "cs21b999", "project1", "introduction", "2", *common(course, out)]
    assert cli.main(args) == 2
    err = capsys.readouterr().err
    assert "student 'cs21b999' is not on the roster" in err and "in any case" in err
    assert "Traceback" not in err


def test_marks_import_in_another_case_lands_on_the_rosters_student(course, tmp_path, capsys):
    course, projects, out = course
    path = tmp_path / "marks.csv"
    with path.open("w", encoding="utf-8", newline="") as stream:
        writer = csv.writer(stream)
        writer.writerow(["student", "project", "results", "results comment"])
        writer.writerow(["ee21b017", "project1", "18", "clear baseline"])
        writer.writerow(["ME21b103", "project2", "10", ""])
    assert cli.main(["marks", "import", str(path), "--by", "prof", *common(course, out)]) == 0
    assert "EE21B017 project1 results: 18" in capsys.readouterr().out
    with CourseBook(out / "gradebook.sqlite") as book:
        assert sorted(m.student for m in book.marks()) == ["EE21B017", "ME21B103"]
    assert total(course, projects, out, "EE21B017") == pytest.approx(25 * 18 / 100)

    # the same student twice in one file, spelled two ways, is one student given twice
    with path.open("a", encoding="utf-8", newline="") as stream:
        csv.writer(stream).writerow(["EE21B017", "project1", "12", ""])
    assert cli.main(["marks", "import", str(path), *common(course, out)]) == 2
    assert "row 4: student EE21B017 project project1 is given again" in capsys.readouterr().err


def test_marks_stored_under_another_spelling_before_are_moved_and_said(course, capsys):
    course, projects, out = course
    with CourseBook(out / "gradebook.sqlite") as book:
        # as the old `marks set cs21b042 ...` stored them: under the typed spelling
        book.set_mark("cs21b042", "project1", "introduction", 4, "old", by="ta", source="cli")
        book.set_mark("CS21B042", "project1", "results", 10, "", by="ta")
        book.set_mark("cs21b042", "project1", "results", 16, "later", by="prof", source="cli")
        book.set_mark("CS21B042", "project1", "notebook", 5, "newer", by="ta")
        book.set_mark("cS21b042", "project1", "notebook", 1, "", by="ta")
    # the stray notebook mark dates from before the one under the roster's spelling
    with sqlite3.connect(out / "gradebook.sqlite") as db:
        db.execute(
            "UPDATE marks SET marked_at = '2000-01-01T00:00:00+00:00' WHERE student = 'cS21b042'"
        )
    assert cli.main(["final", *common(course, out)]) == 0
    err = capsys.readouterr().err
    assert "marks stored under 'cs21b042' are now under the roster's 'CS21B042'" in err
    assert "marks stored under 'cS21b042' are now under the roster's 'CS21B042'" in err
    with CourseBook(out / "gradebook.sqlite") as book:
        current = {m.criterion: (m.student, m.points, m.comment) for m in book.marks()}
        history = book.mark_history("CS21B042", "project1")
        assert book.marked_students() == ["CS21B042"]
    assert current == {
        "introduction": ("CS21B042", 4, "old"),
        "results": ("CS21B042", 16, "later"),
        "notebook": ("CS21B042", 5, "newer"),
    }
    assert len(history) == 5  # every save kept
    assert total(course, projects, out, "CS21B042") == pytest.approx(25 * 25 / 100)
    assert cli.main(["final", *common(course, out)]) == 0
    assert "marks stored under" not in capsys.readouterr().err  # once moved, nothing to say
