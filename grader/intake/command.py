"""``grader collect``'s flags, and the command: the IMAP mailboxes among the inboxes fetched
first (:mod:`grader.intake.imap.collect`), then every inbox into one folder per student
(:mod:`grader.intake.run`)."""

from __future__ import annotations

import argparse
import functools


def add_arguments(parser: argparse.ArgumentParser) -> None:
    parser.add_argument(
        "inbox",
        nargs="+",
        help="folder of bundle zips, .eml, .msg and mbox files, or one such file, an LMS's "
        "download of an assignment's submissions (Canvas, Moodle, Blackboard, D2L, Gradescope), "
        "or a mailbox "
        "imaps://USER@HOST[:PORT]/FOLDER (password in GRADER_IMAP_PASSWORD); several inboxes "
        "(the course's two addresses) are read as one",
    )
    parser.add_argument("--out", default="submissions", help="output folder")
    parser.add_argument(
        "--course",
        default=None,
        help="the course (course.toml or its folder): its auto-graded assignments' notebooks are "
        "filed under <id>/, its roster and deadlines used, replies to its feedback mail taken as "
        "regrade requests (default: course.toml here or beside --roster, if any)",
    )
    parser.add_argument(
        "--deadline", default=None, help="ISO 8601 deadline, e.g. 2023-01-15T23:59+05:30"
    )
    parser.add_argument(
        "--roster",
        default=None,
        help="roster: roster.csv (id,name,email,role), a Canvas or Moodle export, or .xlsx; "
        "attribute hand-ins to roster ids, skip staff mail",
    )
    parser.add_argument(
        "--fetch",
        action="store_true",
        help="download the notebook behind each Colab link that has no notebook beside it",
    )
    parser.add_argument(
        "--project-titles",
        default=None,
        metavar="TITLES",
        help="the projects' titles, separated by ';', to pair files that name a title",
    )
    parser.add_argument(
        "--graded",
        default=None,
        metavar="FOLDER",
        help="the course's graded folder (default: graded/ when it holds the gradebook): "
        "replies to its feedback mail are regrade requests, not hand-ins",
    )
    parser.add_argument(
        "--lms-export",
        default=None,
        metavar="EXPORT",
        help="an LMS archive's own export (Canvas gradebook CSV, Moodle grading worksheet, "
        "Blackboard Grade Center, D2L classlist or grades, Gradescope roster): joins the "
        "archive's ids to the roster",
    )
    parser.add_argument(
        "--assignment",
        default=None,
        metavar="ID",
        help="the assignment an LMS archive's notebooks are for, where their release mark or "
        "name does not say",
    )
    parser.add_argument(
        "--cafile", default=None, help="imaps://: PEM of certificates to trust besides the system's"
    )
    parser.add_argument(
        "--state",
        default=None,
        help="imaps://: SQLite file of the messages already fetched (default: OUT/mailbox.sqlite)",
    )


def cli(args: argparse.Namespace) -> int:
    from grader.intake import run
    from grader.intake.imap import collect as imap_collect
    from grader.regrades.intake import collect_replies_of  # the course, when there is one

    return imap_collect.collect_cli(args, functools.partial(run.cli, replies_of=collect_replies_of))
