"""The flags every course command takes (``--course``, ``--out``) and the course they name:
a module of its own, light to import, so that ``grader serve`` and ``grader watch`` start
without the course commands' stages."""

from __future__ import annotations

import argparse
from pathlib import Path

from grader.course.config import find_course
from grader.gradebook.course_book import BOOK_NAME

DEFAULT_OUT = "graded"


def course_file(args: argparse.Namespace) -> Path:
    """The course file ``--course`` names (a file or its folder), or the one found from here
    (:func:`find_course`)."""
    return find_course(args.course)


def add_common(parser: argparse.ArgumentParser) -> None:
    parser.add_argument(
        "--course",
        default=None,
        help="the course: its course.toml or the folder holding it (default: course.toml here "
        "or in the nearest folder above; else the one course folder here)",
    )
    parser.add_argument(
        "--out",
        default=DEFAULT_OUT,
        help=f"the course's graded folder: {BOOK_NAME} with the marks, and one folder per "
        f"auto-graded assignment (default: {DEFAULT_OUT}/)",
    )
