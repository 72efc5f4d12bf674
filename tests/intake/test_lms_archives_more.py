"""Hand-ins from Blackboard's, D2L's and Gradescope's downloads (issue 90), named as the
parsers those closed systems are known by read them (tests/kits/lms_archive_kit.py): each
attempt its student's, its time in its zone, older attempts in history/, again idempotent."""

from __future__ import annotations

import csv
from pathlib import Path

import pytest
from course_kit import make_course
from lms_archive_kit import (
    COLAB,
    ROSTER,
    blackboard_attempt,
    blackboard_grade_center,
    d2l_entry,
    d2l_grades,
    gradescope_metadata,
    plain_notebook,
    zipped,
)

from grader.cli import main
from grader.intake.manifest import load_manifest

SLOT = "assignment/lstm_gates"


@pytest.fixture
def course(tmp_path: Path):
    return make_course(tmp_path, ROSTER)[0]


def reasons(out: Path, listing: str = "UNATTRIBUTED.csv") -> str:
    with (out / listing).open(newline="", encoding="utf-8") as stream:
        return " | ".join(" ".join(row.values()) for row in csv.DictReader(stream))


def collected_twice(archive: Path, out: Path, course, export: Path, capsys) -> str:
    """Collect, then collect the same archive again: the second run changes no folder."""
    args = [str(archive), "--course", str(course.path), "--out", str(out)]
    args += ["--lms-export", str(export), "--assignment", "lstm_gates"]
    assert main(["collect", *args]) == 0
    first = capsys.readouterr().out
    held = {p: p.read_bytes() for p in out.rglob("manifest.json")}
    assert main(["collect", *args]) == 0
    again = capsys.readouterr().out
    assert {p: p.read_bytes() for p in out.rglob("manifest.json")} == held
    assert " 0 collected" in f" {again.split('Read ', 1)[1]}".replace("item(s): ", "")
    return first


def test_blackboard_attempts_by_username_with_their_times(tmp_path: Path, course, capsys) -> None:
    a = "Assignment_1"  # an "_" in the assignment name: the receipts say whose each is
    entries = {
        **blackboard_attempt(a, "jmuller", "Jürgen Müller", "2026-12-19-03-12-09",
                             "Saturday, 19 December 2026 03:12:09 o'clock IST",
                             {"lstm_lab.ipynb": plain_notebook("late = 1")}),
        **blackboard_attempt(a, "a_perez", "Ana Pérez-Núñez", "2026-12-17-18-02-44",
                             "Thursday, 17 December 2026 18:02:44 o'clock IST",
                             {"lstm_lab.ipynb": plain_notebook("first = 1")}),
        **blackboard_attempt(a, "a_perez", "Ana Pérez-Núñez", "2026-12-18-21-30-05",
                             "Friday, 18 December 2026 21:30:05 o'clock IST",
                             {"lstm_lab.ipynb": plain_notebook("second = 2")}),
        **blackboard_attempt(a, "xwang", "王小明", "2026-12-18-20-00-31",
                             "Friday, 18 December 2026 20:00:31 o'clock IST",
                             {}, text=f"My notebook is at {COLAB}"),
        **blackboard_attempt(a, "apere1", "Ana Pérez", "2026-12-18-20-00-31",
                             "Friday, 18 December 2026 20:00:31 o'clock CET",
                             {"lstm_lab.ipynb": plain_notebook("c = 3")}),
        **blackboard_attempt(a, "apere2", "Ana Pérez", "2026-12-18-10-00-00",
                             "Friday, 18 December 2026 10:00:00 o'clock IST",
                             {"lstm_lab.ipynb": plain_notebook("d = 4")}),
        **blackboard_attempt(a, "jdoe_previewuser", "Jane Doe", "2026-12-18-10-00-00",
                             "Friday, 18 December 2026 10:00:00 o'clock IST",
                             {"lstm_lab.ipynb": plain_notebook()}),
    }  # fmt: skip
    archive = tmp_path / "gradebook_LSTM101_Assignment_1_2026-12-20-09-41-27.zip"
    archive.write_bytes(zipped(entries))
    export = blackboard_grade_center(
        [("Müller", "Jürgen", "jmuller", "2023001"), ("Pérez-Núñez", "Ana", "a_perez", "2023002"),
         ("王", "小明", "xwang", "2023003"), ("Pérez", "Ana", "apere1", "2023004"),
         ("Pérez", "Ana", "apere2", "2023005")],
        tmp_path / "gc_LSTM101_fullgc.xls",
    )  # fmt: skip
    out = tmp_path / "submissions"
    printed = collected_twice(archive, out, course, export, capsys)
    assert "a Blackboard download, 7 submission(s)" in printed
    muller = load_manifest(out / "2023001")
    assert muller["slots"][SLOT]["at"] == "2026-12-19T03:12:09+05:30"  # IST: the course's zone
    assert muller["late_files"] == ["lstm_gates/lstm_lab.ipynb"]
    perez = out / "2023002"
    assert (perez / "lstm_gates" / "lstm_lab.ipynb").read_bytes() == plain_notebook("second = 2")
    assert len(list((perez / "history").iterdir())) == 1  # the first attempt
    assert load_manifest(out / "2023003")["projects"][0]["colab"] == COLAB
    ana1 = load_manifest(out / "2023004")
    assert ana1["slots"][SLOT]["at"] == "2026-12-18T20:00:31+01:00"  # the receipt's CET
    assert ana1["late_files"] == [] and ana1["grace_files"] == ["lstm_gates/lstm_lab.ipynb"]
    assert load_manifest(out / "2023005")["late_files"] == []
    assert "jdoe_previewuser" in reasons(out) and "not in the --lms-export" in reasons(out)


