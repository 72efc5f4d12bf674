"""A real SMTP server on loopback for the mail tests (aiosmtpd): STARTTLS or implicit TLS with
a self-signed certificate made here, AUTH required (PLAIN and LOGIN, or only those asked for),
a recipient it can refuse, a message it can hold while the test stops the sender, and a message
it takes and then kills the sender over, before its 250 reaches it."""

from __future__ import annotations

import asyncio
import email
import email.policy
import logging
import os
import signal
import socket
import ssl
import subprocess
import threading
from pathlib import Path

from aiosmtpd.controller import Controller
from aiosmtpd.smtp import AuthResult, LoginPassword

# aiosmtpd sets the field it deprecates itself, after every login, and logs that it is
# deprecated: one line of noise per message a test or benchmark sends.
logging.getLogger("mail.log").addFilter(
    lambda record: "login_data is deprecated" not in record.getMessage()
)

USER, PASSWORD = "grader-bot", "s3cret pass"
REFUSED = "rahul.menon@example.edu"
SENDER = "LSTM course <lstm-course@example.edu>"


def make_certificate(folder: Path) -> tuple[Path, Path]:
    """A self-signed certificate for localhost and 127.0.0.1, and its key: an elliptic-curve
    key (P-256), which every client and server of the tests takes, made in milliseconds where
    an RSA key takes most of a second (a few dozen are made in a run)."""
    cert, key = folder / "cert.pem", folder / "key.pem"
    subprocess.run(
        [
            "openssl",
            "req",
            "-x509",
            "-newkey",
            "ec",
            "-pkeyopt",
            "ec_paramgen_curve:P-256",
            "-nodes",
            "-days",
            "1",
            "-keyout",
            str(key),
            "-out",
            str(cert),
            "-subj",
            "/CN=localhost",
            "-addext",
            "subjectAltName=DNS:localhost,IP:127.0.0.1",
        ],
        check=True,
        capture_output=True,
    )
    return cert, key


class Mailbox:
    """The server side: accepts mail for everyone but REFUSED (when asked to refuse); can hold
    the Nth message so a test can stop the sender while it waits."""

    def __init__(
        self,
        refuse: bool = False,
        hold_at: int | None = None,
        password: str = PASSWORD,
        kill_at: int | None = None,
    ):
        self.received: list[email.message.EmailMessage] = []
        self.raw: list[bytes] = []  # as the server took them, to read header lines as written
        self.envelopes: list[tuple[list[str], list[str]]] = []  # (RCPT TO, MAIL FROM options)
        self.logins: list[str] = []
        self.refuse, self.hold_at, self.password = refuse, hold_at, password
        self.holding = threading.Event()
        self.data_count = 0
        # kill_at: the Nth message is taken, then the process group ``victim`` (the test sets
        # it) is SIGKILLed before the server's 250: the sender never learns it was delivered.
        self.kill_at, self.victim = kill_at, None
        self.killed = threading.Event()

    async def handle_RCPT(self, server, session, envelope, address, rcpt_options):  # noqa: ANN001
        if self.refuse and address == REFUSED:
            return "550 5.1.1 <rahul.menon@example.edu>: Recipient address rejected: User unknown"
        envelope.rcpt_tos.append(address)
        return "250 OK"

    async def handle_DATA(self, server, session, envelope):  # noqa: ANN001
        self.data_count += 1
        if self.data_count == self.hold_at:
            self.holding.set()
            await asyncio.sleep(60)  # the sender is killed meanwhile
            return "451 4.3.0 too late"
        self.raw.append(envelope.content)
        self.envelopes.append((list(envelope.rcpt_tos), list(envelope.mail_options)))
        self.received.append(
            email.message_from_bytes(envelope.content, policy=email.policy.default)
        )
        if self.data_count == self.kill_at and self.victim is not None:
            # Said before the kill: the test reads it once its victim has ended, which on a
            # busy machine can be before this thread runs another line.
            self.killed.set()
            os.killpg(self.victim, signal.SIGKILL)
        return "250 2.0.0 OK queued"

    def authenticate(self, server, session, envelope, mechanism, auth_data):  # noqa: ANN001
        ok = isinstance(auth_data, LoginPassword) and (auth_data.login, auth_data.password) == (
            USER.encode(),
            self.password.encode(),  # as RFC 4616 sends it: UTF-8
        )
        if ok:
            self.logins.append(mechanism)
        return AuthResult(success=ok, handled=False)


