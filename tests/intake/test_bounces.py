"""A mail server's report that the course's own mail could not be delivered (a bounce, as
Postfix writes it: ``multipart/report``, a null ``Return-Path``, From MAILER-DAEMON, with or
without ``Auto-Submitted``) returns the release mail with its notebook: ``grader collect``
never takes it for the student's hand-in, and lists it for the instructor as a bounce."""

from __future__ import annotations

import csv
import json
from datetime import UTC, datetime, timedelta

import pytest
from mailkit import OWNER, bounce, gmail, notebook, release_mail

from grader import intake
from grader.cli import main
from grader.roster import load_roster

# A roster as an LMS exports it: the students only, the course's own address on no row.
ROSTER = (
    "id,name,email\nCS21B001,Asha Verma,asha@example.edu\nEE21B002,Rahul Menon,rahul@example.edu\n"
)
RELEASED = notebook("# Assignment 1: LSTM gates", "def forget_gate(x, h, W, b):\n    pass")
SENT = datetime(2023, 1, 15, 9, 0, tzinfo=UTC)


@pytest.mark.parametrize("auto_submitted", [True, False])
def test_a_bounce_of_the_release_mail_is_listed_as_a_bounce_never_a_hand_in(
    tmp_path, capsys, auto_submitted
):
    inbox = tmp_path / "inbox"
    inbox.mkdir()
    asha = gmail(
        "Asha Verma <asha@example.edu>",
        SENT + timedelta(hours=5),
        "CS21B001 assignment 1",
        "My notebook.",
        attachments=[("lstm_gates.ipynb", notebook("# Assignment 1: LSTM gates", "done = 1"))],
    )
    (inbox / "1 asha.eml").write_bytes(asha.as_bytes())
    # Sent later to Rahul's old address (and to Asha's, CS21B001 in its greeting): both bounce.
    for number, (address, greeting) in enumerate(
        [
            ("rahul.menon@old.example.edu", "Rahul Menon (EE21B002)"),
            ("asha@example.edu", "CS21B001"),
        ],
        2,
    ):
        returned = release_mail(
            f"LSTM Course <{OWNER}>",
            address,
            greeting,
            SENT + timedelta(hours=6),
            "lstm_gates.ipynb",
            RELEASED,
        )
        report = bounce(
            returned, address, SENT + timedelta(hours=6, minutes=1), auto_submitted=auto_submitted
        )
        (inbox / f"{number} bounce.eml").write_bytes(report)
    roster = tmp_path / "roster.csv"
    roster.write_text(ROSTER, encoding="utf-8")
    out = tmp_path / "submissions"
    assert main(["collect", str(inbox), "--out", str(out), "--roster", str(roster)]) == 0
    said = capsys.readouterr().out

    # Asha's own hand-in is her submission; nothing of the bounces is anyone's
    manifest = json.loads((out / "CS21B001" / "manifest.json").read_text(encoding="utf-8"))
    assert [email["source"] for email in manifest["emails"]] == ["1 asha.eml"]
    assert (out / "CS21B001" / "project1" / "lstm_gates.ipynb").read_bytes() != RELEASED
    assert not (out / "EE21B002").exists()
    with (out / "UNATTRIBUTED.csv").open(encoding="utf-8", newline="") as stream:
        listed = {row["source"]: row["reason"] for row in csv.DictReader(stream)}
    assert sorted(listed) == ["2 bounce.eml", "3 bounce.eml"]
    assert "delivery report from mailer-daemon@mail.example.edu" in listed["2 bounce.eml"]
    assert "rahul.menon@old.example.edu could not be delivered" in listed["2 bounce.eml"]
    assert "bounces (delivery reports)" in said and "bounce 3 bounce.eml" in said
    for name in ("REJECTED.csv", "NO_HANDIN.csv"):
        with (out / name).open(encoding="utf-8", newline="") as stream:
            assert list(csv.DictReader(stream)) == []


def test_the_summary_counts_a_bounce_once(tmp_path):
    returned = release_mail(OWNER, "asha@example.edu", "Asha", SENT, "lstm_gates.ipynb", RELEASED)
    (tmp_path / "bounce.eml").write_bytes(
        bounce(returned, "asha@example.edu", SENT, auto_submitted=False)
    )
    (tmp_path / "roster.csv").write_text(ROSTER, encoding="utf-8")
    summary = intake.collect(
        tmp_path / "bounce.eml", tmp_path / "out", roster=load_roster(tmp_path / "roster.csv")
    )
    assert summary.outcomes()["bounces (delivery reports)"] == 1
    assert sum(summary.outcomes().values()) == summary.items == 1
