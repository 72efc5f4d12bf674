"""``grader audit``: every change of a mark or score, of one student or all, printed or written
as CSV; read from the course gradebook and each auto-graded assignment's gradebook."""

from __future__ import annotations

import argparse
import sys
from pathlib import Path

from grader.course.config import load_course
from grader.course.options import add_common, course_file
from grader.errors import UserError
from grader.gradebook import audit
from grader.gradebook.course_book import BOOK_NAME
from grader.marking.marks import roster_student


def add_arguments(parser: argparse.ArgumentParser) -> None:
    parser.add_argument("student", nargs="?", default=None, help="only this student's changes")
    parser.add_argument("--csv", default=None, metavar="FILE", help="write them to FILE as CSV")
    add_common(parser)


def changes(out: Path, components: list[str], student: str | None = None) -> list[audit.Change]:
    """Every change kept for the course, oldest first."""
    found = audit.read(out / BOOK_NAME, student)
    for component in components:
        found += audit.read(out / component / BOOK_NAME, student)
    return sorted(found, key=lambda change: change.at)


def cli(args: argparse.Namespace) -> int:
    course = load_course(course_file(args))
    out = Path(args.out)
    student = args.student
    if student is not None:
        student = roster_student(course.roster(), student)
        if student is None:
            raise UserError(
                f"'{args.student}' is not a student on the roster ({course.roster_path})"
            )
    autos = [c.id for c in course.components if c.kind == "auto"]
    found = changes(out, autos, student)
    if args.csv:
        Path(args.csv).write_text(audit.to_csv(found), encoding="utf-8")
        print(f"wrote {args.csv}: {len(found)} changes")
        return 0
    if not found:
        print("no changes recorded", file=sys.stderr)
    for change in found:
        at, who, component, part, old, new, delta, by, kind, why = change.cells()
        what = f"{component} {part}".strip()
        value = f"{old or '-'} -> {new or '-'} {delta}".strip()
        print(f"{at[:19]}  {who}  {what}: {value}  by {by} ({kind}) {why}")
    return 0
