"""Hand-ins from an LMS's download (issue 90): Canvas's and Moodle's archives, named as their
own code names them (tests/kits/lms_archive_kit.py), collected as mail is: each file its
student's by the LMS's ids joined through its export, every entry accounted for, times and
late verdicts as the LMS gives them, again and later without duplicates."""

from __future__ import annotations

import csv
import functools
import json
import zipfile
from pathlib import Path

import pytest
from course_kit import make_course
from lms_archive_kit import (
    COLAB,
    ROSTER,
    canvas_gradebook,
    canvas_link_page,
    canvas_prefix,
    canvas_text_page,
    canvas_upload,
    moodle_entry,
    moodle_onlinetext,
    moodle_worksheet,
    plain_notebook,
    released,
    zipped,
)

from grader.cli import main
from grader.intake.manifest import load_manifest


def read_csv(path: Path) -> list[dict[str, str]]:
    with path.open(newline="", encoding="utf-8") as stream:
        return list(csv.DictReader(stream))


@functools.cache  # one upload: the same bytes in each download
def a_bundle(tmp_path: Path, student_id: str, name: str, email: str) -> bytes:
    from submission_kit import student_folder

    from grader import bundle

    toml = student_folder(tmp_path / f"bundle-{student_id}", student_id, name, email)
    return bundle.build_bundle(toml, tmp_path / "bundles").zip_path.read_bytes()


CANVAS_PEOPLE = [  # sortable name, Canvas user id, SIS User ID, SIS Login ID
    ("Müller, Jürgen", 48213, "2023001", "jmuller"),
    ("Pérez-Núñez, Ana", 48214, "2023002", "aperez"),
    ("王小明", 48215, "2023003", "xwang"),
    ("Pérez, Ana", 48216, "2023004", "ana.perez1"),
    ("Pérez, Ana", 48217, "2023005", "ana.perez2"),
    ("Nair, Priya", 48218, "2023006", "pnair"),
    ("Student, Test", 48299, "", ""),
    ("Doe, Jane", 48300, "2029999", "jdoe"),  # enrolled in Canvas, not on the course's roster
]


def canvas_download(tmp_path: Path, resubmitted: bytes | None = None) -> dict[str, bytes]:
    """The entries of Canvas's zip for the class: Müller LATE, Pérez-Núñez's second attempt
    (renamed -1), 王小明's text entry with a Colab link, the two Ana Pérez (one uploaded her
    bundle), Priya's notebook that does not open, the test student, Jane Doe."""

    def p(index: int, late: bool = False) -> str:
        return canvas_prefix(CANVAS_PEOPLE[index][0], CANVAS_PEOPLE[index][1], late)

    page = canvas_text_page(
        "Assignment 1", "王小明", f'<p>My notebook: <a href="{COLAB}">{COLAB}</a></p>'
    )
    bundle = a_bundle(tmp_path, "2023005", "Ana Pérez", "ana.perez2@example.edu")
    return {
        canvas_upload(p(0, late=True), 1190456, "lstm_lab.ipynb"): plain_notebook("late = 1"),
        canvas_upload(p(1), 1190511, "lstm_lab-1.ipynb"): released("lstm_gates", "second = 2"),
        f"{p(2)}_text.html": page,
        canvas_upload(p(3), 1190470, "lstm_gates.ipynb"): resubmitted or released("lstm_gates"),
        canvas_upload(p(4), 1190471, "submission.zip"): bundle,
        canvas_upload(p(5), 1190480, "lstm_lab.ipynb"): b'{"cells": [ truncated',
        canvas_upload(p(6), 1190490, "lstm_lab.ipynb"): plain_notebook(),
        canvas_upload(p(7), 1190495, "lstm_lab.ipynb"): plain_notebook(),
    }


def joined_args(tmp_path: Path, course, out: str) -> tuple[list[str], Path]:
    """``--course``, Canvas's gradebook export as ``--lms-export`` and ``--out``; the out."""
    export = canvas_gradebook(CANVAS_PEOPLE, tmp_path / "gradebook.csv")
    args = ["--course", str(course.path), "--lms-export", str(export), "--out", str(tmp_path / out)]
    return args, tmp_path / out


@pytest.fixture
def course(tmp_path: Path):
    course, _ = make_course(tmp_path, ROSTER)
    return course


