"""``grader roster --from-lti``: roster.csv written from the LMS's members (LTI NRPS)."""

from __future__ import annotations

import argparse

from grader.course.options import add_common
from grader.errors import UserError
from grader.lms.lti.commands import course_of, session_for


def add_arguments(parser: argparse.ArgumentParser) -> None:
    parser.add_argument(
        "--from-lti",
        action="store_true",
        required=True,
        help="read the course's members from the LMS registered with `grader lti init`",
    )
    parser.add_argument("--dry-run", action="store_true", help="list the changes, write nothing")
    add_common(parser)


def cli(args: argparse.Namespace) -> int:
    from grader.lms.lti import members, scopes
    from grader.lms.lti.client import LmsUnavailable

    course = course_of(args)
    session = session_for(course, scopes.ROSTER)
    try:
        found, left_out = members.fetch_members(session)
    except LmsUnavailable as error:
        kept = f"{course.roster_path} left as it was"
        raise error.later(kept, "grader roster --from-lti") from None
    if not found:
        raise UserError(
            f"the LMS lists no active students or staff at {session.platform.memberships_url}"
        )
    change = members.plan_roster(course.roster(), found)
    for line in members.describe(change):
        print(line)
    for why in left_out:
        print(f"  left out: {why}")
    if not (change.added or change.changed or change.removed):
        print(f"{course.roster_path}: no change ({len(change.people)} people)")
        return 0
    if args.dry_run:
        print(f"would write {course.roster_path}: run again without --dry-run")
        return 0
    roster = members.write_roster(course.roster_path, change.people)
    print(
        f"wrote {course.roster_path}: {len(roster.students)} students, {len(roster.staff)} "
        f"staff ({len(change.added)} added, {len(change.changed)} changed, "
        f"{len(change.removed)} removed)"
    )
    return 0
