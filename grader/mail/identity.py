"""Which feedback mail a student has had: the identity of a message is what it tells them, not
how a grader build words or lays it out, so an upgrade that rewords a remark or renders the
HTML part anew mails nobody again (issue 71), while a changed grade, mark, comment or feedback
page is news and goes out.

The identity (``facts-2:`` and a SHA-256) is of the recipient, the subject, each component's
status and percent after the late policy, the total and the standing, each project's rubric
marks with their comments, the written answers' marks with their comments, and of each
auto-graded feedback page attached what it tells: from the ``results.json`` beside it (both
written by ``grader grade``, never by the mail), the score, the status, whether late, the
summary (the reason, the warnings, the cells that raised), and each function's points, verdict
and hints (their codes: a reworded hint is no news). A plain re-grade that finds the same
rewrites the page (it says when it was graded; the same notebook keeps its recorded seed, but
``--draw-again`` draws new cases) and mails nobody again; a changed score or hint goes out.

A mail recorded under ``facts-1:`` (the pages' own bytes, the time of their grading included)
is recognised as well: the student counts as mailed when that digest of the pages as they are
now matches, and this identity is recorded for it then.

A mail recorded before this identity (a grader before 0.2 recorded a digest of the rendered
message) is recognised by its figures, read from the message (:mod:`grader.mail.mailed`), never
by file times: a grade the upgraded grader's rules changed is news.
"""

from __future__ import annotations

import hashlib
import json
from collections.abc import Sequence
from dataclasses import dataclass
from typing import Any

from grader.lms.final import FinalGrade

SCHEME = "facts-2:"
EARLIER_SCHEMES = ("facts-1:",)  # the pages' bytes; see the module's docstring


@dataclass(frozen=True)
class Page:
    """An auto-graded feedback page attached: its name, its bytes, and the ``results.json``
    written with it (None where there is none)."""

    name: str
    data: bytes
    results: dict[str, Any] | None


def facts_digests(
    recipient: str,
    subject: str,
    grade: FinalGrade,
    marks: dict[str, list[tuple[str, float | None, str]]],
    written: Sequence[tuple[str, list]],
    pages: Sequence[Page],
) -> tuple[str, tuple[str, ...]]:
    """The identity of one student's marks mail (see the module's docstring), and the ones
    earlier graders gave the same mail."""
    facts = {
        "to": recipient,
        "subject": subject,
        "parts": [
            [p.component, p.status, None if p.pending else round(p.fraction * 100, 4)]
            for p in grade.parts
        ],
        "total": None if grade.pending else round(grade.total, 4),
        "standing": None if grade.standing is None else round(grade.standing, 4),
        "marks": marks,
        "written": [[title, [list(row) for row in rows]] for title, rows in written],
    }
    told = {p.name: _told(p) for p in pages}
    as_bytes = {p.name: hashlib.sha256(p.data).hexdigest() for p in pages}
    return _digest(SCHEME, facts | {"pages": told}), (
        _digest(EARLIER_SCHEMES[0], facts | {"pages": as_bytes}),
    )


def _digest(scheme: str, facts: dict[str, Any]) -> str:
    text = json.dumps(facts, sort_keys=True, ensure_ascii=False, default=str)
    return scheme + hashlib.sha256(text.encode()).hexdigest()


def _told(page: Page) -> object:
    """What an auto-graded page tells the student; its bytes where no results.json says."""
    results = page.results
    if results is None:
        return hashlib.sha256(page.data).hexdigest()
    extra = results.get("extra_data") or {}
    hints = extra.get("hints") or {}
    # The summary without what to fix in words (its hints count by their codes below; without
    # a hint, the words quote a case drawn anew at each grading).
    words = {str(said).strip() for said in (extra.get("fix") or {}).values()}
    summary = str(results.get("output") or "").splitlines()
    return {
        "score": results.get("score"),
        "summary": [line for line in summary if line.strip() not in words],
        "status": extra.get("status"),
        "late": extra.get("late"),
        "functions": [
            [test.get("name"), test.get("score"), test.get("max_score"), test.get("status")]
            for test in results.get("tests") or []
        ],
        "hints": {name: [hint.get("code") for hint in found] for name, found in hints.items()},
    }
