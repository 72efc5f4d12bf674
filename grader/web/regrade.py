"""Regrade one student from the dashboard: the same `grader grade` run an instructor would type,
on the source the newest grading used, so the gradebook keeps the earlier result as history;
then ``<assignment>/grades.csv`` is merged, so it still lists everyone it listed before.

The jobs that call this one at a time are in :mod:`grader.web.regrade_jobs`.
"""

from __future__ import annotations

import csv
import os
import subprocess
import sys
from pathlib import Path

from grader.assignment.config import AssignmentConfig, load_config
from grader.course.config import Component, Course
from grader.errors import UserError
from grader.feedback.export import write_grades_csv
from grader.gradebook.course_book import BOOK_NAME
from grader.gradebook.results import Gradebook
from grader.limits import RunLimits, regrade_timeout_s
from grader.outputs.scores import for_people

GRADES_CSV = "grades.csv"


def regrade_timeout(config: AssignmentConfig) -> float:
    """Seconds one regrade may take, from the assignment's own limits."""
    run = RunLimits.for_assignment(config)
    return regrade_timeout_s(run, len(config.functions))


def command(course: Course, component: Component, out: Path, source: str) -> list[str]:
    """The `grader grade` command line for one source of one auto-graded component."""
    return [
        sys.executable,
        "-m",
        "grader.cli",
        "grade",
        "--assignment",
        str(course.assignment_folder(component.id)),
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
    assignment = course.assignment_folder(component.id)
    try:
        config = load_config(assignment)
    except UserError as error:
        return False, f"{component.title} cannot be regraded: {error}"
    listed = students_listed(out / component.id / GRADES_CSV)
    timeout = regrade_timeout(config)
    try:
        run = subprocess.run(
            command(course, component, out, source),
            capture_output=True,
            text=True,
            timeout=timeout,
        )
    except subprocess.TimeoutExpired:
        return False, f"regrading {component.title} took over {timeout:g} s and was stopped."
    finally:
        # `grader grade` on one source writes a grades.csv of that one student.
        merge_grades_csv(out / component.id, config, listed | {student}, course.decimals)
    if run.returncode != 0:
        last = (run.stderr.strip().splitlines() or ["no message"])[-1]
        return False, f"regrading {component.title} failed: {last}"
    with Gradebook(book_path) as book:
        row = book.history(student)[-1]
    return True, (
        f"{component.title} regraded: {for_people(row.score, course.decimals)} /"
        f" {for_people(row.max_score, course.decimals)}"
        f" ({row.status}); "
        f"the earlier result is kept in the history."
    )


def students_listed(path: Path) -> set[str]:
    """The students a grades.csv lists (none when there is none yet)."""
    try:
        with path.open(newline="", encoding="utf-8") as handle:
            return {row["student"] for row in csv.DictReader(handle) if row.get("student")}
    except (OSError, KeyError, csv.Error, UnicodeDecodeError):
        return set()


def merge_grades_csv(
    folder: Path, config: AssignmentConfig, students: set[str], decimals: int
) -> None:
    """Rewrite ``grades.csv`` with the newest result of each of ``students`` (atomically), its
    scores to the course's ``decimals``."""
    with Gradebook(folder / BOOK_NAME) as book:
        rows = [row for row in book.latest() if row.student in students]
    partial = folder / f".{GRADES_CSV}.partial"
    write_grades_csv(rows, config.graded_names, partial, decimals)
    os.replace(partial, folder / GRADES_CSV)
