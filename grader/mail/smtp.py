"""Sending mail through SMTP: STARTTLS or implicit TLS with certificates checked, a login whose
user name and password may be any Unicode, and a send that records each message as the server
takes it, so a run started again after a stop sends nothing twice.

Each send is recorded before its SMTP transaction and settled after it. A run stopped between
the server's acceptance and the record (a laptop put to sleep, a kill) leaves the send
uncertain: the next run says so and sends it again with the first attempt's Message-ID and
Date, so a mail client shows one message if both arrived.

The user name and password come from ``GRADER_SMTP_USER`` / ``GRADER_SMTP_PASSWORD``, never
from the command line. Used by ``grader mail``; any command that mails students (replies
included: build them with :func:`grader.mail.composing.compose`) sends through :func:`send`.
"""

from __future__ import annotations

import base64
import os
import smtplib
import ssl
import sys
from dataclasses import dataclass
from email.message import EmailMessage
from pathlib import Path

from grader.batch.progress import Eta
from grader.errors import UserError
from grader.gradebook.course_book import CourseBook, SendAttempt
from grader.limits import MAILBOX

USER_VARIABLE = "GRADER_SMTP_USER"
PASSWORD_VARIABLE = "GRADER_SMTP_PASSWORD"
SECURITY = ("starttls", "tls")
# SMTP AUTH replies (RFC 4954): go on with the next response; authenticated; already so.
_CONTINUE, _ACCEPTED, _ALREADY = 334, 235, 503


@dataclass(frozen=True)
class Smtp:
    host: str
    port: int
    security: str  # starttls | tls
    cafile: Path | None = None  # extra trusted certificates (a self-signed server's)
    timeout: float = MAILBOX.smtp_timeout_s


@dataclass(frozen=True)
class Outgoing:
    """One message to one student, and the digest that tells whether it was sent before."""

    student: str
    recipients: list[str]
    message: EmailMessage
    digest: str  # of what the student reads: recipients, subject, bodies, attachments
    earlier_digests: tuple[str, ...] = ()  # the same mail's digests by earlier graders


@dataclass(frozen=True)
class SendReport:
    sent: list[str]
    skipped: list[str]  # sent before, by an earlier run
    rejected: list[tuple[str, str]]  # (student, why)
    uncertain: list[tuple[str, str]]  # (student, Message-ID) a stopped run may have delivered


def connect(smtp: Smtp) -> smtplib.SMTP:
    """An encrypted connection, logged in when the credentials are set; UserError otherwise."""
    context = ssl.create_default_context(cafile=str(smtp.cafile) if smtp.cafile else None)
    try:
        if smtp.security == "tls":
            client: smtplib.SMTP = smtplib.SMTP_SSL(
                smtp.host, smtp.port, timeout=smtp.timeout, context=context
            )
        else:
            client = smtplib.SMTP(smtp.host, smtp.port, timeout=smtp.timeout)
            client.starttls(context=context)
        user, password = os.environ.get(USER_VARIABLE), os.environ.get(PASSWORD_VARIABLE)
        if user and password:
            login(client, user, password)
        elif user or password:
            raise UserError(f"set both {USER_VARIABLE} and {PASSWORD_VARIABLE}, or neither")
        return client
    except smtplib.SMTPAuthenticationError as error:
        raise UserError(
            f"the SMTP server refused the login ({error.smtp_code}): check {USER_VARIABLE} "
            f"and {PASSWORD_VARIABLE}"
        ) from None
    except (OSError, smtplib.SMTPException) as error:
        raise UserError(
            f"cannot reach the SMTP server {smtp.host}:{smtp.port} with {smtp.security}: {error}"
        ) from None


def login(client: smtplib.SMTP, user: str, password: str) -> None:
    """AUTH PLAIN where offered (over TLS as safe as any, and one round trip), else AUTH
    LOGIN, both with the user name and password in UTF-8 (RFC 4616); a refusal is not retried
    with other mechanisms. smtplib's own ``login`` sends them as ASCII only."""
    client.ehlo_or_helo_if_needed()
    offered = client.esmtp_features.get("auth", "").upper().split()
    name, secret = _utf8(user), _utf8(password)
    if "PLAIN" in offered:
        _authenticate(client, "PLAIN", [b"\0" + name + b"\0" + secret])
    elif "LOGIN" in offered:
        _authenticate(client, "LOGIN", [name, secret])
    elif (user + password).isascii():
        client.login(user, password)  # CRAM-MD5, or smtplib's word that there is no AUTH
    else:
        raise UserError(
            f"the SMTP server offers only AUTH {' '.join(offered) or '(none)'}, which cannot "
            "carry a user name or password beyond ASCII; it needs PLAIN or LOGIN"
        )


def _utf8(text: str) -> bytes:
    # surrogateescape: bytes of the environment that are not UTF-8 go to the server as given
    return text.encode("utf-8", "surrogateescape")


