"""``grader variants ASSIGNMENT``: every student's values as CSV (those released as recorded,
the others as a release now would give them), then how many students share each value; with
``--mail-from``, each student's own notebook by mail instead."""

from __future__ import annotations

import argparse
import sys
from collections import Counter
from collections.abc import Mapping
from pathlib import Path
from typing import TextIO

from grader.assignment.config import CONFIG_NAME, load_config
from grader.course.options import DEFAULT_OUT
from grader.errors import UserError
from grader.mail.command import add_sending, deliver
from grader.outputs.csvfile import SafeWriter
from grader.variants import draw, pools
from grader.variants.handout import handout_messages
from grader.variants.record import read_record, students_said
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


def write_values(
    everyone: list[draw.StudentValues],
    names: list[str],
    out: TextIO,
    questions: Mapping[str, pools.Questions] | None = None,
) -> None:
    """The CSV: one row per student, one column per parameter, then the definition, the
    fingerprint and when they were released (empty: not yet); with [[pools]], one column per
    pool last, the functions the student was drawn (separated by spaces)."""
    drawn = questions or {}
    pool_names = list(dict.fromkeys(p for q in drawn.values() for p in q))
    writer = SafeWriter(out, lineterminator="\n")
    writer.writerow(
        ["student", *names, "definition", "fingerprint", "released_at"]
        + [f"pool {name}" for name in pool_names]
    )
    for student in everyone:
        shown = [student.values.get(name, "") for name in names]
        mine = drawn.get(student.student, {})
        writer.writerow(
            [student.student, *shown, student.definition, student.fingerprint, student.released_at]
            + [" ".join(mine.get(name, [])) for name in pool_names]
        )


def shared_questions(questions: Mapping[str, pools.Questions]) -> list[str]:
    """Per pool, each function and how many students were drawn it; then how many students
    share their whole draw with another."""
    lines = []
    for pool in dict.fromkeys(p for q in questions.values() for p in q):
        counts = Counter(f for q in questions.values() for f in q.get(pool, []))
        shown = ", ".join(f"{function}: {count}" for function, count in counts.items())
        lines.append(f"pool {pool}: drawn by how many students: {shown}")
    draws = Counter(tuple((p, tuple(f)) for p, f in sorted(q.items())) for q in questions.values())
    sharing = sum(count for count in draws.values() if count > 1)
    lines.append(f"students sharing all their questions with another: {sharing}")
    return lines


def shared_counts(everyone: list[draw.StudentValues], names: list[str]) -> list[str]:
    """Per parameter, each value and how many students have it; then how many students share
    their whole set of values with another."""
    lines = []
    for name in names:
        counts = Counter(s.values[name] for s in everyone if name in s.values)
        shown = ", ".join(f"{value}: {count}" for value, count in sorted(counts.items(), key=str))
        lines.append(
            f"{name}: {len(counts)} value{'' if len(counts) == 1 else 's'} among"
            f" {students_said(sum(counts.values()))} ({shown})"
        )
    sets = Counter(tuple(sorted(s.values.items())) for s in everyone)
    sharing = sum(count for count in sets.values() if count > 1)
    lines.append(f"students sharing all their values with another: {sharing}")
    return lines


def cli(args: argparse.Namespace) -> int:
    config = load_config(Path(args.assignment))
    pooled = pools.read_pools(config)
    if not config.variants and not pooled:
        raise UserError(
            f"{config.directory / CONFIG_NAME} declares no [variants] and no [[pools]]: every"
            f" student has the class's values and questions"
        )
    definition = definition_of(config)
    course = course_of(config.directory, args.course)
    roster = course.roster()
    draw.check_ids(roster.students, roster.path)
    course_dir = course.path.parent
    record = read_record(course_dir, config.name)
    key = draw.course_key(course_dir)
    everyone = draw.draw(key, config.name, definition, roster.students, record)
    questions = {
        s.student: pools.questions_of(record, key, config.name, s.student, pooled) for s in everyone
    }
    names = list(definition.names)
    for student in everyone:  # names only an earlier definition had
        names += [name for name in student.values if name not in names]
    if args.mail_from:
        folder = Path(args.release) / config.name
        messages = handout_messages(course, config, record, folder, args.mail_from)
        return deliver(messages, args, Path(args.out))
    write_values(everyone, names, sys.stdout, questions if pooled else None)
    said = shared_counts(everyone, names) if names else []
    for line in said + (shared_questions(questions) if pooled else []):
        print(line, file=sys.stderr)
    return 0
