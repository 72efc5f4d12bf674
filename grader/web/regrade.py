"""Regrade one student from the dashboard: the same `grader grade` run an instructor would type,
on the source the newest grading used, so the gradebook keeps the earlier result as history."""

from __future__ import annotations

import subprocess
import sys
from pathlib import Path

from grader.course.book import BOOK_NAME
from grader.course.config import Component, Course
from grader.gradebook import Gradebook

REGRADE_TIMEOUT = 900  # seconds: one notebook at the assignment's own limits, with room


def command(course: Course, component: Component, out: Path, source: str) -> list[str]:
    """The `grader grade` command line for one source of one auto-graded component."""
    return [
        sys.executable,
        "-m",
        "grader.cli",
        "grade",
        "--assignment",
        str(course.path.parent / component.id),
        "--out",
        str(out / component.id),
        "--workers",
        "1",
        source,
    ]


def regrade(course: Course, component: Component, out: Path, student: str) -> tuple[bool, str]:
    """(succeeded, what to tell the instructor)."""
    book_path = out / component.id / BOOK_NAME
    if not book_path.is_file():
        return False, f"{component.title} has not been graded yet: nothing to regrade."
    with Gradebook(book_path) as book:
        history = book.history(student)
    if not history:
        return False, f"{student} has no {component.title} submission to regrade."
    source = history[-1].source
    if not Path(source).exists():
        return False, f"the graded submission {source} is no longer there; collect it again."
    try:
        run = subprocess.run(
            command(course, component, out, source),
            capture_output=True,
            text=True,
            timeout=REGRADE_TIMEOUT,
        )
    except subprocess.TimeoutExpired:
        return False, f"regrading {component.title} took over {REGRADE_TIMEOUT} s and was stopped."
    if run.returncode != 0:
        last = (run.stderr.strip().splitlines() or ["no message"])[-1]
        return False, f"regrading {component.title} failed: {last}"
    with Gradebook(book_path) as book:
        row = book.history(student)[-1]
    return True, (
        f"{component.title} regraded: {row.score:g} / {row.max_score:g} ({row.status}); "
        f"the earlier result is kept in the history."
    )
