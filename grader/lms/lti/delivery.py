"""One score into the LMS, so that it is posted once and never recorded refused while the LMS
holds it: written as ``sending`` in the push record, posted, then given the LMS's answer.

A lost answer (a time-out: the LMS may have stored it, as Moodle does before answering late) is
never resent blindly: the result is read back, as a resumed run reads back a killed run's
``sending`` scores, and only a score the LMS does not hold is posted again, with a timestamp in
a later whole second (Moodle refuses a score whose timestamp is not newer, in whole seconds,
with 409 "Refusing score with an earlier timestamp").
"""

from __future__ import annotations

import json
from dataclasses import replace
from datetime import UTC, datetime, timedelta
from urllib.parse import urlencode, urlsplit, urlunsplit

from grader import limits
from grader.lms.lti import ledger as record
from grader.lms.lti.client import Answer, AnswerLost, LmsUnavailable, Session

SCORE = "application/vnd.ims.lis.v1.score+json"
RESULTS = "application/vnd.ims.lis.v2.resultcontainer+json"


def deliver(
    session: Session, book: record.Ledger, run: int, outgoing: record.Outgoing
) -> tuple[str, str]:
    """Post one score, written as sending first, then with the LMS's answer: (state, answer).

    A lost answer (a time-out: the LMS may have stored it) is never resent blindly: the result
    is read back, and only a score the LMS does not hold is posted again, with a later
    timestamp. A refusal as a repeat (Moodle's 409 "earlier timestamp", Canvas's 400) is read
    back too: a score the LMS holds is posted, never refused. An LMS that stops answering
    raises :class:`LmsUnavailable` with the score left ``sending``, for the next run to settle.
    """
    scores = below(outgoing.line_item, "/scores")
    for _ in range(limits.LTI.lost_answers):
        row = book.sending(run, outgoing)
        sent = json.loads(outgoing.payload)
        try:
            answer = session.call("POST", scores, "application/json", sent, SCORE, once=True)
        except AnswerLost as lost:
            if _holds(session, outgoing.line_item, outgoing.user_id, sent):
                book.answered(row, record.CONFIRMED, f"answer lost ({lost}); the LMS holds it")
                return record.CONFIRMED, "the LMS holds it (its answer was lost)"
            book.answered(row, record.LOST, f"answer lost ({lost}); not held: posted again")
            outgoing = _again(outgoing)
            continue
        if not answer.ok and _a_repeat(answer):
            if _holds(session, outgoing.line_item, outgoing.user_id, sent):
                book.answered(row, record.CONFIRMED, f"{answer.text()}; the LMS holds it")
                return record.CONFIRMED, f"{answer.text()}; the LMS holds it"
        state = record.ACCEPTED if answer.ok else record.REFUSED
        book.answered(row, state, answer.text())
        return state, answer.text()
    raise LmsUnavailable(
        f"the LMS is not answering: POST {scores} got no answer {limits.LTI.lost_answers} times"
    )


def _again(lost: record.Outgoing) -> record.Outgoing:
    """A score whose answer was lost, to post again in a later whole second than before."""
    stamp = _later(lost.timestamp)
    payload = {**json.loads(lost.payload), "timestamp": stamp}
    return replace(lost, payload=json.dumps(payload, sort_keys=True), timestamp=stamp)


def _a_repeat(answer: Answer) -> bool:
    """The LMS refused the score as no newer than the one it holds (Moodle: 409; Canvas: 400
    "Provided timestamp ... before last updated timestamp")."""
    return answer.status == 409 or (answer.status == 400 and b"timestamp" in answer.body)


def timestamp(before: record.ScoreRow | None) -> str:
    return _later(None if before is None else before.timestamp)


def _later(last: str | None) -> str:
    """Now, in ISO 8601 with microseconds; in a later whole second than the score's last
    timestamp, so the LMS (which refuses one not newer; Moodle compares whole seconds) takes
    it even if this machine's clock went back or the last post was under a second ago."""
    stamp = datetime.now(UTC)
    if last is not None:
        second = datetime.fromisoformat(last).replace(microsecond=0)
        stamp = max(stamp, second + timedelta(seconds=1))
    return stamp.isoformat(timespec="microseconds")


def settle(session: Session, book: record.Ledger) -> int:
    """Scores a killed or stopped run was posting: found on the LMS (confirmed) or not (lost,
    posted again by this run). Returns how many had landed."""
    confirmed = 0
    for row in book.scores(state=record.SENDING):
        holds = _holds(session, row.line_item, row.user_id, json.loads(row.payload))
        state = record.CONFIRMED if holds else record.LOST
        held = "holds it" if holds else "does not hold it"
        book.answered(row.id, state, f"settled after an interrupted run: the LMS {held}")
        confirmed += holds
    return confirmed


def _holds(session: Session, line_item: str, user_id: str, sent: dict) -> bool:
    """Whether the LMS's result for ``user_id`` holds the score ``sent``, read back: its
    fraction, and its comment where the result gives one (AGS results carry ``comment``), so
    that a post changing the comment alone is sent again while the LMS holds the old one."""
    answer = session.call("GET", below(line_item, "/results", {"user_id": user_id}), RESULTS)
    results = answer.json() if answer.ok else None
    return any(
        isinstance(r, dict)
        and r.get("userId") == user_id
        and _same_fraction(r.get("resultScore"), r.get("resultMaximum"), sent)
        and ("comment" not in r or _same_comment(r["comment"], sent.get("comment")))
        for r in (results if isinstance(results, list) else [])
    )


def _same_comment(held: object, sent: object) -> bool:
    """Whether a result's comment is the one sent (none and empty alike; the LMS may trim
    the ends of what it stores)."""
    return str(held or "").strip() == str(sent or "").strip()


def _same_fraction(score: object, maximum: object, sent: dict) -> bool:
    """Whether a result holds what was sent (the LMS may scale it to its line item's maximum)."""
    try:
        held = float(score) / float(maximum)  # type: ignore[arg-type]
        given = float(sent["scoreGiven"]) / float(sent["scoreMaximum"])
    except (TypeError, ValueError, ZeroDivisionError, KeyError):
        return False
    return abs(held - given) < 1e-6


def below(url: str, suffix: str, query: dict[str, str] | None = None) -> str:
    """A line item's sub-resource: ``suffix`` after its path, before its query (Moodle's line
    item URLs carry ``?type_id=``)."""
    parts = urlsplit(url)
    extra = urlencode(query or {})
    joined = "&".join(q for q in (parts.query, extra) if q)
    return urlunsplit(parts._replace(path=parts.path.rstrip("/") + suffix, query=joined))
