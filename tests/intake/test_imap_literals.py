"""``grader collect imaps://...`` against a server that writes what Dovecot does not: folder names
as literals with a NIL delimiter in LIST, and FETCH answers whose message is a literal followed
by its UID and INTERNALDATE (tests/kits/scripted_imap_kit.py). Each is legal IMAP (RFC 3501);
a client that reads them with a pattern loses folders and messages. And the watch's IDLE on a
server that ends IDLE itself."""

from __future__ import annotations

import threading
import time
from collections.abc import Iterator
from datetime import UTC, datetime, timedelta, timezone
from pathlib import Path

import pytest
from scripted_imap_kit import PASSWORD, TOKEN, UIDVALIDITY, USER, ScriptedImap

from grader.cli import main
from grader.intake.imap.idle import Idler
from grader.intake.imap.mailbox import PASSWORD_VARIABLE, TOKEN_VARIABLE, Session, parse_url
from tests.intake.test_imap_collect import ROSTER, hand_in

HAND_INS = "Abgaben für LSTM"  # Gmail labels may be any Unicode: modified UTF-7 on the wire
ARCHIVE = "[Gmail]/All Mail"  # with a NIL delimiter, '/' is part of the name
# A server an hour east of UTC says when it received each message in its own time.
BERLIN = timezone(timedelta(hours=1))


@pytest.fixture
def server() -> Iterator[ScriptedImap]:
    scripted = ScriptedImap({HAND_INS: True, "INBOX": False, ARCHIVE: True})
    yield scripted
    scripted.close()


@pytest.fixture(autouse=True)
def password(monkeypatch: pytest.MonkeyPatch) -> None:
    monkeypatch.delenv(TOKEN_VARIABLE, raising=False)
    monkeypatch.setenv(PASSWORD_VARIABLE, PASSWORD)


def collect(server: ScriptedImap, tmp_path: Path, url: str) -> int:
    roster = tmp_path / "roster.csv"
    roster.write_text(ROSTER)
    out, cafile = str(tmp_path / "submissions"), str(server.cert)
    return main(["collect", url, "--out", out, "--roster", str(roster), "--cafile", cafile])


def test_messages_sent_as_literals_are_collected_once(
    server: ScriptedImap, tmp_path: Path, capsys
) -> None:
    received = datetime(2027, 2, 1, 11, 0, tzinfo=BERLIN)
    server.deliver(hand_in("asha.rao@example.edu", "Asha Rao", 1), HAND_INS, received)
    server.deliver(hand_in("bhavin.patel@example.edu", "Bhavin Patel", 2, True), HAND_INS, received)
    assert collect(server, tmp_path, server.url) == 0
    out = tmp_path / "submissions"
    assert (out / "asha" / "manifest.json").is_file()
    assert (out / "bhavin" / "manifest.json").is_file()
    said = capsys.readouterr()
    assert "2 new message(s), 0 fetched by earlier runs" in said.err
    assert "Read 2 item(s)" in said.out
    # read-only and never marking anything read
    sent = b"\n".join(server.commands).upper()
    assert b" EXAMINE " in sent and b" SELECT " not in sent
    assert b"BODY.PEEK[]" in sent and b"STORE" not in sent

    assert collect(server, tmp_path, server.url) == 0
    assert "0 new message(s), 2 fetched by earlier runs" in capsys.readouterr().err


def test_a_missing_folder_names_every_folder_the_server_listed(
    server: ScriptedImap, tmp_path: Path, capsys
) -> None:
    assert collect(server, tmp_path, server.address("Hand-ins 2027")) == 2
    error = capsys.readouterr().err
    assert "there is no folder 'Hand-ins 2027'" in error
    for folder in (HAND_INS, "INBOX", ARCHIVE):  # literal, quoted, literal with a '/'
        assert repr(folder) in error, error
    assert "Traceback" not in error


