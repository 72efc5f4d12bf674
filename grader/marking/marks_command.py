"""``grader marks export|import|set|history``: the projects' rubric marks, entered one at a
time, listed, or exchanged with a spreadsheet."""

from __future__ import annotations

import argparse
import getpass
from pathlib import Path

from grader.course.commands import load
from grader.course.options import add_common
from grader.errors import UserError
from grader.gradebook.course_book import BOOK_NAME, CourseBook
from grader.marking import marks, pages


def add_arguments(parser: argparse.ArgumentParser) -> None:
    actions = parser.add_subparsers(dest="action", required=True, metavar="ACTION")
    by_help = "who is marking (default: the login name); kept in the history"
    for name, help_text in (
        ("export", "write the marks CSV: one row per student and project"),
        ("import", "apply the changed cells of a marks CSV, all or nothing"),
    ):
        action = actions.add_parser(name, help=help_text, description=help_text)
        action.add_argument("csv", help="the marks CSV")
        action.add_argument("--by", default=None, help=by_help)
        add_common(action)
    enter = actions.add_parser("set", help="enter one criterion's mark with a comment")
    enter.add_argument("student", help="the student's roster id (any case), e.g. CS21B042")
    enter.add_argument("project", help="a project id of projects.toml, e.g. project1")
    enter.add_argument("criterion", help="a criterion id of rubric.toml, e.g. results")
    enter.add_argument("points", help="a number, or '-' to clear the mark")
    enter.add_argument("--comment", default="", help="what the student reads beside the mark")
    enter.add_argument("--by", default=None, help=by_help)
    add_common(enter)
    show = actions.add_parser("history", help="every mark of one student, who and when")
    show.add_argument("student", help="the student's roster id (any case), e.g. CS21B042")
    add_common(show)


def cli(args: argparse.Namespace) -> int:
    course, projects, out = load(args)
    if projects is None:
        raise UserError(f"{course.path} has no project component: there are no marks")
    roster = course.roster()
    marks.reconcile_ids(course, out)
    with CourseBook(out / BOOK_NAME) as book:
        if args.action == "history":
            student = marks.roster_student(roster, args.student) or args.student
            for mark in book.mark_history(student):
                shown = "-" if mark.points is None else f"{mark.points:g}"
                print(
                    f"{mark.marked_at[:16]}  {mark.component}  {mark.criterion}: {shown}  "
                    f"by {mark.marked_by} ({mark.source})  {mark.comment}"
                )
            return 0
        if args.action == "set":
            points = None if args.points.strip() == "-" else _points(args.points)
            mark = marks.record_mark(
                book,
                projects,
                roster,
                args.student,
                args.project,
                args.criterion,
                points,
                args.comment,
                by=args.by or getpass.getuser(),
                source="cli",
            )
            pages.refresh_checks_pages(out, projects, book)
            total = marks.project_score(projects.rubric, book.marks(mark.student, args.project))
            print(
                f"{mark.student} {mark.component} {mark.criterion}: {args.points} "
                f"(project so far {total.points:g}/{total.max_points:g}, "
                f"{total.marked} of {total.criteria} criteria marked)"
            )
            return 0
        path = Path(args.csv)
        if args.action == "export":
            count = marks.export_csv(book, projects, roster, path)
            print(f"wrote {path}: {count} rows (one per student and project)")
            return 0
        changes = marks.import_csv(book, projects, roster, path, by=args.by or getpass.getuser())
        pages.refresh_checks_pages(out, projects, book)
    for change in changes:
        shown = "cleared" if change.points is None else f"{change.points:g}"
        print(f"  {change.student} {change.component} {change.criterion}: {shown}")
    print(f"applied {len(changes)} changed marks from {path} to {out / BOOK_NAME}")
    return 0


def _points(text: str) -> float:
    try:
        return float(text)
    except ValueError:
        raise UserError(f"points {text!r}: give a number, or '-' to clear the mark") from None
