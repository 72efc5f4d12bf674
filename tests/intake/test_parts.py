"""The intake stages one by one: each client's forward, RFC 2231 names, links, pairing, and
the merge rules (later replaces same project and kind, late only when something changes)."""

from __future__ import annotations

import io
import json
import zipfile
from datetime import datetime, timedelta, timezone
from pathlib import Path

import pytest
from mailkit import gmail, mac_zip, notebook, outlook, takeout_mbox, thunderbird, titled_report

from grader import intake
from grader.cli import main
from grader.intake import Limits, load_manifest
from grader.intake.fetch import FetchSettings, download_url
from grader.intake.links import find_links
from grader.intake.message.reading import read_letter
from grader.intake.pairing import pair_files, pair_links, project_in
from grader.roster import load_roster

IST = timezone(timedelta(hours=5, minutes=30))
SENT = datetime(2023, 1, 15, 21, 0, tzinfo=IST)
DEADLINE = datetime(2023, 1, 15, 23, 59, tzinfo=IST)
STUDENT = "Asha Verma <asha@example.edu>"
FORWARDS = {
    "Thunderbird": (
        "-------- Forwarded Message --------\nSubject: \tLSTM projects\nDate: \tSun, 15 Jan "
        "2023 18:05:00 +0530\nFrom: \tAsha Verma <asha@example.edu>\nTo: \tmeera.ta@example.edu"
        "\n\nProjects attached.",
        datetime(2023, 1, 15, 18, 5, tzinfo=IST),
    ),
    "Outlook": (
        "FYI\n\n________________________________\nFrom: Asha Verma <asha@example.edu>\nSent: "
        "Sunday, January 15, 2023 6:05 PM\nTo: Meera Krishnan <meera.ta@example.edu>\nSubject: "
        "LSTM projects\n\nProjects attached.",
        datetime(2023, 1, 15, 18, 5, tzinfo=IST),
    ),
    "Apple Mail": (
        "Begin forwarded message:\n\nFrom: Asha Verma <asha@example.edu>\nSubject: LSTM "
        "projects\nDate: 15 January 2023 at 18:05:00 GMT+5:30\nTo: meera.ta@example.edu\n\n"
        "Projects attached.",
        datetime(2023, 1, 15, 18, 5, tzinfo=IST),
    ),
}


@pytest.mark.parametrize("client", sorted(FORWARDS))
def test_each_clients_inline_forward_names_the_original(client: str) -> None:
    text, original_time = FORWARDS[client]
    mail = thunderbird("Meera <meera.ta@example.edu>", SENT, "Fwd: LSTM projects", text)
    mail.replace_header("Subject", "FW: LSTM projects" if client == "Outlook" else "Fwd: x")
    letter = read_letter(mail.as_bytes(), Limits())
    assert letter.forwarded is not None
    assert letter.forwarded.address == "asha@example.edu"
    assert letter.forwarded.sent_at == original_time
    assert letter.forwarded.text.strip() == "Projects attached."


def test_outlooks_reply_block_is_not_a_forward() -> None:
    text = FORWARDS["Outlook"][0]
    mail = thunderbird("Meera <meera.ta@example.edu>", SENT, "RE: LSTM projects", text)
    assert read_letter(mail.as_bytes(), Limits()).forwarded is None


def test_rfc2231_names_and_quoted_printable_text_are_decoded() -> None:
    name = "Rapport détaillé – projet 2 (version finale).pdf"
    mail = thunderbird(STUDENT, SENT, "Projets", "Voilà mon rapport. Ça marche.", [(name, b"%PDF")])
    raw = mail.as_bytes()
    assert b"filename*0*=" in raw and b"quoted-printable" in raw
    letter = read_letter(raw, Limits())
    assert [a.name for a in letter.attachments] == [name]
    assert "Voilà mon rapport. Ça marche." in letter.text


