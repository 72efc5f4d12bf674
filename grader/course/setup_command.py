"""``grader setup``: the sandbox prepared for a notebook runtime (the grader's own, or another
virtualenv), or with ``--projects`` the projects' Colab-like runtime built first."""

from __future__ import annotations

import argparse


def add_arguments(parser: argparse.ArgumentParser) -> None:
    parser.add_argument(
        "--runtime",
        default=None,
        help="the virtualenv student notebooks run in (default: the grader's own; with "
        "--projects: where the course's projects.toml looks for it)",
    )
    parser.add_argument(
        "--projects",
        action="store_true",
        help="build the projects' Colab-like runtime (a virtualenv of its own, about 3 GB) "
        "from the grader's pinned list and the course's runtime-requirements.txt, then "
        "prepare the sandbox for it",
    )
    parser.add_argument(
        "--course",
        default=None,
        help="with --projects: the course (default: found from here, as the course commands do)",
    )
    parser.add_argument(
        "--requirements",
        default=None,
        help="with --projects: a requirements file to install instead of the grader's "
        "Colab-like list (a lighter runtime); the course's additions are still installed",
    )


def cli(args: argparse.Namespace) -> int:
    if args.projects:
        from grader.course import projects_runtime

        return projects_runtime.cli(args)
    from grader.engine.runtime import preparation

    return preparation.cli(args)