def test_d2l_submissions_by_name_through_the_grades_export(tmp_path: Path, course, capsys) -> None:
    entries = {
        "index.html": b"<html><body>Lab 1</body></html>",
        d2l_entry("101234-552211", "Jürgen Müller", "Dec 19, 2026 312 AM", "lstm_lab.ipynb"):
            plain_notebook("late = 1"),
        d2l_entry("101235-552212", "Ana Pérez-Núñez", "Dec 17, 2026 602 PM", "lstm_lab.ipynb"):
            plain_notebook("first = 1"),
        d2l_entry("101235-552240", "Ana Pérez-Núñez", "Dec 18, 2026 930 PM", "lstm_lab.ipynb"):
            plain_notebook("second = 2"),
        d2l_entry("101236-552215", "Xiaoming Wang", "Dec 18, 2026 800 PM", "lstm_lab.ipynb"):
            plain_notebook("x = 3"),
        d2l_entry("101236-552215", "Xiaoming Wang", "Dec 18, 2026 800 PM", "notes.txt"): b"hi",
        d2l_entry("101237-552216", "Ana Pérez", "Dec 18, 2026 800 PM", "lstm_lab.ipynb"):
            plain_notebook("c = 3"),
        d2l_entry("101238-552217", "Ana Pérez", "Dec 18, 2026 810 PM", "lstm_lab.ipynb"):
            plain_notebook("d = 4"),
        d2l_entry("101239-552218", "Priya Nair", "Dec 18, 2026 105 PM", "lstm_lab.ipynb"):
            plain_notebook("e = 5"),
    }  # fmt: skip
    archive = tmp_path / "Lab 1 Download Dec 20, 2026 941 AM.zip"
    archive.write_bytes(zipped(entries))
    export = d2l_grades(
        [("2023001", "jmuller", "Müller", "Jürgen", "jmuller@example.edu"),
         ("2023002", "aperez", "Pérez-Núñez", "Ana", "aperez@example.edu"),
         ("2023003", "xwang", "Wang", "Xiaoming", "xwang@example.edu"),
         ("2023004", "apere1", "Pérez", "Ana", "ana.perez1@example.edu"),
         ("2023005", "apere2", "Pérez", "Ana", "ana.perez2@example.edu"),
         ("2023006", "pnair", "Nair", "Priya", "pnair@example.edu")],
        tmp_path / "Lab 1_GradesExport.csv",
    )  # fmt: skip
    out = tmp_path / "submissions"
    printed = collected_twice(archive, out, course, export, capsys)
    assert "a D2L Brightspace download, 7 submission(s)" in printed
    # "105 PM" is 1:05 PM (the last two digits are the minutes), in the course's zone
    assert load_manifest(out / "2023006")["slots"][SLOT]["at"] == "2026-12-18T13:05:00+05:30"
    muller = load_manifest(out / "2023001")
    assert muller["slots"][SLOT]["at"] == "2026-12-19T03:12:00+05:30"
    assert muller["late_files"] == ["lstm_gates/lstm_lab.ipynb"]
    assert len(list((out / "2023002" / "history").iterdir())) == 1
    wang = load_manifest(out / "2023003")  # "Xiaoming Wang" in D2L, 王小明 on the roster
    assert wang["assignments"] == {"lstm_gates": "lstm_gates/lstm_lab.ipynb"}
    assert not (out / "2023004").exists() and not (out / "2023005").exists()
    assert "two students in the --lms-export are named Ana Pérez" in reasons(out)


