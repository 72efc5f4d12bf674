"""``grader final``: every student's final grade, its exports for the LMS, whose grades changed
since their last feedback mail, and with ``--push lti`` the scores posted to the LMS.

It lives with the mail, above the LMS's package: it reads what each student was last mailed
(:mod:`grader.mail.mailed`), and nothing of the LMS's may import the mail."""

from __future__ import annotations

import argparse
import sys
from pathlib import Path

from grader.course.commands import add_components, chosen_components, load
from grader.course.config import Course
from grader.course.options import add_common
from grader.course.rubric import Projects
from grader.errors import UserError
from grader.gradebook.course_book import BOOK_NAME, CourseBook
from grader.lms import exports, final
from grader.lms.final import FinalGrade, grades_of
from grader.lms.lti import commands as lti_commands
from grader.mail import mailed


def add_arguments(parser: argparse.ArgumentParser) -> None:
    parser.add_argument(
        "--exports",
        default=None,
        help="folder for final-grades.csv, canvas-import.csv, moodle-import.csv "
        "(default: OUT/final/)",
    )
    lti_commands.add_push_arguments(parser)
    parser.add_argument(
        "--so-far",
        action="store_true",
        help="standings mid-term: the LMS files' last column is the standing over the graded "
        "components only (pending ones are blank, never 0)",
    )
    add_components(parser)
    add_common(parser)


def cli(args: argparse.Namespace) -> int:
    if (args.dry_run or args.push_total) and not args.push:
        raise UserError("--dry-run and --push-total go with --push lti")
    course, projects, out = load(args)
    course = chosen_components(course, args.components)
    grades = grades_of(course, projects, out)
    print(final.table(course, grades, args.so_far))
    folder = Path(args.exports) if args.exports else out / "final"
    written = exports.write_all(course, grades, folder, args.so_far)
    print("\nwrote " + ", ".join(str(p) for p in written))
    for note in exports.lms_notes(course, grades, args.so_far):
        print(f"note: {note}", file=sys.stderr)
    _since_mailed(course, projects, grades, out)
    if args.push == "lti":
        return lti_commands.push_final(args, course, grades, out)
    return 0


def _since_mailed(
    course: Course, projects: Projects | None, grades: list[FinalGrade], out: Path
) -> None:
    """Tell whose grades are not the ones their last feedback mail gave, and why."""
    if not (out / BOOK_NAME).is_file():
        return  # nobody was mailed
    copies = mailed.review_folders(out, None)
    with CourseBook(out / BOOK_NAME) as book:
        since = mailed.since_mailed(course, projects, book, out, grades, copies)
    for line in mailed.said(since, "grader mail --send mails each again"):
        print(line)
