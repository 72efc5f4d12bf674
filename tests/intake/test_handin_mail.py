"""``grader collect --roster`` on a Gmail Takeout mbox of ordinary hand-ins: threads, replies,
forwards, split hand-ins, resends, Drive links, winmail.dat and macOS zips."""

from __future__ import annotations

import csv
import json
from datetime import datetime, timedelta, timezone
from pathlib import Path

import pytest
from mailkit import (
    OWNER,
    forward_as_attachment,
    gmail,
    gmail_inline_forward,
    mac_zip,
    notebook,
    outlook,
    takeout_mbox,
    thunderbird,
    titled_report,
)
from pypdf import PdfReader

from grader import intake
from grader.cli import main
from grader.intake import load_manifest
from grader.roster import load_roster

IST = timezone(timedelta(hours=5, minutes=30))
DEADLINE = datetime(2023, 1, 15, 23, 59, tzinfo=IST)
DAY = datetime(2023, 1, 15, tzinfo=IST)
ROSTER = """id,name,email,role
CS21B001,Asha Verma,asha@example.edu;asha.verma@gmail.com,student
EE21B002,Rahul Menon,rahul.menon@example.edu,
ME21B003,Priya Nair,priya@example.edu,student
CH21B004,Karthik Rao,karthik@example.edu,student
BT21B005,Divya Iyer,divya@example.edu,student
MA21B006,Sneha Pillai,sneha@example.edu,student
PH21B007,Arjun Das,arjun@example.edu,student
TA01,Meera Krishnan,meera.ta@example.edu,staff
PROF,Course Instructor,lstm.course@gmail.com,staff
"""
COLAB = "https://colab.research.google.com/drive/"
NB1 = notebook("# Project 1: Stock price forecasting with an LSTM")
NB2 = notebook("# Project 2 - Sentiment of movie reviews")
REPORT1 = titled_report("Project 1: Stock price forecasting")
REPORT2 = titled_report("Project 2: Sentiment of movie reviews")


def at(hour: int, minute: int = 0, days: int = 0) -> datetime:
    return DAY + timedelta(days=days, hours=hour, minutes=minute)


