"""A reply to a feedback mail taken in, the same way by ``grader watch`` and ``grader collect``:
whose it is, whether it is a regrade request (:mod:`grader.regrades.reading`), and, if
it is, the request stored in the gradebook (:mod:`grader.regrades.book`)."""

from __future__ import annotations

import argparse
from collections.abc import Callable, Iterable
from dataclasses import dataclass
from datetime import UTC, datetime
from email.headerregistry import Address
from pathlib import Path

from grader.course.config import Course
from grader.course.rubric import Projects
from grader.errors import UserError
from grader.gradebook.course_book import BOOK_NAME
from grader.intake.message.reply_text import ReplyFacts
from grader.intake.parcels import Parcel
from grader.limits import COURSE
from grader.mail import addresses
from grader.regrades.book import OPEN, OUTSIDE, Request, RequestBook
from grader.regrades.reading import (
    NOT_A_REQUEST,
    REQUEST,
    UNCLEAR,
    Feedback,
    Reading,
    feedback_forwarded,
    feedback_replied_to,
    only_thanks,
    read_reply,
    referenced_ids,
)
from grader.roster import Person, Roster

# What collect asks of a reply: (verdict, student, outcome), or None (it answers no feedback).
ReplyTaker = Callable[[Parcel], tuple[str, str, str] | None]

HAND_IN = "hand-in"  # a reply to the feedback that carries files: a hand-in as any other
# A reply in a student's feedback thread from an address the roster does not give them.
NOT_THEIRS = "not the roster's address"
# A reply the course's trusted mail server says is not from its From: (a forged sender).
FORGED = "forged"
THANKS = "thanks"  # a reply that only thanks: nothing to answer


@dataclass(frozen=True)
class Taken:
    verdict: str  # request | unclear | not a request | hand-in
    person: Person
    recipient: Address
    reading: Reading | None = None
    request: Request | None = None
    forged: str = ""  # why the trusted mail server says the reply's From: is forged

    def outcome(self) -> str:
        """The line the watch's log and collect's list show."""
        if self.request is not None:
            where = " (outside the window)" if self.request.state == OUTSIDE else ""
            return (
                f"{self.person.id}: regrade request #{self.request.id} ({self.request.component}:"
                f" {', '.join(self.request.parts)}){where}"
            )
        if self.verdict == HAND_IN:
            return f"{self.person.id}: a reply to the feedback carrying files: a hand-in"
        if self.verdict == FORGED:
            return (
                f"{self.person.id}: a reply to their feedback refused as a forged sender, not"
                " taken as their request: told at the roster's address"
            )
        if self.verdict == NOT_THEIRS:
            return (
                f"{self.person.id}: a reply to their feedback from {self.recipient.addr_spec},"
                " not the roster's address: told to write from it"
            )
        if self.verdict == THANKS:
            return (
                f"{self.person.id}: a reply to the feedback that only thanks, not a regrade request"
            )
        if self.verdict == REQUEST:
            return f"{self.person.id}: regrade request"
        if self.verdict == UNCLEAR:
            return f"{self.person.id}: a reply to the feedback asking a regrade of no named part"
        return f"{self.person.id}: a reply to the feedback, not a regrade request: told how to ask"


@dataclass(frozen=True)
class Reply:
    """One message that answers another, as intake read it."""

    identity: str  # the same message in any inbox (collect's and the watch's)
    address: str  # the sender's
    sent_at: datetime
    facts: ReplyFacts
    has_files: bool  # files of its own: the feedback's pages a forward carries are not
    forged: str = ""  # why the trusted mail server says its From: is forged ('' if it does not)
    earlier_identities: tuple[str, ...] = ()  # as graders before 0.2 recorded the message


def carries_work(names: Iterable[str]) -> bool:
    """Files of the student's own: the feedback's pages a forward or a reply carries back are
    the course's, not new work."""
    return any(not name.endswith("-feedback.html") for name in names)


def _feedback(course: Course, out: Path, roster: Roster, reply: Reply) -> Feedback | None:
    """The feedback mail a reply answers (its thread), or a forward quotes (its quoted
    headers, from the student it was sent to)."""
    facts = reply.facts
    if facts.in_reply_to or facts.references:
        return feedback_replied_to(out, referenced_ids(facts.in_reply_to, facts.references))
    person = roster.by_email(reply.address.lower())
    if not facts.forwarded or person is None or person.is_staff:
        return None
    return feedback_forwarded(course, out, person.id, facts.forwarded)