def _authenticate(client: smtplib.SMTP, mechanism: str, responses: list[bytes]) -> None:
    """One AUTH exchange (RFC 4954): the first response sent with the command, each next one
    after the server's 334; SMTPAuthenticationError unless the server accepts."""
    first, *more = responses
    code, reply = client.docmd("AUTH", f"{mechanism} {_base64(first)}")
    for response in more:
        if code != _CONTINUE:
            break
        code, reply = client.docmd(_base64(response))
    if code == _CONTINUE:  # the server asks for more than the mechanism has: cancel
        code, reply = client.docmd("*")
    if code not in (_ACCEPTED, _ALREADY):
        raise smtplib.SMTPAuthenticationError(code, reply)


def _base64(data: bytes) -> str:
    return base64.b64encode(data).decode("ascii") or "="  # RFC 4954: "=" is an empty response


def send(messages: list[Outgoing], smtp: Smtp, book: CourseBook) -> SendReport:
    """Send what was not sent before; record each message as soon as the server took it."""
    sent: list[str] = []
    rejected: list[tuple[str, str]] = []
    uncertain: list[tuple[str, str]] = []
    todo = [m for m in messages if not book.was_sent(m.student, m.digest)]
    skipped = [m.student for m in messages if m not in todo]
    if not todo:
        return SendReport(sent, skipped, rejected, uncertain)
    client = connect(smtp)
    eta = Eta(len(todo))
    try:
        for number, outgoing in enumerate(todo, start=1):
            said = f"[{number}/{len(todo)}] {outgoing.student}"
            attempt = _intend(book, outgoing)
            if attempt.uncertain:
                uncertain.append((outgoing.student, attempt.message_id))
                print(
                    f"{said}: a run that stopped may have sent this already; sending it again "
                    f"as the same message {attempt.message_id}",
                    file=sys.stderr,
                )
            refused, why = _send_one(client, outgoing, smtp.host)
            if why:  # not sent: the next run tries it again, as the same message
                book.send_refused(outgoing.student, outgoing.digest, why)
                rejected.append((outgoing.student, why))
                print(f"{said}: NOT SENT {why} ({eta.one_more()})", file=sys.stderr)
                continue
            book.record_sent(
                outgoing.student,
                outgoing.digest,
                outgoing.message["Message-ID"],
                outgoing.recipients,
            )
            sent.append(outgoing.student)
            note = f" (refused: {', '.join(refused)})" if refused else ""
            print(f"{said}: sent{note} ({eta.one_more()})", file=sys.stderr)
    except (OSError, smtplib.SMTPServerDisconnected) as error:
        raise UserError(
            f"the SMTP connection broke after {len(sent)} messages ({error}); what was sent is "
            "recorded: run the same command again to send the rest"
        ) from None
    finally:
        try:
            client.quit()
        except (OSError, smtplib.SMTPException):
            pass
    return SendReport(sent, skipped, rejected, uncertain)


def _intend(book: CourseBook, outgoing: Outgoing) -> SendAttempt:
    """Record the send before it starts; the message takes the first attempt's Message-ID and
    Date when an earlier attempt was not settled."""
    message = outgoing.message
    attempt = book.begin_send(
        outgoing.student, outgoing.digest, str(message["Message-ID"]), str(message["Date"])
    )
    for name, value in (("Message-ID", attempt.message_id), ("Date", attempt.date)):
        if message[name] is None:
            message[name] = value
        elif str(message[name]) != value:
            message.replace_header(name, value)
    return attempt


def _send_one(client: smtplib.SMTP, outgoing: Outgoing, host: str) -> tuple[list[str], str]:
    """Send one message: (the recipients the server refused while taking it, '') or, when it
    took none, ([], why it was not sent)."""
    try:
        refused = client.send_message(outgoing.message, to_addrs=outgoing.recipients)
    except smtplib.SMTPRecipientsRefused as error:
        refusals = error.recipients.items()
        return [], "; ".join(
            f"{address}: {code} {_text(reply)}" for address, (code, reply) in refusals
        )
    except smtplib.SMTPDataError as error:
        return [], f"{error.smtp_code} {_text(error.smtp_error)}"
    except smtplib.SMTPNotSupportedError:  # smtplib's word that the server lacks SMTPUTF8
        wide = ", ".join(address for address in outgoing.recipients if not address.isascii())
        return [], (
            f"{wide} has letters beyond ASCII, which only a mail server offering SMTPUTF8 "
            f"(RFC 6531) delivers, and {host} does not offer it: give this student an ASCII "
            "address in the roster, or send through a server that offers SMTPUTF8"
        )
    return list(refused), ""


def _text(reply: bytes | str) -> str:
    return reply.decode(errors="replace") if isinstance(reply, bytes) else reply
