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

import base64
import email.parser
import email.policy
import imaplib
import os
import re
import sqlite3
import ssl
import time
from collections.abc import Callable, Iterator
from dataclasses import dataclass
from datetime import UTC, datetime
from pathlib import Path
from urllib.parse import unquote, urlsplit

from grader.errors import UserError
from grader.limits import MAILBOX

PASSWORD_VARIABLE = "GRADER_IMAP_PASSWORD"
TOKEN_VARIABLE = "GRADER_IMAP_OAUTH2_TOKEN"
SCHEME = "imaps://"
_UID = re.compile(rb"\bUID (\d+)")

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


def _modified_utf7(name: str) -> str:
    """A folder name as IMAP writes it (RFC 3501 5.1.3): Gmail labels may be any Unicode."""
    out: list[str] = []
    pending: list[str] = []

    def flush() -> None:
        if pending:
            data = "".join(pending).encode("utf-16-be")
            out.append("&" + base64.b64encode(data).decode().rstrip("=").replace("/", ",") + "-")
            pending.clear()

    for char in name:
        if 0x20 <= ord(char) <= 0x7E:
            flush()
            out.append("&-" if char == "&" else char)
        else:
            pending.append(char)
    flush()
    return "".join(out)


def _from_modified_utf7(name: str) -> str:
    return re.sub(
        r"&([A-Za-z0-9+,]*)-",
        lambda m: (
            base64.b64decode(m.group(1).replace(",", "/") + "=" * (-len(m.group(1)) % 4)).decode(
                "utf-16-be"
            )
            if m.group(1)
            else "&"
        ),
        name,
    )


def _quoted(name: str) -> str:
    return '"' + _modified_utf7(name).replace("\\", "\\\\").replace('"', '\\"') + '"'


def _authenticator(first: bytes) -> Callable[[bytes], bytes]:
    """SASL responses: ``first``, then empty ones (after a failed XOAUTH2 the server sends its
    error as a challenge and waits for an empty response before it says NO)."""
    sent = []

    def respond(challenge: bytes) -> bytes:
        sent.append(challenge)
        return first if len(sent) == 1 else b""

    return respond


def _login(client: imaplib.IMAP4_SSL, url: MailboxUrl) -> None:
    token, password = os.environ.get(TOKEN_VARIABLE), os.environ.get(PASSWORD_VARIABLE)
    user = url.user.encode("utf-8", "surrogateescape")
    if token:
        sasl = b"user=" + user + b"\x01auth=Bearer " + token.encode() + b"\x01\x01"
        client.authenticate("XOAUTH2", _authenticator(sasl))
    elif password:
        secret = password.encode("utf-8", "surrogateescape")
        if "AUTH=PLAIN" in client.capabilities:  # carries UTF-8; LOGIN only ASCII
            client.authenticate("PLAIN", _authenticator(b"\0" + user + b"\0" + secret))
        else:
            client.login(url.user, password)
    else:
        raise UserError(
            f"set {PASSWORD_VARIABLE} to the password of {url.user} (for Gmail or Outlook an "
            f"app password), or {TOKEN_VARIABLE} to an OAuth2 access token; the password is "
            "never given on the command line"
        )


