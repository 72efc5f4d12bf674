"""Secure by default: a course made by ``grader init`` trusts no receiving server, so a forged
From: is only flagged. When every message of its mailbox carries its receiving server's
Authentication-Results on top, ``grader collect`` says that senders are not checked and which
``trusted_authserv_id`` to set; once it is set, it says nothing and the forged hand-in is
refused."""

from __future__ import annotations

import csv
from datetime import UTC, datetime, timedelta
from pathlib import Path

import pytest
from mailkit import gmail, notebook

from grader.cli import main

ROSTER = (
    "id,name,email,role\n"
    "CS21B001,Asha Verma,asha@example.edu,student\n"
    "EE21B002,Rahul Menon,rahul@example.edu,student\n"
)
DAY = datetime(2023, 1, 15, 10, 0, tzinfo=UTC)
OWN, FORGED = notebook("# Assignment 1: LSTM gates"), notebook("# Assignment 1: LSTM gates", "x=2")
# As Gmail's receiving server writes them: the student's own message, and one forged in her name.
PASSED = (
    "mx.google.com;\n       dkim=pass header.i=@example.edu header.s=s1 header.b=Ab12Cd34;\n"
    "       spf=pass (google.com: domain of asha@example.edu designates 209.85.220.41 as "
    "permitted sender) smtp.mailfrom=asha@example.edu;\n"
    "       dmarc=pass (p=QUARANTINE sp=QUARANTINE dis=NONE) header.from=example.edu"
)
FAILED = (
    "mx.google.com;\n       spf=fail (google.com: domain of asha@example.edu does not designate "
    "203.0.113.9 as permitted sender) smtp.mailfrom=asha@example.edu;\n"
    "       dmarc=fail (p=NONE sp=NONE dis=NONE) header.from=example.edu"
)


def received(sent: datetime, data: bytes, results: str | None) -> bytes:
    mail = gmail("Asha Verma <asha@example.edu>", sent, "Assignment 1", "My notebook.",
                 attachments=[("lstm_gates.ipynb", data)])  # fmt: skip
    raw = mail.as_bytes().replace(b"\r\n", b"\n")
    return (f"Authentication-Results: {results}\n".encode() if results else b"") + raw


def collect(course: Path, inbox: Path, out: Path, capsys) -> str:
    assert main(["collect", str(inbox), "--out", str(out), "--course", str(course)]) == 0
    return capsys.readouterr().err


@pytest.fixture
def course(tmp_path: Path) -> Path:
    folder = tmp_path / "lstm-course"
    assert main(["init", str(folder)]) == 0
    (folder / "roster.csv").write_text(ROSTER, encoding="utf-8")
    return folder


def test_collect_says_whom_to_trust_until_it_is_set(course: Path, tmp_path: Path, capsys) -> None:
    inbox = tmp_path / "inbox"
    inbox.mkdir()
    (inbox / "1.eml").write_bytes(received(DAY, OWN, PASSED))
    (inbox / "2.eml").write_bytes(received(DAY + timedelta(hours=1), FORGED, FAILED))
    capsys.readouterr()

    said = collect(course, inbox, tmp_path / "default", capsys)
    warnings = [line for line in said.splitlines() if "senders are not checked" in line]
    assert len(warnings) == 1, said
    assert 'Set trusted_authserv_id = "mx.google.com" under [mail]' in warnings[0]
    assert str(course / "course.toml") in warnings[0]
    with (tmp_path / "default" / "REPLACED.csv").open(newline="") as rows:
        assert [row["source"] for row in csv.DictReader(rows)] == ["2.eml"]  # the forgery won

    toml = course / "course.toml"
    toml.write_text(
        toml.read_text() + '\n[mail]\ntrusted_authserv_id = "mx.google.com"\n', encoding="utf-8"
    )
    said = collect(course, inbox, tmp_path / "trusting", capsys)
    assert "senders are not checked" not in said
    assert not (tmp_path / "trusting" / "REPLACED.csv").exists()
    with (tmp_path / "trusting" / "UNATTRIBUTED.csv").open(newline="") as rows:
        assert [row["source"] for row in csv.DictReader(rows)] == ["2.eml"]


def test_nothing_is_said_when_not_every_message_has_the_same_server(
    course: Path, tmp_path: Path, capsys
) -> None:
    inbox = tmp_path / "inbox"
    inbox.mkdir()
    (inbox / "1.eml").write_bytes(received(DAY, OWN, PASSED))
    (inbox / "2.eml").write_bytes(received(DAY + timedelta(hours=1), FORGED, None))
    capsys.readouterr()
    assert "senders are not checked" not in collect(course, inbox, tmp_path / "out", capsys)
