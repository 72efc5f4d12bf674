"""Every message read ends in exactly one place, and the counts add up: ``grader collect`` on
the course's two mailboxes (a Gmail Takeout mbox and an Outlook mailbox saved as .msg and .eml
files), with mail that forgot its attachment, lost its final MIME boundary, has no Date, was
saved from Outlook, or was sent to both addresses."""

from __future__ import annotations

import csv
import hashlib
import json
from datetime import datetime, timedelta, timezone
from email.message import EmailMessage
from pathlib import Path

import pytest
from mailkit import OWNER, gmail, notebook, outlook, takeout_mbox, thunderbird, titled_report
from msgkit import saved_from_outlook

from grader import intake
from grader.cli import main
from grader.roster import load_roster

IST = timezone(timedelta(hours=5, minutes=30))
DAY = datetime(2023, 1, 15, tzinfo=IST)
SECOND = "lstm.submissions@example.edu"  # the course's other address, an Outlook mailbox
ROSTER = f"""id,name,email,role
CS21B001,Asha Verma,asha@example.edu,student
EE21B002,Rahul Menon,rahul.menon@example.edu,
ME21B003,Priya Nair,priya@example.edu,student
CH21B004,Karthik Rao,karthik@example.edu,student
BT21B005,Divya Iyer,divya@example.edu,student
MA21B006,Sneha Pillai,sneha@example.edu,student
PH21B007,Arjun Das,arjun@example.edu,student
,Meera Krishnan,meera.ta@example.edu,staff
,Course Instructor,{OWNER};{SECOND},staff
"""
NB = notebook("# Project 1: Stock price forecasting with an LSTM")
REPORT = titled_report("Project 1: Stock price forecasting")


def at(hour: int, minute: int = 0) -> datetime:
    return DAY + timedelta(hours=hour, minutes=minute)


def without_final_boundary(mail: EmailMessage) -> bytes:
    """The mail as a careless script or a cut-off upload leaves it: no closing ``--B--``."""
    raw = mail.as_bytes()
    boundary = mail.get_boundary()
    assert boundary is not None
    closing = f"--{boundary}--".encode()
    assert closing in raw
    return raw[: raw.rindex(closing)]


def without_header(mail: EmailMessage, name: str) -> EmailMessage:
    del mail[name]
    return mail


def as_delivered(mail: EmailMessage, arrived: datetime) -> bytes:
    """An .eml as the second mailbox's server stored it: its Received header first."""
    stamp = arrived.strftime("%a, %d %b %Y %H:%M:%S %z")
    return f"Received: from mail.example.edu by mx.example.edu; {stamp}\n".encode() + (
        mail.as_bytes()
    )


def two_inboxes(root: Path) -> tuple[Path, Path]:
    both = f"LSTM Course <{OWNER}>"
    asha = gmail(
        "Asha Verma <asha@example.edu>",
        at(19),
        "LSTM project 1 - CS21B001",
        "Dear Sir, my notebook and report are attached.",
        attachments=[("project1.ipynb", NB), ("project1_report.pdf", REPORT)],
        to=both,
    )
    asha["Cc"] = f"LSTM Submissions <{SECOND}>"
    forgot = outlook(
        "Rahul Menon <rahul.menon@example.edu>",
        at(20, 5),
        "Project 1 submission",
        "Dear Sir,\nPlease find attached my project 1.\nRegards,\nRahul",
        "<p>Dear Sir,</p><p>Please find attached my project 1.</p>",
    )
    cut = thunderbird(
        "Priya Nair <priya@example.edu>",
        at(20, 30),
        "Project 1",
        "Notebook attached.",
        attachments=[("project1.ipynb", NB)],
    )
    undated = without_header(
        gmail(
            "Karthik Rao <karthik@example.edu>",
            at(21),
            "CH21B004 project 1",
            "Attached.",
            attachments=[("p1.ipynb", NB)],
        ),
        "Date",
    )
    ta = gmail("Meera Krishnan <meera.ta@example.edu>", at(21, 10), "Reminder", "Due tonight.")
    stranger = gmail(
        "Someone <someone@elsewhere.org>",
        at(21, 20),
        "my project",
        "see attached",
        attachments=[("project.ipynb", NB)],
    )
    hostile = gmail(
        "Sneha Pillai <sneha@example.edu>", at(21, 30), "p1", "nb", attachments=[("x.ipynb", NB)]
    )
    hostile.get_payload()[-1].set_param("filename", "../evil.ipynb", "Content-Disposition")
    no_id = thunderbird(
        "Arjun Das <arjun@example.edu>",
        at(22),
        "PH21B007 project 1",
        "My notebook.",
        attachments=[("project1.ipynb", NB)],
        to=f"{OWNER}, {SECOND}",
    )
    del no_id["Message-ID"]  # an old client that writes none; the two copies are the same mail
    takeout = [asha, forgot, cut, undated, ta, stranger, hostile, no_id]
    first = takeout_mbox(
        root / "course-gmail" / "Inbox.mbox",
        takeout,
        arrived=[at(19, 1), at(20, 6), at(20, 31), at(21, 1), at(21, 11), at(21, 21), at(21, 31)]
        + [at(22, 1)],
        raw={2: without_final_boundary(cut)},
    )
    second = root / "course-outlook"
    second.mkdir()
    (second / "LSTM project 1 - CS21B001.msg").write_bytes(
        saved_from_outlook(asha, SECOND, at(19, 2))
    )
    divya = outlook(
        "Divya Iyer <divya@example.edu>",
        at(22, 30),
        "BT21B005 Project 1",
        "Please find my submission attached.",
        "<p>Please find my submission attached.</p>",
        attachments=[
            ("Project1.ipynb", NB, "application/octet-stream"),
            ("Project1 Report.pdf", REPORT, "application/pdf"),
        ],
    )
    divya.replace_header("To", SECOND)
    (second / "BT21B005 Project 1.msg").write_bytes(saved_from_outlook(divya, SECOND, at(22, 31)))
    (second / "PH21B007 project 1.eml").write_bytes(as_delivered(no_id, at(22, 2)))
    resend = without_header(
        thunderbird(
            "Sneha Pillai <sneha@example.edu>",
            at(23),
            "p1 again",
            "Sent again with a plain name.",
            attachments=[("project1.ipynb", NB)],
            to=SECOND,
        ),
        "Date",
    )
    (second / "p1 again.eml").write_bytes(as_delivered(resend, at(23, 4)))
    return first, second


