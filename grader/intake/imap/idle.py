"""Waiting on a mailbox with IMAP IDLE (RFC 2177): the server says at once that mail arrived,
so ``grader watch`` need not wait for its next poll.

One :class:`Idler` thread per mailbox keeps a connection of its own in IDLE (the watch's poll
reads the mail on its own connection: this one only listens) and rings a bell when the server
reports a new message (``* N EXISTS``). It ends IDLE and starts it again before the server's
limit (RFC 2177: clients re-issue it at least every 29 minutes; Gmail ends it sooner), and a
connection that drops, or stops answering, is opened again with growing pauses, ringing the bell
each time it comes back (what arrived meanwhile is read by the next poll). A server without IDLE
leaves the watch polling, as it did before IDLE.

IMAPClient sends IDLE and DONE and reads the server's lines. Two things it leaves to the caller:
its ``idle_check`` returns nothing, as if the time were up, when the server closed the connection
without BYE, so a check that ends early with nothing is answered by ending IDLE (a dead connection
raises there); and it waits on the socket, where a line that came in the same read as the
server's go-ahead is not seen (it waits in the reader's buffer), so each IDLE that starts rings
the bell once and the watch's poll reads what that line announced.
"""

from __future__ import annotations

import threading
import time
from collections.abc import Callable
from pathlib import Path

from imapclient.exceptions import IMAPClientError, ProtocolError

from grader.errors import UserError
from grader.intake.imap.mailbox import MailboxUrl, Session
from grader.limits import MAILBOX

_NEWS = frozenset({b"EXISTS", b"RECENT"})


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
            except (_Dropped, OSError, IMAPClientError) as error:
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
        client = session.client
        first = True
        while not self.stopping.is_set():
            self.idles += 1
            client.idle()  # sends IDLE and reads the server's go-ahead (a NO raises)
            # Ring at each start: what the server sent along with its go-ahead (mail that came
            # while IDLE was being renewed) may wait in the reader's buffer, where the socket's
            # poll does not see it; the watch's poll reads it instead. Rung before ``live`` is
            # set, so that once it is, only news rings.
            self.bell.set()
            self.live.set()
            if first:  # anything delivered before the connection came up is polled for too
                again = " again" if self.connections > 1 else ""
                self.log(
                    f"{self.url}: listening with IMAP IDLE{again}: new mail is read at once", "info"
                )
                first = False
            renewing = self._listen(session)
            self.live.clear()
            if renewing:
                _, said = client.idle_done()  # on a dead connection this raises: a drop
                self._hear(said)
            # else the server ended IDLE itself: the next start's ring has the poll read what
            # came before it

    def _listen(self, session: Session) -> bool:
        """Ring the bell at each new message until it is time to renew IDLE (True), or the
        server ended IDLE itself (False: it answered the command; some do after a while)."""
        renew_at = time.monotonic() + self.renew_s
        while not self.stopping.is_set() and (left := renew_at - time.monotonic()) > 0:
            wait = min(1.0, max(left, 0.01))
            began = time.monotonic()
            try:
                said = session.client.idle_check(timeout=wait)
            except ProtocolError:  # a tagged answer, not an update: IDLE is over
                return False
            self._hear(said)
            if not said and time.monotonic() - began < wait / 2:
                # The socket was readable yet gave no line: the server closed it without BYE
                # (IMAPClient returns nothing then), or it sent only part of a line, or TLS
                # bookkeeping. Ending IDLE tells which: a closed connection raises.
                return True
        return True

    def _hear(self, said: list[tuple[object, ...]]) -> None:
        for response in said:
            if response[:1] == (b"BYE",):
                words = b" ".join(w for w in response[1:] if isinstance(w, bytes))
                raise _Dropped(f"BYE {words.decode('utf-8', 'replace')}".strip())
            if len(response) >= 2 and response[1] in _NEWS:
                self.bell.set()


def _offers_idle(session: Session) -> bool:
    """Whether the server lists IDLE among what it offers after the login (a server may offer
    more, or less, than it did before it)."""
    try:
        return bool(session.client.has_capability("IDLE"))
    except (IMAPClientError, OSError):
        return False


def _close(session: Session) -> None:
    """Close without a LOGOUT conversation: the connection may be mid-IDLE or dead."""
    try:
        session.client.shutdown()
    except (OSError, IMAPClientError):
        pass