def collect(*args: str) -> int:
    return main(["collect", *args])


def test_canvas_download_is_filed_by_canvas_ids_through_the_gradebook(
    tmp_path: Path, course, capsys: pytest.CaptureFixture[str]
) -> None:
    archive = tmp_path / "LSTM101-Assignment_1 submissions.zip"
    archive.write_bytes(zipped(canvas_download(tmp_path)))
    common, out = joined_args(tmp_path, course, "submissions")
    assert collect(str(archive), *common, "--assignment", "lstm_gates") == 0
    printed = capsys.readouterr().out
    assert "a Canvas download, 8 submission(s), joined through gradebook.csv" in printed

    muller = load_manifest(out / "2023001")
    assert muller["assignments"] == {"lstm_gates": "lstm_gates/lstm_lab.ipynb"}
    slot = muller["slots"]["assignment/lstm_gates"]
    assert slot["at"] is None and slot["late_verdict"] == "Canvas's LATE mark"  # no invented time
    assert muller["late_files"] == ["lstm_gates/lstm_lab.ipynb"]

    perez_nunez = load_manifest(out / "2023002")
    assert perez_nunez["assignments"] == {"lstm_gates": "lstm_gates/lstm_lab.ipynb"}  # not -1
    assert perez_nunez["late_files"] == []

    wang = load_manifest(out / "2023003")
    assert wang["projects"][0]["colab"] == COLAB  # the text entry's link, as in a mail

    assert load_manifest(out / "2023004")["assignments"] == {
        "lstm_gates": "lstm_gates/lstm_gates.ipynb"
    }
    ana2 = load_manifest(out / "2023005")  # her bundle unpacked as a bundle
    assert ana2["projects"][0]["report"] and ana2["projects"][0]["notebook"]

    priya = load_manifest(out / "2023006")
    assert priya["assignments"] == {"lstm_gates": "lstm_gates/lstm_lab.ipynb"}
    # filed as sent: grader grade reports that it does not open, as for a mailed one
    assert (
        (out / "2023006" / "lstm_gates" / "lstm_lab.ipynb")
        .read_bytes()
        .startswith(b'{"cells": [ t')
    )

    index = {row["student"]: row for row in read_csv(out / "index.csv")}
    assert index["2023001"]["late"] in ("yes", "True", "true", "1", "late")
    assert not (out / "2029999").exists() and not any("48299" in p.name for p in out.iterdir())
    listed = read_csv(out / "UNATTRIBUTED.csv")
    reasons = " | ".join(" ".join(row.values()) for row in listed)
    assert "test student" in reasons and "jdoe" in reasons and "not on the roster" in reasons
    # every entry of the download is accounted for in index.csv: after the students' rows, each
    # entry that is no one's hand-in, with its reason (the student column left to the roster)
    not_filed = [row for row in read_csv(out / "index.csv") if not row["student"]]
    said = " | ".join(f"{row['status']} {row['source']}: {row['notes']}" for row in not_filed)
    assert "unattributed" in said and "test student" in said and "not on the roster" in said
    assert all("submissions.zip:" in row["source"] for row in not_filed), said

    # the same download again: nothing changes
    before = {p: p.stat().st_mtime_ns for p in out.rglob("manifest.json")}
    assert collect(str(archive), *common, "--assignment", "lstm_gates") == 0
    again = capsys.readouterr().out
    assert "6 already collected" in again and " 0 collected" not in again.split("already")[0][-3:]
    assert {p: p.stat().st_mtime_ns for p in out.rglob("manifest.json")} == before

    # a later download: Ana Pérez (2023004) uploaded again; only she changes, the first
    # version kept in history/
    later = tmp_path / "later.zip"
    later.write_bytes(zipped(canvas_download(tmp_path, released("lstm_gates", "third = 3"))))
    assert collect(str(later), *common, "--assignment", "lstm_gates") == 0
    assert "1 collected" in capsys.readouterr().out
    assert len(list((out / "2023004" / "history").iterdir())) == 1
    assert not (out / "2023001" / "history").exists()


