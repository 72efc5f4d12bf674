"""Blind marking: a stable pseudonym per student and component in place of every name, id and
address a marker would see; the instructor's reveals, each one logged.

The pseudonym is an HMAC of the component and the student's id under the course's own key
(``<out>/blind.key``, made once, readable by its owner only), so it stays the same across
pages, restarts and markers, and differs from one component to the next: a marker cannot link
a student's answers across assignments. A reveal (``grader written reveal``) is written to the
``blind_reveals`` table of the course's gradebook before the name is printed.
"""

from __future__ import annotations

import base64
import hashlib
import hmac
import sqlite3
from collections.abc import Iterable
from datetime import UTC, datetime
from pathlib import Path

from grader.course.config import Component, Course
from grader.course.owner_key import owner_only_key
from grader.errors import UserError
from grader.gradebook import schema
from grader.limits import WRITTEN
from grader.marking.redaction import REDACTED, redactor
from grader.roster import Person

KEY_NAME = "blind.key"
__all__ = ["REDACTED", "is_blind", "pseudonym", "pseudonyms", "redactor", "reveal", "reveals"]
_REVEALS = """
CREATE TABLE IF NOT EXISTS blind_reveals (
    id INTEGER PRIMARY KEY,
    component TEXT NOT NULL,
    pseudonym TEXT NOT NULL,
    student TEXT NOT NULL,
    revealed_by TEXT NOT NULL,
    revealed_at TEXT NOT NULL
);
"""


def is_blind(course: Course, component: Component | str | None) -> bool:
    """Whether markers see pseudonyms for ``component`` (or its id): the component's own switch,
    else the course's. Every page that shows a student's work asks this, and nothing else."""
    if isinstance(component, str) or component is None:
        component = course.component(component) if component else None
    if component is not None and component.blind is not None:
        return component.blind
    return course.blind


def _key(out: Path) -> bytes:
    return owner_only_key(Path(out) / KEY_NAME)


def pseudonym(out: Path, component: str, student: str) -> str:
    digest = hmac.new(_key(out), f"{component}\0{student}".encode(), hashlib.sha256).digest()
    return "Student " + base64.b32encode(digest).decode()[:6]


def pseudonyms(out: Path, component: str, people: Iterable[Person]) -> dict[str, str]:
    """Student id -> pseudonym, for every student given."""
    return {p.id: pseudonym(out, component, p.id) for p in people}


def reveal(out: Path, course: Course, component: Component, shown: str, *, by: str) -> Person:
    """The student behind pseudonym ``shown`` of ``component``; logged before it is returned."""
    students = course.roster().students
    found = next((p for p in students if pseudonym(out, component.id, p.id) == shown), None)
    if found is None:
        raise UserError(
            f"no student of {component.id} has the pseudonym {shown!r}; copy it from the marking"
            f" page (e.g. 'Student K7QF2A')"
        )
    db = sqlite3.connect(Path(out) / "gradebook.sqlite", timeout=WRITTEN.busy_timeout_s)
    try:
        schema.bring_forward(db, Path(out) / "gradebook.sqlite")
        db.executescript(_REVEALS)
        with db:
            db.execute(
                "INSERT INTO blind_reveals (component, pseudonym, student, revealed_by,"
                " revealed_at) VALUES (?, ?, ?, ?, ?)",
                (component.id, shown, found.id, by, datetime.now(UTC).isoformat()),
            )
    finally:
        db.close()
    return found


def reveals(out: Path) -> list[tuple[str, str, str, str, str]]:
    """(component, pseudonym, student, by, at) of every reveal, oldest first."""
    db = sqlite3.connect(Path(out) / "gradebook.sqlite", timeout=WRITTEN.busy_timeout_s)
    try:
        schema.bring_forward(db, Path(out) / "gradebook.sqlite")
        db.executescript(_REVEALS)
        return list(
            db.execute(
                "SELECT component, pseudonym, student, revealed_by, revealed_at"
                " FROM blind_reveals ORDER BY id"
            )
        )
    finally:
        db.close()
