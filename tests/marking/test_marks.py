"""Rubric marks in the SQLite gradebook (who, when, history) and the marks CSV: a round trip,
a change applied, bad rows named with nothing half-imported, spreadsheet dialects."""

from __future__ import annotations

import csv
import sqlite3
import subprocess
import sys
import threading
import time
from pathlib import Path

import pytest
from course_kit import make_course

from grader import cli
from grader.errors import UserError
from grader.gradebook.course_book import CourseBook
from grader.marking.marks import export_csv, import_csv, marking_progress, record_mark


@pytest.fixture
def course(tmp_path):
    return make_course(tmp_path)


@pytest.fixture
def book(tmp_path):
    with CourseBook(tmp_path / "graded" / "gradebook.sqlite") as opened:
        yield opened


def rows_of(path: Path) -> list[dict[str, str]]:
    with path.open(encoding="utf-8", newline="") as stream:
        return list(csv.DictReader(stream))


def write_rows(path: Path, rows: list[dict[str, str]], delimiter: str = ",", bom: bool = False):
    with path.open("w", encoding="utf-8-sig" if bom else "utf-8", newline="") as stream:
        writer = csv.DictWriter(stream, fieldnames=list(rows[0]), delimiter=delimiter)
        writer.writeheader()
        writer.writerows(rows)


def test_a_mark_keeps_who_and_when_and_every_save_is_history(course, book):
    _, projects = course
    roster = course[0].roster()
    record_mark(
        book, projects, roster, "CS21B042", "project1", "results", 14, "no baseline", by="ta1"
    )
    record_mark(
        book, projects, roster, "CS21B042", "project1", "results", 18, "baseline added", by="prof"
    )
    [current] = book.marks("CS21B042", "project1")
    assert (current.points, current.comment, current.marked_by) == (18, "baseline added", "prof")
    history = book.mark_history("CS21B042", "project1", "results")
    assert [(m.points, m.marked_by) for m in history] == [(14, "ta1"), (18, "prof")]
    assert history[0].marked_at <= history[1].marked_at


def test_a_mark_outside_the_rubric_is_refused(course, book):
    _, projects = course
    roster = course[0].roster()
    with pytest.raises(UserError, match="from 0 to 20"):
        record_mark(book, projects, roster, "CS21B042", "project1", "results", 21, by="ta")
    with pytest.raises(UserError, match="'novelty' is not a criterion of rubric.toml"):
        record_mark(book, projects, roster, "CS21B042", "project1", "novelty", 1, by="ta")
    with pytest.raises(UserError, match="not on the roster"):
        record_mark(book, projects, roster, "XX00", "project1", "results", 1, by="ta")
    assert book.marks() == []


def test_two_markers_saving_at_once_lose_nothing(course, tmp_path):
    _, projects = course
    roster = course[0].roster()
    path = tmp_path / "graded" / "gradebook.sqlite"

    def mark(points: int, who: str) -> None:
        with CourseBook(path) as own:
            for _ in range(20):
                record_mark(
                    own, projects, roster, "EE21B017", "project2", "notebook", points, by=who
                )

    threads = [threading.Thread(target=mark, args=(p, w)) for p, w in ((5, "a"), (10, "b"))]
    for thread in threads:
        thread.start()
    for thread in threads:
        thread.join()
    with CourseBook(path) as book:
        history = book.mark_history("EE21B017", "project2", "notebook")
        [current] = book.marks("EE21B017", "project2")
    assert len(history) == 40
    assert (current.points, current.marked_by) == (history[-1].points, history[-1].marked_by)


def test_export_then_import_unchanged_applies_nothing(course, book, tmp_path):
    _, projects = course
    roster = course[0].roster()
    record_mark(
        book,
        projects,
        roster,
        "CS21B042",
        "project1",
        "dataset",
        6,
        'Kaggle, "airline"; no size',
        by="ta",
    )
    path = tmp_path / "marks.csv"
    assert export_csv(book, projects, roster, path) == 6  # 3 students x 2 projects, no TA
    rows = rows_of(path)
    asha = next(r for r in rows if r["student"] == "CS21B042" and r["project"] == "project1")
    assert asha["dataset"] == "6" and asha["dataset comment"] == 'Kaggle, "airline"; no size'
    assert asha["total"] == "6"
    assert import_csv(book, projects, roster, path, by="ta") == []
    assert len(book.mark_history("CS21B042")) == 1