def test_two_students_sharing_a_name_are_never_told_apart_by_name(tmp_path: Path, course) -> None:
    """Without the gradebook, Canvas's entries name the students alone: the one Ana Pérez-Núñez
    is attributed by name (and says so); the two Ana Pérez are not."""
    archive = tmp_path / "submissions.zip"
    archive.write_bytes(zipped(canvas_download(tmp_path)))
    out = tmp_path / "out"
    assert collect(str(archive), "--course", str(course.path), "--out", str(out)) == 0
    assert any("by name alone" in n for n in load_manifest(out / "2023002")["notes"])
    assert not (out / "2023004").exists() and not (out / "2023005").exists()
    reasons = " ".join(" ".join(r.values()) for r in read_csv(out / "UNATTRIBUTED.csv"))
    assert "2 students on the roster are named" in reasons


MOODLE_PEOPLE = [  # participant id, full name, email, ID number, last modified (submission)
    (
        1734021,
        "Jürgen Müller",
        "jmuller@example.edu",
        "2023001",
        "Saturday, 19 December 2026, 3:12 AM",
    ),
    (
        1734022,
        "Ana Pérez-Núñez",
        "aperez@example.edu",
        "2023002",
        "Friday, 18 December 2026, 9:30 PM",
    ),
    (1734023, "小明 王", "xwang@example.edu", "2023003", "Friday, 18 December 2026, 8:00 PM"),
    (
        1734024,
        "Ana Pérez",
        "ana.perez1@example.edu",
        "2023004",
        "Thursday, 17 December 2026, 10:00 AM",
    ),
    (
        1734025,
        "Ana Pérez",
        "ana.perez2@example.edu",
        "2023005",
        "Thursday, 17 December 2026, 11:00 AM",
    ),
    (1734026, "Kiran Rao", "kiran.rao@example.edu", "", "Thursday, 17 December 2026, 9:00 AM"),
]


@pytest.mark.parametrize("folders", [True, False], ids=["in folders", "flat"])
def test_moodle_download_is_joined_through_the_grading_worksheet(
    tmp_path: Path, course, folders: bool, capsys: pytest.CaptureFixture[str]
) -> None:
    entries = {
        moodle_entry(MOODLE_PEOPLE[0][1], 1734021, "lstm_lab.ipynb", folders): plain_notebook(),
        moodle_entry(MOODLE_PEOPLE[1][1], 1734022, "lstm_lab.ipynb", folders): plain_notebook(
            "b = 2"
        ),
        moodle_entry(
            "小明 王", 1734023, "onlinetext.html", folders, "onlinetext"
        ): moodle_onlinetext(f'<p><a href="{COLAB}">my Colab</a></p>'),
        moodle_entry("Ana Pérez", 1734024, "lstm_lab.ipynb", folders): plain_notebook("c = 3"),
        moodle_entry("Ana Pérez", 1734025, "lstm_lab.ipynb", folders): plain_notebook("d = 4"),
        # the TA trying the upload out: staff on the course's roster
        moodle_entry("Kiran Rao", 1734026, "lstm_lab.ipynb", folders): plain_notebook("t = 1"),
    }
    archive = tmp_path / "LSTM101-Assignment 1 Sequence models-5521.zip"
    archive.write_bytes(zipped(entries))
    sheet = moodle_worksheet(MOODLE_PEOPLE, tmp_path / "Grades-LSTM101-Assignment 1.csv")
    out = tmp_path / "submissions"
    args = ["--course", str(course.path), "--lms-export", str(sheet), "--out", str(out)]
    assert collect(str(archive), *args, "--assignment", "lstm_gates") == 0
    printed = capsys.readouterr().out
    assert f"a Moodle ({'in folders' if folders else 'flat'}) download, 6 submission(s)" in printed
    assert "TA01 is staff on the roster: not a student's hand-in" in (
        out / "UNATTRIBUTED.csv"
    ).read_text(encoding="utf-8")
    muller = load_manifest(out / "2023001")
    # the worksheet's time, read in the course's zone (its deadlines' +05:30): late
    assert muller["slots"]["assignment/lstm_gates"]["at"] == "2026-12-19T03:12:00+05:30"
    assert muller["late_files"] == ["lstm_gates/lstm_lab.ipynb"]
    assert load_manifest(out / "2023002")["late_files"] == []
    assert load_manifest(out / "2023003")["projects"][0]["colab"] == COLAB
    assert json.loads((out / "2023004" / "manifest.json").read_text())["student"]["id"] == "2023004"
    assert (out / "2023005" / "lstm_gates" / "lstm_lab.ipynb").read_bytes() == plain_notebook(
        "d = 4"
    )
    assert {row["student"] for row in read_csv(out / "index.csv")} >= {"2023001", "2023006"}