def test_links_from_text_and_html_with_entities_and_wrappers() -> None:
    colab = "https://colab.research.google.com/drive/1AbCdEfGhIjK?usp=sharing&authuser=2"
    safelink = (
        "https://nam02.safelinks.protection.outlook.com/?url=https%3A%2F%2Fcolab.research."
        "google.com%2Fdrive%2F1SafeLinkedOne%3Fusp%3Dsharing&amp;data=05%7C01&amp;reserved=0"
    )
    html = (
        f'<p>Project 2: <a href="{colab.replace("&", "&amp;")}">link</a></p>'
        f'<p>Project 1: <a href="{safelink}">notebook</a></p>'
    )
    links = find_links("see the HTML", html)
    assert [link.url for link in links] == [
        colab,
        "https://colab.research.google.com/drive/1SafeLinkedOne?usp=sharing",
    ]
    slots, notes = pair_links(links, 2)
    assert slots == {"project2/colab": colab, "project1/colab": links[1].url}
    assert notes == []


def test_a_drive_link_next_to_a_data_file_is_the_dataset_link() -> None:
    text = (
        "Project 2 notebook: https://colab.research.google.com/drive/1NotebookTwoAbc\n"
        "The dataset for project 2 is too big to attach:\n"
        "https://drive.google.com/file/d/1DataSetFileXyz/view?usp=sharing\n"
        "and my notes: https://drive.google.com/file/d/1SomethingElse9/view"
    )
    slots, notes = pair_links(find_links(text), 2)
    assert slots["project2/dataset_link"].startswith("https://drive.google.com/file/d/1DataSet")
    assert "project1/dataset_link" not in slots
    assert any("1SomethingElse9" in note for note in notes)


def test_a_drive_link_to_a_notebook_counts_as_its_colab_link() -> None:
    text = (
        "Project 1 notebook (lstm_stocks.ipynb):\n"
        "https://drive.google.com/file/d/1NotebookOnDriveAbc/view?usp=sharing\n"
    )
    slots, notes = pair_links(find_links(text), 2)
    assert slots == {
        "project1/colab": "https://drive.google.com/file/d/1NotebookOnDriveAbc/view?usp=sharing"
    }
    assert download_url(slots["project1/colab"], FetchSettings())[0] == (
        "https://drive.google.com/uc?export=download&id=1NotebookOnDriveAbc"
    )


@pytest.mark.parametrize(
    "text, number",
    [
        ("Project_2_report.pdf", 2),
        ("lstm_p1", 1),
        ("Report1", 1),
        ("PROJECT NO. 2: Sentiment", 2),
        ("final_v3", None),
        ("project 7", None),  # there is no project 7
        ("page1", None),
    ],
)
def test_project_numbers_in_names_and_text(text: str, number: int | None) -> None:
    assert project_in(text, 2) == number


def test_pairing_by_title_and_a_guess_with_a_note() -> None:
    titles = ["Stock price forecasting", "Sentiment of movie reviews"]
    pieces, notes = pair_files(
        [
            ("final.pdf", titled_report("Sentiment of movie reviews")),
            ("report.pdf", titled_report("A report")),
            ("untitled.ipynb", notebook("# My work")),
        ],
        2,
        titles,
    )
    assert {piece.slot: piece.relpath for piece in pieces} == {
        "project2/report": "project2/final.pdf",
        "project1/report": "project1/report.pdf",
        "project1/notebook": "project1/untitled.ipynb",
    }
    assert len(notes) == 2 and all("could not be told" in note for note in notes)


