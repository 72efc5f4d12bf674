"""Per-student extended deadlines (issue 37): ``extensions.csv`` beside course.toml, applied
wherever a deadline is used: collect's late tags (grace shown as grace), the late policy of
`grader final` and its exports, `grader watch`'s receipts. Bad rows are refused by line."""

from __future__ import annotations

import csv
from datetime import timedelta
from email.headerregistry import Address
from pathlib import Path

import pytest
from course_kit import auto_result, make_course
from mailkit import gmail

from grader import cli
from grader.course.config import load_course
from grader.errors import UserError
from grader.intake.common import DEFAULT_LIMITS as LIMITS
from grader.intake.message.received import receive
from grader.watch.handins import Context, handle

EXTENSIONS = (
    "student,component,deadline,granted_by,reason\n"
    "EE21B017,lstm_gates,2026-12-20T23:59:00+05:30,Kiran Rao,medical certificate\n"
)


def released_notebook() -> bytes:
    return (
        b'{"cells": [], "metadata": {"grader": {"assignment": "lstm_gates"}}, '
        b'"nbformat": 4, "nbformat_minor": 5}'
    )


@pytest.fixture
def course(tmp_path):
    course, _ = make_course(tmp_path)
    (course.path.parent / "extensions.csv").write_text(EXTENSIONS, encoding="utf-8")
    return load_course(course.path)


def hand_ins(course, folder: Path) -> Path:
    """Asha within the grace period, Rahul a day late with his extension, Priya a day late."""
    deadline = course.component("lstm_gates").deadline
    folder.mkdir()
    for name, address, after in (
        ("Asha Verma", "asha.verma@example.edu", timedelta(hours=1)),
        ("Rahul Menon", "rahul.menon@example.edu", timedelta(days=1)),
        ("Priya Nair", "priya.nair@example.edu", timedelta(days=1)),
    ):
        mail = gmail(
            f"{name} <{address}>",
            deadline + after,
            "assignment 1",
            "attached",
            attachments=[("lstm_gates.ipynb", released_notebook())],
        )
        (folder / f"{address}.eml").write_bytes(mail.as_bytes())
    return folder


def test_collect_tags_late_grace_and_extended_hand_ins(course, tmp_path, capsys):
    inbox = hand_ins(course, tmp_path / "inbox")
    out = tmp_path / "submissions"
    assert cli.main(["collect", str(inbox), "--out", str(out), "--course", str(course.path)]) == 0
    with (out / "index.csv").open(encoding="utf-8", newline="") as stream:
        late = {row["student"]: row["late"] for row in csv.DictReader(stream)}
    assert late == {"CS21B042": "grace", "EE21B017": "no", "ME21B103": "yes"}
    assert "1 late, 1 within the grace period" in capsys.readouterr().out


def test_final_applies_the_extension_and_the_grace_period(course, tmp_path, capsys):
    inbox = hand_ins(course, tmp_path / "inbox")
    subs, out = tmp_path / "submissions", tmp_path / "graded"
    assert cli.main(["collect", str(inbox), "--out", str(subs), "--course", str(course.path)]) == 0
    for student in ("CS21B042", "EE21B017", "ME21B103"):
        auto_result(out, "lstm_gates", student, 100, subs / student)
    args = ["--course", str(course.path), "--out", str(out)]
    assert cli.main(["final", *args, "--components", "lstm_gates"]) == 0
    with (out / "final" / "final-grades.csv").open(encoding="utf-8", newline="") as stream:
        rows = {row["student"]: row for row in csv.DictReader(stream)}
    assert rows["CS21B042"]["lstm_gates"] == "100.00"  # within the grace period
    assert rows["EE21B017"]["lstm_gates"] == "100.00"
    assert "deadline extended to 2026-12-20T23:59+05:30" in rows["EE21B017"]["lstm_gates remark"]
    assert rows["ME21B103"]["lstm_gates"] == "90.00"  # a day late: -10%


def test_the_watch_grades_an_extended_hand_in_and_receipts_a_late_one(course, tmp_path):
    inbox = hand_ins(course, tmp_path / "inbox")
    context = Context(
        course, course.roster(), None, Address("Course", "lstm", "example.edu"), frozenset()
    )
    rahul = handle(
        "m1", receive((inbox / "rahul.menon@example.edu.eml").read_bytes(), LIMITS), context
    )
    assert [job["assignment"] for job in rahul.jobs] == ["lstm_gates"] and not rahul.replies
    priya = handle(
        "m2", receive((inbox / "priya.nair@example.edu.eml").read_bytes(), LIMITS), context
    )
    assert not priya.jobs and "lstm_gates: late" in priya.outcome


@pytest.mark.parametrize(
    ("row", "expected"),
    [
        ("XX99,lstm_gates,2026-12-20,Kiran,why", "line 2: student 'XX99' is not on the roster"),
        ("EE21B017,nope,2026-12-20,Kiran,why", "line 2: component 'nope' is not in course.toml"),
        ("EE21B017,*,next week,Kiran,why", "line 2: deadline 'next week' is not a date and time"),
        ("EE21B017,*,2026-12-20,,", "line 2: write who granted the extension"),
    ],
)
def test_a_wrong_row_is_refused_naming_its_line(tmp_path, row, expected):
    course, _ = make_course(tmp_path)
    header = EXTENSIONS.splitlines()[0]
    (course.path.parent / "extensions.csv").write_text(f"{header}\n{row}\n", encoding="utf-8")
    with pytest.raises(UserError, match=expected):
        load_course(course.path)


def test_every_component_and_a_date_alone(tmp_path):
    course, _ = make_course(tmp_path)
    (course.path.parent / "extensions.csv").write_text(
        "student,component,deadline,granted_by,reason\n"
        "ee21b017,*,2027-03-10,Dean's office,accommodation\n",
        encoding="utf-8",
    )
    course = load_course(course.path)
    project2 = course.component("project2")
    extended = course.deadline_for(project2, "EE21B017")
    assert extended is not None and extended.isoformat() == "2027-03-10T23:59:00+05:30"
    assert course.deadline_for(project2, "CS21B042") == project2.deadline
