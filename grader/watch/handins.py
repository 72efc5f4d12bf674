"""A message that may carry a hand-in, read as collect reads it, turned into what the watch
does with it: the notebooks to grade (each with the assignment it names), the receipts to send
(a project's, with its automatic checks; a late hand-in's), or nothing (staff, the mailbox
owner, no hand-in)."""

from __future__ import annotations

import json
import tempfile
from collections.abc import Sequence
from dataclasses import dataclass
from datetime import datetime
from email.headerregistry import Address
from pathlib import Path, PurePosixPath

from grader.bundle.findings import findings_for_student
from grader.course.config import Course
from grader.course.late import apply
from grader.course.rubric import Projects
from grader.intake.common import DEFAULT_LIMITS, Rejected
from grader.intake.message.received import Received
from grader.intake.pairing import ASSIGNMENT_SLOT
from grader.intake.parcels import Parcel, Settings, read_received
from grader.mail import addresses
from grader.projects.kinds import FILE_ROLES
from grader.report.facts import report_facts
from grader.roster import Roster
from grader.watch import replies
from grader.watch.replies import Reply, Thread


@dataclass(frozen=True)
class Context:
    course: Course
    roster: Roster
    projects: Projects | None
    sender: Address
    owners: frozenset[str]  # the mailbox users and --from: never a hand-in, never answered


@dataclass(frozen=True)
class Replaced:
    """An earlier hand-in a message's files replaced, as collect placed them."""

    what: str  # its file (or link)
    at: str  # when it was sent
    flag: str = ""  # why it is suspect (unsigned over signed), or ''


@dataclass
class Handled:
    outcome: str
    jobs: list[dict]
    replies: list[Reply]


def handle(
    key: str,
    received: Received,
    context: Context,
    note: str = "",
    replaced: Sequence[Replaced] = (),
) -> Handled:
    """What the watch does with a message that may carry a hand-in (automatic mail and replies
    about a grade are told apart before: :mod:`grader.watch.kinds`); ``note`` heads every
    answer it gets (its graded reply too: the job carries it); ``replaced``: the earlier
    hand-ins its files replaced, which the student is told of at the roster's address."""
    settings = Settings(
        DEFAULT_LIMITS,
        context.roster,
        len(context.projects.projects) if context.projects else 0,
        tuple(p.title for p in context.projects.projects) if context.projects else (),
        tuple(c.id for c in context.course.components if c.kind == "auto"),
        context.course.trusted_authserv_id,
    )
    try:
        parcel = read_received(received, key, settings)
    except Rejected as rejection:
        if rejection.forged:  # never answered at its From:: the student it names is told
            return _refused_rejection(key, rejection, context)
        return _rejected(key, received, rejection, context)
    if parcel.skipped:
        return Handled(f"skipped: {parcel.skipped}", [], [])
    if parcel.refused:
        return _refused(key, received, parcel, context)
    if parcel.unattributed or parcel.student is None:
        return Handled(f"unattributed: {parcel.unattributed or 'no student'}", [], [])
    if parcel.unreadable:  # every answer names them: the student sends them again
        note = replies.noted(note, replies.unreadable_text(parcel.unreadable))
    return _hand_in(key, received, parcel, context, note, replaced)


def _roster_recipient(context: Context, student: dict[str, str] | None) -> Address | None:
    """The roster's address of a student (never the mail's own From:), or None."""
    person = context.roster.by_id(student["id"]) if student else None
    if person is None or person.is_staff or not person.emails:
        return None
    if person.emails[0].lower() in context.owners:
        return None
    return addresses.recipient(person.name, person.emails[0])


def _refused(key: str, received: Received, parcel: Parcel, context: Context) -> Handled:
    """A hand-in in a student's name that the trusted server says they did not send: the
    student is told at the roster's address (the forged From: is never answered)."""
    return _told_refused(
        key, parcel.claimed, parcel.sender, parcel.subject, parcel.refused, context
    )


