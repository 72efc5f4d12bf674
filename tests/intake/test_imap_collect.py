"""``grader collect imaps://...``: a real Dovecot on loopback, with TLS and a password file of
its own, and mail as Gmail and Outlook write it."""

from __future__ import annotations

import csv
from datetime import UTC, datetime
from pathlib import Path

import pytest
from imap_kit import (
    ALL_MAIL,
    HAND_INS,
    PASSWORD,
    TOKEN,
    TOKEN_USER,
    USER,
    Dovecot,
    needs_dovecot,
)
from mailkit import gmail, notebook, outlook, titled_report
from scratch_kit import temporary_after_a_killed_run

from grader.cli import main
from grader.errors import UserError
from grader.intake.imap.mailbox import PASSWORD_VARIABLE, TOKEN_VARIABLE, MailboxUrl, parse_url

ROSTER = (
    "id,name,email,role\n"
    "asha,Asha Rao,asha.rao@example.edu,student\n"
    "bhavin,Bhavin Patel,bhavin.patel@example.edu,student\n"
    "TA01,Kiran Rao (TA),kiran.rao@example.edu,staff\n"
)


@pytest.fixture
def server():
    dovecot = Dovecot().start()
    yield dovecot
    dovecot.remove()


def hand_in(sender: str, name: str, day: int, by_outlook: bool = False) -> bytes:
    sent = datetime(2027, 2, day, 10, 0, tzinfo=UTC)
    files = [
        ("project1.ipynb", notebook("# Project 1: sentiment"), "application/octet-stream"),
        ("report.pdf", titled_report("Project 1: sentiment"), "application/pdf"),
    ]
    header, subject, text = f"{name} <{sender}>", "Project 1 hand-in", "Here is project 1."
    if by_outlook:
        return outlook(header, sent, subject, text, f"<p>{text}</p>", files).as_bytes()
    return gmail(header, sent, subject, text, attachments=[f[:2] for f in files]).as_bytes()


def collect(server: Dovecot, tmp_path: Path, *extra: str, url: str | None = None) -> int:
    roster = tmp_path / "roster.csv"
    roster.write_text(ROSTER)
    return main(
        [
            "collect",
            url or server.url,
            "--out",
            str(tmp_path / "submissions"),
            "--roster",
            str(roster),
            "--cafile",
            str(server.cert),
            *extra,
        ]
    )


@needs_dovecot
def test_the_mailbox_is_collected_once_and_nothing_is_marked_read(
    server: Dovecot, tmp_path: Path, monkeypatch, capsys
) -> None:
    monkeypatch.setenv(PASSWORD_VARIABLE, PASSWORD)
    # the messages a killed run spooled
    temporary = temporary_after_a_killed_run(tmp_path, monkeypatch, "grader-imap-")
    server.deliver(hand_in("asha.rao@example.edu", "Asha Rao", 1))
    server.deliver(hand_in("bhavin.patel@example.edu", "Bhavin Patel", 2, by_outlook=True))
    server.deliver(
        gmail(
            "Kiran Rao <kiran.rao@example.edu>", datetime(2027, 2, 3, tzinfo=UTC), "Re", "ok"
        ).as_bytes()
    )
    assert collect(server, tmp_path) == 0
    assert not list(temporary.glob("grader-imap-*"))  # the killed run's and this run's
    out = tmp_path / "submissions"
    assert (out / "asha" / "manifest.json").is_file()
    assert (out / "bhavin" / "manifest.json").is_file()
    with (out / "UNATTRIBUTED.csv").open() as stream:
        listed = list(csv.reader(stream))
    assert any("kiran.rao@example.edu" in row for row in listed)
    first = capsys.readouterr()
    assert "3 new message(s), 0 fetched by earlier runs" in first.err
    assert "Read 3 item(s)" in first.out
    assert all(b"\\Seen" not in line for line in server.flags())

    assert collect(server, tmp_path) == 0
    again = capsys.readouterr()
    assert "0 new message(s), 3 fetched by earlier runs" in again.err
    assert "Nothing new to collect." in again.out

    server.deliver(hand_in("asha.rao@example.edu", "Asha Rao", 4))
    assert collect(server, tmp_path) == 0
    assert "Read 1 item(s)" in capsys.readouterr().out


