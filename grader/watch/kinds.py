"""A fetched message read once into what it is, so that the loop hands it to the one part of
the watch that handles that kind (:meth:`grader.watch.loop.MailboxLoop.handle`):

- :class:`Automatic`: a bounce, an auto-reply or a list's mail (RFC 3834): never answered, since
  answering could loop, and what a bounce returns is the course's own mail, never a hand-in;
- :class:`AboutAGrade`: a reply to one of the course's feedback mails, taken as
  :mod:`grader.regrades.intake` takes it (a regrade request stored, a thanks, one not
  understood, one from an address the roster does not give the student), answered by
  :mod:`grader.watch.requests`;
- :class:`HandInMail`: anything else, a reply to the feedback carrying files among them (its answers
  then say so in their first line), turned into gradings and receipts by
  :mod:`grader.watch.handins`."""

from __future__ import annotations

from dataclasses import dataclass
from pathlib import Path

from grader.intake.message.bounces import delivery_report
from grader.intake.message.received import Received
from grader.intake.message.sender import forged_by_trusted
from grader.regrades.intake import HAND_IN, Reply, Taken, carries_work, take_reply
from grader.watch import request_texts
from grader.watch.handins import Context


@dataclass(frozen=True)
class Automatic:
    """A bounce, an auto-reply or a list's mail: no reply."""


@dataclass(frozen=True)
class AboutAGrade:
    """A reply to the course's feedback mail, as it was taken."""

    taken: Taken


@dataclass(frozen=True)
class HandInMail:
    """Mail that may carry a hand-in; ``note`` heads every answer it gets (its graded reply
    too)."""

    note: str = ""
    reply_to_feedback: bool = False  # a reply to the feedback carrying files


Kind = Automatic | AboutAGrade | HandInMail


def kind_of(received: Received, context: Context, out: Path) -> Kind:
    """What one message is; a reply that asks for a regrade is stored as it is read (the
    request's number is its row), the same way ``grader collect`` stores it."""
    if is_automatic(received):
        return Automatic()
    taken = _take(received, context, out)
    if taken is None:
        return HandInMail()
    if taken.verdict == HAND_IN:
        return HandInMail(request_texts.reply_hand_in_note(), reply_to_feedback=True)
    return AboutAGrade(taken)


def is_automatic(received: Received) -> bool:
    """An auto-reply, a bounce (with or without ``Auto-Submitted``: see
    :func:`grader.intake.message.bounces.delivery_report`) or a list's mail (RFC 3834)."""
    headers = received.headers
    auto = str(headers.get("Auto-Submitted", "no")).strip().lower()
    return (
        auto != "no"
        or bool(delivery_report(headers))
        or bool(headers.get("List-Id"))
        or headers.get("Precedence") in ("bulk", "junk", "list")
    )


def _take(received: Received, context: Context, out: Path) -> Taken | None:
    """The message as a reply to the course's feedback; None when it is none."""
    letter, facts = received.letter, received.reply
    if letter is None or facts is None:
        return None
    files = carries_work(a.name for a in letter.attachments)
    trusted = context.course.trusted_authserv_id
    forged = forged_by_trusted(received.headers, letter.address, trusted)
    earlier = letter.earlier_identities  # as graders before 0.2 recorded it
    reply = Reply(letter.identity, letter.address, letter.sent_at, facts, files, forged, earlier)
    return take_reply(context.course, out, context.projects, context.roster, reply)
