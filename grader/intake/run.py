"""``grader collect``: an inbox into one folder per student, then the index and merged PDF."""

from __future__ import annotations

import argparse
import sqlite3
import sys
from collections.abc import Callable, Sequence
from datetime import datetime
from pathlib import Path
from typing import TYPE_CHECKING

from grader.batch.progress import counted
from grader.course.config import Course, find_course, load_course
from grader.disk_full import DiskFull, met_anywhere, no_space
from grader.errors import UserError
from grader.intake.common import (
    DEFAULT_LIMITS,
    MERGED_PDF,
    Limits,
    Rejected,
    parse_deadline,
    unreadable_words,
)
from grader.intake.deadlines import Deadlines
from grader.intake.inbox import Item, inbox_items
from grader.intake.index import (
    SENT_NOTHING,
    Summary,
    component_counts,
    current_students,
    index_rows,
    replacements,
    write_lists,
)
from grader.intake.lms_archives import LmsOptions, lms_options, split_archives
from grader.intake.manifest import check_student_id
from grader.intake.message.authresults import sender_warnings, unchecked_senders
from grader.intake.message.reading import shared_message_id
from grader.intake.message.sender import DkimKeys
from grader.intake.parcels import Parcel, Settings
from grader.intake.placing import place_student
from grader.intake.summary_text import summary_lines
from grader.limits import COURSE
from grader.roster import Roster, load_roster
from grader.scratch import Scratch

if TYPE_CHECKING:  # fetching is imported only when asked for
    from grader.intake.fetch import FetchSettings

# What a reply to the course's feedback mail is: (verdict, student, outcome), or None when it
# answers none; verdict "request" takes it out of the hand-ins (made by
# grader.regrades.intake, which knows the course).
ReplyTaker = Callable[[Parcel], tuple[str, str, str] | None]


def _listing(parcel: Parcel) -> tuple[str, str, str, str]:
    return (parcel.source, parcel.sender, parcel.time.at, parcel.subject)


def _no_handin_reason(parcel: Parcel) -> str:
    reason = "no file and no Colab or Drive link in it (a question, or a forgotten attachment?)"
    return "; ".join([reason, *parcel.notes])


def _read_all(
    items: Sequence[Item],
    settings: Settings,
    summary: Summary,
    staging: Path,
    replies: ReplyTaker | None = None,
):
    """Every item read and given its one outcome (see :mod:`grader.intake.index`); the parcels
    that go to students' folders, their files staged on disk. ``replies`` tells a reply to the
    course's feedback mail: a regrade request is listed as one, never as a hand-in."""
    parcels = []
    first_of: dict[str, str] = {}  # identity -> source of the first item with it
    first_with_id: dict[str, str] = {}  # Message-ID -> source of the first item with it
    servers: list[str] = []  # each message's receiving server

    def is_copy(source: str, identity: str) -> bool:
        """An identical copy of an item read before (folded into it); an item that only shares
        its Message-ID with one is listed as such and read as a message of its own."""
        shared = shared_message_id(identity)
        if identity and identity in first_of:
            summary.duplicates.append((source, first_of[identity]))
            summary.copy_ids[source] = shared
            return True
        first_of.setdefault(identity, source)
        if shared and shared in first_with_id:
            summary.same_id.append((source, shared, first_with_id[shared]))
        elif shared:
            first_with_id[shared] = source
        return False

    summary.archive_entries = {item.source for item in items if item.in_archive}
    for number, item in enumerate(counted(items, "collect", lambda item: item.source)):
        try:
            parcel = item.read()
        except Rejected as rejection:
            if not is_copy(item.source, rejection.identity):
                forged = f"; and {rejection.forged}: a forged sender" if rejection.forged else ""
                summary.rejected.append((item.source, rejection.student, rejection.reason + forged))
            continue
        except Exception as error:  # a broken submission is a row, never a crashed run
            if no_space(error):  # the grader's disk, never the student's hand-in
                raise
            reason = f"could not be read ({type(error).__name__}: {error}); please report this"
            summary.rejected.append((item.source, "", reason))
            continue
        if is_copy(parcel.source, parcel.identity):
            continue
        if parcel.receiving_server is not None:
            servers.append(parcel.receiving_server)
        student = parcel.student["id"] if parcel.student else ""
        summary.unreadable += [
            (parcel.source, student or parcel.sender, unreadable_words({name: why}))
            for name, why in parcel.unreadable.items()
        ]
        taken = replies(parcel) if replies is not None and parcel.reply is not None else None
        if taken is not None and taken[0] == "request":
            summary.requests.append((parcel.source, taken[1], taken[2]))
            continue
        if taken is not None:
            parcel.notes.append(taken[2])
        if parcel.failed_sender and not (parcel.skipped or parcel.bounce):
            failed = (parcel.receiving_server or "", parcel.failed_sender)
            summary.failed_senders.append((parcel.source, student or parcel.sender, *failed))
        if parcel.bounce:
            summary.bounces.append((*_listing(parcel), parcel.skipped))
        elif parcel.skipped:
            summary.skipped.append((*_listing(parcel), parcel.skipped))
        elif parcel.refused:  # files or none, never the student's: listed with the reason
            summary.unattributed.append((*_listing(parcel), parcel.refused))
        elif not parcel.pieces and not parcel.links:
            summary.no_handin.append((*_listing(parcel), student, _no_handin_reason(parcel)))
        elif parcel.unattributed or parcel.student is None:
            summary.unattributed.append((*_listing(parcel), parcel.unattributed))
        else:
            try:
                check_student_id(student)
            except Rejected as rejection:
                summary.rejected.append((item.source, parcel.sender, rejection.reason))
                continue
            if parcel.relayed_by:
                relayed = (parcel.source, parcel.relayed_by, parcel.time.at, parcel.subject)
                summary.relayed.append((*relayed, student))
            parcel.stage(staging / f"parcel-{number}")
            parcels.append(parcel)
    summary.items = len(items) - len(summary.duplicates)
    if not settings.trusted_authserv_id:
        summary.receiving_server = unchecked_senders(servers)
    return parcels


