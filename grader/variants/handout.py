"""Each student's own notebook by mail: one message per roster student with an address, their
per-student release attached, sent as ``grader mail`` sends (reviewed as .eml files first, each
recorded as sent so a run started again sends nothing twice)."""

from __future__ import annotations

import hashlib
import sys
from pathlib import Path

from grader.assignment.config import AssignmentConfig
from grader.course.config import Course
from grader.errors import UserError
from grader.mail.addresses import recipient
from grader.mail.composing import compose, sender_address
from grader.mail.smtp import Outgoing
from grader.variants import pools
from grader.variants.attribution import said_values
from grader.variants.record import Record, Released


def handout_messages(
    course: Course, config: AssignmentConfig, record: Record, folder: Path, sender: str
) -> list[Outgoing]:
    """The messages, one per released student: ``folder`` holds the per-student release."""
    from_address = sender_address(sender)
    subject = f"{course.title}: your own notebook for {config.title}"
    messages = []
    for person in course.roster().students:
        released = record.of(person.id)
        notebook = folder / f"{person.id}_{config.name}.ipynb"
        if released is None or not notebook.is_file():
            raise UserError(
                f"{notebook} is not there: release it first with `grader assign"
                f" {config.directory} --per-student --out {folder.parent}`"
            )
        if not person.emails:
            print(f"  {person.id}: no email address on the roster; skipped", file=sys.stderr)
            continue
        to = recipient(person.name, person.emails[0])
        text = (
            f"Dear {person.name or person.id},\n\n"
            f"Attached is your own notebook for {config.title}. {_yours(released, config)}:"
            f" work in this notebook and hand in this one. Open it in Colab or Jupyter and run"
            f" check() after each function.\n"
        )
        attachment = (f"{config.name}.ipynb", notebook.read_bytes())
        message = compose(from_address, to, subject, text, None, [attachment])
        digest = hashlib.sha256()
        for piece in (str(to), subject, text, attachment[0]):
            digest.update(piece.encode() + b"\0")
        digest.update(attachment[1])
        messages.append(Outgoing(person.id, [to.addr_spec], message, digest.hexdigest()))
    return messages


def _yours(released: Released, config: AssignmentConfig) -> str:
    """What is the student's own in their notebook: their numbers, their drawn questions."""
    parts = []
    if released.values:
        parts.append(
            f"Its numbers are yours ({said_values(released.values)}) and differ from your"
            f" classmates'"
        )
    if released.questions:
        parts.append(f"Its questions were drawn for you ({pools.said(released.questions, config)})")
    return ". ".join(parts)
