"""The course's subcommands (``marks``, ``final``, ``mail``): flags in, one stage call, a
summary out. ``grader grade --assignment assignments/projects`` goes to
:mod:`grader.grading.project_checks`."""

from __future__ import annotations

import argparse
import dataclasses
import getpass
import os
import sys
from pathlib import Path

from grader.course import exports, final, mail, marks, pages, smtp
from grader.course.book import BOOK_NAME, CourseBook
from grader.course.config import Course, load_course
from grader.course.lti import commands as lti_commands
from grader.course.options import add_common, course_file
from grader.course.rubric import Projects, load_projects
from grader.errors import UserError


def add_parsers(command) -> None:  # noqa: ANN001 - cli.py's local `command` helper
    marks_parser = command("marks", cli_marks, "Enter, list, export or import project marks.")
    actions = marks_parser.add_subparsers(dest="action", required=True, metavar="ACTION")
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
    enter.add_argument("student")
    enter.add_argument("project", help="a project id of projects.toml, e.g. project1")
    enter.add_argument("criterion", help="a criterion id of rubric.toml, e.g. results")
    enter.add_argument("points", help="a number, or '-' to clear the mark")
    enter.add_argument("--comment", default="", help="what the student reads beside the mark")
    enter.add_argument("--by", default=None, help=by_help)
    add_common(enter)
    show = actions.add_parser("history", help="every mark of one student, who and when")
    show.add_argument("student")
    add_common(show)

    final_parser = command("final", cli_final, "Compute every student's final grade and exports.")
    final_parser.add_argument(
        "--exports",
        default=None,
        help="folder for final-grades.csv, canvas-import.csv, moodle-import.csv "
        "(default: OUT/final/)",
    )
    lti_commands.add_push_arguments(final_parser)
    final_parser.add_argument(
        "--so-far",
        action="store_true",
        help="standings mid-term: the LMS files' last column is the standing over the graded "
        "components only (pending ones are blank, never 0)",
    )
    add_components(final_parser)
    add_common(final_parser)

    lti_commands.add_lti_parser(command, add_common)

    mail_parser = command("mail", cli_mail, "Mail each student their marks and feedback pages.")
    mail_parser.add_argument("--from", dest="sender", required=True, help="'Name <address>'")
    mail_parser.add_argument("--send", action="store_true", help="send (default: write .eml files)")
    mail_parser.add_argument(
        "--eml", default=None, help="folder for the .eml files (default: OUT/mail/)"
    )
    mail_parser.add_argument("--smtp-host", default=os.environ.get("GRADER_SMTP_HOST"))
    mail_parser.add_argument(
        "--smtp-port", type=int, default=None, help="default 587, or 465 with tls"
    )
    mail_parser.add_argument("--security", choices=smtp.SECURITY, default="starttls")
    mail_parser.add_argument(
        "--cafile", default=None, help="PEM of certificates to trust besides the system's"
    )
    add_components(mail_parser)
    add_common(mail_parser)


def add_components(parser: argparse.ArgumentParser) -> None:
    parser.add_argument(
        "--components",
        default=None,
        metavar="IDS",
        help="only these components, e.g. lstm_gates,rnn_gradients (default: all of "
        "course.toml); the total and standing are over them",
    )


def chosen_components(course: Course, ids: str | None) -> Course:
    """The course with only the components ``--components`` names, in the course's order."""
    if not ids:
        return course
    wanted = [part.strip() for part in ids.split(",") if part.strip()]
    known = [c.id for c in course.components]
    unknown = [i for i in wanted if i not in known]
    if unknown or not wanted:
        raise UserError(
            f"--components {ids!r}: {', '.join(unknown) or 'no id'} is not a component of "
            f"{course.path}; its components are {', '.join(known)}"
        )
    return dataclasses.replace(
        course, components=tuple(c for c in course.components if c.id in wanted)
    )


def _load(args: argparse.Namespace) -> tuple[Course, Projects | None, Path]:
    course = load_course(course_file(args))
    projects = load_projects(course.projects_dir) if course.projects else None
    if projects is not None:
        unknown = {c.id for c in course.projects} - {p.id for p in projects.projects}
        if unknown:
            raise UserError(
                f"{course.path}: project component {', '.join(sorted(unknown))} is not a project "
                f"of {course.projects_dir / 'projects.toml'}"
            )
    return course, projects, Path(args.out)


def cli_marks(args: argparse.Namespace) -> int:
    course, projects, out = _load(args)
    if projects is None:
        raise UserError(f"{course.path} has no project component: there are no marks")
    roster = course.roster()
    _reconcile_ids(course, out)
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


def _reconcile_ids(course: Course, out: Path) -> None:
    """Move marks stored under another case of a roster id to the roster's spelling (and say
    so) before a command reads them, so none reads past them."""
    with CourseBook(out / BOOK_NAME) as book:
        for note in marks.reconcile_spellings(book, course.roster()):
            print(f"note: {note}", file=sys.stderr)


def _grades(course: Course, projects: Projects | None, out: Path) -> list[final.FinalGrade]:
    _reconcile_ids(course, out)
    return final.final_grades(course, out, projects.rubric if projects else None)


def cli_final(args: argparse.Namespace) -> int:
    if (args.dry_run or args.push_total) and not args.push:
        raise UserError("--dry-run and --push-total go with --push lti")
    course, projects, out = _load(args)
    course = chosen_components(course, args.components)
    grades = _grades(course, projects, out)
    print(final.table(course, grades, args.so_far))
    folder = Path(args.exports) if args.exports else out / "final"
    written = exports.write_all(course, grades, folder, args.so_far)
    print("\nwrote " + ", ".join(str(p) for p in written))
    for note in exports.lms_notes(course, grades, args.so_far):
        print(f"note: {note}", file=sys.stderr)
    if args.push == "lti":
        return lti_commands.push_final(args, course, grades, out)
    return 0


def cli_mail(args: argparse.Namespace) -> int:
    course, projects, out = _load(args)
    course = chosen_components(course, args.components)
    grades = _grades(course, projects, out)
    with CourseBook(out / BOOK_NAME) as book:
        messages = mail.build_messages(course, grades, projects, book, out, args.sender)
        if not args.send:
            folder = Path(args.eml) if args.eml else out / "mail"
            written = mail.write_eml(messages, folder)
            print(f"wrote {len(written)} messages to {folder}/ for review; send them with --send")
            return 0
        if not args.smtp_host:
            raise UserError("--send needs --smtp-host (or GRADER_SMTP_HOST)")
        port = args.smtp_port or (465 if args.security == "tls" else 587)
        server = smtp.Smtp(
            args.smtp_host, port, args.security, Path(args.cafile) if args.cafile else None
        )
        report = smtp.send(messages, server, book)
    print(
        f"sent {len(report.sent)}, already sent before {len(report.skipped)}, "
        f"rejected {len(report.rejected)}"
    )
    for student, why in report.rejected:
        print(f"  rejected: {student}: {why}", file=sys.stderr)
    return 1 if report.rejected else 0
