"""Whether a student's reply is a regrade request: it answers a feedback mail this course sent
(its In-Reply-To or References name a Message-ID recorded in the gradebook's ``mail_sent``),
it carries no new work, and its own words (quotes left out, :mod:`grader.intake.message.reply_text`)
name a graded function, a rubric criterion or a written answer with a reason.

Which components a feedback mail was about: a watch reply says so by its attached
``<component>-feedback.html`` pages (a receipt has none: no feedback, no request); a mail of
``grader mail`` (not in the watch's outbox) is about the whole course.
"""

from __future__ import annotations

import email
import email.policy
import re
from collections.abc import Sequence
from dataclasses import dataclass
from datetime import datetime, timedelta
from email.message import Message
from pathlib import Path

from grader.assignment.config import load_config
from grader.course.config import Course
from grader.course.rubric import Projects
from grader.errors import UserError
from grader.gradebook import book_reading
from grader.gradebook.course_book import BOOK_NAME
from grader.gradebook.results import Gradebook

REQUEST, UNCLEAR, NOT_A_REQUEST = "request", "unclear", "not a request"


def _any_of(*languages: str) -> re.Pattern[str]:
    """One pattern matching where any language's words match, case aside."""
    return re.compile("|".join(f"(?:{words})" for words in languages), re.IGNORECASE)


# Words that say the student disputes a mark, in English, then German, Hinglish (Hindi in Latin
# letters) and Hindi. A part named with one of these, or a part that is plainly code
# (a_function_name), is a request; these alone ("please regrade") ask which part. Devanagari's vowel
# signs are not word characters to ``re``, so its words are matched without word boundaries.
_ASKING = _any_of(
    r"\b(re-?grad\w*|re-?mark\w*|re-?check\w*|reconsider\w*|appeal\w*|dispute\w*|review)\b",
    r"\b(neu\s+bewert\w*|nochmal\w*|noch\s+einmal|überprüf\w*|nachkorrig\w*|korrigier\w*|"
    r"dobara|dubara|phir\s+se|fir\s+se|check\s+kar\w*|dekh\s+l\w*|jaanch\w*|jaanch|janch\w*)\b"
    r"|दोबारा|दुबारा|फिर\s*से|पुनः|जाँच|जांच|चेक",
)
_DISPUTING = _any_of(
    r"\b(wrong\w*|incorrect\w*|mistake\w*|deserv\w*|unfair\w*|should|lost|points?|marks?|"
    r"credit|error|bug|passes|pass|correct\w*|right)\b",
    r"\b(falsch\w*|punkte?|richtig\w*|fehler\w*|galat|galti|sahi|kaat\w*|kat\s+ga\w*|"
    r"kam\s+marks?|number)\b|गलत|ग़लत|गलती|सही|अंक|नंबर|काट",
)
# What a reply says when it only thanks: the one reply that needs no answer.
_THANKS = re.compile(
    r"^\W*(many\s+)?(thanks?|thank\s+you|thx|ty|danke(\s+schön)?|vielen\s+dank|ok(ay)?|"
    r"got\s+it|dhanyavaa?d|shukriya|धन्यवाद|शुक्रिया)(\s+(a\s+lot|so\s+much|sir|ma'?am|"
    r"professor|prof))*\W*$",
    re.IGNORECASE,
)


def asks(text: str) -> bool:
    """The words ask for a regrade (in English, German, Hindi or Hinglish)."""
    return _ASKING.search(text) is not None


def disputes(text: str) -> bool:
    """The words dispute a mark."""
    return _DISPUTING.search(text) is not None


def only_thanks(text: str) -> bool:
    """The reply only thanks (or says nothing): it asks nothing, so it is not answered."""
    return not text.strip() or _THANKS.match(" ".join(text.split())) is not None


@dataclass(frozen=True)
class Feedback:
    """A feedback mail the course sent."""

    message_id: str
    student: str
    sent_at: datetime
    components: tuple[str, ...]


@dataclass(frozen=True)
class Reading:
    verdict: str  # request | unclear | not a request
    feedback: Feedback
    component: str = ""
    parts: tuple[str, ...] = ()
    known_parts: tuple[str, ...] = ()  # every part the student could have named
    window_closes: datetime | None = None

    def within_window(self, received: datetime) -> bool:
        return self.window_closes is None or received <= self.window_closes


def bare_id(text: str) -> str:
    return text.strip().strip("<>").strip()


def referenced_ids(in_reply_to: str, references: str) -> list[str]:
    """The Message-IDs a reply names, the one it answers first, then the thread newest first."""
    found = [bare_id(in_reply_to)] if in_reply_to.strip() else []
    found += [bare_id(r) for r in reversed(references.split())]
    return [mid for mid in dict.fromkeys(found) if mid]


def feedback_replied_to(out: Path, referenced: Sequence[str]) -> Feedback | None:
    """The first of ``referenced`` that is a feedback mail the course sent, or None."""
    if not referenced:
        return None
    sent = {
        bare_id(mid): (student, digest, at)
        for student, digest, mid, at in book_reading.rows(
            out / BOOK_NAME,
            "mail_sent",
            "SELECT student, digest, message_id, sent_at FROM mail_sent",
        )
    }
    for mid in referenced:
        if mid not in sent:
            continue
        student, digest, at = sent[mid]
        components = _components(out, digest)
        if components is None or components:
            return Feedback(mid, student, datetime.fromisoformat(at), tuple(components or ()))
    return None