def collect(
    inboxes: Path | Sequence[Path],
    out: Path,
    deadline: datetime | None = None,
    *,
    limits: Limits = DEFAULT_LIMITS,
    projects_required: int = COURSE.projects,
    roster: Roster | None = None,
    project_titles: Sequence[str] = (),
    fetch: FetchSettings | None = None,
    merged_pdf: bool = True,
    assignments: Sequence[str] | None = None,
    replies: ReplyTaker | None = None,
    course: Course | None = None,
    dkim_keys: DkimKeys | None = None,
    lms: LmsOptions | None = None,
) -> Summary:
    """Collect every submission in the inboxes (one or several, read as one) into ``out``; see
    the package docstring.

    ``fetch`` (a :class:`grader.intake.fetch.FetchSettings`) downloads the notebooks behind
    Colab links that have no notebook beside them. Without ``merged_pdf``, the PDF of every
    submission is not made (seconds per hundred students; ``grader watch`` collects every few
    seconds and leaves it to ``grader collect``). ``replies`` recognises replies to the
    course's feedback mail (:func:`grader.regrades.intake.collect_replies`).

    ``assignments``: the course's auto-graded assignments, whose notebooks are told by their
    metadata or file name and filed under ``<id>/``; None (no course): by their metadata only.
    ``course``: each file is late by its component's deadline, a student's extension and the
    grace period (see :mod:`grader.intake.deadlines`); its ``[mail] trusted_authserv_id``
    decides whose Authentication-Results are read (:mod:`grader.intake.message.sender`).
    ``dkim_keys``: where DKIM keys are looked up (DNS, or a test's own).
    """
    inboxes = [inboxes] if isinstance(inboxes, Path) else list(inboxes)
    for inbox in inboxes:
        if out.resolve() == inbox.resolve() or inbox.resolve().is_relative_to(out.resolve()):
            raise UserError(f"--out {out} must not be an inbox or hold one: give another folder")
    settings = Settings(
        limits,
        roster,
        projects_required,
        tuple(project_titles),
        assignments,
        course.trusted_authserv_id if course else "",
        dkim_keys or DkimKeys(),
    )
    items, inboxes = split_archives(inboxes, settings, lms or LmsOptions())  # LMS downloads
    items += inbox_items(inboxes, settings) if inboxes else []
    return collect_items(items, settings, out, deadline, fetch, merged_pdf, replies, course)


def collect_items(
    items: Sequence[Item],
    settings: Settings,
    out: Path,
    deadline: datetime | None = None,
    fetch: FetchSettings | None = None,
    merged_pdf: bool = True,
    replies: ReplyTaker | None = None,
    course: Course | None = None,
) -> Summary:
    """:func:`collect` of items read by ``settings`` (an inbox's, or messages read already)."""
    summary = Summary(items=len(items))
    out.mkdir(parents=True, exist_ok=True)
    scratch = Scratch(out, ".collect-")  # and those a killed collect left, removed
    for stale in scratch.removed:
        print(f"removed {stale}, the staging folder of a collect that was killed", file=sys.stderr)
    staging = scratch.path
    try:
        return _collected(
            items, settings, out, staging, summary, deadline, fetch, merged_pdf, replies, course
        )
    except (OSError, sqlite3.OperationalError) as error:
        if no_space(error):  # one line, naming the folder: the rerun goes on
            raise DiskFull(met_anywhere(error, out)) from None
        raise
    finally:
        scratch.close()


