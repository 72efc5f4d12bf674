"""What the watch writes back, each a reply in the student's thread (``In-Reply-To`` and
``References``) made by :func:`grader.mail.composing.compose`: the feedback of a graded notebook
(with the same ``<assignment>-feedback.html`` page ``grader mail`` attaches), a receipt for a
project, a receipt for a late hand-in, and "graded at HH:MM" past the hourly cap."""

from __future__ import annotations

import email.parser
import email.policy
import hashlib
from collections.abc import Mapping, Sequence
from dataclasses import dataclass
from datetime import datetime
from email.headerregistry import Address
from email.message import Message

from grader.course.config import DEFAULT_DECIMALS
from grader.feedback.fixes import Fix
from grader.gradebook.results import Row
from grader.intake.message.received import Received
from grader.intake.unreadable import could_not_be_read
from grader.mail.composing import compose, message_bytes
from grader.outputs.scores import for_people

Reply = tuple[str, str, str, bytes]  # (digest, student, recipient, message bytes)


@dataclass(frozen=True)
class Thread:
    """What a reply needs of the message it answers."""

    key: str  # the watch's key of the message
    message_id: str
    references: tuple[str, ...]
    subject: str

    @classmethod
    def of(cls, key: str, received: Received) -> Thread:
        """The thread of a message read already."""
        return cls._from(key, received.message)

    @classmethod
    def read(cls, key: str, raw: bytes) -> Thread:
        """The thread of a stored message, its headers read (its replies after a restart)."""
        parser = email.parser.BytesHeaderParser(policy=email.policy.default)
        return cls._from(key, parser.parsebytes(raw))

    @classmethod
    def _from(cls, key: str, headers: Message) -> Thread:
        references = tuple(str(headers.get("References", "")).split())
        return cls(
            key, str(headers.get("Message-ID", "")).strip(), references, headers["Subject"] or ""
        )

    @property
    def reply_subject(self) -> str:
        subject = " ".join(self.subject.split())
        return subject if subject.lower().startswith("re:") else f"Re: {subject}".strip()


def reply(
    sender: Address,
    student: str,
    recipient: Address,
    thread: Thread,
    kind: str,
    text: str,
    attachments: Sequence[tuple[str, bytes]] = (),
) -> Reply:
    """One reply; its digest names the message and the kind of answer, so it goes out once."""
    message = compose(
        sender,
        recipient,
        thread.reply_subject,
        text,
        attachments=attachments,
        in_reply_to=thread.message_id or None,
        references=thread.references,
    )
    return _once(thread.key, kind, student, recipient, message_bytes(message))


def notice(
    sender: Address, student: str, recipient: Address, key: str, kind: str, subject: str, text: str
) -> Reply:
    """A message of its own about the message ``key`` (not in its thread: a forged hand-in's
    victim never wrote it), sent once."""
    message = compose(sender, recipient, subject, text)
    return _once(key, kind, student, recipient, message_bytes(message))


def _once(key: str, kind: str, student: str, recipient: Address, message: bytes) -> Reply:
    """A reply whose digest names the message and the kind of answer, so it goes out once."""
    digest = hashlib.sha256(f"watch\0{key}\0{kind}".encode()).hexdigest()
    return digest, student, recipient.addr_spec, message


def noted(note: str, text: str) -> str:
    """``text`` with ``note`` as its first line (why a reply to the feedback was a hand-in)."""
    return f"{note}\n\n{text}" if note else text


def _local(when: datetime) -> str:
    return when.astimezone().strftime("%H:%M")


def feedback_text(
    title: str,
    row: Row,
    deadline: datetime | None,
    course: str,
    fixes: Sequence[Fix] = (),
    decimals: int = DEFAULT_DECIMALS,
) -> str:
    """The reply's text in the feedback page's order: the score, then each function with its
    points and, for one that lost points, what to fix (``fixes``: the page's words, as
    :func:`grader.feedback.fixes.fixes_in` reads them), scores to the course's ``decimals``."""
    lines = [f"Your notebook for {title} was graded at {_local(datetime.now())}.", ""]
    words = {fix.function: fix.words for fix in fixes}
    if row.status == "graded":
        score, most = for_people(row.score, decimals), for_people(row.max_score, decimals)
        lines.append(f"Score: {score} / {most}")
        for name, points in row.functions.items():
            lines.append(f"  {name}: {for_people(points, decimals)}")
            if words.get(name):
                lines.append(f"    {words[name]}")
    else:
        lines.append(f"It could not be run ({row.status}): {row.reason or ''}")
    lines += ["", "The feedback page is attached: open it in a browser."]
    if deadline is not None:
        lines.append(
            f"You may hand in again until the deadline ({deadline.isoformat(' ', 'minutes')}); "
            "the latest hand-in before it is the one that counts."
        )
    return "\n".join([*lines, "", "-- ", course])


def capped_text(title: str, count: int, per_hour: int, at: datetime, course: str) -> str:
    return (
        f"Your notebook for {title} was received. It was graded {count} times in the last hour, "
        f"the most there is ({per_hour} an hour), so this hand-in will be graded at {_local(at)}"
        " (if you send another before then, that one is graded instead).\n\n-- \n" + course
    )


def late_text(title: str, when: datetime, deadline: datetime, policy: str, course: str) -> str:
    return (
        f"Your hand-in for {title} was received ({when.isoformat(' ', 'minutes')}), after the "
        f"deadline ({deadline.isoformat(' ', 'minutes')}): it is late, {policy}. It is kept "
        "and not graded now; the instructor grades late work after the deadline by the "
        "course's late policy (a hand-in before the deadline, if you sent one, is the one that"
        " counts).\n\n-- \n" + course
    )


def receipt_text(title: str, received: list[str], checks: list[str], course: str) -> str:
    lines = [f"Your hand-in for {title} was received. It holds:"]
    lines += [f"  {name}" for name in received] or ["  (no files)"]
    lines += ["", "Automatic checks (the marking comes after the deadline):"]
    lines += [f"  {check}" for check in checks]
    return "\n".join([*lines, "", "-- ", course])


def unreadable_text(unreadable: Mapping[str, str]) -> str:
    """What a student is told of the files of a hand-in that could not be read."""
    said = could_not_be_read(unreadable, "the rest of your message was received as below")
    return f"{said}. Send those files again (a zip made anew)."


def replaced_text(sender: str, sent_at: str, earlier: Sequence[str]) -> str:
    """What a student is told at the roster's address when a hand-in replaces theirs."""
    lines = [
        f"A hand-in sent from {sender} at {sent_at} replaces your earlier one:",
        *[f"  {item}" for item in earlier],
        "The earlier files are kept. If you did not send this one, tell the instructor at once.",
    ]
    return "\n".join(lines)


def refused_text(sender: str, subject: str, why: str, course: str) -> str:
    """What a student is told at the roster's address of a hand-in forged in their name."""
    return (
        f"A message sent in your name was refused as your hand-in (From: {sender}, subject "
        f"{subject!r}): {why}.\n\nYour hand-ins are as they were; nothing of that message "
        "counts as yours. If you did send it, send it again from your own mailbox; if not, "
        "you need do nothing (the instructor sees it listed).\n\n-- \n" + course
    )


def rejected_text(reason: str, course: str) -> str:
    return (
        f"Your message could not be taken as a hand-in: {reason}.\n\nNothing of it was kept; "
        "please send your work again.\n\n-- \n" + course
    )