def read_csv(path: Path) -> list[dict[str, str]]:
    with path.open(newline="", encoding="utf-8") as stream:
        return list(csv.DictReader(stream))


def tree_digest(folder: Path) -> dict[str, str]:
    return {
        str(path.relative_to(folder)): hashlib.sha256(path.read_bytes()).hexdigest()
        for path in sorted(folder.rglob("*"))
        if path.is_file()
    }


@pytest.fixture(scope="module")
def collected(tmp_path_factory: pytest.TempPathFactory):
    root = tmp_path_factory.mktemp("accounting")
    inboxes = two_inboxes(root)
    (root / "roster.csv").write_text(ROSTER, encoding="utf-8")
    roster = load_roster(root / "roster.csv")
    out = root / "submissions"
    summary = intake.collect(inboxes, out, roster=roster)
    return root, inboxes, roster, out, summary


def manifest(out: Path, student: str) -> dict:
    return json.loads((out / student / "manifest.json").read_text(encoding="utf-8"))


def test_every_message_ends_in_exactly_one_place(collected) -> None:
    _, _, _, out, summary = collected
    mbox = "Inbox.mbox"
    outlook_box = "course-outlook"
    counts = summary.outcomes()
    assert sum(counts.values()) == summary.items == 10
    assert counts["collected"] == 6 and counts["no hand-in (no file, no link)"] == 1
    assert counts["from staff or the mailbox owner"] == 1
    assert counts["unattributed"] == 1 and counts["rejected"] == 1
    assert sorted(summary.duplicates) == [
        (f"{outlook_box}/LSTM project 1 - CS21B001.msg", f"{mbox}#1"),  # by Message-ID
        (f"{outlook_box}/PH21B007 project 1.eml", f"{mbox}#8"),  # by content: no Message-ID
    ]
    places: dict[str, list[str]] = {}
    for student_dir in out.iterdir():
        if (student_dir / "manifest.json").is_file():
            for email in manifest(out, student_dir.name)["emails"]:
                places.setdefault(email["source"], []).append(student_dir.name)
    for name in ("REJECTED.csv", "UNATTRIBUTED.csv", "NO_HANDIN.csv"):
        for row in read_csv(out / name):
            places.setdefault(row["source"], []).append(name)
    for row in read_csv(out / "COPIES.csv"):  # each copy by name, with what it was folded into
        assert row["folded_into"] in (f"{mbox}#1", f"{mbox}#8")
        places.setdefault(row["source"], []).append("COPIES.csv")
    read = {f"{mbox}#{n}" for n in range(1, 9)} | {
        f"{outlook_box}/{name}"
        for name in (
            "BT21B005 Project 1.msg",
            "p1 again.eml",
            "LSTM project 1 - CS21B001.msg",
            "PH21B007 project 1.eml",
        )
    }
    assert {source: len(where) for source, where in places.items()} == dict.fromkeys(read, 1)
    assert places[f"{outlook_box}/BT21B005 Project 1.msg"] == ["BT21B005"]


