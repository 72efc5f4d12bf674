"""The course's subcommands (``marks``, ``final``, ``mail``): flags in, one stage call, a
summary out. ``grader grade --assignment assignments/projects`` goes to :mod:`project_checks`."""

from __future__ import annotations

import argparse
import getpass
import os
import sys
from pathlib import Path

from grader.course import exports, final, mail, marks
from grader.course.book import BOOK_NAME, CourseBook
from grader.course.config import Course, load_course
from grader.course.rubric import Projects, load_projects
from grader.errors import UserError

DEFAULT_COURSE = "assignments/course.toml"
DEFAULT_OUT = "graded"


def add_common(parser: argparse.ArgumentParser) -> None:
    parser.add_argument(
        "--course", default=DEFAULT_COURSE, help=f"course file (default: {DEFAULT_COURSE})"
    )
    parser.add_argument(
        "--out",
        default=DEFAULT_OUT,
        help=f"the course's graded folder: {BOOK_NAME} with the marks, and one folder per "
        f"auto-graded assignment (default: {DEFAULT_OUT}/)",
    )


def add_parsers(command) -> None:  # noqa: ANN001 - cli.py's local `command` helper
    marks_parser = command("marks", cli_marks, "Export or import the project marks as a CSV.")
    marks_parser.add_argument("action", choices=("export", "import"))
    marks_parser.add_argument("csv", help="the marks CSV (one row per student and project)")
    marks_parser.add_argument(
        "--by", default=None, help="who is marking (default: the login name); kept in the history"
    )
    add_common(marks_parser)

    final_parser = command("final", cli_final, "Compute every student's final grade and exports.")
    final_parser.add_argument(
        "--exports",
        default=None,
        help="folder for final-grades.csv, canvas-import.csv, moodle-import.csv "
        "(default: OUT/final/)",
    )
    add_common(final_parser)

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
    mail_parser.add_argument("--security", choices=mail.SECURITY, default="starttls")
    mail_parser.add_argument(
        "--cafile", default=None, help="PEM of certificates to trust besides the system's"
    )
    add_common(mail_parser)


def _load(args: argparse.Namespace) -> tuple[Course, Projects | None, Path]:
    course = load_course(Path(args.course))
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
    path = Path(args.csv)
    with CourseBook(out / BOOK_NAME) as book:
        if args.action == "export":
            count = marks.export_csv(book, projects, roster, path)
            print(f"wrote {path}: {count} rows (one per student and project)")
            return 0
        changes = marks.import_csv(book, projects, roster, path, by=args.by or getpass.getuser())
    for change in changes:
        points = "cleared" if change.points is None else f"{change.points:g}"
        print(f"  {change.student} {change.component} {change.criterion}: {points}")
    print(f"applied {len(changes)} changed marks from {path} to {out / BOOK_NAME}")
    return 0


def _grades(course: Course, projects: Projects | None, out: Path) -> list[final.FinalGrade]:
    return final.final_grades(course, out, projects.rubric if projects else None)


def cli_final(args: argparse.Namespace) -> int:
    course, projects, out = _load(args)
    grades = _grades(course, projects, out)
    print(final.table(course, grades))
    folder = Path(args.exports) if args.exports else out / "final"
    written = exports.write_all(course, grades, folder)
    print("\nwrote " + ", ".join(str(p) for p in written))
    return 0


def cli_mail(args: argparse.Namespace) -> int:
    course, projects, out = _load(args)
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
        smtp = mail.Smtp(
            args.smtp_host, port, args.security, Path(args.cafile) if args.cafile else None
        )
        report = mail.send(messages, smtp, book)
    print(
        f"sent {len(report.sent)}, already sent before {len(report.skipped)}, "
        f"rejected {len(report.rejected)}"
    )
    for student, why in report.rejected:
        print(f"  rejected: {student}: {why}", file=sys.stderr)
    return 1 if report.rejected else 0
