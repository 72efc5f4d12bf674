"""``grader final --push lti``: each graded component's scores into the LMS (AGS).

Each component is one line item, found by its ``resourceId`` (the component's id) and the
grader's ``tag``, or made once; the final grade is one more if asked. The rule is the LMS
files' (:mod:`grader.lms.exports`): a student's part is posted unless it is pending (not
graded or marked yet): graded work, missing work once the component has grades (0), a partly
marked project (its unmarked criteria 0, said in the comment); the final grade once nothing of
the student's is pending. A score the record shows the LMS holds, with the same value and
comment, is not posted again; a changed one is posted with a newer timestamp (a later whole
second: Moodle compares seconds). Scores go to the LTI user id of the roster student's NRPS
member (by SIS id or address); a student the LMS does not list is reported and the others go
on. A score whose answer is lost is read back before it is posted again; an LMS that stops
answering stops the push, the rest left for the next run.
"""

from __future__ import annotations

import hashlib
import json
from dataclasses import dataclass, field

from grader import limits
from grader.course.config import Course
from grader.errors import UserError
from grader.lms.exports import FINAL_TOTAL_TITLE
from grader.lms.final import FinalGrade
from grader.lms.lti import ledger as record
from grader.lms.lti.client import Answer, AnswerLost, LmsUnavailable, Session
from grader.lms.lti.delivery import below, deliver, settle, timestamp
from grader.lms.lti.members import Member, fetch_members, find_person
from grader.roster import Person

LINEITEM = "application/vnd.ims.lis.v2.lineitem+json"
LINEITEMS = "application/vnd.ims.lis.v2.lineitemcontainer+json"
TAG = "lstm-course-grader"
TOTAL_ID = "final-grade"


@dataclass(frozen=True)
class Column:
    resource_id: str
    label: str
    score_maximum: float


@dataclass(frozen=True)
class Planned:
    student: Person
    column: Column
    score_given: float
    activity: str  # activityProgress: Completed for work handed in, Initialized for none
    comment: str


def plan(course: Course, grades: list[FinalGrade], total: bool) -> list[Planned]:
    """The scores the LMS should hold, column by column: what the LMS files give, no more."""
    planned = []
    for index, component in enumerate(course.components):
        column = Column(component.id, component.title, component.lms_points)
        for grade in grades:
            part = grade.parts[index]
            if part.pending:
                continue
            words = [f"{part.fraction * 100:.1f}% of {component.title}", part.explanation()]
            planned.append(
                Planned(
                    grade.person,
                    column,
                    round(part.fraction * component.lms_points, 2),
                    "Initialized" if part.status == "missing" else "Completed",
                    "; ".join(w for w in words if w)[: limits.LTI.comment_chars],
                )
            )
    if total:
        column = Column(TOTAL_ID, FINAL_TOTAL_TITLE, course.scale)
        for grade in grades:
            if not grade.pending:
                comment = f"final grade: {grade.total:.2f} of {course.scale:g}"
                planned.append(Planned(grade.person, column, grade.total, "Completed", comment))
    return planned


@dataclass
class PushReport:
    made: list[str] = field(default_factory=list)  # line items made (labels)
    posted: list[tuple[Planned, str]] = field(default_factory=list)  # (score, answer)
    refused: list[tuple[Planned, str]] = field(default_factory=list)
    would_post: list[tuple[Planned, str]] = field(default_factory=list)  # --dry-run: (score, was)
    unchanged: int = 0
    settled: int = 0  # scores of a killed run found on the LMS
    unknown: list[Person] = field(default_factory=list)  # roster students the LMS does not list
    confirmed: int = 0  # of posted: answer lost or refused as a repeat, and the LMS holds it


def push(
    session: Session, book: record.Ledger, planned: list[Planned], dry_run: bool
) -> PushReport:
    """Post what the LMS lacks of ``planned``; an LMS that stops answering stops the push with
    one line (:class:`LmsUnavailable`): what was posted stays, the rest is the next run's."""
    report = PushReport()
    try:
        members, _ = fetch_members(session)
    except LmsUnavailable as error:
        raise error.later("nothing posted", _AGAIN) from None
    if dry_run:
        _scores(session, book, 0, planned, members, report, dry_run)
        return report
    run = book.start_run(session.platform.issuer)
    try:
        _scores(session, book, run, planned, members, report, dry_run)
    except LmsUnavailable as error:  # an outage: what is done stays, the rest is for next run
        book.finish_run(run, f"stopped: {error}; {summary(report, session)}")
        raise error.later(
            f"posted {len(report.posted)} of {len(planned)} scores this run, the rest are for "
            "the next run (nothing recorded refused)",
            _AGAIN,
        ) from None
    except UserError as error:  # the LMS refused the tool: the record says where it stopped
        book.finish_run(run, f"stopped: {error}; {summary(report, session)}")
        raise
    book.finish_run(run, summary(report, session))
    return report


_AGAIN = "grader final --push lti"  # the command a stopped push is run again with