def test_gradescope_export_by_sid_a_group_credited_to_each(tmp_path: Path, course, capsys) -> None:
    root = "assignment_4412345_export/"
    metadata = gradescope_metadata(
        {
            "submission_219000001": {
                "submitters": [("Jürgen Müller", "2023001", "jmuller@example.edu")],
                "created_at": "2026-12-18 21:42:09.123456000 Z",  # 03:12:09 in +05:30: late
            },
            "submission_219000002": {
                "submitters": [("Ana Pérez-Núñez", "2023002", "aperez@example.edu")],
                "created_at": "2026-12-18 10:00:05.000000000 Z",
                "history": ["2026-12-17 12:32:44.000000000 Z", "2026-12-18 12:00:00.000000000 Z"],
            },
            "submission_219000003": {
                "submitters": [
                    ("王小明", "2023003", "xwang@example.edu"),
                    ("Priya Nair", "2023006", "pnair@example.edu"),
                ],
                "created_at": "2026-12-18 14:30:00.000000000 Z",
            },
            "submission_219000004": {
                "submitters": [("Ana Pérez", "2023004", "ana.perez1@example.edu")],
                "created_at": "2026-12-18 14:30:00.000000000 Z",
            },
            "submission_219000005": {
                "submitters": [("Jane Doe", "2029999", "jdoe@example.edu")],
                "created_at": "2026-12-18 14:30:00.000000000 Z",
            },
        }
    )
    entries = {f"{root}submission_metadata.yml": metadata}
    for number, code in ((1, "late = 1"), (2, "b = 2"), (3, "group = 3"), (4, "c = 4"), (5, "")):
        entries[f"{root}submission_21900000{number}/lstm_lab.ipynb"] = plain_notebook(code)
    archive = tmp_path / "assignment_4412345_export.zip"
    archive.write_bytes(zipped(entries))
    roster = tmp_path / "roster.csv"
    roster.write_text(
        "First Name,Last Name,SID,Email,Role\nJürgen,Müller,2023001,jmuller@example.edu,Student\n"
        "Ana,Pérez-Núñez,2023002,aperez@example.edu,Student\n"
        "小明,王,2023003,xwang@example.edu,Student\nPriya,Nair,2023006,pnair@example.edu,Student\n"
        "Ana,Pérez,2023004,ana.perez1@example.edu,Student\n"
        "Jane,Doe,2029999,jdoe@example.edu,Student\n",
        encoding="utf-8",
    )
    out = tmp_path / "submissions"
    printed = collected_twice(archive, out, course, roster, capsys)
    assert "a Gradescope download, 6 submission(s)" in printed
    muller = load_manifest(out / "2023001")
    assert muller["slots"][SLOT]["at"] == "2026-12-18T21:42:09+00:00"
    assert muller["late_files"] == ["lstm_gates/lstm_lab.ipynb"]
    notes = " ".join(load_manifest(out / "2023002")["notes"])
    assert "their files are not exported" in notes and "not the newest" in notes
    for member in ("2023003", "2023006"):
        held = out / member / "lstm_gates" / "lstm_lab.ipynb"
        assert held.read_bytes() == plain_notebook("group = 3")
    assert (out / "2023004").is_dir()
    assert "2029999" in reasons(out) and "not on the roster" in reasons(out)
