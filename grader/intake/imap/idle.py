"""Waiting on a mailbox with IMAP IDLE (RFC 2177): the server says at once that mail arrived,
so ``grader watch`` need not wait for its next poll.

One :class:`Idler` thread per mailbox keeps a connection of its own in IDLE (the watch's poll
reads the mail on its own connection: this one only listens) and rings a bell when the server
reports a new message (``* N EXISTS``). It ends IDLE and starts it again before the server's
limit (RFC 2177: clients re-issue it at least every 29 minutes; Gmail ends it sooner), and a
connection that drops, or stops answering, is opened again with growing pauses, ringing the bell
each time it comes back (what arrived meanwhile is read by the next poll). A server without IDLE
leaves the watch polling, as it did before IDLE.
"""

from __future__ import annotations

import imaplib
import re
import socket
import ssl
import threading
import time
from collections.abc import Callable
from pathlib import Path

from grader.errors import UserError
from grader.intake.imap.mailbox import MailboxUrl, Session
from grader.limits import MAILBOX

_TAG = b"GWIDLE"
_NEWS = re.compile(rb"^\* \d+ (EXISTS|RECENT)\b", re.IGNORECASE)


class _Dropped(Exception):
    """The IDLE connection ended, or the server did not answer in time."""


class Idler(threading.Thread):
    """Rings ``bell`` whenever new mail may be in ``url``'s folder, until :meth:`stop`."""

    def __init__(
        self,
        url: MailboxUrl,
        cafile: Path | None,
        bell: threading.Event,
        log: Callable[[str, str], None],
        renew_s: float = MAILBOX.idle_renew_s,
    ):
        super().__init__(name=f"idle {url}", daemon=True)
        self.url = url
        self.cafile = cafile
        self.bell = bell
        self.log = log
        self.renew_s = renew_s
        self.stopping = threading.Event()
        self.live = threading.Event()  # in IDLE now: the bell rings at the next message
        self.offered: bool | None = None  # whether the server offers IDLE, once known
        self.idles = 0  # IDLE commands the server accepted (each renewal is one more)
        self.connections = 0  # connections opened (one more after each drop)
        self._buffer = b""

    def stop(self) -> None:
        self.stopping.set()
        self.join(timeout=MAILBOX.idle_answer_s + 1)

    def run(self) -> None:
        pause = MAILBOX.idle_retry_s
        while not self.stopping.is_set():
            try:
                session = Session(self.url, self.cafile, timeout=MAILBOX.idle_answer_s)
            except UserError as error:  # unreachable, or refused: the poll says why
                self._pause(pause, f"IDLE on {self.url} cannot start ({error})")
                pause = min(pause * 2, MAILBOX.idle_retry_max_s)
                continue
            self.connections += 1
            if not _offers_idle(session):
                self.offered = False
                session.close()
                self.log(f"{self.url}: the server offers no IMAP IDLE; polling only", "info")
                return
            self.offered = True
            try:
                self._idle(session)
                pause = MAILBOX.idle_retry_s
            except (_Dropped, OSError, ssl.SSLError) as error:
                self.live.clear()
                self.bell.set()  # the poll reads what came meanwhile
                self._pause(pause, f"{self.url}: the IDLE connection dropped ({error})")
                pause = min(pause * 2, MAILBOX.idle_retry_max_s)
            finally:
                _close(session)

    def _pause(self, seconds: float, why: str) -> None:
        if not self.stopping.is_set():
            self.log(f"{why}; polling, and waiting again in {seconds:g} s", "error")
            self.stopping.wait(seconds)

    def _idle(self, session: Session) -> None:
        """IDLE on an open connection, renewed every ``renew_s``, until stopped."""
        sock = session.client.sock
        self._buffer = b""
        first = True
        while not self.stopping.is_set():
            self.idles += 1
            sock.sendall(_TAG + b"%d IDLE\r\n" % self.idles)
            self._until_continuation(sock)
            self.live.set()
            if first:  # anything delivered before the connection came up: poll now
                self.bell.set()
                again = " again" if self.connections > 1 else ""
                self.log(
                    f"{self.url}: listening with IMAP IDLE{again}: new mail is read at once", "info"
                )
                first = False
            renewing = self._listen(sock, _TAG + b"%d " % self.idles)
            self.live.clear()
            if renewing:
                sock.sendall(b"DONE\r\n")
                self._until_tagged(sock, _TAG + b"%d" % self.idles)
            else:  # what came before IDLE starts again is read by a poll
                self.bell.set()

    def _listen(self, sock: socket.socket, tag: bytes) -> bool:
        """Ring the bell at each new message until it is time to renew IDLE (True), or the
        server ended IDLE itself (False: it answered the command; some do after a while)."""
        renew_at = time.monotonic() + self.renew_s
        while not self.stopping.is_set() and time.monotonic() < renew_at:
            line = self._line(sock, min(1.0, max(renew_at - time.monotonic(), 0.01)))
            if line is None:
                continue
            if _NEWS.match(line):
                self.bell.set()
            elif line.upper().startswith(b"* BYE"):
                raise _Dropped(line.decode("utf-8", "replace").strip())
            elif line.startswith(tag):
                return False
        return True

    def _until_continuation(self, sock: socket.socket) -> None:
        while True:
            line = self._answer(sock)
            if line.startswith(b"+"):
                return
            if line.startswith(_TAG):  # a tagged NO/BAD: IDLE refused after all
                raise _Dropped(f"IDLE refused: {line.decode('utf-8', 'replace').strip()}")
            if _NEWS.match(line):
                self.bell.set()

    def _until_tagged(self, sock: socket.socket, tag: bytes) -> None:
        while True:
            line = self._answer(sock)
            if _NEWS.match(line):
                self.bell.set()
            if line.startswith(tag + b" "):
                return

    def _answer(self, sock: socket.socket) -> bytes:
        """The next line, which the server owes within ``idle_answer_s`` seconds."""
        line = self._line(sock, MAILBOX.idle_answer_s)
        if line is None:
            raise _Dropped(f"no answer in {MAILBOX.idle_answer_s:g} s")
        return line

    def _line(self, sock: socket.socket, timeout: float) -> bytes | None:
        """One line from the server, or None if none came within ``timeout`` seconds."""
        while b"\r\n" not in self._buffer:
            sock.settimeout(timeout)
            try:
                data = sock.recv(65536)
            except TimeoutError:
                return None
            if not data:
                raise _Dropped("the server closed the connection")
            self._buffer += data
        line, _, self._buffer = self._buffer.partition(b"\r\n")
        return line


def _offers_idle(session: Session) -> bool:
    """Whether the server lists IDLE among what it offers after the login (a server may offer
    more, or less, than it did before it)."""
    try:
        _, said = session.client.capability()
    except (imaplib.IMAP4.error, OSError):
        return False
    words = b" ".join(w for w in said if isinstance(w, bytes)).upper().split()
    return b"IDLE" in words


def _close(session: Session) -> None:
    """Close without a LOGOUT conversation: the connection may be mid-IDLE or dead."""
    try:
        session.client.shutdown()
    except (OSError, imaplib.IMAP4.error):
        pass