def _collected(
    items: Sequence[Item],
    settings: Settings,
    out: Path,
    staging: Path,
    summary: Summary,
    deadline: datetime | None,
    fetch: FetchSettings | None,
    merged_pdf: bool,
    replies: ReplyTaker | None,
    course: Course | None,
) -> Summary:
    """The items read, placed in the students' folders and listed."""
    projects_required, roster, assignments = (
        settings.required,
        settings.roster,
        settings.assignments,
    )
    parcels = _read_all(items, settings, summary, staging, replies)
    by_student: dict[str, list[Parcel]] = {}
    for parcel in parcels:
        assert parcel.student is not None
        by_student.setdefault(parcel.student["id"], []).append(parcel)
    outcome_lists = {
        "changed": summary.placed,
        "repeat": summary.repeats,
        "already collected": summary.already_collected,
    }
    for student_id, own in by_student.items():
        outcomes = place_student(out / student_id, own, staging, projects_required)
        for source, outcome in outcomes.items():
            outcome_lists[outcome].append(source)
    if fetch is not None:
        from grader.intake.fetch import fetch_notebooks

        fetch_notebooks(out, staging, fetch, summary, projects_required)
    students = current_students(out, Deadlines(deadline, course))
    summary.replaced = replacements(students, summary.placed)
    rows = index_rows(students, roster, projects_required)
    summary.by_component = component_counts(students, assignments or (), projects_required)
    write_lists(out, summary, rows, replacements(students))
    if students and merged_pdf:
        # Here, not at the top: pypdf, reportlab and the fonts are a second of imports that
        # every command reading the intake's records (grade, final, the watch) would pay.
        from grader.intake.merged_pdf import write_merged_pdf

        nothing = [row[0] for row in rows if row[-1] == SENT_NOTHING]
        summary.merged_pdf = write_merged_pdf(
            students, out / MERGED_PDF, staging, deadline, len(summary.rejected), nothing
        )
    return summary


def course_of(args: argparse.Namespace) -> Course | None:
    """The course collect files hand-ins for: ``--course``, else the ``course.toml`` of the
    folder collect runs in or of the folder holding ``--roster`` (a ``grader init`` course);
    None when there is none (collect then knows no assignment but by a notebook's metadata)."""
    if args.course:
        return load_course(find_course(args.course))
    nearby = [Path("course.toml")]
    if args.roster:
        nearby.append(Path(args.roster).parent / "course.toml")
    found = next((path for path in nearby if path.is_file()), None)
    return load_course(found) if found else None


def cli(
    args: argparse.Namespace,
    replies_of: Callable[[argparse.Namespace], ReplyTaker | None] = lambda args: None,
) -> int:
    """``grader collect``; ``replies_of`` finds the course whose feedback replies are regrade
    requests (:mod:`grader.intake.command` gives it: the regrade code sits above intake)."""
    deadline = parse_deadline(args.deadline) if args.deadline else None
    course = course_of(args)
    roster = load_roster(args.roster) if args.roster else None
    if course is not None:
        print(f"Course {course.path}")
        roster = roster or course.roster()
    if roster is not None:
        print(f"Roster {roster.columns}")
    fetch = None
    if args.fetch:
        from grader.intake.fetch import FetchSettings

        fetch = FetchSettings.from_environment()
    titles = [t.strip() for t in args.project_titles.split(";")] if args.project_titles else []
    summary = collect(
        [Path(inbox) for inbox in args.inbox],
        Path(args.out),
        deadline,
        roster=roster,
        fetch=fetch,
        project_titles=titles,
        projects_required=len(course.projects) if course else COURSE.projects,
        assignments=[c.id for c in course.components if c.kind == "auto"] if course else None,
        replies=replies_of(args),
        course=course,
        lms=lms_options(args, course),
    )
    print("\n".join(summary_lines(summary)))
    course_file = course.path if course else None
    for line in sender_warnings(summary.receiving_server, summary.failed_senders, course_file):
        print(f"WARNING: {line}", file=sys.stderr)
    return 0