def _scores(
    session: Session,
    book: record.Ledger,
    run: int,
    planned: list[Planned],
    members: list[Member],
    report: PushReport,
    dry_run: bool,
) -> None:
    items = _line_items(session, report, book, run, planned, dry_run)
    if not dry_run:
        report.settled = settle(session, book)
    landed = book.landed()
    latest = book.latest()
    students: dict[str, Member | None] = {}
    for score in planned:
        person = score.student
        if person.id not in students:
            students[person.id] = _member_of(person, members)
            if students[person.id] is None:
                report.unknown.append(person)
        member = students[person.id]
        if member is None:
            continue
        url = items.get(score.column.resource_id, "")
        payload = _payload(score, member.user_id)
        digest = _digest(payload, url)
        before = landed.get((person.id, score.column.resource_id))
        if before is not None and before.digest == digest:
            report.unchanged += 1
            continue
        if dry_run:
            report.would_post.append((score, _was(before)))
            continue
        before = latest.get((person.id, score.column.resource_id))
        outgoing = _outgoing(score, member, url, digest, payload, before)
        state, answer = deliver(session, book, run, outgoing)
        if state == record.REFUSED:
            report.refused.append((score, answer))
        else:
            report.posted.append((score, answer))
            report.confirmed += state == record.CONFIRMED


def _outgoing(
    score: Planned,
    member: Member,
    url: str,
    digest: str,
    payload: dict[str, object],
    before: record.ScoreRow | None,
) -> record.Outgoing:
    stamp = timestamp(before)
    return record.Outgoing(
        score.student.id,
        score.column.resource_id,
        member.user_id,
        url,
        digest,
        json.dumps({**payload, "timestamp": stamp}, sort_keys=True),
        stamp,
    )


def _member_of(person: Person, members: list[Member]) -> Member | None:
    return next((m for m in members if find_person((person,), m) is not None), None)


def _payload(score: Planned, user_id: str) -> dict[str, object]:
    return {
        "userId": user_id,
        "scoreGiven": score.score_given,
        "scoreMaximum": score.column.score_maximum,
        "activityProgress": score.activity,
        "gradingProgress": "FullyGraded",
        "comment": score.comment,
    }


def _digest(payload: dict[str, object], line_item: str) -> str:
    text = json.dumps([line_item, payload], sort_keys=True)
    return hashlib.sha256(text.encode("utf-8")).hexdigest()


def _was(before: record.ScoreRow | None) -> str:
    if before is None:
        return "new"
    given = json.loads(before.payload).get("scoreGiven")
    return f"was {given}"


def _line_items(
    session: Session,
    report: PushReport,
    book: record.Ledger,
    run: int,
    planned: list[Planned],
    dry_run: bool,
) -> dict[str, str]:
    """resourceId -> line item URL of every column planned: found, or made (once)."""
    found = _listed(session)
    columns = {score.column.resource_id: score.column for score in planned}
    urls = {}
    for resource_id, column in columns.items():
        wanted = {
            "label": column.label,
            "scoreMaximum": column.score_maximum,
            "resourceId": resource_id,
            "tag": TAG,
        }
        item = found.get(resource_id)
        if item is None:
            report.made.append(column.label)
            if dry_run:
                continue
            item = _make(session, wanted)
            book.made_line_item(
                run, resource_id, str(item["id"]), column.label, column.score_maximum
            )
        elif not dry_run and (
            item.get("label") != column.label
            or float(item.get("scoreMaximum") or 0) != column.score_maximum
        ):
            answer = session.call("PUT", str(item["id"]), LINEITEM, {**item, **wanted}, LINEITEM)
            item = _item(answer, f"update the line item {column.label!r}")
        urls[resource_id] = str(item["id"])
    return urls


def _listed(session: Session) -> dict[str, dict]:
    """resourceId -> line item, of the grader's line items the LMS lists."""
    listing = _with_query(
        session.platform.lineitems_url, {"tag": TAG, "limit": str(limits.LTI.page_size)}
    )
    found: dict[str, dict] = {}
    for answer in session.pages(listing, LINEITEMS):
        for item in answer.json() or []:
            if isinstance(item, dict) and item.get("tag") == TAG and item.get("resourceId"):
                found.setdefault(str(item["resourceId"]), item)
    return found


def _make(session: Session, wanted: dict[str, object]) -> dict:
    """A new line item; one whose answer is lost is looked for before it is asked for again,
    so that the gradebook never gets two columns of one component."""
    url = session.platform.lineitems_url
    for _ in range(limits.LTI.lost_answers):
        try:
            answer = session.call("POST", url, LINEITEM, wanted, LINEITEM, once=True)
        except AnswerLost:
            made = _listed(session).get(str(wanted["resourceId"]))
            if made is not None:
                return made
            continue
        return _item(answer, f"make the line item {wanted['label']!r}")
    raise LmsUnavailable(
        f"the LMS is not answering: POST {url} got no answer {limits.LTI.lost_answers} times"
    )


def _item(answer: Answer, what: str) -> dict:
    item = answer.json()
    if not answer.ok or not isinstance(item, dict) or not item.get("id"):
        raise UserError(
            f"the LMS would not {what} ({answer.text()}): the tool needs the AGS line item "
            "scope in the LMS's registration"
        )
    return item


def _with_query(url: str, query: dict[str, str]) -> str:
    return below(url, "", query)


def summary(report: PushReport, session: Session) -> str:
    parts = [
        f"posted {len(report.posted)}",
        f"unchanged {report.unchanged}",
        f"refused {len(report.refused)}",
        f"not in the LMS {len(report.unknown)}",
    ]
    if report.made:
        parts.append(f"line items made {len(report.made)}")
    if report.settled:
        parts.append(f"found posted by an interrupted run {report.settled}")
    if report.confirmed:
        parts.append(f"of them held though the answer was lost {report.confirmed}")
    return ", ".join(parts) + f" ({session.requests} requests)"
