"""``grader mail``: one email per student with their marks (text and HTML) and their feedback
pages attached.

Without ``--send`` the messages are written as ``.eml`` files for review; with it they go out
through :mod:`grader.mail.smtp`. Every message is made by :func:`compose`, as mail servers and
filters expect it: a ``Date`` and a ``Message-ID``, display names quoted (commas, quotes) and
RFC 2047-encoded when not ASCII, and the Message-IDs of ``Message-ID``, ``In-Reply-To`` and
``References`` written as they are, never folded inside or encoded (RFC 5322 §3.6.4), however
long (Outlook's are 83 characters): a client threads a reply only by matching them exactly.
"""

from __future__ import annotations

import mimetypes
import re
import sys
from collections.abc import Mapping, Sequence
from email.headerregistry import Address
from email.message import EmailMessage
from email.policy import EmailPolicy
from email.utils import formatdate, make_msgid, parseaddr
from pathlib import Path
from typing import TYPE_CHECKING

from grader import templating
from grader.course.config import Course
from grader.course.rubric import Projects
from grader.errors import UserError
from grader.feedback import results_file
from grader.feedback.fixes import fix_lines, fixes_in
from grader.gradebook.course_book import CourseBook
from grader.lms.final import FinalGrade
from grader.mail import identity
from grader.mail.addresses import needs_smtputf8, recipient
from grader.mail.smtp import Outgoing
from grader.mail.written import (
    Feedback,
    asked_questions,
    written_feedback,
    written_rows,
    written_text,
)
from grader.marking.pages import feedback_page
from grader.outputs.scores import for_people

if TYPE_CHECKING:  # typeshed's EmailPolicy is generic in the message it makes; the runtime's not

    class _EmailPolicy(EmailPolicy[EmailMessage]): ...

else:
    _EmailPolicy = EmailPolicy
# One msg-id (RFC 5322 §3.6.4): printable ASCII in angle brackets, no space, no brackets inside.
_MESSAGE_ID = re.compile(r"<[\x21-\x3b\x3d\x3f-\x7e]+>")
_IDENTIFIER_HEADERS = frozenset({"message-id", "in-reply-to", "references"})


class MailPolicy(_EmailPolicy):
    """Python's default policy, except that a header of Message-IDs is folded only between
    its identifiers: the default folds a long one as RFC 2047 encoded-words, which no client
    matches with the message it answers."""

    def fold(self, name: str, value: str) -> str:
        return self._identifiers(name, value) or super().fold(name, value)

    def fold_binary(self, name: str, value: str) -> bytes:
        folded = self._identifiers(name, value)
        return folded.encode("ascii") if folded else super().fold_binary(name, value)

    def _identifiers(self, name: str, value: str) -> str:
        """``name: <id1> <id2>``, a new line before an identifier that would pass the line
        length; '' when this is not a header of Message-IDs alone."""
        tokens = str(value).split()
        if name.lower() not in _IDENTIFIER_HEADERS or not tokens:
            return ""
        if not all(_MESSAGE_ID.fullmatch(token) for token in tokens):
            return ""
        lines, line = [], f"{name}:"
        for token in tokens:
            if self.max_line_length and len(line) + 1 + len(token) > self.max_line_length:
                if line != f"{name}:":
                    lines.append(line)
                    line = ""
            line += f" {token}"
        return self.linesep.join([*lines, line]) + self.linesep


# Every message the product writes, and every one it reads back to send (the watch's queue).
MAIL_POLICY = MailPolicy()
# ... and written as UTF-8 (RFC 6532), for a message to an address beyond ASCII.
_UTF8_POLICY = MAIL_POLICY.clone(utf8=True)


def message_bytes(message: EmailMessage) -> bytes:
    """The message as a file or a server takes it: as UTF-8 (RFC 6532) when an address needs
    it, since an RFC 2047 encoded-word inside an address names another mailbox; otherwise
    ASCII, display names encoded, as every reader takes it."""
    addresses = [
        address.addr_spec
        for name in ("From", "To", "Cc")
        for address in getattr(message[name], "addresses", ())
    ]
    if needs_smtputf8(addresses):
        return message.as_bytes(policy=_UTF8_POLICY)
    return message.as_bytes()


def message_ids(text: str | None) -> list[str]:
    """The Message-IDs in a header's text, in order; anything else in it left out."""
    return _MESSAGE_ID.findall(text or "")


