"""A hand-in staff relay in their own mail (issue 37): a TA's mail that carries a student's files
and names the student (roster id or full name) is placed for that student, marked as relayed
by whom, and listed for the instructor to confirm; never dropped silently."""

from __future__ import annotations

import csv
from datetime import UTC, datetime
from pathlib import Path

from course_kit import ROSTER
from mailkit import gmail, notebook, titled_report

from grader.cli import main
from grader.intake.manifest import load_manifest

SENT = datetime(2026, 12, 10, 9, 0, tzinfo=UTC)
TA = "Kiran Rao <kiran.rao@example.edu>"


def rows(path: Path) -> list[dict[str, str]]:
    with path.open(encoding="utf-8", newline="") as stream:
        return list(csv.DictReader(stream))


def test_a_tas_mail_with_a_students_files_is_placed_for_them_and_listed(tmp_path, capsys):
    (tmp_path / "roster.csv").write_text(ROSTER, encoding="utf-8")
    inbox = tmp_path / "inbox"
    inbox.mkdir()
    files = [
        ("project1.ipynb", notebook("# Project 1: stock prices")),
        ("project1_report.pdf", titled_report("Project 1: stock prices")),
    ]
    mails = {
        "by-id": gmail(
            TA,
            SENT,
            "Rahul Menon (EE21B017) project 1 - sent to me directly",
            "FYI",
            attachments=files,
        ),
        "by-name": gmail(
            TA,
            SENT,
            "work from a student",
            "Priya Nair asked me to pass this on.",
            attachments=files,
        ),
        "nobody": gmail(TA, SENT, "found these", "No idea whose.", attachments=files),
        "no-files": gmail(TA, SENT, "Rahul Menon (EE21B017)", "He asked for more time."),
    }
    for name, mail in mails.items():
        (inbox / f"{name}.eml").write_bytes(mail.as_bytes())
    out = tmp_path / "submissions"
    roster = str(tmp_path / "roster.csv")
    assert main(["collect", str(inbox), "--out", str(out), "--roster", roster]) == 0
    printed = capsys.readouterr().out

    rahul = load_manifest(out / "EE21B017")
    assert rahul["projects"][0]["notebook"] == "project1/project1.ipynb"
    assert any("relayed by staff member TA01 (kiran.rao@example.edu)" in n for n in rahul["notes"])
    assert (
        load_manifest(out / "ME21B103")["projects"][0]["report"] == "project1/project1_report.pdf"
    )

    relayed = {row["student"]: row for row in rows(out / "RELAYED.csv")}
    assert sorted(relayed) == ["EE21B017", "ME21B103"]
    assert relayed["EE21B017"]["relayed_by"] == "TA01"
    assert "Relayed by staff, to confirm" in printed and "EE21B017: 'Rahul Menon" in printed

    skipped = {
        row["source"].rsplit("/", 1)[-1]: row["reason"] for row in rows(out / "UNATTRIBUTED.csv")
    }
    assert "carries files but names no roster student" in skipped["nobody.eml"]
    assert skipped["no-files.eml"] == "from staff member TA01: not a submission"
    index = {row["student"]: row["status"] for row in rows(out / "index.csv")}
    assert index["EE21B017"] == index["ME21B103"] == "collected"
