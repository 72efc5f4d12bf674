"""Reading a mailbox over IMAP: ``imaps://USER@HOST[:PORT]/FOLDER`` (Gmail, Outlook, Dovecot).

TLS only, with the server's certificate checked (``--cafile`` adds certificates to trust, for a
server with a certificate of its own). The password comes from ``GRADER_IMAP_PASSWORD`` (for
Gmail and Outlook: an app password), or an OAuth2 access token from
``GRADER_IMAP_OAUTH2_TOKEN`` (XOAUTH2), never from the command line. The folder is opened
read-only (EXAMINE) and messages are fetched with ``BODY.PEEK[]``: nothing is marked read,
moved or deleted. Which messages were fetched is kept by UIDVALIDITY and UID in a SQLite file
(:class:`FetchedLog`), so each message is fetched once; a folder whose UIDVALIDITY changed (the
server rebuilt it) is read again from the start, and collect knows its messages by content.
"""

from __future__ import annotations

import email.parser
import email.policy
import os
import re
import sqlite3
import ssl
from collections.abc import Callable, Iterator
from dataclasses import dataclass
from datetime import UTC, datetime
from functools import partial
from pathlib import Path
from typing import TypeVar
from urllib.parse import unquote, urlsplit

from imapclient import IMAPClient
from imapclient.exceptions import IMAPClientAbortError, IMAPClientError

from grader.errors import UserError
from grader.limits import MAILBOX

PASSWORD_VARIABLE = "GRADER_IMAP_PASSWORD"
TOKEN_VARIABLE = "GRADER_IMAP_OAUTH2_TOKEN"
SCHEME = "imaps://"
_T = TypeVar("_T")
_UIDVALIDITY = re.compile(rb"\[UIDVALIDITY (\d+)\]", re.IGNORECASE)

SCHEMA = """
CREATE TABLE IF NOT EXISTS imap_fetched (
    mailbox TEXT NOT NULL,
    uidvalidity INTEGER NOT NULL,
    uid INTEGER NOT NULL,
    message_id TEXT NOT NULL,
    fetched_at TEXT NOT NULL,
    PRIMARY KEY (mailbox, uidvalidity, uid)
);
"""


class MailboxUnavailable(UserError):
    """The server could not be reached or dropped the connection: worth trying again."""


@dataclass(frozen=True)
class MailboxUrl:
    user: str
    host: str
    port: int
    folder: str

    def __str__(self) -> str:
        return f"{SCHEME}{self.user}@{self.host}:{self.port}/{self.folder}"


def is_imap_url(text: str) -> bool:
    return text.lower().startswith(("imaps://", "imap://"))


def parse_url(text: str) -> MailboxUrl:
    """``imaps://USER@HOST[:PORT]/FOLDER``; USER may hold '@' (written as is or as %40), the
    folder '/' and spaces (as is or %20); no folder means INBOX."""
    if text.lower().startswith("imap://"):
        raise UserError(
            f"{text}: the mailbox is read over TLS only; write imaps:// (port {MAILBOX.imap_port})"
        )
    rest = text[len(SCHEME) :]
    authority, _, folder = rest.partition("/")
    user, at, hostport = authority.rpartition("@")
    parts = urlsplit(f"//{hostport}")
    try:
        port = parts.port or MAILBOX.imap_port
    except ValueError:
        port = 0
    if not at or not user or not parts.hostname or not port:
        raise UserError(
            f"{text} is not a mailbox address: write imaps://USER@HOST[:PORT]/FOLDER, e.g. "
            "imaps://course@gmail.com@imap.gmail.com/INBOX"
        )
    if ":" in unquote(user):
        raise UserError(f"{text}: give the password in {PASSWORD_VARIABLE}, never in the address")
    return MailboxUrl(unquote(user), parts.hostname, port, unquote(folder) or "INBOX")


def _login(client: IMAPClient, url: MailboxUrl) -> None:
    token, password = os.environ.get(TOKEN_VARIABLE), os.environ.get(PASSWORD_VARIABLE)
    if token:
        client.oauth2_login(url.user, token)  # XOAUTH2, as Gmail and Outlook take it
    elif password:
        if client.has_capability("AUTH=PLAIN"):  # carries UTF-8; LOGIN only ASCII
            client.plain_login(url.user, password)
        elif not (url.user.isascii() and password.isascii()):
            raise UserError(
                f"{url.host} takes only LOGIN, whose user name and password must be ASCII: "
                f"give an ASCII password in {PASSWORD_VARIABLE} (an app password), or "
                f"{TOKEN_VARIABLE} an OAuth2 access token"
            )
        else:
            client.login(url.user, password)
    else:
        raise UserError(
            f"set {PASSWORD_VARIABLE} to the password of {url.user} (for Gmail or Outlook an "
            f"app password), or {TOKEN_VARIABLE} to an OAuth2 access token; the password is "
            "never given on the command line"
        )