def test_an_archive_no_lms_made_or_a_cut_download_is_refused_in_one_line(
    tmp_path: Path, course, capsys: pytest.CaptureFixture[str]
) -> None:
    other = tmp_path / "photos.zip"
    other.write_bytes(zipped({"IMG_0001.jpg": b"\xff\xd8", "IMG_0002.jpg": b"\xff\xd8"}))
    cut = tmp_path / "submissions.zip"
    cut.write_bytes(zipped(canvas_download(tmp_path))[:3000])
    out = tmp_path / "submissions"
    for archive in (other, cut):
        assert collect(str(archive), "--course", str(course.path), "--out", str(out)) != 0
        error = capsys.readouterr().err.strip().splitlines()
        assert len(error) == 1 and str(archive) in error[0] and "Traceback" not in error[0]
        assert not out.exists()


def test_a_corrupt_entry_is_listed_and_the_rest_collected(tmp_path: Path, course) -> None:
    entries = canvas_download(tmp_path)
    archive = tmp_path / "submissions.zip"
    archive.write_bytes(zipped(entries))
    with zipfile.ZipFile(archive) as opened:
        info = opened.getinfo(next(n for n in entries if "48216" in n))
    data = bytearray(archive.read_bytes())
    data[info.header_offset + 30 + len(info.filename.encode()) + 5] ^= 0xFF  # one byte flipped
    archive.write_bytes(bytes(data))
    args, out = joined_args(tmp_path, course, "out")
    assert collect(str(archive), *args) == 0
    rejected = " ".join(" ".join(r.values()) for r in read_csv(out / "REJECTED.csv"))
    assert "48216" in rejected and "corrupt" in rejected
    [listed] = [r for r in read_csv(out / "index.csv") if "48216" in r["source"]]
    assert listed["status"] == "rejected" and "corrupt" in listed["notes"], listed
    assert (out / "2023001").is_dir() and not (out / "2023004").exists()


def test_final_says_how_late_is_unknown_for_canvas_late_and_charges_nothing(
    tmp_path: Path, course
) -> None:
    """Canvas's LATE with no time: the grade keeps its full score, and the words say that how
    late is unknown and what the instructor can do."""
    from course_kit import auto_result

    from grader.course.rubric import load_projects
    from grader.lms.final import final_grades

    archive = tmp_path / "submissions.zip"
    archive.write_bytes(zipped(canvas_download(tmp_path)))
    args, out = joined_args(tmp_path, course, "submissions")
    assert collect(str(archive), *args, "--assignment", "lstm_gates") == 0
    graded = tmp_path / "graded"
    # as grader grade records the collected notebook: late by collect's word, no time known
    auto_result(graded, "lstm_gates", "2023001", 80, out / "2023001", late=True)
    rubric = load_projects(course.projects_dir).rubric
    grade = next(g for g in final_grades(course, graded, rubric) if g.person.id == "2023001")
    part = grade.parts[0]
    assert part.fraction == pytest.approx(0.8)  # nothing charged: not the "1 day" guess
    words = part.explanation()
    assert "late by Canvas's LATE mark, how late is unknown" in words
    assert "no penalty charged" in words and "extensions.csv" in words


def test_blind_marking_and_anonymous_grading_are_joined_only_through_the_export(
    tmp_path: Path, course
) -> None:
    """Moodle's blind marking writes "Participant" for every name: the worksheet joins it;
    without it nothing is attributed, and the reason says what to give. Canvas's anonymous
    ids name no one."""
    entries = {
        moodle_entry("Participant", 1734021, "lstm_lab.ipynb", True): plain_notebook(),
        moodle_entry("Participant", 1734022, "lstm_lab.ipynb", True): plain_notebook("b = 2"),
    }
    archive = tmp_path / "LSTM101-Assignment 1-5521.zip"
    archive.write_bytes(zipped(entries))
    bare, joined = tmp_path / "bare", tmp_path / "joined"
    assert collect(str(archive), "--course", str(course.path), "--out", str(bare)) == 0
    assert not any(p.is_dir() for p in bare.iterdir())
    assert "give Moodle's export with --lms-export" in " ".join(
        " ".join(row.values()) for row in read_csv(bare / "UNATTRIBUTED.csv")
    )
    sheet = moodle_worksheet(MOODLE_PEOPLE, tmp_path / "worksheet.csv")
    args = ["--course", str(course.path), "--lms-export", str(sheet), "--out", str(joined)]
    assert collect(str(archive), *args) == 0
    assert (joined / "2023001").is_dir() and (joined / "2023002").is_dir()

    anonymous = tmp_path / "anonymous.zip"
    anonymous.write_bytes(zipped({"anon_8Kz3Q_1190456_lstm_lab.ipynb": plain_notebook()}))
    args, out = joined_args(tmp_path, course, "anon-out")
    assert collect(str(anonymous), *args) == 0
    assert "anonymous grading" in read_csv(out / "UNATTRIBUTED.csv")[0]["reason"]