def inbox_messages() -> list:
    asha_1900 = gmail(
        "Asha Verma <asha@example.edu>",
        at(19),
        "LSTM projects - CS21B001",
        f"Dear Sir,\nNotebooks attached.\nProject 1: {COLAB}1AshaProjectOneLink_x?usp=sharing\n"
        f"Project 2: {COLAB}1AshaProjectTwoLink_y?usp=sharing\nReports follow.\nAsha",
        attachments=[("project1_lstm.ipynb", NB1), ("project2_lstm.ipynb", NB2)],
    )
    asha_1940 = gmail(
        "Asha Verma <asha@example.edu>",
        at(19, 40),
        "Re: LSTM projects - CS21B001",
        "And the reports.\n\nOn Sun, Jan 15, 2023 at 7:00 PM Asha Verma <asha@example.edu> "
        "wrote:\n> Dear Sir,\n> Notebooks attached.",
        # By sort order these would pair the wrong way: the first pages tell.
        attachments=[("LSTM_report_final.pdf", REPORT2), ("Report.pdf", REPORT1)],
    )
    instructor_reply = gmail(
        f"Course Instructor <{OWNER}>",
        at(21),
        "Re: LSTM projects - CS21B001",
        "Received, thanks.\n\nOn Sun, Jan 15, 2023 at 7:40 PM Asha Verma wrote:\n> And the "
        "reports.",
        labels="Sent",
        to="Asha Verma <asha@example.edu>",
    )
    asha_resend = gmail(
        "Asha Verma <asha.verma@gmail.com>",
        at(9, 5, days=1),
        "Re: LSTM projects - CS21B001",
        "Sending again in case the earlier mail did not reach you.",
        attachments=[
            ("project1_lstm.ipynb", NB1),
            ("project2_lstm.ipynb", NB2),
            ("LSTM_report_final.pdf", REPORT2),
            ("Report.pdf", REPORT1),
        ],
    )
    rahul = outlook(
        "Rahul Menon <rahul.menon@example.edu>",
        at(22, 10),
        "Project submission",
        "Hi,\r\nPlease find my projects attached.\r\nProject 1 Colab: "
        f"<{COLAB}1RahulOneLink_abcdef?usp=sharing&authuser=1>\r\nThanks,\r\nRahul\r\n",
        "<html><body><p>Hi,</p><p>Project 1 Colab: <a href="
        f'"{COLAB}1RahulOneLink_abcdef?usp=sharing&amp;authuser=1">notebook</a></p>'
        '<p><img src="cid:image001.png@01D92901.5F3C2A10"></p></body></html>',
        attachments=[
            ("project1.ipynb", NB1, "application/octet-stream"),
            ("winmail.dat", b"\x78\x9f\x3e\x22" + b"\x00" * 200, "application/ms-tnef"),
        ],
    )
    karthik_original = thunderbird(
        "Karthik Rao <karthik@example.edu>",
        at(23, 30),
        "CH21B004 LSTM submission",
        "Please find both projects attached.\nKarthik",
        attachments=[
            ("p1.ipynb", NB1),
            ("p2.ipynb", NB2),
            ("p1_report.pdf", REPORT1),
            ("p2_report.pdf", REPORT2),
        ],
        to="meera.ta@example.edu",
    )
    ta_forward = forward_as_attachment(
        "Meera Krishnan <meera.ta@example.edu>",
        at(10, days=1),
        karthik_original,
        "Karthik sent this to me by mistake last night.",
    )
    priya_original = thunderbird(
        "Priya Nair <priya@example.edu>",
        at(18, 15),
        "Projects",
        "Attached as a zip.\nPriya",
        to="meera.ta@example.edu",
    )
    priya_zip = mac_zip(
        {
            "lstm_first.ipynb": notebook("## Project 1 (stock prices)"),
            "lstm_second.ipynb": notebook("## Project 2 (reviews)"),
            "Rapport détaillé.pdf": REPORT2,
        }
    )
    ta_inline = gmail_inline_forward(
        "Meera Krishnan <meera.ta@example.edu>",
        at(8, 30, days=1),
        priya_original,
        "Sun, Jan 15, 2023 at 6:15 PM",
        attachments=[("Archive.zip", priya_zip)],
    )
    divya = gmail(
        "Divya Iyer <divya@example.edu>",
        at(20),
        "BT21B005 projects",
        "(see the HTML part)",
        html=(
            '<div dir="ltr">Project 1: <a href="https://colab.research.google.com/drive/'
            '1DivyaOne_link?usp=sharing&amp;authuser=0">colab</a><br>'
            'Project 2: <a href="https://colab.research.google.com/drive/1DivyaTwo_link?'
            'usp=sharing&amp;authuser=0">colab</a><br>'
            '<div class="gmail_chip gmail_drive_chip"><a href="https://drive.google.com/file/d/'
            '1BigStockPricesData/view?usp=drive_web&amp;resourcekey=0-AbC" target="_blank">'
            "stock_prices_2010_2022.csv</a></div></div>"
        ),
    )
    stranger = gmail(
        "Someone <someone@other.org>",
        at(12),
        "LSTM project",
        "here is my project",
        attachments=[("project1.ipynb", NB1)],
    )
    arjun = gmail(
        "Arjun <arjun.das.99@yahoo.com>",
        at(1, 30, days=1),
        "PH21B007 - late submission, sorry",
        "Sorry for the delay.",
        attachments=[("Project1.ipynb", NB1), ("Project2.ipynb", NB2)],
    )
    return [
        asha_1900,
        asha_1940,
        instructor_reply,
        asha_resend,
        rahul,
        ta_forward,
        ta_inline,
        divya,
        stranger,
        arjun,
    ]


@pytest.fixture()
def collected(tmp_path: Path):
    roster_path = tmp_path / "roster.csv"
    roster_path.write_text(ROSTER, encoding="utf-8")
    mbox = takeout_mbox(tmp_path / "All mail Including Spam and Trash.mbox", inbox_messages())
    out = tmp_path / "submissions"
    summary = intake.collect(mbox, out, DEADLINE, roster=load_roster(roster_path))
    return summary, out, mbox.name


def read_csv(path: Path) -> list[dict[str, str]]:
    with path.open(newline="", encoding="utf-8") as stream:
        return list(csv.DictReader(stream))


def test_a_split_hand_in_is_one_submission_paired_by_content(collected) -> None:
    summary, out, box = collected
    asha = load_manifest(out / "CS21B001")
    first, second = asha["projects"]
    assert first["notebook"] == "project1/project1_lstm.ipynb"
    assert second["notebook"] == "project2/project2_lstm.ipynb"
    assert first["report"] == "project1/Report.pdf"  # its first page says Project 1
    assert second["report"] == "project2/LSTM_report_final.pdf"
    assert first["colab"] == f"{COLAB}1AshaProjectOneLink_x?usp=sharing"
    assert asha["missing"] == []
    # The resend next morning repeats every file: nothing changes, it is not late.
    assert asha["late"] is False and asha["late_files"] == []
    assert datetime.fromisoformat(asha["submitted_at"]) == at(19, 40)
    assert [(e["source"], bool(e["changed"])) for e in asha["emails"]] == [
        (f"{box}#1", True),
        (f"{box}#2", True),
        (f"{box}#4", False),
    ]
    # The 19:00 state (notebooks only) is the one earlier version.
    [earlier] = (out / "CS21B001" / "history").iterdir()
    assert sorted(load_manifest(earlier)["files"]) == [
        "project1/project1_lstm.ipynb",
        "project2/project2_lstm.ipynb",
    ]
    assert (out / "CS21B001" / "project1" / "Report.pdf").read_bytes().startswith(b"%PDF")
    assert f"{box}#4" in summary.repeats