def sender_address(text: str) -> Address:
    """``--from`` as an address: 'Name <address>' or a bare address; UserError otherwise."""
    name, address = parseaddr(text)
    try:
        found = Address(display_name=name, addr_spec=address)
    except (ValueError, IndexError):
        found = None
    if found is None or "@" not in address or not found.domain:
        raise UserError(f"--from {text!r} is not an email address, e.g. 'Course <ta@uni.edu>'")
    return found


def compose(
    sender: Address,
    recipient: Address,
    subject: str,
    text: str,
    html: str | None = None,
    attachments: Sequence[tuple[str, bytes]] = (),
    *,
    in_reply_to: str | None = None,
    references: Sequence[str] = (),
) -> EmailMessage:
    """One message: the text (with ``html`` as its alternative), the attachments typed by their
    file names; ``in_reply_to`` and ``references`` (Message-IDs) make it a reply in the thread.
    The Date is now, in the local zone; the Message-ID is new, in the sender's domain."""
    message = EmailMessage(policy=MAIL_POLICY)
    message["From"] = sender
    message["To"] = recipient
    message["Subject"] = subject
    message["Date"] = formatdate(localtime=True)
    message["Message-ID"] = make_msgid(domain=sender.domain)
    parent = message_ids(in_reply_to)[-1:]
    if parent:
        message["In-Reply-To"] = parent[0]
        message["References"] = " ".join([*message_ids(" ".join(references)), *parent])
    message.set_content(text)
    if html is not None:
        message.add_alternative(html, subtype="html")
    for filename, data in attachments:
        kind = mimetypes.guess_type(filename)[0] or "application/octet-stream"
        maintype, subtype = kind.split("/", 1)
        message.add_attachment(data, maintype=maintype, subtype=subtype, filename=filename)
    return message


def _text_and_html(
    course: Course,
    grade: FinalGrade,
    projects: Projects | None,
    book: CourseBook,
    out: Path,
    changed: Sequence[str],
    written: Feedback,
):
    """The mail's two parts, in the feedback page's order: what changed since the student's
    last mail, if anything did; each component's score and, under an auto-graded one, per
    function that lost points what to fix (the page's own words, from its results.json); then
    the standing, the rubric marks, the written answers."""
    lines = [f"Dear {grade.person.name},", ""]
    if changed:
        lines += ["these marks replace those of our last mail; changed:"]
        lines += [*(f"  {change}" for change in changed), ""]
    lines += [f"your marks in {course.title}:", ""]
    rows, fixes = [], []
    components = {c.id: c for c in course.components}
    for part in grade.parts:
        component = components[part.component]
        remark = part.explanation()
        score = (
            "pending" if part.pending else f"{for_people(part.fraction * 100, course.decimals)}%"
        )
        lines.append(f"  {component.title}: {score}" + (f" ({remark})" if remark else ""))
        rows.append((component.title, score, remark))
        if component.kind == "auto" and not part.pending:
            found = fixes_in(out / component.id / grade.person.id / "results.json")
            lines += [f"  {line}" for line in fix_lines(found, course.decimals)]
            fixes += [(component.title, found)] if found else []
    standing = _standing(course, grade)
    lines += ["", *standing, ""]
    for component in course.projects:
        marks = book.marks(grade.person.id, component.id)
        if not marks or projects is None:
            continue
        lines.append(f"{component.title}, by criterion:")
        for criterion in projects.rubric.criteria:
            mark = next((m for m in marks if m.criterion == criterion.id), None)
            points = "-" if mark is None or mark.points is None else f"{mark.points:g}"
            comment = f": {mark.comment}" if mark is not None and mark.comment else ""
            lines.append(f"  {criterion.title}: {points}/{criterion.points:g}{comment}")
        lines.append("")
    lines += written_text(written)
    lines += ["The feedback pages are attached.", "", "-- ", course.title]
    html = templating.render(
        "marks_mail.html",
        course=course.title,
        name=grade.person.name,
        changed=changed,
        rows=rows,
        standing=standing,
        fixes=[
            (
                title,
                [
                    (f, for_people(f.score, course.decimals), for_people(f.points, course.decimals))
                    for f in found
                ],
            )
            for title, found in fixes
        ],
        written=written_rows(written),
    )
    return "\n".join(lines), html


