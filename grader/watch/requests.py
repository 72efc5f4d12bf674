"""Replies to the feedback mail, as the watch took them (:mod:`grader.watch.kinds`):
a regrade request is stored (its number is its row in ``regrade_requests``) and acknowledged in
the student's thread, or told the window is closed; a reply that asks for a regrade without
saying of what is told how to ask (a reply carrying new work is a hand-in as any other:
:mod:`grader.watch.handins`); a reply not understood is told how to ask; one from an address the
roster does not give the student is told requests are taken from the roster's address (no grade
in it); only a reply that just thanks is left alone. A forward of the feedback (a new thread)
is taken as a reply to it.

Answers (acknowledgements and the marker's decisions, whether the watch or ``grader collect``
read the request) go out through the watch's outbox under a digest of the request and the kind
of answer, so a watch stopped at any point sends each once.
"""

from __future__ import annotations

from email.headerregistry import Address
from email.utils import parseaddr
from pathlib import Path

from grader.course.config import Course
from grader.gradebook.course_book import BOOK_NAME
from grader.intake.message.received import Received
from grader.mail import addresses
from grader.regrades.book import OUTSIDE, Request, RequestBook
from grader.regrades.intake import FORGED, NOT_THEIRS, THANKS, Taken
from grader.regrades.reading import NOT_A_REQUEST, REQUEST
from grader.watch import replies
from grader.watch import request_texts as texts
from grader.watch.handins import Context, Handled
from grader.watch.replies import Thread


def answer(key: str, received: Received, context: Context, taken: Taken) -> Handled:
    """A reply about a grade, as it was taken (:func:`grader.watch.kinds.kind_of`): a request
    (acknowledged from the book) or a thanks left alone; one from another address, one not
    understood or one naming no part answered at once in the student's thread."""
    if taken.verdict == REQUEST or taken.verdict == THANKS:
        return Handled(taken.outcome(), [], [])  # a request is acknowledged from the book
    if taken.verdict == FORGED:  # a notice of its own to the roster's address, not a reply
        letter = received.read()
        title = context.course.title
        text = texts.forged_request_text(letter.address, letter.subject, taken.forged, title)
        subject = "A regrade request in your name was refused"
        notice = replies.notice(
            context.sender, taken.person.id, taken.recipient, key, "forged", subject, text
        )
        return Handled(taken.outcome(), [], [notice])
    thread = Thread.of(key, received)
    if taken.verdict == NOT_THEIRS:
        text = texts.not_the_roster_address_text(context.course.title)
        return Handled(taken.outcome(), [], [_reply(context, taken, thread, "not-theirs", text)])
    assert taken.reading is not None  # unclear or not a request: it was read
    if taken.verdict == NOT_A_REQUEST:
        text = texts.not_understood_text(taken.reading.known_parts, context.course.title)
        answer = _reply(context, taken, thread, "not-understood", text)
        return Handled(taken.outcome(), [], [answer])
    text = texts.unclear_request_text(taken.reading.known_parts, context.course.title)
    answer = _reply(context, taken, thread, "unclear", text)
    return Handled(taken.outcome() + ": asked which part", [], [answer])


def _reply(context: Context, taken: Taken, thread: Thread, kind: str, text: str) -> replies.Reply:
    return replies.reply(context.sender, taken.person.id, taken.recipient, thread, kind, text)


def answers_due(course: Course, out: Path, sender: Address) -> list[tuple[int, str, replies.Reply]]:
    """The acknowledgements and decisions not yet in the outbox: (request, column, reply)."""
    due = []
    with RequestBook(out / BOOK_NAME) as book:
        for request in book.to_acknowledge():
            title = _title(course, request)
            if request.state == OUTSIDE:
                days = course.regrade_window_days
                text = texts.outside_window_text(request, days, title, course.title)
            else:
                text = texts.acknowledged_text(request, title, course.title)
            due.append((request.id, "acknowledged", _answer(sender, request, "ack", text)))
        for request in book.to_answer():
            text = texts.decision_text(request, _title(course, request), course.title)
            due.append((request.id, "answered", _answer(sender, request, "decision", text)))
    return due


def note_queued(out: Path, done: list[tuple[int, str]]) -> None:
    with RequestBook(out / BOOK_NAME) as book:
        for number, column in done:
            book.note_queued(number, column)


def _title(course: Course, request: Request) -> str:
    component = course.component(request.component)
    return component.title if component else request.component


def _answer(sender: Address, request: Request, kind: str, text: str) -> replies.Reply:
    name, address = parseaddr(request.recipient)
    thread = Thread(
        f"regrade-request:{request.id}:{request.identity}",
        request.message_id,
        tuple(request.refs.split()),
        request.subject,
    )
    recipient = addresses.recipient(name, address)
    return replies.reply(sender, request.student, recipient, thread, kind, text)