def test_later_files_replace_the_same_project_and_kind_and_only_changes_are_late(
    tmp_path: Path,
) -> None:
    report_v1, report_v2 = titled_report("Project 1 v1"), titled_report("Project 1 v2")
    nb1, nb2 = notebook("# Project 1"), notebook("# Project 2")
    messages = [
        gmail(
            STUDENT, SENT, "LSTM", "first", attachments=[("p1.ipynb", nb1), ("r1.pdf", report_v1)]
        ),
        gmail(
            STUDENT, SENT + timedelta(hours=1), "LSTM", "v2", attachments=[("r1.pdf", report_v2)]
        ),
        # After the deadline: the same report again (no change), then project 2's notebook.
        gmail(
            STUDENT, SENT + timedelta(hours=5), "Re", "again", attachments=[("r1.pdf", report_v2)]
        ),
        gmail(STUDENT, SENT + timedelta(hours=6), "Re", "p2", attachments=[("p2.ipynb", nb2)]),
    ]
    mbox = takeout_mbox(tmp_path / "a.mbox", messages[:3])
    out = tmp_path / "out"
    intake.collect(mbox, out, DEADLINE)
    asha = load_manifest(out / "asha")
    assert (out / "asha" / "project1" / "r1.pdf").read_bytes() == report_v2
    assert (out / "asha" / "project1" / "p1.ipynb").read_bytes() == nb1  # not sent again: kept
    assert asha["late"] is False and asha["late_files"] == []
    history = sorted((out / "asha" / "history").iterdir())
    assert len(history) == 1
    assert (history[0] / "project1" / "r1.pdf").read_bytes() == report_v1

    takeout_mbox(tmp_path / "a.mbox", messages)
    summary = intake.collect(tmp_path / "a.mbox", out, DEADLINE)
    asha = load_manifest(out / "asha")
    assert asha["late"] is True and asha["late_files"] == ["project2/p2.ipynb"]
    assert summary.already_collected == ["a.mbox#1", "a.mbox#2", "a.mbox#3"]
    assert len(list((out / "asha" / "history").iterdir())) == 2


def test_a_plain_zip_is_unpacked_and_a_hostile_one_rejected(tmp_path: Path) -> None:
    good = mac_zip({"project1.ipynb": notebook("# Project 1"), "data.csv": b"t,y\n1,2\n"})
    slip = io.BytesIO()
    with zipfile.ZipFile(slip, "w") as archive:
        archive.writestr("../../evil.ipynb", b"{}")
    inbox = tmp_path / "inbox"
    inbox.mkdir()
    for name, data in (("a", good), ("b", slip.getvalue())):
        mail = gmail(
            f"{name} <{name}@example.edu>", SENT, "LSTM", "zip", attachments=[("x.zip", data)]
        )
        (inbox / f"{name}.eml").write_bytes(mail.as_bytes())
    out = tmp_path / "out"
    summary = intake.collect(inbox, out)
    assert sorted(load_manifest(out / "a")["files"]) == [
        "project1/data.csv",
        "project1/project1.ipynb",
    ]
    assert [(s, who) for s, who, _ in summary.rejected] == [("b.eml", "b@example.edu")]
    assert "climbs out of its folder" in summary.rejected[0][2]
    assert not (tmp_path / "evil.ipynb").exists()


def test_an_email_with_nothing_in_it_makes_no_folder(tmp_path: Path) -> None:
    question = outlook(STUDENT, SENT, "Question", "When is the deadline?", "<p>When?</p>")
    mbox = takeout_mbox(tmp_path / "q.mbox", [question])
    summary = intake.collect(mbox, tmp_path / "out")
    assert [row[0] for row in summary.no_handin] == ["q.mbox#1"] and summary.students == 0
    assert not (tmp_path / "out" / "asha").exists()


def test_a_roster_id_that_would_overwrite_an_output_file_is_rejected(tmp_path: Path) -> None:
    roster = tmp_path / "roster.csv"
    roster.write_text("id,name,email,role\nindex.csv,Odd Id,asha@example.edu,student\n")
    mail = gmail(STUDENT, SENT, "LSTM", "nb", attachments=[("p1.ipynb", notebook("# P1"))])
    mbox = takeout_mbox(tmp_path / "a.mbox", [mail])
    summary = intake.collect(mbox, tmp_path / "out", roster=load_roster(roster))
    assert "is not a safe folder name" in summary.rejected[0][2]
    assert (tmp_path / "out" / "index.csv").is_file()


def test_a_folder_collected_before_slots_were_recorded_is_merged_into(tmp_path: Path) -> None:
    first = gmail(STUDENT, SENT, "LSTM", "nb", attachments=[("p1.ipynb", notebook("# P1"))])
    out = tmp_path / "out"
    intake.collect(takeout_mbox(tmp_path / "a.mbox", [first]), out)
    manifest = json.loads((out / "asha" / "manifest.json").read_text())
    for key in ("slots", "emails", "late_files", "titles"):
        manifest.pop(key, None)
    (out / "asha" / "manifest.json").write_text(json.dumps(manifest))
    report = titled_report("Project 1")
    second = gmail(STUDENT, SENT + timedelta(hours=1), "LSTM", "r", attachments=[("r.pdf", report)])
    intake.collect(takeout_mbox(tmp_path / "b.mbox", [second]), out)
    merged = load_manifest(out / "asha")
    assert sorted(merged["files"]) == ["project1/p1.ipynb", "project1/r.pdf"]
    assert len(list((out / "asha" / "history").iterdir())) == 1