def test_a_change_in_the_csv_is_applied_and_kept_in_the_history(course, book, tmp_path):
    _, projects = course
    roster = course[0].roster()
    record_mark(book, projects, roster, "CS21B042", "project1", "dataset", 6, "first look", by="ta")
    path = tmp_path / "marks.csv"
    export_csv(book, projects, roster, path)
    rows = rows_of(path)
    for row in rows:
        if row["student"] == "CS21B042" and row["project"] == "project1":
            row["dataset"] = "8.5"
            row["dataset comment"] = "size stated in the report"
        if row["student"] == "ME21B103" and row["project"] == "project2":
            row["results"] = "20"
    write_rows(path, rows)
    changes = import_csv(book, projects, roster, path, by="prof")
    assert {(c.student, c.component, c.criterion, c.points) for c in changes} == {
        ("CS21B042", "project1", "dataset", 8.5),
        ("ME21B103", "project2", "results", 20.0),
    }
    dataset = book.mark_history("CS21B042", "project1", "dataset")
    assert [(m.points, m.marked_by, m.source) for m in dataset] == [
        (6, "ta", "web"),
        (8.5, "prof", "import:marks.csv"),
    ]
    export_csv(book, projects, roster, path)
    asha = next(
        r for r in rows_of(path) if r["student"] == "CS21B042" and r["project"] == "project1"
    )
    assert asha["dataset"] == "8.5" and asha["total"] == "8.5"


def test_bad_rows_are_all_named_and_nothing_is_imported(course, book, tmp_path):
    _, projects = course
    roster = course[0].roster()
    path = tmp_path / "marks.csv"
    export_csv(book, projects, roster, path)
    rows = rows_of(path)
    rows[0]["results"] = "15"  # a good change on row 2 that must not land
    rows[1]["student"] = "CS21B999"  # row 3
    rows[2]["project"] = "project3"  # row 4
    rows[3]["notebook"] = "sixteen"  # row 5
    rows[4]["notebook"] = "16"  # row 6: over the 15 points
    rows[5]["student"] = "TA01"  # row 7: staff, not a student
    write_rows(path, rows)
    with pytest.raises(UserError) as caught:
        import_csv(book, projects, roster, path, by="prof")
    message = str(caught.value)
    assert message.startswith("nothing was imported")
    assert "marks.csv row 3: student 'CS21B999' is not a student on the roster" in message
    assert "marks.csv row 4: project 'project3' is not one of project1, project2" in message
    assert "marks.csv row 5: column 'notebook': 'sixteen' is not a number" in message
    assert "marks.csv row 6: column 'notebook': 16 is outside 0..15" in message
    assert "marks.csv row 7: student 'TA01'" in message
    assert book.marks() == [] and book.mark_history("CS21B042") == []


def test_an_unknown_criterion_column_is_named(course, book, tmp_path):
    _, projects = course
    roster = course[0].roster()
    path = tmp_path / "marks.csv"
    write_rows(path, [{"student": "CS21B042", "project": "project1", "novelty": "3"}])
    with pytest.raises(
        UserError, match=r"row 1 \(header\): column 'novelty': 'novelty' is not a criterion"
    ):
        import_csv(book, projects, roster, path, by="prof")


def test_a_student_given_twice_is_an_error(course, book, tmp_path):
    _, projects = course
    roster = course[0].roster()
    path = tmp_path / "marks.csv"
    row = {"student": "CS21B042", "project": "project1", "results": "3"}
    write_rows(path, [row, {**row, "results": "4"}])
    with pytest.raises(UserError, match="row 3: student CS21B042 project project1 is given again"):
        import_csv(book, projects, roster, path, by="prof")
    assert book.marks() == []


def test_excel_in_a_decimal_comma_locale(course, book, tmp_path):
    """Excel (German, French, Indian-English settings vary) saves 'CSV UTF-8' with a BOM, ';'
    between cells and ',' as the decimal mark."""
    _, projects = course
    roster = course[0].roster()
    path = tmp_path / "marks.csv"
    write_rows(
        path,
        [
            {
                "student": "EE21B017",
                "project": "project2",
                "results": "17,5",
                "results comment": "ok",
            }
        ],
        delimiter=";",
        bom=True,
    )
    [change] = import_csv(book, projects, roster, path, by="prof")
    assert (change.points, change.comment) == (17.5, "ok")


def test_the_cli_round_trip(tmp_path, capsys):
    course, _ = make_course(tmp_path)
    common = ["--course", str(course.path), "--out", str(tmp_path / "graded")]
    path = tmp_path / "marks.csv"
    assert cli.main(["marks", "export", str(path), *common]) == 0
    rows = rows_of(path)
    rows[0]["introduction"] = "5"
    write_rows(path, rows)
    assert cli.main(["marks", "import", str(path), "--by", "prof", *common]) == 0
    out = capsys.readouterr().out
    assert "CS21B042 project1 introduction: 5" in out and "applied 1 changed marks" in out
    rows[0]["introduction"] = "five"
    write_rows(path, rows)
    assert cli.main(["marks", "import", str(path), *common]) == 2
    assert "row 2: column 'introduction': 'five' is not a number" in capsys.readouterr().err