def free_port() -> int:
    with socket.socket() as probe:
        probe.bind(("127.0.0.1", 0))
        return probe.getsockname()[1]


def start(
    mailbox: Mailbox,
    certificate,
    implicit_tls: bool = False,
    mechanisms: tuple[str, ...] = (),
    smtputf8: bool = False,
) -> Controller:
    """The server; ``mechanisms`` limits the AUTH mechanisms it offers (default: all it has);
    ``smtputf8`` offers SMTPUTF8 (RFC 6531), mail to addresses beyond ASCII."""
    cert, key = certificate
    context = ssl.create_default_context(ssl.Purpose.CLIENT_AUTH)
    context.load_cert_chain(cert, key)
    options = dict(authenticator=mailbox.authenticate, auth_required=True, enable_SMTPUTF8=smtputf8)
    if mechanisms:
        offered = {"PLAIN", "LOGIN"}
        options["auth_exclude_mechanism"] = offered - set(mechanisms)
    if implicit_tls:
        options.update(ssl_context=context, auth_require_tls=False)
    else:
        options.update(tls_context=context, require_starttls=True)
    controller = Controller(mailbox, hostname="127.0.0.1", port=free_port(), **options)
    controller.start()
    return controller


def mail_args(
    course, out, controller: Controller, certificate, *extra: str, sender: str = SENDER
) -> list[str]:
    """`grader mail --send` through the loopback server, trusting its certificate."""
    return [
        "mail",
        "--course",
        str(course.path),
        "--out",
        str(out),
        "--from",
        sender,
        "--send",
        "--smtp-host",
        "127.0.0.1",
        "--smtp-port",
        str(controller.port),
        "--cafile",
        str(certificate[0]),
        *extra,
    ]


def mail_once(course, out, certificate, *extra: str) -> Mailbox:
    """One ``grader mail --send`` (exit status 0) through a loopback server started for it:
    what the server received (credentials from the environment, as the command takes them)."""
    from grader import cli  # noqa: PLC0415

    mailbox = Mailbox()
    controller = start(mailbox, certificate)
    try:
        assert cli.main(mail_args(course, out, controller, certificate, *extra)) == 0
    finally:
        controller.stop()
    return mailbox


# Message-IDs as Outlook (Exchange Online) writes them: 83 and 84 characters with the brackets.
OUTLOOK_IDS = (
    "<PN3PR01MB9173D4C2B1A0F9E8D7C6B5A4E3F2A1B0@PN3PR01MB9173.INDPRD01.PROD.OUTLOOK.COM>",
    "<PN3PR01MB91734E5F6A7B8C9D0E1F2A3B4C5D6E7F@PN3PR01MB9173.INDPRD01.PROD.OUTLOOK.COM>",
    "<PN3PR01MB9173A1B2C3D4E5F6A7B8C9D0E1F2A3B4C@PN3PR01MB9173.INDPRD01.PROD.OUTLOOK.COM>",
)


def header_lines(raw: bytes, name: str) -> list[str]:
    """The physical lines of header ``name`` as written: its first line and continuations."""
    head = raw.split(b"\r\n\r\n", 1)[0].split(b"\n\n", 1)[0].decode("utf-8", "replace")
    lines, inside = [], False
    for line in head.replace("\r\n", "\n").split("\n"):
        if line[:1] in (" ", "\t"):
            if inside:
                lines.append(line)
            continue
        inside = line.lower().startswith(name.lower() + ":")
        if inside:
            lines.append(line)
    return lines


def threads_as_written(raw: bytes, parent: str, earlier: tuple[str, ...]) -> None:
    """In-Reply-To is the parent's Message-ID as written; References every earlier one and the
    parent, each whole on its line (folded only between them), none encoded."""
    assert header_lines(raw, "In-Reply-To") == [f"In-Reply-To: {parent}"]
    references = header_lines(raw, "References")
    assert references[0].startswith("References: ")
    tokens = [token for line in references for token in line.split()][1:]
    assert tokens == [*earlier, parent]  # each whole on its line: folded only between them
    assert all("=?" not in line and len(line) <= 998 for line in references)
