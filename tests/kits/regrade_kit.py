"""A regrade request recorded as the watch records one, for the tests of deciding, auditing and
the marker's pages: the reply to a feedback mail sent on 2026-11-22, open until 2026-12-06."""

from __future__ import annotations

from pathlib import Path

from grader.regrades.book import RequestBook


def add_request(
    book: Path, student: str, component: str, parts: tuple[str, ...], message: str, **fields: str
) -> int:
    """The number of the open request of ``student`` on ``parts`` recorded in ``book`` (a
    gradebook); ``fields`` give the columns a test needs otherwise (identity, subject, ...)."""
    recorded = {
        "identity": f"message-id:{component}-{'-'.join(parts)}@example.edu",
        "student": student,
        "component": component,
        "parts": parts,
        "message": message,
        "received_at": "2026-11-23T10:00:00+00:00",
        "feedback_id": "feedback@example.edu",
        "feedback_sent_at": "2026-11-22T10:00:00+00:00",
        "window_closes": "2026-12-06T10:00:00+00:00",
        "message_id": "<reply@example.edu>",
        "refs": "<feedback@example.edu>",
        "subject": "Re: your marks",
        "recipient": "Asha Verma <asha.verma@example.edu>",
        "state": "open",
    }
    with RequestBook(book) as requests:
        request, _ = requests.add(**(recorded | fields))
    return request.id
