"""``grader setup``: the sandbox prepared for a notebook runtime (the grader's own, or another
virtualenv), or with ``--projects`` the projects' Colab-like runtime built first."""

from __future__ import annotations

import argparse
from pathlib import Path

from grader.errors import UserError


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
    parser.add_argument(
        "--cuda",
        action="store_true",
        help="with --projects: the Colab-like list with CUDA builds of torch and TensorFlow, "
        "for a machine with an NVIDIA GPU (about 8 GB); the sandbox then shows the GPU",
    )


def cli(args: argparse.Namespace) -> int:
    for flag in ("course", "requirements", "cuda"):
        if getattr(args, flag) and not args.projects:  # refused, never ignored
            raise UserError(f"--{flag} is for --projects: add --projects, or leave it out")
    if args.projects:
        from grader.course import projects_runtime

        return projects_runtime.cli(args)
    return _prepare_the_sandbox(args)


def _prepare_the_sandbox(args: argparse.Namespace) -> int:
    """Every wall checked (one line each), then the sandbox prepared for the runtime."""
    from grader.engine.runtime.preparation import ensure_font_list, is_prepared, prepare
    from grader.engine.runtime.runtime_cache import CACHE_VARIABLE, runtime_cache, runtime_venv
    from grader.engine.walls import gpu
    from grader.engine.walls.wall_checks import checked_walls

    walls_checked = checked_walls()
    for wall in walls_checked:
        print(wall.line())
    print(gpu.found().line())
    runtime = Path(args.runtime) if args.runtime else None
    if runtime is not None and not (runtime / "bin" / "python3").exists():
        raise UserError(f"--runtime {runtime}: not a virtualenv folder (no bin/python3 in it)")
    if any(w.problem is not None for w in walls_checked if w.needed):
        # What a run without the sandbox (--unsafe-no-sandbox, a platform's container) still
        # uses: made here, where an image is built, not at each submission's start.
        ensure_font_list(runtime)
        raise UserError(
            "student code cannot be sandboxed on this machine: fix what is missing above and"
            " run `grader setup` again"
        )
    if is_prepared(runtime):
        print(f"the sandbox is prepared for {runtime_venv(runtime)}: {runtime_cache(runtime)}")
        return 0
    try:
        prepare(runtime)
    except OSError as error:
        raise UserError(
            f"the sandbox could not be prepared: {error}. Set {CACHE_VARIABLE} to a folder "
            "you can write, and run `grader setup` again."
        ) from None
    return 0