def _refused_rejection(key: str, rejection: Rejected, context: Context) -> Handled:
    """A forged message that could not be taken either (a zip escaping its folder, ...): as
    :func:`_refused`; why it could not be taken is the instructor's to read (the log,
    REJECTED.csv), not the student's, who did not send it."""
    person = context.roster.by_email(rejection.student)
    claimed = {"id": person.id} if person is not None else None
    why = f"{rejection.forged}: a forged sender"
    told = _told_refused(key, claimed, rejection.student, rejection.subject, why, context)
    return Handled(f"{told.outcome}; nor could it be taken: {rejection.reason}", [], told.replies)


def _told_refused(
    key: str, claimed: dict[str, str] | None, sender: str, subject: str, why: str, context: Context
) -> Handled:
    """The refusal notice to the roster's address of the student ``claimed`` (if any)."""
    outcome = f"refused: {why}"
    recipient = _roster_recipient(context, claimed)
    if recipient is None or claimed is None:
        return Handled(outcome, [], [])
    text = replies.refused_text(sender, subject, why, context.course.title)
    title = "A hand-in in your name was refused"
    answer = replies.notice(context.sender, claimed["id"], recipient, key, "refused", title, text)
    return Handled(outcome, [], [answer])


def _hand_in(
    key: str,
    received: Received,
    parcel: Parcel,
    context: Context,
    note: str,
    replaced: Sequence[Replaced],
) -> Handled:
    course, student = context.course, parcel.student or {}
    person = context.roster.by_id(student["id"])
    address = parcel.sender.lower()
    forwarder = context.roster.by_email(address)
    if address in context.owners or (forwarder is not None and forwarder.is_staff):
        # forwarded by the owner or staff: the answer goes to the student, never to them
        address = person.emails[0] if person and person.emails else ""
    if not address or address in context.owners:
        return Handled(f"{student['id']}: no address to answer that is not the owner's", [], [])
    recipient = addresses.recipient(person.name if person else student.get("name", ""), address)
    thread = Thread.of(key, received)
    sent = datetime.fromisoformat(parcel.time.at)
    jobs, answers, notes = [], [], []
    roster_address = _roster_recipient(context, student)
    told_here = bool(replaced) and person is not None and person.has_email(address)
    if told_here:  # the answers go to the roster's address: they say it
        told = replies.replaced_text(parcel.sender, parcel.time.at, _earlier(replaced))
        note = replies.noted(told, note)
    for piece in parcel.pieces:
        aid = piece.slot.removeprefix(ASSIGNMENT_SLOT)  # collect's pairing told it
        component = course.component(aid) if piece.slot.startswith(ASSIGNMENT_SLOT) else None
        if component is None:
            continue
        deadline = course.deadline_for(component, student["id"])  # an extension counts
        if deadline is not None and sent > deadline + course.late.grace:
            policy = apply(course.late, sent, deadline).why
            text = replies.late_text(component.title, sent, deadline, policy, course.title)
            text = replies.noted(note, text)
            answers.append(_reply(context, student, recipient, thread, f"late:{aid}", text))
            notes.append(f"{aid}: late")
            continue
        jobs.append(
            {
                "message_key": key,
                "student": student["id"],
                "address": str(recipient),
                "assignment": aid,
                "notebook_name": PurePosixPath(piece.relpath).name,
                "notebook": piece.data,
                "submitted_at": parcel.time.at,
                "not_before": "",
                "note": note,
            }
        )
        notes.append(f"{aid}: to grade")
    for number, project in enumerate(context.projects.projects if context.projects else (), 1):
        own = {
            p.slot.split("/", 1)[1]: p
            for p in parcel.pieces
            if p.slot.startswith(f"project{number}/")
        }
        links = {
            k.split("/", 1)[1]: v
            for k, v in parcel.links.items()
            if k.startswith(f"project{number}/")
        }
        if not own and not links:
            continue
        component = course.component(project.id)
        title = component.title if component else project.title
        deadline = course.deadline_for(component, student["id"]) if component else None
        if deadline and sent > deadline + course.late.grace:
            policy = apply(course.late, sent, deadline).why
            text = replies.late_text(title, sent, deadline, policy, course.title)
        else:
            listed = [f"{kind}: {PurePosixPath(p.relpath).name}" for kind, p in own.items()]
            listed += [f"{kind}: {link}" for kind, link in links.items()]
            found = _checks(own, links) + _findings(own, number, context.projects)
            text = replies.receipt_text(title, listed, found, course.title)
        text = replies.noted(note, text)
        answers.append(_reply(context, student, recipient, thread, f"receipt:{project.id}", text))
        notes.append(f"{project.id}: receipt")
    if replaced and roster_address is not None and not (told_here and (jobs or answers)):
        told = replies.replaced_text(parcel.sender, parcel.time.at, _earlier(replaced))
        text = f"{told}\n\n-- \n{course.title}"
        answers.append(_reply(context, student, roster_address, thread, "replaced", text))
        notes.append("replaced an earlier hand-in: told at the roster's address")
    if not jobs and not answers:
        return Handled(f"{student['id']}: no notebook or project in it: no reply", [], [])
    return Handled(f"{student['id']}: " + ", ".join(notes), jobs, answers)


