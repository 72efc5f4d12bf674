"""``grader variants ASSIGNMENT``: every student's values as CSV (those released as recorded,
the others as a release now would give them), then how many students share each value; with
``--mail-from``, each student's own notebook by mail instead."""

from __future__ import annotations

import argparse
import csv
import sys
from collections import Counter
from pathlib import Path
from typing import TextIO

from grader.assignment.config import CONFIG_NAME, load_config
from grader.course.mail_command import add_sending, deliver
from grader.course.options import DEFAULT_OUT
from grader.errors import UserError
from grader.variants import draw
from grader.variants.handout import handout_messages
from grader.variants.record import read_record
from grader.variants.release import course_of, definition_of


def add_arguments(parser: argparse.ArgumentParser) -> None:
    parser.add_argument("assignment", help="assignment folder, e.g. assignments/<name>")
    parser.add_argument(
        "--course",
        default=None,
        help="the course's course.toml or folder (default: the one above the assignment "
        "folder, else the one found from here)",
    )
    parser.add_argument(
        "--mail-from",
        metavar="'NAME <ADDRESS>'",
        default=None,
        help="mail each student their own notebook of the per-student release in --release, "
        "instead of listing the values (.eml files to review, or --send)",
    )
    parser.add_argument(
        "--release",
        default="release",
        help="with --mail-from: the --out of `grader assign --per-student` (default: release/)",
    )
    parser.add_argument(
        "--out",
        default=DEFAULT_OUT,
        help=f"with --mail-from: the course's graded folder, which records what was sent "
        f"(default: {DEFAULT_OUT}/)",
    )
    add_sending(parser)


def write_values(everyone: list[draw.StudentValues], names: list[str], out: TextIO) -> None:
    """The CSV: one row per student, one column per parameter, then the definition, the
    fingerprint and when they were released (empty: not yet)."""
    writer = csv.writer(out, lineterminator="\n")
    writer.writerow(["student", *names, "definition", "fingerprint", "released_at"])
    for student in everyone:
        shown = [student.values.get(name, "") for name in names]
        writer.writerow(
            [student.student, *shown, student.definition, student.fingerprint, student.released_at]
        )


def shared_counts(everyone: list[draw.StudentValues], names: list[str]) -> list[str]:
    """Per parameter, each value and how many students have it; then how many students share
    their whole set of values with another."""
    lines = []
    for name in names:
        counts = Counter(s.values[name] for s in everyone if name in s.values)
        shown = ", ".join(f"{value}: {count}" for value, count in sorted(counts.items(), key=str))
        lines.append(
            f"{name}: {len(counts)} values among {sum(counts.values())} students ({shown})"
        )
    sets = Counter(tuple(sorted(s.values.items())) for s in everyone)
    sharing = sum(count for count in sets.values() if count > 1)
    lines.append(f"students sharing all their values with another: {sharing}")
    return lines


def cli(args: argparse.Namespace) -> int:
    config = load_config(Path(args.assignment))
    if not config.variants:
        raise UserError(
            f"{config.directory / CONFIG_NAME} declares no [variants]: every student has the"
            f" class's values"
        )
    definition = definition_of(config)
    course = course_of(config.directory, args.course)
    roster = course.roster()
    draw.check_ids(roster.students, roster.path)
    course_dir = course.path.parent
    record = read_record(course_dir, config.name)
    everyone = draw.draw(
        draw.course_key(course_dir), config.name, definition, roster.students, record
    )
    names = list(definition.names)
    for student in everyone:  # names only an earlier definition had
        names += [name for name in student.values if name not in names]
    if args.mail_from:
        folder = Path(args.release) / config.name
        messages = handout_messages(course, config, record, folder, args.mail_from)
        return deliver(messages, args, Path(args.out))
    write_values(everyone, names, sys.stdout)
    for line in shared_counts(everyone, names):
        print(line, file=sys.stderr)
    return 0