def test_links_in_quoted_replies_are_not_read_again() -> None:
    old, new = (f"https://colab.research.google.com/drive/1{w}LinkAbcdef" for w in ("Old", "New"))
    text = f"Project 1: {new}\n\nOn Sun, Jan 15, 2023 at 7:00 PM Asha wrote:\n> Project 1: {old}"
    html = (
        f'<div dir="ltr">Project 1: <a href="{new}">new</a></div><div class="gmail_quote">'
        f'<blockquote class="gmail_quote">Project 1: <a href="{old}">old</a></blockquote></div>'
    )
    assert [link.url for link in find_links(text, html)] == [new]


def test_broken_notebooks_and_reports_are_noted_once_per_file(tmp_path: Path) -> None:
    bad_report = titled_report("Project 1")[:200]  # cut off: not a readable PDF
    mail = gmail(
        STUDENT,
        SENT,
        "LSTM",
        "files",
        attachments=[("p1.ipynb", b'{"cells": ['), ("r1.pdf", bad_report)],
    )
    out = tmp_path / "out"
    intake.collect(takeout_mbox(tmp_path / "a.mbox", [mail]), out)
    checks = load_manifest(out / "asha")["checks"]
    assert "does not open" in checks["project1/p1.ipynb"]["problems"][0]
    assert "not a readable PDF" in checks["project1/r1.pdf"]["problems"][0]
    fixed = gmail(
        STUDENT,
        SENT + timedelta(hours=1),
        "LSTM",
        "fixed",
        attachments=[("p1.ipynb", notebook("# P1"))],
    )
    intake.collect(takeout_mbox(tmp_path / "b.mbox", [fixed]), out)
    checks = load_manifest(out / "asha")["checks"]
    assert checks["project1/p1.ipynb"]["problems"] == []
    row = (out / "index.csv").read_text()
    assert "r1.pdf: not a readable PDF" in row and "does not open" not in row


def test_cli_project_titles_pair_files_that_name_a_title(tmp_path: Path) -> None:
    report = titled_report("Sentiment of movie reviews")
    mail = gmail(STUDENT, SENT, "LSTM", "report", attachments=[("final.pdf", report)])
    (tmp_path / "inbox").mkdir()
    (tmp_path / "inbox" / "m.eml").write_bytes(mail.as_bytes())
    out = tmp_path / "out"
    titles = "Stock price forecasting;Sentiment of movie reviews"
    assert (
        main(["collect", str(tmp_path / "inbox"), "--out", str(out), "--project-titles", titles])
        == 0
    )
    assert load_manifest(out / "asha")["projects"][1]["report"] == "project2/final.pdf"


def test_an_old_email_sent_again_does_not_undo_a_newer_file(tmp_path: Path) -> None:
    v1, v2 = notebook("# Project 1, first try"), notebook("# Project 1, fixed")
    mails = [
        gmail(STUDENT, SENT, "LSTM", "v1", attachments=[("p1.ipynb", v1)]),
        gmail(STUDENT, SENT + timedelta(hours=1), "LSTM", "v2", attachments=[("p1.ipynb", v2)]),
        # The next morning the first email is sent again "in case it did not reach you".
        gmail(STUDENT, SENT + timedelta(hours=12), "Fwd", "v1", attachments=[("p1.ipynb", v1)]),
    ]
    out = tmp_path / "out"
    summary = intake.collect(takeout_mbox(tmp_path / "a.mbox", mails), out, DEADLINE)
    assert (out / "asha" / "project1" / "p1.ipynb").read_bytes() == v2
    assert load_manifest(out / "asha")["late"] is False
    assert summary.repeats == ["a.mbox#3"]
