"""What the course commands share (``marks``, ``final``, ``mail``, each in its own
``*_command`` module): the course, its projects and graded folder as the flags name them,
``--components``."""

from __future__ import annotations

import argparse
import dataclasses
from pathlib import Path

from grader.course.config import Course, load_course
from grader.course.options import course_file
from grader.course.rubric import Projects, load_projects
from grader.errors import UserError


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


def load(args: argparse.Namespace) -> tuple[Course, Projects | None, Path]:
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
