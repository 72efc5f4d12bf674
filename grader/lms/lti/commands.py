"""``grader lti init|check``, and what the LTI commands share: the session with the LMS, and
the ``--push lti`` of ``grader final`` (``grader roster --from-lti`` is
:mod:`grader.lms.lti.roster_command`): flags in, one stage call, a summary out."""

from __future__ import annotations

import argparse
import json
import sys
from collections.abc import Sequence
from pathlib import Path
from typing import TYPE_CHECKING

from grader.course.config import Course, load_course
from grader.course.options import add_common, course_file
from grader.lms.final import FinalGrade
from grader.lms.lti.platform import FIELD_HELP

if TYPE_CHECKING:  # imported where used: PyJWT and cryptography are the instructor's extra
    from grader.lms.lti.client import Session


def add_arguments(parser: argparse.ArgumentParser) -> None:
    actions = parser.add_subparsers(dest="action", required=True, metavar="ACTION")
    init = actions.add_parser(
        "init",
        help="make the tool's key and store the LMS's details (run again to add them)",
        description="Make the tool's key pair in the course folder's lti/ (once), print what "
        "the LMS administrator registers, and store the details the LMS gives back.",
    )
    for name, help_text in FIELD_HELP.items():
        init.add_argument(f"--{name.replace('_', '-')}", dest=name, default=None, help=help_text)
    add_common(init)
    check = actions.add_parser(
        "check", help="ask the LMS for a token and count its members and line items"
    )
    add_common(check)


def add_push_arguments(parser: argparse.ArgumentParser) -> None:
    """``grader final``'s flags for grades into the LMS."""
    parser.add_argument(
        "--push",
        choices=["lti"],
        default=None,
        help="post each graded component's scores to the LMS over LTI 1.3 AGS",
    )
    parser.add_argument(
        "--dry-run", action="store_true", help="with --push: show what would be posted"
    )
    parser.add_argument(
        "--push-total",
        action="store_true",
        help="with --push: the final grade too, as a line item of its own",
    )


def course_of(args: argparse.Namespace) -> Course:
    return load_course(course_file(args))


def session_for(course: Course, scopes: Sequence[str]) -> Session:
    """A session with the course's LMS that asks for ``scopes`` (:mod:`.scopes`) only."""
    from grader.lms.lti import platform, registration
    from grader.lms.lti.client import Session

    folder = course.lti_dir
    lms = platform.load_platform(folder)
    key = registration.load_key(folder)
    return Session(lms, key, str(folder / registration.JWKS_FILE), scopes)


def cli(args: argparse.Namespace) -> int:
    from grader.lms.lti import members, platform, push, registration, scopes
    from grader.lms.lti.client import LmsUnavailable

    course = course_of(args)
    folder = course.lti_dir
    if args.action == "check":
        session = session_for(course, scopes.CHECK)
        try:
            found, left_out = members.fetch_members(session)
            items = sum(
                len(a.json() or [])
                for a in session.pages(session.platform.lineitems_url, push.LINEITEMS)
            )
        except LmsUnavailable as error:
            raise error.later("nothing checked", "grader lti check") from None
        students = sum(m.role == "student" for m in found)
        print(
            f"{session.platform.issuer}: token granted; {students} students and "
            f"{len(found) - students} staff ({len(left_out)} left out), {items} line items "
            f"({session.requests} requests)"
        )
        return 0
    given = {name: getattr(args, name) for name in FIELD_HELP}
    # the details first: a wrong one stops the command before anything is made
    platform_path, missing = platform.store_platform(folder, given)
    key, made = registration.make_key(folder)
    verb = "made" if made else "kept (already there)"
    print(f"tool key {verb}: {key.path} (mode 0600, kid {key.kid})")
    print("For the LMS administrator (docs: LMS registration):")
    print("  Canvas, Public JWK (paste this one line; the field takes one key, not a key set):")
    print(f"  {json.dumps(registration.public_jwk(key.private_key.public_key()))}")
    print(f"  Moodle, public key type 'RSA key': {folder / registration.PUBLIC_PEM}")
    print(
        f"  an LMS that takes a key set URL: publish {folder / registration.JWKS_FILE} at an "
        "https address and give that URL"
    )
    print("  services (scopes):")
    for scope in scopes.EVERY:
        print(f"    {scope}: {scopes.ENABLE[scope]}")
    if missing:
        flags = " ".join(f"--{name.replace('_', '-')} ..." for name in missing)
        print(f"Then store what the LMS gives back: grader lti init {flags}")
    print(f"wrote {platform_path}" + ("" if missing else " (complete: try `grader lti check`)"))
    return 0


def push_final(
    args: argparse.Namespace, course: Course, grades: list[FinalGrade], out: Path
) -> int:
    """``grader final --push lti``: post, print what happened; 1 if a score was refused or a
    student is not in the LMS, else 0 (an LMS that stops answering is a one-line stop, 2)."""
    from grader.lms.lti import ledger, push, scopes

    session = session_for(course, scopes.CHECK if args.dry_run else scopes.PUSH)
    planned = push.plan(course, grades, args.push_total)
    if args.push_total and not any(p.column.resource_id == push.TOTAL_ID for p in planned):
        print(
            "note: the final grade is not posted: nobody's parts are all grades yet",
            file=sys.stderr,
        )
    with ledger.Ledger(out / "gradebook.sqlite") as book:
        report = push.push(session, book, planned, args.dry_run)
    for label in report.made:
        print(f"  {'would make' if args.dry_run else 'made'} line item: {label}")
    for score, was in report.would_post:
        print(
            f"  would post {score.student.id} {score.column.resource_id}: "
            f"{score.score_given:g}/{score.column.score_maximum:g} ({was})"
        )
    for score, answer in report.refused:
        print(
            f"  refused: {score.student.id} {score.column.resource_id}: {answer}", file=sys.stderr
        )
    for person in report.unknown:
        print(f"  not in the LMS: {person.id} ({person.name}): no score posted", file=sys.stderr)
    if args.dry_run:
        print(
            f"LMS (dry run): would post {len(report.would_post)}, unchanged {report.unchanged}, "
            f"not in the LMS {len(report.unknown)} ({session.requests} requests)"
        )
        return 0
    print(f"LMS: {push.summary(report, session)}; recorded in {out / 'gradebook.sqlite'}")
    return 1 if report.refused or report.unknown else 0
