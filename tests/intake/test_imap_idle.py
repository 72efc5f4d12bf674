"""IMAP IDLE (RFC 2177) against a real Dovecot on loopback: the idler rings its bell when mail
arrives, renews IDLE before the server's limit, comes back after the server dropped it, and
leaves the watch polling where the server offers no IDLE."""

from __future__ import annotations

import threading
from collections.abc import Callable, Iterator
from datetime import UTC, datetime

import pytest
from imap_kit import HAND_INS, PASSWORD, Dovecot, needs_dovecot
from mailkit import gmail

from grader.intake.imap.idle import Idler
from grader.intake.imap.mailbox import PASSWORD_VARIABLE, parse_url

pytestmark = needs_dovecot

SETTLE_S = 60  # generous for a busy machine; the bell normally rings in a fraction of a second


@pytest.fixture(autouse=True)
def password(monkeypatch: pytest.MonkeyPatch) -> None:
    monkeypatch.setenv(PASSWORD_VARIABLE, PASSWORD)


@pytest.fixture(scope="module")
def server() -> Iterator[Dovecot]:
    """One server for the module's tests (the test that drops it starts it again)."""
    dovecot = Dovecot().start()
    dovecot.make_folders(HAND_INS)
    yield dovecot
    dovecot.remove()


class Said:
    def __init__(self) -> None:
        self.lines: list[tuple[str, str]] = []

    def __call__(self, text: str, level: str) -> None:
        self.lines.append((level, text))


def idler(server: Dovecot, said: Said, renew_s: float = 600) -> Idler:
    made = Idler(parse_url(server.url), server.cert, threading.Event(), said, renew_s=renew_s)
    made.start()
    assert made.live.wait(SETTLE_S), said.lines
    assert made.bell.wait(SETTLE_S)  # rung once it is up: what came before is polled for
    made.bell.clear()
    return made


def hand_in() -> bytes:
    mail = gmail("Asha Rao <asha.rao@example.edu>", datetime.now(UTC), "Assignment 1", "Hi")
    return mail.as_bytes()


def test_new_mail_rings_the_bell_and_nothing_else_does(server: Dovecot) -> None:
    said = Said()
    waiting = idler(server, said)
    try:
        assert not waiting.bell.wait(1.5)  # a quiet mailbox: no ring
        server.deliver(hand_in())
        assert waiting.bell.wait(SETTLE_S)
        assert waiting.offered is True and waiting.connections == 1
    finally:
        waiting.stop()
    assert not waiting.is_alive()
    assert not [line for line in said.lines if line[0] == "error"], said.lines


def test_idle_is_renewed_before_the_servers_limit_and_still_hears_mail(server: Dovecot) -> None:
    said = Said()
    waiting = idler(server, said, renew_s=0.2)
    try:
        renewed = threading.Event()
        while not renewed.wait(0.1):
            if waiting.idles >= 4:
                renewed.set()
        server.deliver(hand_in())
        assert waiting.bell.wait(SETTLE_S)
        assert waiting.connections == 1  # renewed on the same connection, never dropped
    finally:
        waiting.stop()
    assert not [line for line in said.lines if line[0] == "error"], said.lines


def back_after(ending: Callable[[], None], server: Dovecot, waiting: Idler) -> None:
    """``ending`` the server: the bell rings; started again, the idler listens again and
    hears the next message."""
    ending()
    assert waiting.bell.wait(SETTLE_S)  # the watch polls at once (and hears the failure)
    waiting.bell.clear()
    server.start()
    while waiting.connections < 2:
        assert waiting.is_alive()
        waiting.live.wait(0.2)
    assert waiting.live.wait(SETTLE_S)
    assert waiting.bell.wait(SETTLE_S)  # back up: poll for what came meanwhile
    waiting.bell.clear()
    server.deliver(hand_in())
    assert waiting.bell.wait(SETTLE_S)


def test_a_connection_dropped_in_idle_is_opened_again(server: Dovecot) -> None:
    said = Said()
    waiting = idler(server, said)
    try:
        back_after(server.stop, server, waiting)  # every connection ends (Dovecot says BYE)
    finally:
        waiting.stop()
    errors = [text for level, text in said.lines if level == "error"]
    assert errors and "the IDLE connection dropped" in errors[0], said.lines
    assert "polling" in errors[0]
    assert said.lines[-1] == (
        "info",
        f"{server.url}: listening with IMAP IDLE again: new mail is read at once",
    )


def test_a_connection_closed_without_bye_is_noticed_and_opened_again(server: Dovecot) -> None:
    """A server killed outright closes the connection with no BYE: an IDLE that only waited for
    lines would wait on a dead connection until its renewal."""
    said = Said()
    waiting = idler(server, said)
    try:
        back_after(server.kill, server, waiting)
    finally:
        waiting.stop()
    errors = [text for level, text in said.lines if level == "error"]
    assert errors and "the IDLE connection dropped" in errors[0], said.lines
    assert waiting.connections >= 2


def test_a_server_without_idle_leaves_the_watch_polling() -> None:
    server = Dovecot(idle=False).start()
    said = Said()
    try:
        server.make_folders(HAND_INS)
        bell = threading.Event()
        waiting = Idler(parse_url(server.url), server.cert, bell, said)
        waiting.start()
        waiting.join(SETTLE_S)
        assert not waiting.is_alive()
        assert waiting.offered is False and waiting.idles == 0
        told = f"{server.url}: the server offers no IMAP IDLE; polling only"
        assert said.lines == [("info", told)]
    finally:
        server.remove()