def take_reply(
    course: Course, out: Path, projects: Projects | None, roster: Roster, reply: Reply
) -> Taken | None:
    """What a reply to one of the course's feedback mails is; None when it answers no feedback
    mail or is not from the student the feedback went to (then it is mail as any other)."""
    facts = reply.facts
    feedback = _feedback(course, out, roster, reply)
    if feedback is None:
        return None
    person = roster.by_email(reply.address.lower())
    if person is not None and person.is_staff:
        return None  # a marker or the instructor in the thread: theirs to answer
    owner = roster.by_id(feedback.student)
    if reply.forged and owner is not None and owner.emails:
        # never the student's request, never answered at the forged From:: the roster's
        # address is told (a reply with files is a hand-in, refused as such)
        if reply.has_files:
            return None
        roster_address = addresses.recipient(owner.name, owner.emails[0])
        return Taken(FORGED, owner, roster_address, forged=reply.forged)
    if person is None or person.id.lower() != feedback.student.lower():
        if owner is None or reply.has_files:
            return None  # mail as any other (a hand-in from an unknown address is refused)
        # named as the sender wrote it, not as the roster does: it may not be the student
        return Taken(NOT_THEIRS, owner, addresses.recipient("", reply.address.lower()))
    recipient = addresses.recipient(person.name, reply.address.lower())
    if reply.has_files:
        return Taken(HAND_IN, person, recipient)
    words = facts.words[: COURSE.regrade_request_chars]
    reading = read_reply(course, out, projects, feedback, person.id, words)
    if reading.verdict == NOT_A_REQUEST and only_thanks(words):
        return Taken(THANKS, person, recipient, reading)
    if reading.verdict != REQUEST:
        return Taken(reading.verdict, person, recipient, reading)
    received = reply.sent_at.astimezone(UTC)
    assert reading.window_closes is not None  # a request's reading has its window
    with RequestBook(out / BOOK_NAME) as book:
        request, _ = book.add(
            reply.earlier_identities,
            identity=reply.identity,
            student=person.id,
            component=reading.component,
            parts=reading.parts,
            message=words,
            received_at=received.isoformat(timespec="seconds"),
            feedback_id=feedback.message_id,
            feedback_sent_at=feedback.sent_at.astimezone(UTC).isoformat(timespec="seconds"),
            window_closes=reading.window_closes.astimezone(UTC).isoformat(timespec="seconds"),
            message_id=facts.message_id,
            refs=facts.references,
            subject=facts.subject,
            recipient=str(recipient),
            state=OPEN if reading.within_window(received) else OUTSIDE,
        )
    return Taken(REQUEST, person, recipient, reading, request)


def collect_replies(course: Course, out: Path, projects: Projects | None) -> ReplyTaker:
    """What ``grader collect`` asks of each message that answers another."""
    roster = course.roster()

    def take(parcel: Parcel) -> tuple[str, str, str] | None:
        if parcel.reply is None:
            return None
        sent = datetime.fromisoformat(parcel.time.at)
        has_files = carries_work(p.relpath for p in parcel.pieces) or bool(parcel.links)
        reply = Reply(
            parcel.identity,
            parcel.sender,
            sent,
            parcel.reply,
            has_files,
            parcel.forged_by,
            parcel.earlier_identities,
        )
        taken = take_reply(course, out, projects, roster, reply)
        return None if taken is None else (taken.verdict, taken.person.id, taken.outcome())

    return take


def collect_replies_of(
    args: argparse.Namespace,
) -> Callable[[Parcel], tuple[str, str, str] | None] | None:
    """``grader collect``'s ``--graded`` and ``--course``: the course whose feedback replies
    are regrade requests; None when there is no course gradebook to tell them by."""
    from grader.course.config import load_course
    from grader.course.options import DEFAULT_OUT, course_file
    from grader.course.rubric import load_projects

    graded = Path(args.graded or DEFAULT_OUT)
    if not (graded / BOOK_NAME).is_file():
        if args.graded:
            raise UserError(
                f"--graded {graded}: no {BOOK_NAME} there; give the course's graded folder "
                "(where `grader grade`, `grader mail` and `grader watch` keep the gradebook)"
            )
        return None
    try:
        path = course_file(args)
    except UserError:
        if args.graded or args.course:
            raise
        return None
    course = load_course(path)
    projects = load_projects(course.projects_dir) if course.projects else None
    return collect_replies(course, graded, projects)