def test_the_servers_receiving_time_is_kept_with_its_offset(server: ScriptedImap) -> None:
    received = datetime(2027, 2, 1, 23, 30, 5, tzinfo=BERLIN)  # still 1 Feb in UTC: 22:30
    raw = hand_in("asha.rao@example.edu", "Asha Rao", 1)
    uid = server.deliver(raw, ARCHIVE, received)
    session = Session(parse_url(server.address(ARCHIVE)), server.cert)
    try:
        assert session.uidvalidity == UIDVALIDITY
        assert session.new_uids(0) == [uid]
        assert session.new_uids(uid) == []  # "N:*" names the last message: filtered out
        [(fetched_uid, fetched, delivered)] = list(session.fetch([uid]))
    finally:
        session.close()
    assert (fetched_uid, fetched) == (uid, raw)
    assert delivered == datetime(2027, 2, 1, 22, 30, 5, tzinfo=UTC)
    assert delivered is not None and delivered.utcoffset() == timedelta(0)


def test_xoauth2_refused_as_gmail_refuses_then_accepted(
    server: ScriptedImap, tmp_path: Path, monkeypatch, capsys
) -> None:
    """Gmail answers a wrong token with its error as a challenge and says NO after the
    client's next answer: the refusal is one clear line, and the right token works."""
    monkeypatch.delenv(PASSWORD_VARIABLE)
    server.deliver(hand_in("asha.rao@example.edu", "Asha Rao", 1), HAND_INS, datetime.now(UTC))
    monkeypatch.setenv(TOKEN_VARIABLE, "expired-token")
    assert collect(server, tmp_path, server.url) == 2
    error = capsys.readouterr().err
    assert f"refused the login of {USER}" in error and TOKEN_VARIABLE in error
    assert "Traceback" not in error
    monkeypatch.setenv(TOKEN_VARIABLE, TOKEN)
    assert collect(server, tmp_path, server.url) == 0
    assert (tmp_path / "submissions" / "asha" / "manifest.json").is_file()


def test_a_password_login_cannot_take_says_so_in_one_line(
    server: ScriptedImap, tmp_path: Path, monkeypatch, capsys
) -> None:
    """A server without AUTH=PLAIN takes LOGIN alone, whose password is ASCII (RFC 3501): a
    password in another script is refused here in one line, not by imaplib's traceback."""
    server.capabilities = b"IMAP4rev1 AUTH=XOAUTH2"
    monkeypatch.setenv(PASSWORD_VARIABLE, "пароль-курса")
    assert collect(server, tmp_path, server.url) == 2
    error = capsys.readouterr().err
    assert "takes only LOGIN" in error and PASSWORD_VARIABLE in error
    assert "Traceback" not in error and len(error.strip().splitlines()) == 1


def test_an_idle_the_server_ends_itself_is_started_again_on_the_same_connection() -> None:
    """RFC 2177 lets a server end IDLE with its tagged answer: the idler rings the bell (the
    poll reads what came meanwhile) and starts IDLE again, on the same connection, without
    taking it for a drop."""
    server = ScriptedImap({HAND_INS: True}, idle=True, idle_ends=1)
    said: list[tuple[str, str]] = []
    bell = threading.Event()
    waiting = Idler(
        parse_url(server.url), server.cert, bell, lambda t, level: said.append((level, t))
    )
    waiting.start()
    try:
        for _ in range(1200):  # a minute at most: the server ends the first IDLE at once
            if waiting.idles >= 2 and waiting.live.is_set():
                break
            assert waiting.is_alive(), said
            time.sleep(0.05)
        bell.clear()
        server.deliver(hand_in("asha.rao@example.edu", "Asha Rao", 1), HAND_INS, datetime.now(UTC))
        assert bell.wait(60)
    finally:
        waiting.stop()
        server.close()
        server.close()
    assert waiting.connections == 1 and waiting.idles == 2
    assert not [line for line in said if line[0] == "error"], said