def test_an_lms_download_and_mail_in_one_collect_make_one_folder_each(
    tmp_path: Path, course
) -> None:
    """The archive is one more source beside mail: Müller's notebook from Canvas and his
    report by mail land in his one folder, each with its own source."""
    from datetime import UTC, datetime

    from mailkit import gmail, titled_report

    inbox = tmp_path / "inbox"
    inbox.mkdir()
    mail = gmail(
        "Jürgen Müller <jmuller@example.edu>",
        datetime(2026, 12, 20, 9, tzinfo=UTC),
        "Project 1 report",
        "My report.",
        attachments=[("project1_report.pdf", titled_report("Project 1: stock prices"))],
    )
    (inbox / "report.eml").write_bytes(bytes(mail))
    archive = tmp_path / "submissions.zip"
    archive.write_bytes(zipped(canvas_download(tmp_path)))
    args, out = joined_args(tmp_path, course, "submissions")
    assert collect(str(archive), str(inbox), *args, "--assignment", "lstm_gates") == 0
    muller = load_manifest(out / "2023001")
    assert muller["assignments"] == {"lstm_gates": "lstm_gates/lstm_lab.ipynb"}
    assert muller["projects"][0]["report"] == "project1/project1_report.pdf"
    sources = {entry["source"] for entry in muller["slots"].values()}
    assert sources == {"submissions.zip:müllerjürgen_LATE_48213", "report.eml"}


def test_a_project_canvas_marked_late_is_charged_nothing_and_said_so(
    tmp_path: Path, course
) -> None:
    from course_kit import full_marks
    from mailkit import titled_report

    from grader.course.rubric import load_projects
    from grader.gradebook.course_book import CourseBook
    from grader.lms.final import final_grades

    prefix = canvas_prefix("Müller, Jürgen", 48213, True)
    entries = {canvas_upload(prefix, 1190456, "project1_report.pdf"): titled_report("Project 1")}
    archive = tmp_path / "project1 submissions.zip"
    archive.write_bytes(zipped(entries))
    args, out = joined_args(tmp_path, course, "submissions")
    assert collect(str(archive), *args) == 0
    assert load_manifest(out / "2023001")["late_files"] == ["project1/project1_report.pdf"]
    graded = tmp_path / "graded"
    graded.mkdir()
    projects = load_projects(course.projects_dir)
    with CourseBook(graded / "gradebook.sqlite") as book:  # as grader grade checks it
        checks = {"report": {"verdict": "passes --check"}, "notebook": {"status": "missing"}}
        checks |= {"folder": str((out / "2023001").resolve()), "handed_in_at": None}
        book.record_checks("2023001", "project1", None, checks)
        full_marks(book, projects.rubric, "2023001", "project1")
    grade = next(
        g for g in final_grades(course, graded, projects.rubric) if g.person.id == "2023001"
    )
    part = next(p for p in grade.parts if p.component == "project1")
    assert part.fraction == pytest.approx(1.0)
    assert "late by Canvas's LATE mark, how late is unknown" in part.explanation()


def test_a_canvas_url_submission_is_its_link(tmp_path: Path, course) -> None:
    prefix = canvas_prefix("王小明", 48215, False)
    archive = tmp_path / "submissions.zip"
    archive.write_bytes(zipped({f"{prefix}_link.html": canvas_link_page(COLAB)}))
    args, out = joined_args(tmp_path, course, "submissions")
    assert collect(str(archive), *args) == 0
    assert load_manifest(out / "2023003")["projects"][0]["colab"] == COLAB