_QUOTED_ID = re.compile(r"<([^<>@\s]+@[^<>\s]+)>")
_QUOTED_SUBJECT = re.compile(r"^[\s>*]*(subject|betreff):\**\s*(.+?)\s*$", re.I | re.M)


def feedback_forwarded(course: Course, out: Path, student: str, forwarded: str) -> Feedback | None:
    """The feedback mail to ``student`` a forward quotes: the one whose Message-ID it quotes,
    else the newest whose subject its quoted headers give; None when it quotes none of them."""
    from grader.mail.composing import marks_subject  # the subject of `grader mail`'s (not kept)

    sent = book_reading.rows(
        out / BOOK_NAME,
        "mail_sent",
        "SELECT digest, message_id FROM mail_sent WHERE student = ? ORDER BY sent_at DESC",
        (student,),
    )
    quoted_ids = set(_QUOTED_ID.findall(forwarded))
    by_id = [bare_id(mid) for _, mid in sent if bare_id(mid) in quoted_ids]
    if by_id:
        return feedback_replied_to(out, by_id)
    subjects = {_bare_subject(m.group(2)) for m in _QUOTED_SUBJECT.finditer(forwarded)}
    mailed = marks_subject(course)
    by_subject = [
        bare_id(mid)
        for digest, mid in sent
        if _bare_subject(_subject(out, digest) or mailed) in subjects
    ]
    return feedback_replied_to(out, by_subject)


def _bare_subject(subject: str) -> str:
    return re.sub(r"^((re|aw|fwd?|wg)\s*:\s*)+", "", " ".join(subject.split()), flags=re.I).lower()


def _subject(out: Path, digest: str) -> str:
    """The subject of a mail the watch sent ("" for one of ``grader mail``: not kept)."""
    message = _watch_sent(out, digest)
    return "" if message is None else str(message["Subject"] or "")


def _components(out: Path, digest: str) -> list[str] | None:
    """The components a sent mail gave feedback on: [] none (a receipt), None all of them."""
    message = _watch_sent(out, digest)
    if message is None:
        return None  # sent by `grader mail`: every component's marks and pages
    names = [part.get_filename() or "" for part in message.walk()]
    return [n.removesuffix("-feedback.html") for n in names if n.endswith("-feedback.html")]


def _watch_sent(out: Path, digest: str) -> Message | None:
    """The mail the watch sent under ``digest``; None for one of ``grader mail`` (not kept)."""
    found = book_reading.rows(
        out / BOOK_NAME,
        "watch_outbox",
        "SELECT message FROM watch_outbox WHERE digest = ?",
        (digest,),
    )
    if not found:
        return None
    return email.message_from_bytes(found[0][0], policy=email.policy.default)


def known_parts(
    course: Course, out: Path, projects: Projects | None, component: str, student: str
) -> dict[str, str]:
    """Every part of one component a student may name, by each way of naming it (lower case):
    graded functions and written answers (auto-graded), criteria by id and title (projects)."""
    found: dict[str, str] = {}
    kind = course.component(component)
    if kind is None:
        return found
    if kind.kind == "auto":
        try:
            names = load_config(course.assignment_folder(component)).graded_names
        except UserError:
            names = []
        book = out / component / BOOK_NAME
        if book.is_file():
            with Gradebook(book) as grades:
                history = grades.history(student)
            names += list(history[-1].functions) if history else []
        found.update({name.lower(): name for name in names})
        from grader.marking import written_marks  # reads the assignment: instructor-only

        found.update({q.id.lower(): q.id for q in written_marks.questions(course, kind)})
    elif projects is not None:
        for criterion in projects.rubric.criteria:
            found[criterion.id.lower()] = criterion.id
            found[criterion.title.lower()] = criterion.id
    return found


def read_reply(
    course: Course,
    out: Path,
    projects: Projects | None,
    feedback: Feedback,
    student: str,
    text: str,
) -> Reading:
    """What a reply to ``feedback`` asks, from its own words ``text``."""
    components = feedback.components or tuple(c.id for c in course.components)
    closes = feedback.sent_at + timedelta(days=course.regrade_window_days)
    every: list[str] = []
    for component in components:
        parts = known_parts(course, out, projects, component, student)
        every += [p for p in dict.fromkeys(parts.values()) if p not in every]
        named = [part for spelled, part in parts.items() if _names(text, spelled)]
        named = list(dict.fromkeys(named))
        if not named:
            continue
        code_like = any("_" in part or "-" in part for part in named)  # a function's or id's
        if asks(text) or disputes(text) or code_like:
            return Reading(REQUEST, feedback, component, tuple(named), tuple(every), closes)
    verdict = UNCLEAR if asks(text) or disputes(text) else NOT_A_REQUEST
    return Reading(verdict, feedback, components[0] if components else "", (), tuple(every), closes)


def _names(text: str, spelled: str) -> bool:
    return re.search(rf"(?<![\w]){re.escape(spelled)}(?![\w])", text, re.IGNORECASE) is not None