@needs_dovecot
def test_gmail_folders_with_spaces_brackets_and_accents(
    server: Dovecot, tmp_path: Path, monkeypatch, capsys
) -> None:
    monkeypatch.setenv(PASSWORD_VARIABLE, PASSWORD)
    label = "Abgaben für LSTM"
    server.deliver(hand_in("asha.rao@example.edu", "Asha Rao", 1), folder=ALL_MAIL)
    server.deliver(hand_in("bhavin.patel@example.edu", "Bhavin Patel", 2), folder=label)
    base = f"imaps://{USER}@127.0.0.1:{server.port}"
    assert collect(server, tmp_path, url=f"{base}/%5BGmail%5D/All%20Mail") == 0
    assert collect(server, tmp_path, url=f"{base}/{label}") == 0
    out = tmp_path / "submissions"
    assert sorted(p.name for p in out.iterdir() if p.is_dir()) == ["asha", "bhavin"]
    assert collect(server, tmp_path, url=f"{base}/Hand-ins 2027") == 2
    error = capsys.readouterr().err
    assert "there is no folder 'Hand-ins 2027'" in error
    assert f"'{ALL_MAIL}'" in error and f"'{label}'" in error


@needs_dovecot
def test_a_wrong_password_says_what_to_check(server: Dovecot, tmp_path: Path, monkeypatch, capsys):
    monkeypatch.setenv(PASSWORD_VARIABLE, "not the password")
    assert collect(server, tmp_path) == 2
    error = capsys.readouterr().err
    assert f"refused the login of {USER}" in error
    assert PASSWORD_VARIABLE in error and "app password" in error
    assert "Traceback" not in error


@needs_dovecot
def test_no_password_and_an_untrusted_certificate_are_explained(
    server: Dovecot, tmp_path: Path, monkeypatch, capsys
) -> None:
    monkeypatch.delenv(PASSWORD_VARIABLE, raising=False)
    monkeypatch.delenv(TOKEN_VARIABLE, raising=False)
    assert collect(server, tmp_path) == 2
    assert f"set {PASSWORD_VARIABLE}" in capsys.readouterr().err
    monkeypatch.setenv(PASSWORD_VARIABLE, PASSWORD)
    out = str(tmp_path / "submissions")
    assert main(["collect", server.url, "--out", out]) == 2
    assert "give it with --cafile" in capsys.readouterr().err


@needs_dovecot
def test_xoauth2_with_a_token_from_the_environment(
    server: Dovecot, tmp_path: Path, monkeypatch, capsys
) -> None:
    monkeypatch.delenv(PASSWORD_VARIABLE, raising=False)
    client = server.client(TOKEN_USER, TOKEN)
    client.create(f'"{HAND_INS}"')
    client.append(f'"{HAND_INS}"', None, None, hand_in("asha.rao@example.edu", "Asha Rao", 1))
    client.logout()
    url = f"imaps://{TOKEN_USER}@127.0.0.1:{server.port}/{HAND_INS}"
    monkeypatch.setenv(TOKEN_VARIABLE, "expired-token")
    assert collect(server, tmp_path, url=url) == 2
    assert TOKEN_VARIABLE in capsys.readouterr().err
    monkeypatch.setenv(TOKEN_VARIABLE, TOKEN)
    assert collect(server, tmp_path, url=url) == 0
    assert (tmp_path / "submissions" / "asha" / "manifest.json").is_file()


def test_mailbox_addresses() -> None:
    assert parse_url("imaps://me@gmail.com@imap.gmail.com/%5BGmail%5D/All%20Mail") == MailboxUrl(
        "me@gmail.com", "imap.gmail.com", 993, "[Gmail]/All Mail"
    )
    assert parse_url("imaps://ta%40uni.edu@outlook.office365.com:993") == MailboxUrl(
        "ta@uni.edu", "outlook.office365.com", 993, "INBOX"
    )
    for wrong, said in [
        ("imap://ta@host/INBOX", "TLS only"),
        ("imaps://host/INBOX", "not a mailbox address"),
        ("imaps://ta:secret@host/INBOX", "never in the address"),
        ("imaps://ta@host:notaport/INBOX", "not a mailbox address"),
    ]:
        with pytest.raises(UserError, match=said):
            parse_url(wrong)
