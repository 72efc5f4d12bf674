"""What the watch writes about a regrade request, each in the student's thread."""

from __future__ import annotations

from collections.abc import Sequence
from datetime import datetime

from grader.regrades.book import ACCEPTED, Request


def _when(stamp: str) -> str:
    return datetime.fromisoformat(stamp).astimezone().isoformat(" ", "minutes")


def _sign(text: str, course: str) -> str:
    return f"{text}\n\n-- \n{course}"


def _what(request: Request, title: str) -> str:
    return f"{title} ({', '.join(request.parts)})"


def _quoted(message: str) -> str:
    return "\n".join(f"> {line}" for line in message.splitlines())


def acknowledged_text(request: Request, title: str, course: str) -> str:
    return _sign(
        f"Your regrade request #{request.id} for {_what(request, title)} was received "
        f"({_when(request.received_at)}). A marker will look at it and answer in this thread; "
        "if the mark changes, the change is kept on record with the reason.\n\n"
        f"Your request:\n{_quoted(request.message)}",
        course,
    )


def outside_window_text(request: Request, days: float, title: str, course: str) -> str:
    return _sign(
        f"Your reply about {_what(request, title)} ({_when(request.received_at)}) came after "
        f"the regrade window closed ({_when(request.window_closes)}): regrade requests are "
        f"taken for {days:g} days after the feedback is sent, and yours was sent "
        f"{_when(request.feedback_sent_at)}. It is kept as request #{request.id} but not "
        "reviewed; write to the instructor if you think this is wrong.",
        course,
    )


def decision_text(request: Request, title: str, course: str) -> str:
    verdict = "accepted" if request.state == ACCEPTED else "declined"
    return _sign(
        f"Your regrade request #{request.id} for {_what(request, title)} was {verdict}.\n\n"
        f"{request.answer or ''}",
        course,
    )


def _example(parts: Sequence[str]) -> str:
    """The part an example request names: the first of the student's own, never a name the
    framework would have to know."""
    return parts[0] if parts else "<its name>"


def unclear_request_text(parts: Sequence[str], course: str) -> str:
    named = ", ".join(parts) or "(none graded yet)"
    return _sign(
        "Your reply asks for a regrade but does not say of what. Reply to the feedback mail "
        "again naming the function, criterion or written answer and why, e.g. "
        f'"regrade {_example(parts)}: my cell passes the equation because '
        f'...". The parts you can name: {named}.',
        course,
    )


def not_understood_text(parts: Sequence[str], course: str) -> str:
    named = ", ".join(parts) or "(none graded yet)"
    return _sign(
        "Your reply to the feedback was read, but it was not understood as a regrade request: "
        "it names no part and asks for no regrade. To ask for one, reply to the feedback mail "
        f'naming the part and why, e.g. "regrade {_example(parts)}: my answer is right because '
        f'...". The parts you can name: {named}. For anything else, '
        "write to the instructor.",
        course,
    )


def not_the_roster_address_text(course: str) -> str:
    return _sign(
        "Your message was not taken: regrade requests are taken only from the address the "
        "course has on its roster for you. Please reply to the feedback mail again from that "
        "address. (Nothing about any grade is sent to other addresses.)",
        course,
    )


def forged_request_text(sender: str, subject: str, why: str, course: str) -> str:
    """What a student is told at the roster's address of a reply to their feedback forged in
    their name (nothing of their grade in it: the forger may read this address too)."""
    return _sign(
        f"A reply to your feedback sent in your name (From: {sender}, subject {subject!r}) was "
        f"not taken as your regrade request: {why}. If you did send it, reply to the feedback "
        "again from your own mailbox; if not, you need do nothing (the instructor sees it in "
        "the log).",
        course,
    )


def reply_hand_in_note() -> str:
    """The line at the top of what a reply to the feedback carrying files gets back (its graded
    reply or receipt: one message in, one reply out)."""
    return (
        "Your reply to the feedback carries files: it is taken as a new hand-in, not as a "
        "regrade request (to ask for a regrade, reply to the feedback without attachments, "
        "naming the function, criterion or written answer and why)."
    )