def _standing(course: Course, grade: FinalGrade) -> list[str]:
    """The final grade once nothing is pending; before, what is graded, what is pending and
    the standing over the graded components only (a pending component is never a 0)."""
    if not grade.pending:
        return [f"Final grade: {for_people(grade.total, course.decimals)} out of {course.scale:g}"]
    titles = {c.id: c.title for c in course.components}
    graded = ", ".join(titles[p.component] for p in grade.graded) or "nothing yet"
    pending = ", ".join(titles[p.component] for p in grade.pending)
    if grade.standing is None:
        first = "Standing so far: nothing is graded yet"
    else:
        first = (
            f"Standing so far: {for_people(grade.standing, course.decimals)} out of"
            f" {course.scale:g}, over the graded "
            "components only"
        )
    return [first, f"Graded: {graded}.", f"Not graded yet: {pending}."]


def marks_subject(course: Course) -> str:
    """The subject of ``grader mail``'s feedback: how a forward of it is recognised too."""
    return f"{course.title}: your marks and feedback"


def build_messages(
    course: Course,
    grades: list[FinalGrade],
    projects: Projects | None,
    book: CourseBook,
    out: Path,
    sender: str,
    changed: Mapping[str, Sequence[str]] | None = None,
) -> list[Outgoing]:
    """One marks mail per student with an address; ``changed`` gives, by student, what changed
    since their last mail (said at its top)."""
    from_address = sender_address(sender)
    subject = marks_subject(course)
    messages = []
    asked = asked_questions(course)
    for grade in grades:
        if not grade.person.emails:
            print(f"  {grade.person.id}: no email address on the roster; skipped", file=sys.stderr)
            continue
        to = recipient(grade.person.name, grade.person.emails[0])
        news = (changed or {}).get(grade.person.id, ())
        written = written_feedback(course, asked, book, grade.person.id)
        text, html = _text_and_html(course, grade, projects, book, out, news, written)
        attachments = _attachments(course, grade, projects, book, out)
        message = compose(from_address, to, subject, text, html, attachments)
        # What the mail tells the student, so a run started again (or a newer grader) knows
        # what it sent before; the Date and Message-ID are new each run and stay out.
        digest, earlier = identity.facts_digests(
            str(to),
            subject,
            grade,
            _marks(course, book, grade.person.id),
            written,
            _auto_pages(course, out, grade.person.id, attachments),
        )
        messages.append(Outgoing(grade.person.id, [to.addr_spec], message, digest, earlier))
    return messages


def _marks(course: Course, book: CourseBook, student: str) -> dict[str, list]:
    """Each project's rubric marks with their comments, as the mail tells them."""
    return {
        component.id: sorted(
            (mark.criterion, mark.points, mark.comment)
            for mark in book.marks(student, component.id)
        )
        for component in course.projects
    }


def _auto_pages(
    course: Course, out: Path, student: str, attachments: list[tuple[str, bytes]]
) -> list[identity.Page]:
    """The auto-graded components' feedback pages attached, each with its results.json."""
    attached = dict(attachments)
    pages = []
    for component in course.components:
        name = f"{component.id}-feedback.html"  # as _attachments names it
        if component.kind == "auto" and name in attached:
            try:
                results = results_file.read_results_json(
                    out / component.id / student / "results.json"
                )
            except (OSError, ValueError):  # none: the page's bytes tell
                results = None
            pages.append(identity.Page(name, attached[name], results))
    return pages


def auto_page_paths(course: Course, out: Path, student: str) -> list[Path]:
    """Where the auto-graded feedback pages a student's mail attaches are."""
    return [out / c.id / student / "feedback.html" for c in course.components if c.kind == "auto"]


def _attachments(course, grade, projects, book, out) -> list[tuple[str, bytes]]:
    found = []
    for component in course.components:
        if component.kind == "auto":
            page = out / component.id / grade.person.id / "feedback.html"
            if page.is_file():  # one of auto_page_paths
                found.append((f"{component.id}-feedback.html", page.read_bytes()))
        elif projects is not None:
            project = next((p for p in projects.projects if p.id == component.id), None)
            marks = book.marks(grade.person.id, component.id)
            if project is not None and marks:
                page = feedback_page(projects, project, grade.person.name, marks)
                found.append((f"{component.id}-feedback.html", page.encode()))
    return found


def write_eml(messages: list[Outgoing], folder: Path) -> list[Path]:
    folder.mkdir(parents=True, exist_ok=True)
    written = []
    for outgoing in messages:
        path = folder / f"{outgoing.student}.eml"
        path.write_bytes(message_bytes(outgoing.message))
        written.append(path)
    return written