class Session:
    """A logged-in connection to one folder, opened read-only. IMAPClient speaks the protocol
    (literals, folder names in modified UTF-7, SASL, dates); this class says what went wrong in
    the words of :class:`UserError`, and :class:`MailboxUnavailable` where trying again may
    help."""

    def __init__(self, url: MailboxUrl, cafile: Path | None = None, timeout: float = 60.0):
        self.url = url
        context = ssl.create_default_context(cafile=str(cafile) if cafile else None)
        try:
            self.client = IMAPClient(url.host, url.port, ssl_context=context, timeout=timeout)
        except ssl.SSLCertVerificationError as error:
            raise UserError(
                f"{url.host}:{url.port}: its certificate cannot be trusted ({error.verify_message})"
                "; if the server has a certificate of its own, give it with --cafile"
            ) from None
        except (OSError, IMAPClientError) as error:
            raise MailboxUnavailable(f"cannot reach {url.host}:{url.port}: {error}") from None
        # INTERNALDATE as the server wrote it, with its offset (not turned into naive local time)
        self.client.normalise_times = False
        try:
            _login(self.client, url)
        except (OSError, IMAPClientAbortError) as error:
            self.close()
            raise MailboxUnavailable(f"{url.host} dropped the connection: {error}") from None
        except IMAPClientError as error:
            self.close()
            if isinstance(error.__context__, (OSError, IMAPClientAbortError)):
                # IMAPClient reports a connection lost during the login as a failed login
                raise MailboxUnavailable(
                    f"{url.host} dropped the connection: {error.__context__}"
                ) from None
            how = TOKEN_VARIABLE if os.environ.get(TOKEN_VARIABLE) else PASSWORD_VARIABLE
            raise UserError(
                f"{url.host} refused the login of {url.user} ({error}): check {how} "
                "(Gmail and Outlook need an app password, or an OAuth2 token, and IMAP "
                "switched on in the mailbox's settings)"
            ) from None
        except UserError:
            self.close()
            raise
        self.uidvalidity = self._examine()

    def _examine(self) -> int:
        try:
            selected = self.client.select_folder(self.url.folder, readonly=True)
        except (OSError, IMAPClientAbortError) as error:
            raise MailboxUnavailable(f"{self.url.host} dropped the connection: {error}") from None
        except IMAPClientError:
            raise UserError(
                f"{self.url}: there is no folder {self.url.folder!r}; the mailbox has "
                + ", ".join(repr(f) for f in self.folders())
            ) from None
        return int(selected[b"UIDVALIDITY"])

    def refresh(self) -> None:
        """Let the server report what arrived since (NOOP); a changed UIDVALIDITY means the
        folder was rebuilt, and its messages are read again."""
        try:
            _, responses = self.client.noop()
        except (OSError, IMAPClientError) as error:
            raise MailboxUnavailable(f"{self.url.host} dropped the connection: {error}") from None
        for response in responses:
            if response[:1] == (b"OK",) and (found := _UIDVALIDITY.match(response[-1])):
                self.uidvalidity = int(found.group(1))

    def folders(self) -> list[str]:
        """Every folder's name, decoded (a NIL delimiter, or a name sent as a literal, too)."""
        return [name for _, _, name in self.client.list_folders()]

    def new_uids(self, after: int) -> list[int]:
        """The UIDs above ``after``, ascending (``N:*`` always names the last message, so the
        answer is filtered)."""
        found = self._call("SEARCH", partial(self.client.search, ["UID", f"{after + 1}:*"]))
        return sorted(uid for uid in found if uid > after)

    def fetch(self, uids: list[int]) -> Iterator[tuple[int, bytes, datetime | None]]:
        """``(uid, raw message, when the server received it)`` for each UID, never setting
        \\Seen (BODY.PEEK)."""
        for start in range(0, len(uids), MAILBOX.fetch_batch):
            batch = uids[start : start + MAILBOX.fetch_batch]
            items = ["UID", "INTERNALDATE", "BODY.PEEK[]"]
            fetched = self._call("FETCH", partial(self.client.fetch, batch, items))
            for uid in batch:
                if (data := fetched.get(uid)) and b"BODY[]" in data:
                    yield uid, data[b"BODY[]"], _received_at(data.get(b"INTERNALDATE"))

    def _call(self, command: str, call: Callable[[], _T]) -> _T:
        try:
            return call()
        except (OSError, IMAPClientAbortError) as error:
            raise MailboxUnavailable(
                f"{self.url.host} dropped the connection during {command}: {error}"
            ) from None
        except IMAPClientError as error:
            raise MailboxUnavailable(f"{self.url}: {command} failed: {error}") from None

    def close(self) -> None:
        try:
            self.client.logout()
        except (OSError, IMAPClientError):
            pass


def _received_at(stamp: object) -> datetime | None:
    """A FETCH response's INTERNALDATE (when the message reached the mailbox), if given."""
    if not isinstance(stamp, datetime):
        return None
    return stamp.astimezone(UTC) if stamp.tzinfo else stamp.replace(tzinfo=UTC)


def message_id(raw: bytes) -> str:
    """The Message-ID header, or '' (read from the headers only)."""
    headers = email.parser.BytesHeaderParser(policy=email.policy.compat32).parsebytes(raw)
    return str(headers.get("Message-ID", "")).strip()


class FetchedLog:
    """Which messages of which folder were fetched, by UIDVALIDITY and UID."""

    def __init__(self, connection: sqlite3.Connection):
        self.connection = connection
        connection.executescript(SCHEMA)

    def last_uid(self, url: MailboxUrl, uidvalidity: int) -> int:
        row = self.connection.execute(
            "SELECT MAX(uid) FROM imap_fetched WHERE mailbox = ? AND uidvalidity = ?",
            (str(url), uidvalidity),
        ).fetchone()
        return row[0] or 0

    def record(self, url: MailboxUrl, uidvalidity: int, uid: int, raw: bytes) -> None:
        """Note one fetched message (in the caller's transaction)."""
        self.connection.execute(
            "INSERT OR IGNORE INTO imap_fetched VALUES (?, ?, ?, ?, ?)",
            (str(url), uidvalidity, uid, message_id(raw), _now()),
        )

    def count(self, url: MailboxUrl, uidvalidity: int) -> int:
        return self.connection.execute(
            "SELECT COUNT(*) FROM imap_fetched WHERE mailbox = ? AND uidvalidity = ?",
            (str(url), uidvalidity),
        ).fetchone()[0]


def _now() -> str:
    return datetime.now(UTC).isoformat(timespec="seconds")