def test_marking_progress_finds_the_next_unmarked_project(course, book):
    _, projects = course
    roster = course[0].roster()
    for criterion in projects.rubric.criteria:
        record_mark(book, projects, roster, "CS21B042", "project1", criterion.id, 1, by="ta")
    record_mark(
        book, projects, roster, "CS21B042", "project2", "results", None, "look again", by="ta"
    )
    progress = marking_progress(book, projects, roster)
    assert [(s, p) for s, p, _ in progress][:3] == [
        ("CS21B042", "project1"),
        ("CS21B042", "project2"),
        ("EE21B017", "project1"),
    ]
    first, second = progress[0][2], progress[1][2]
    assert first.complete and first.points == 9
    assert not second.complete and second.marked == 0  # a comment alone is not a mark
    assert next((s, p) for s, p, score in progress if not score.complete) == (
        "CS21B042",
        "project2",
    )


def test_the_cli_enters_one_mark_and_lists_the_history(tmp_path, capsys):
    course, _ = make_course(tmp_path)
    common = ["--course", str(course.path), "--out", str(tmp_path / "graded")]
    enter = ["marks", "set", "EE21B017", "project1", "results"]
    assert cli.main([*enter, "14", "--comment", "no baseline", "--by", "ta", *common]) == 0
    assert "project so far 14/100, 1 of 9 criteria marked" in capsys.readouterr().out
    assert cli.main([*enter, "18", "--comment", "baseline added", "--by", "prof", *common]) == 0
    assert cli.main([*enter, "twenty", *common]) == 2
    assert "points 'twenty': give a number" in capsys.readouterr().err
    assert cli.main([*enter, "21", *common]) == 2
    assert "a mark is from 0 to 20" in capsys.readouterr().err
    assert cli.main(["marks", "history", "EE21B017", *common]) == 0
    lines = capsys.readouterr().out.splitlines()
    assert len(lines) == 2
    assert "project1  results: 14  by ta (cli)  no baseline" in lines[0]
    assert "project1  results: 18  by prof (cli)  baseline added" in lines[1]


# One marker process: two threads, each opening every gradebook file in turn as soon as the
# start file appears (the results' Gradebook and the CourseBook open the same file, as the
# dashboard and the watch do) and saving its marks one transaction at a time.
_MARKER = """
import sys, threading, time
from pathlib import Path
from grader.gradebook.course_book import CourseBook
from grader.gradebook.results import Gradebook

start, who, marks, files = Path(sys.argv[1]), sys.argv[2], int(sys.argv[3]), sys.argv[4:]
failures = []
ready = threading.Barrier(3, action=lambda: Path(f"{start}.{who}").touch())

def mark(thread):
    try:
        ready.wait()
        while not start.exists():
            time.sleep(0.001)
        Path(f"{start}.{who}.{thread}").touch()  # opening the first file now
        for name in files:
            Gradebook(Path(name)).close()
            with CourseBook(Path(name)) as book:
                for n in range(marks):
                    comment = f"{who}.{thread}.{n}"
                    book.set_mark("EE21B017", "project2", "notebook", n, comment, by=who)
    except Exception as error:
        failures.append(f"{who}.{thread}: {type(error).__name__}: {error}")

threads = [threading.Thread(target=mark, args=(t,)) for t in range(2)]
for thread in threads:
    thread.start()
ready.wait()
for thread in threads:
    thread.join()
print("\\n".join(failures), file=sys.stderr)
sys.exit(1 if failures else 0)
"""


def test_four_processes_of_two_threads_opening_and_marking_at_once_lose_nothing(tmp_path):
    files = [tmp_path / f"graded-{n}" / "gradebook.sqlite" for n in range(20)]
    start, marks = tmp_path / "start", 5
    # The first file as a connection that is switching it to WAL holds it: its write lock
    # taken, which SQLite makes the others' switch fail at once rather than wait for.
    files[0].parent.mkdir()
    switching = sqlite3.connect(files[0], isolation_level=None)
    switching.execute("CREATE TABLE switching (x)")
    switching.execute("BEGIN IMMEDIATE")
    switching.execute("INSERT INTO switching VALUES (1)")
    markers = [
        subprocess.Popen(
            [sys.executable, "-c", _MARKER, str(start), f"marker{n}", str(marks)]
            + [str(path) for path in files],
            stderr=subprocess.PIPE,
            text=True,
        )
        for n in range(4)
    ]
    while not all(Path(f"{start}.marker{n}").exists() for n in range(4)):
        assert all(marker.poll() is None for marker in markers), "a marker stopped"
        time.sleep(0.01)
    start.touch()  # all eight threads, started and waiting, open the new files at once
    threads = [Path(f"{start}.marker{p}.{t}") for p in range(4) for t in range(2)]
    while not all(path.exists() for path in threads):
        assert all(marker.poll() is None for marker in markers), "a marker stopped"
        time.sleep(0.01)
    time.sleep(0.5)  # they try to open the first file meanwhile
    switching.execute("COMMIT")
    switching.close()
    said = [marker.communicate(timeout=600)[1] for marker in markers]
    assert [marker.returncode for marker in markers] == [0] * 4, said
    expected = {f"marker{p}.{t}.{n}" for p in range(4) for t in range(2) for n in range(marks)}
    for path in files:
        with CourseBook(path) as book:
            saved = [mark.comment for mark in book.mark_history("EE21B017")]
        assert sorted(saved) == sorted(expected), path