class Session:
    """A logged-in connection to one folder, opened read-only."""

    def __init__(self, url: MailboxUrl, cafile: Path | None = None, timeout: float = 60.0):
        self.url = url
        context = ssl.create_default_context(cafile=str(cafile) if cafile else None)
        try:
            self.client = imaplib.IMAP4_SSL(
                url.host, url.port, ssl_context=context, timeout=timeout
            )
        except ssl.SSLCertVerificationError as error:
            raise UserError(
                f"{url.host}:{url.port}: its certificate cannot be trusted ({error.verify_message})"
                "; if the server has a certificate of its own, give it with --cafile"
            ) from None
        except (OSError, imaplib.IMAP4.error) as error:
            raise MailboxUnavailable(f"cannot reach {url.host}:{url.port}: {error}") from None
        try:
            _login(self.client, url)
        except imaplib.IMAP4.abort as error:
            self.close()
            raise MailboxUnavailable(f"{url.host} dropped the connection: {error}") from None
        except imaplib.IMAP4.error as error:
            self.close()
            how = TOKEN_VARIABLE if os.environ.get(TOKEN_VARIABLE) else PASSWORD_VARIABLE
            raise UserError(
                f"{url.host} refused the login of {url.user} ({_text(error)}): check {how} "
                "(Gmail and Outlook need an app password, or an OAuth2 token, and IMAP "
                "switched on in the mailbox's settings)"
            ) from None
        except UserError:
            self.close()
            raise
        self.uidvalidity = self._examine()

    def _examine(self) -> int:
        try:
            status, _ = self.client.select(_quoted(self.url.folder), readonly=True)
        except imaplib.IMAP4.abort as error:
            raise MailboxUnavailable(f"{self.url.host} dropped the connection: {error}") from None
        if status != "OK":
            raise UserError(
                f"{self.url}: there is no folder {self.url.folder!r}; the mailbox has "
                + ", ".join(repr(f) for f in self.folders())
            )
        _, values = self.client.response("UIDVALIDITY")
        return int(values[0])

    def refresh(self) -> None:
        """Let the server report what arrived since (NOOP); a changed UIDVALIDITY means the
        folder was rebuilt, and its messages are read again."""
        try:
            self.client.noop()
        except (imaplib.IMAP4.abort, OSError) as error:
            raise MailboxUnavailable(f"{self.url.host} dropped the connection: {error}") from None
        _, values = self.client.response("UIDVALIDITY")
        if values and values[0] is not None:
            self.uidvalidity = int(values[0])

    def folders(self) -> list[str]:
        _, listing = self.client.list()
        names = []
        for line in listing:
            if isinstance(line, bytes) and (found := re.search(rb'"[^"]*" ("?)(.*)\1$', line)):
                names.append(_from_modified_utf7(found.group(2).decode("ascii", "replace")))
        return names

    def new_uids(self, after: int) -> list[int]:
        """The UIDs above ``after``, ascending (``N:*`` always names the last message, so the
        answer is filtered)."""
        status, data = self._call("SEARCH", f"UID {after + 1}:*")
        return sorted(u for u in map(int, (data[0] or b"").split()) if u > after)

    def fetch(self, uids: list[int]) -> Iterator[tuple[int, bytes, datetime | None]]:
        """``(uid, raw message, when the server received it)`` for each UID, never setting
        \\Seen (BODY.PEEK)."""
        for start in range(0, len(uids), MAILBOX.fetch_batch):
            batch = uids[start : start + MAILBOX.fetch_batch]
            items = "(UID INTERNALDATE BODY.PEEK[])"
            _, data = self._call("FETCH", ",".join(map(str, batch)), items)
            for part in data:
                if isinstance(part, tuple) and (found := _UID.search(part[0])):
                    yield int(found.group(1)), part[1], _received_at(part[0])

    def _call(self, command: str, *args: str) -> tuple[str, list]:
        try:
            status, data = self.client.uid(command, *args)
        except (imaplib.IMAP4.abort, OSError) as error:
            raise MailboxUnavailable(
                f"{self.url.host} dropped the connection during {command}: {error}"
            ) from None
        if status != "OK":
            raise MailboxUnavailable(f"{self.url}: {command} failed: {_text(data)}")
        return status, data

    def close(self) -> None:
        try:
            self.client.logout()
        except (TimeoutError, imaplib.IMAP4.error, OSError):
            pass


def _received_at(response: bytes) -> datetime | None:
    """A FETCH response's INTERNALDATE (when the message reached the mailbox), if given."""
    stamp = imaplib.Internaldate2tuple(response)
    return datetime.fromtimestamp(time.mktime(stamp), UTC) if stamp else None


def _text(value: object) -> str:
    if isinstance(value, list):
        value = b" ".join(v for v in value if isinstance(v, bytes))
    if isinstance(value, bytes):
        return value.decode("utf-8", "replace")
    return str(value)


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