def test_owner_and_staff_mail_is_never_a_submission(collected) -> None:
    summary, out, box = collected
    listed = {row["source"]: row for row in read_csv(out / "UNATTRIBUTED.csv")}
    assert "Gmail's Sent label" in listed[f"{box}#3"]["reason"]
    assert "not a submission" in listed[f"{box}#3"]["reason"]
    folders = sorted(p.name for p in out.iterdir() if p.is_dir())
    assert folders == ["BT21B005", "CH21B004", "CS21B001", "EE21B002", "ME21B003", "PH21B007"]


def test_a_ta_forward_as_attachment_is_the_students_on_time(collected) -> None:
    _, out, _ = collected
    karthik = load_manifest(out / "CH21B004")
    assert karthik["student"]["email"] == "karthik@example.edu"
    assert datetime.fromisoformat(karthik["submitted_at"]) == at(23, 30)
    assert karthik["late"] is False
    assert [p["report"] for p in karthik["projects"]] == [
        "project1/p1_report.pdf",
        "project2/p2_report.pdf",
    ]
    assert any("forwarded by meera.ta@example.edu" in note for note in karthik["notes"])


def test_an_inline_forward_of_a_mac_zip(collected) -> None:
    _, out, _ = collected
    priya = load_manifest(out / "ME21B003")
    # Gmail shows "6:15 PM" with no zone: read in the forwarder's zone, and said so.
    assert datetime.fromisoformat(priya["submitted_at"]) == at(18, 15)
    assert priya["late"] is False
    assert any("names no time zone" in note for note in priya["notes"])
    files = sorted(priya["files"])
    assert files == [
        "project1/lstm_first.ipynb",
        "project2/Rapport détaillé.pdf",
        "project2/lstm_second.ipynb",
    ]
    assert not [p for p in (out / "ME21B003").rglob("*") if p.name.startswith((".", "._"))]
    assert not (out / "ME21B003" / "__MACOSX").exists()


def test_outlook_winmail_dat_and_html_links(collected) -> None:
    _, out, _ = collected
    rahul = load_manifest(out / "EE21B002")
    assert rahul["projects"][0]["colab"] == f"{COLAB}1RahulOneLink_abcdef?usp=sharing&authuser=1"
    assert any("winmail.dat" in note and "plain attachments" in note for note in rahul["notes"])
    assert "image001.png" not in json.dumps(rahul["files"])  # the signature logo is no file
    divya = load_manifest(out / "BT21B005")
    one, two = divya["projects"]
    assert one["colab"] == f"{COLAB}1DivyaOne_link?usp=sharing&authuser=0"
    assert two["colab"] == f"{COLAB}1DivyaTwo_link?usp=sharing&authuser=0"
    assert one["dataset_link"] == (
        "https://drive.google.com/file/d/1BigStockPricesData/view?usp=drive_web&resourcekey=0-AbC"
    )
    assert "project 1: notebook" in divya["missing"]


def test_attribution_by_roster_id_and_a_late_student(collected) -> None:
    _, out, box = collected
    arjun = load_manifest(out / "PH21B007")
    assert arjun["late"] is True
    assert arjun["late_files"] == ["project1/Project1.ipynb", "project2/Project2.ipynb"]
    assert any("attributed by the roster id PH21B007" in n for n in arjun["notes"])
    listed = {row["source"]: row for row in read_csv(out / "UNATTRIBUTED.csv")}
    assert "someone@other.org is not on the roster" in listed[f"{box}#9"]["reason"]


def test_index_has_every_roster_student_and_agrees_with_the_summary(collected) -> None:
    summary, out, _ = collected
    rows = {row["student"]: row for row in read_csv(out / "index.csv")}
    assert sorted(rows) == sorted(p.id for p in load_roster_text().students)
    assert rows["MA21B006"]["status"] == "sent nothing"
    assert rows["CS21B001"]["earlier"] == "1"
    collected_rows = [r for r in rows.values() if r["status"] == "collected"]
    assert summary.students == len(collected_rows) == 6
    assert summary.late == sum(r["late"] == "yes" for r in collected_rows) == 1
    assert summary.earlier == sum(int(r["earlier"]) for r in collected_rows)
    assert summary.incomplete == sum(bool(r["missing"]) for r in collected_rows) == 5
    assert summary.sent_nothing == 1
    assert len(summary.skipped) == 1 and len(summary.unattributed) == 1
    assert summary.items == 10


def load_roster_text():
    import tempfile

    with tempfile.TemporaryDirectory() as folder:
        path = Path(folder) / "roster.csv"
        path.write_text(ROSTER, encoding="utf-8")
        return load_roster(path)