def test_mail_that_forgot_its_attachment_is_listed_with_sender_date_and_subject(
    collected,
) -> None:
    _, _, _, out, _ = collected
    [row] = read_csv(out / "NO_HANDIN.csv")
    assert row["source"] == "Inbox.mbox#2"
    assert row["sender"] == "rahul.menon@example.edu" and row["student"] == "EE21B002"
    assert row["subject"] == "Project 1 submission"
    assert row["date"] == "2023-01-15T20:05:00+05:30"
    assert "no file and no Colab or Drive link" in row["reason"]
    assert not (out / "EE21B002").exists()
    index = {row["student"]: row for row in read_csv(out / "index.csv")}
    assert index["EE21B002"]["status"] == "sent nothing"


def test_mail_without_its_final_boundary_is_collected_with_a_note(collected) -> None:
    _, _, _, out, _ = collected
    priya = manifest(out, "ME21B003")
    assert (out / "ME21B003" / priya["projects"][0]["notebook"]).read_bytes() == NB
    assert any("without its final MIME boundary" in note for note in priya["notes"])


def test_a_date_from_the_mbox_from_line_or_the_newest_received_header(collected) -> None:
    _, _, _, out, _ = collected
    karthik = manifest(out, "CH21B004")  # arrived 21:01 IST, the Takeout line says in UTC
    assert karthik["submitted_at"] == "2023-01-15T15:31:00+00:00"
    assert any("it has no Date: its time is the mbox 'From ' line's" in n for n in karthik["notes"])
    sneha = manifest(out, "MA21B006")
    assert sneha["submitted_at"] == "2023-01-15T23:04:00+05:30"
    assert any("the newest Received header's" in note for note in sneha["notes"])


def test_an_outlook_msg_is_read_with_its_attachments(collected) -> None:
    _, _, _, out, _ = collected
    divya = manifest(out, "BT21B005")
    project = divya["projects"][0]
    assert (out / "BT21B005" / project["notebook"]).read_bytes() == NB
    assert (out / "BT21B005" / project["report"]).read_bytes() == REPORT
    assert divya["submitted_at"] == "2023-01-15T22:30:00+05:30"
    assert divya["student"]["email"] == "divya@example.edu"


def test_a_message_in_both_mailboxes_is_collected_once(collected) -> None:
    _, _, _, out, _ = collected
    asha = manifest(out, "CS21B001")
    assert [email["source"] for email in asha["emails"]] == ["Inbox.mbox#1"]
    arjun = manifest(out, "PH21B007")
    assert [email["source"] for email in arjun["emails"]] == ["Inbox.mbox#8"]


def test_staff_without_an_id_unattributed_and_rejected_mail(collected) -> None:
    _, _, _, out, _ = collected
    listed = {row["source"]: row["reason"] for row in read_csv(out / "UNATTRIBUTED.csv")}
    assert "from staff member Meera Krishnan" in listed["Inbox.mbox#5"]
    assert "not on the roster" in listed["Inbox.mbox#6"]
    [rejected] = read_csv(out / "REJECTED.csv")
    assert rejected["source"] == "Inbox.mbox#7" and "holds a path" in rejected["reason"]


def test_a_second_run_changes_no_file(collected, capsys: pytest.CaptureFixture[str]) -> None:
    root, inboxes, _, out, _ = collected
    before = tree_digest(out)
    argv = ["collect", *map(str, inboxes), "--out", str(out), "--roster", str(root / "roster.csv")]
    assert main(argv) == 0
    assert tree_digest(out) == before
    printed = capsys.readouterr().out
    assert "Roster roster.csv: id from 'id', name from 'name', email from 'email'" in printed
    assert (
        "Read 10 item(s): 0 collected, 0 only repeated files already received, "
        "6 already collected, 1 from staff or the mailbox owner, 1 no hand-in (no file, no "
        "link), 1 unattributed, 1 rejected. 2 more were identical copies of these, counted once."
        in printed
    )


def test_a_canvas_export_as_the_roster_attributes_by_roll_number(tmp_path: Path) -> None:
    (tmp_path / "canvas.csv").write_text(
        "Student,ID,SIS User ID,SIS Login ID,Section\n"
        "    Points Possible,,,,\n"
        '"Menon, Rahul",10235,EE21B002,ee21b002,LSTM 2023\n',
        encoding="utf-8",
    )
    mail = gmail(
        "Rahul <rahul.personal@gmail.com>",
        at(19),
        "EE21B002 project 1",
        "Attached.",
        attachments=[("project1.ipynb", NB)],
    )
    out = tmp_path / "out"
    summary = intake.collect(
        takeout_mbox(tmp_path / "in.mbox", [mail]), out, roster=load_roster(tmp_path / "canvas.csv")
    )
    assert summary.placed == ["in.mbox#1"]
    assert manifest(out, "EE21B002")["student"]["name"] == "Menon, Rahul"