def _rejected(key: str, received: Received, rejection: Rejected, context: Context) -> Handled:
    """A hand-in that cannot be taken (a zip that escapes its folder, two bundles, ...): a
    student on the roster is told why, so they can send it again before the deadline."""
    outcome = f"rejected: {rejection.reason}"
    address = (rejection.student or "").lower()
    person = context.roster.by_email(address)
    if person is None or person.is_staff or address in context.owners:
        return Handled(outcome, [], [])
    recipient = addresses.recipient(person.name, address)
    text = replies.rejected_text(rejection.reason, context.course.title)
    thread = Thread.of(key, received)
    answer = _reply(context, {"id": person.id}, recipient, thread, "rejected", text)
    return Handled(outcome, [], [answer])


def _earlier(replaced: Sequence[Replaced]) -> list[str]:
    return [f"{r.what} (sent {r.at})" + (f": {r.flag}" if r.flag else "") for r in replaced]


def _reply(
    context: Context, student: dict, recipient: Address, thread: Thread, kind: str, text: str
) -> Reply:
    return replies.reply(context.sender, student["id"], recipient, thread, kind, text)


def _checks(own: dict, links: dict[str, str]) -> list[str]:
    """The report check, whether the notebook opens, whether the dataset is there."""
    found = []
    report = own.get("report")
    if report is None:
        found.append("report: missing")
    else:
        with tempfile.TemporaryDirectory(prefix="grader-receipt-") as folder:
            path = Path(folder, PurePosixPath(report.relpath).name)
            path.write_bytes(report.data)
            facts = report_facts(path)
        pages = facts.get("pages")
        found.append(
            f"report: {facts['verdict']}" + (f", {pages} page(s)" if pages is not None else "")
        )
        found += [f"  - {problem}" for problem in facts.get("problems", [])]
    notebook = own.get("notebook")
    if notebook is None:
        found.append("notebook: " + ("only a link" if "colab" in links else "missing"))
    else:
        try:
            cells = json.loads(notebook.data.decode("utf-8-sig"))["cells"]
            found.append(f"notebook: opens ({len(cells)} cells)")
        except (ValueError, KeyError, TypeError):
            found.append("notebook: does not open (not a valid .ipynb file)")
    if "dataset" in own:
        found.append(f"dataset: present ({len(own['dataset'].data)} bytes)")
    elif "dataset_link" in links:
        found.append("dataset: only linked; hand in the file (the grader has no network)")
    else:
        found.append("dataset: missing")
    return found


def _findings(own: dict, number: int, projects: Projects | None) -> list[str]:
    """What the course's checks of substance find in the project, in the words ``grader
    bundle`` told the student (the saved outputs: nothing is run here), less the kinds the
    course keeps from its students."""
    if "notebook" not in own and "report" not in own:
        return []
    with tempfile.TemporaryDirectory(prefix="grader-receipt-") as folder:
        files: dict[str, Path | None] = {}
        for role in FILE_ROLES:
            piece = own.get(role)
            if piece is None:
                files[role] = None
                continue
            path = Path(folder, f"project{number}", PurePosixPath(piece.relpath).name)
            path.parent.mkdir(parents=True, exist_ok=True)
            path.write_bytes(piece.data)
            files[role] = path
        kept = projects.kept_from_students if projects else frozenset()
        told = findings_for_student(files, Path(folder), kept)
    return ["checks of substance (as `grader bundle` told before sending):"] + [
        f"  - {note}" for note in told
    ]