def test_cli_collect_with_a_roster(tmp_path: Path, capsys: pytest.CaptureFixture[str]) -> None:
    (tmp_path / "roster.csv").write_text(ROSTER, encoding="utf-8")
    mbox = takeout_mbox(tmp_path / "Inbox.mbox", inbox_messages())
    out = tmp_path / "subs"
    args = ["collect", str(mbox), "--out", str(out), "--deadline", "2023-01-15T23:59+05:30"]
    assert main([*args, "--roster", str(tmp_path / "roster.csv")]) == 0
    printed = capsys.readouterr().out
    assert "Read 10 item(s): 7 collected, 1 only repeated files already received" in printed
    assert (
        "1 from staff or the mailbox owner, 0 no hand-in (no file, no link), 1 unattributed, "
        "0 rejected." in printed
    )
    assert "6 student(s), 1 late, 5 with something missing, 1 earlier version(s) kept, " in printed
    assert "1 on the roster sent nothing" in printed
    assert (
        "1 on the roster sent nothing: MA21B006."
        in PdfReader(out / "all_submissions.pdf").pages[0].extract_text()
    )
    assert main([*args, "--roster", str(tmp_path / "nope.csv")]) == 2
    assert "no such roster file" in capsys.readouterr().err


def test_without_a_roster_owner_mail_is_skipped_and_forwards_unwrapped(tmp_path: Path) -> None:
    mbox = takeout_mbox(tmp_path / "Inbox.mbox", inbox_messages())
    out = tmp_path / "out"
    summary = intake.collect(mbox, out, DEADLINE)
    folders = sorted(p.name for p in out.iterdir() if p.is_dir())
    assert "lstm.course" not in folders and "meera.ta" not in folders
    assert {"asha", "asha.verma", "karthik", "priya", "someone"} <= set(folders)
    karthik = load_manifest(out / "karthik")
    # A forward of someone else's mail counts from the original's time, with a note.
    assert karthik["late"] is False
    assert any("give --roster to check" in note for note in karthik["notes"])
    assert len(summary.skipped) == 1


def test_with_a_roster_a_forward_by_someone_not_staff_counts_from_its_own_time(
    tmp_path: Path,
) -> None:
    roster_path = tmp_path / "roster.csv"
    roster_path.write_text(ROSTER.replace("TA01,Meera Krishnan,meera.ta@example.edu,staff\n", ""))
    mbox = takeout_mbox(tmp_path / "Inbox.mbox", inbox_messages())
    out = tmp_path / "out"
    intake.collect(mbox, out, DEADLINE, roster=load_roster(roster_path))
    karthik = load_manifest(out / "CH21B004")
    assert karthik["late"] is True
    assert any("who is not known as staff" in note for note in karthik["notes"])


def test_a_student_forwarding_someone_elses_mail_hands_it_in_as_their_own(
    tmp_path: Path,
) -> None:
    roster_path = tmp_path / "roster.csv"
    roster_path.write_text(ROSTER, encoding="utf-8")
    original = thunderbird(
        "Asha Verma <asha@example.edu>",
        at(18),
        "Projects",
        "Mine.",
        attachments=[("p1.ipynb", NB1)],
        to="rahul.menon@example.edu",
    )
    forward = forward_as_attachment("Rahul Menon <rahul.menon@example.edu>", at(20), original, "")
    mbox = takeout_mbox(tmp_path / "Inbox.mbox", [forward])
    out = tmp_path / "out"
    intake.collect(mbox, out, DEADLINE, roster=load_roster(roster_path))
    assert [p.name for p in out.iterdir() if p.is_dir()] == ["EE21B002"]
    rahul = load_manifest(out / "EE21B002")
    assert datetime.fromisoformat(rahul["submitted_at"]) == at(20)
    assert any("forwards mail from asha@example.edu" in note for note in rahul["notes"])


def test_drafts_and_chats_in_a_takeout_are_not_submissions(tmp_path: Path) -> None:
    draft = gmail(
        f"Course Instructor <{OWNER}>",
        at(9),
        "Reminder",
        "Deadline tonight.",
        labels="Draft",
        attachments=[("solution.ipynb", NB1)],
    )
    chat = gmail("Asha Verma <asha@example.edu>", at(10), "Chat", "is the deadline 23:59?")
    chat.replace_header("X-Gmail-Labels", "Chat,Opened")
    summary = intake.collect(takeout_mbox(tmp_path / "t.mbox", [draft, chat]), tmp_path / "out")
    reasons = [row[4] for row in summary.skipped]
    assert reasons == [
        "an unsent draft (Gmail's Draft label): not a submission",
        "a Google Chat message (Gmail's Chat label), not mail: not a submission",
    ]
    assert summary.students == 0
