"""``grader written export|import|reveal``: written answers' marks in a spreadsheet, and the
instructor's reveal of a blind pseudonym (logged)."""

from __future__ import annotations

import argparse
import getpass
from pathlib import Path

from grader.course.config import Component, Course, load_course
from grader.course.options import add_common, course_file
from grader.errors import UserError


def add_arguments(parser: argparse.ArgumentParser) -> None:
    actions = parser.add_subparsers(dest="action", required=True, metavar="ACTION")
    for name, help_text in (
        ("export", "write the CSV of one assignment's written answers: one row per student"),
        ("import", "apply the changed cells of that CSV, all or nothing"),
    ):
        action = actions.add_parser(name, help=help_text, description=help_text)
        action.add_argument("component", help="the assignment's component id in course.toml")
        action.add_argument("csv", help="the marks CSV")
        action.add_argument("--by", default=None, help="who is marking (default: login name)")
        add_common(action)
    reveal = actions.add_parser("reveal", help="name the student behind a blind pseudonym")
    reveal.add_argument("component", help="the component the pseudonym was shown for")
    reveal.add_argument("pseudonym", help="as the marking page shows it, e.g. 'Student K7QF2A'")
    reveal.add_argument("--by", default=None, help="who reveals (default: login name); logged")
    add_common(reveal)


def _component(course: Course, component_id: str) -> Component:
    from grader.marking import written_marks

    component = course.component(component_id)
    if component is None or not written_marks.questions(course, component):
        known = [c.id for c in course.components if written_marks.questions(course, c)]
        raise UserError(
            f"'{component_id}' is not an assignment with written questions in {course.path}"
            f" (those with some: {', '.join(known) or 'none'})"
        )
    return component


def cli(args: argparse.Namespace) -> int:
    # Imported here: they read assignment folders (the instructor's extra), and every command
    # line, a student's too, builds this command's parser.
    from grader.gradebook.course_book import BOOK_NAME, CourseBook
    from grader.marking import blind, written_marks

    course = load_course(course_file(args))
    out = Path(args.out)
    component = _component(course, args.component)
    by = args.by or getpass.getuser()
    if args.action == "reveal":
        shown = (
            args.pseudonym if args.pseudonym.startswith("Student ") else f"Student {args.pseudonym}"
        )
        person = blind.reveal(out, course, component, shown, by=by)
        print(f"{shown} of {component.id} is {person.name} ({person.id}); this reveal is logged")
        return 0
    asked = written_marks.questions(course, component)
    path = Path(args.csv)
    with CourseBook(out / BOOK_NAME) as book:
        if args.action == "export":
            count = written_marks.export_csv(book, component.id, asked, course.roster(), path)
            print(f"wrote {count} rows to {path}")
            return 0
        changes = written_marks.import_csv(book, component.id, asked, course.roster(), path, by=by)
    print(f"applied {len(changes)} changed marks from {path} to {out / BOOK_NAME}")
    return 0
