"""One message as received, parsed once: what every later step reads of it (its letter or why
it was refused, its headers as the RFC 3834 and thread checks read them, what a reply to it
quotes, its own words when it answers another), so none of them parses the bytes again.

``grader watch`` reads each fetched message into one :class:`Received` and hands it to collect,
the regrade-request check, the hand-in and the replies; ``grader collect`` reads each item of
its inboxes into one too.
"""

from __future__ import annotations

import email.message
import email.parser
import email.policy
from dataclasses import dataclass
from datetime import datetime
from functools import cached_property

from grader.intake.common import Limits, Rejected
from grader.intake.message.header_policy import HEADERS_PARSED_ONCE
from grader.intake.message.reading import Letter, check_size, letter_of, parse_mail
from grader.intake.message.reply_text import ReplyFacts, reply_facts


@dataclass(frozen=True)
class Received:
    """``raw`` read once: ``letter``, or ``rejection`` saying why it cannot be taken."""

    raw: bytes
    parsed: email.message.EmailMessage | None  # None: refused before or while parsing
    letter: Letter | None
    rejection: Rejected | None

    def read(self) -> Letter:
        """The letter, or the rejection raised (as
        :func:`grader.intake.message.reading.read_letter`)."""
        if self.letter is None:
            assert self.rejection is not None
            raise self.rejection.with_traceback(None)
        return self.letter

    @cached_property
    def message(self) -> email.message.Message:
        """The message as the default policy reads it (the headers alone when it could not be
        parsed whole): the Message-ID, References and Subject a reply quotes."""
        if self.parsed is not None:
            return self.parsed
        parser = email.parser.BytesParser(policy=HEADERS_PARSED_ONCE)
        return parser.parsebytes(self.raw, headersonly=True)

    @cached_property
    def headers(self) -> email.message.Message:
        """The top-level headers as the compat32 policy reads them (each value as written),
        made from the one parse: both policies split the header lines alike."""
        view = email.message.Message(policy=email.policy.compat32)
        for name, value in self.message.raw_items():
            view.set_raw(name, value)
        return view

    @cached_property
    def reply(self) -> ReplyFacts | None:
        """Its thread and own words when it answers another message (a regrade request?)."""
        if self.letter is None:
            return None
        return reply_facts(self.headers, self.letter.text, self.letter.html)


def receive(raw: bytes, limits: Limits, envelope: datetime | None = None) -> Received:
    """``raw`` parsed once and read as a letter under ``limits``; ``envelope`` is the time of
    the mbox ``From_`` line, for a message without a valid Date."""
    try:
        check_size(raw, limits)
        parsed = parse_mail(raw)
    except Rejected as rejection:
        return Received(raw, None, None, rejection)
    try:
        return Received(raw, parsed, letter_of(parsed, raw, limits, envelope), None)
    except Rejected as rejection:
        return Received(raw, parsed, None, rejection)
