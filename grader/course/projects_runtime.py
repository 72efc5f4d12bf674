"""``grader setup --projects``: build the projects' Colab-like runtime, a virtualenv of its own
that runs project notebooks in the sandbox, from the requirements the grader carries
(``colab-projects.txt``) and the course's additions (``runtime-requirements.txt`` in the
projects' folder); then prepare the sandbox for it. No make, no checkout: an installed grader
does it all."""

from __future__ import annotations

import argparse
import shutil
import subprocess
import sys
import time
from collections.abc import Callable
from pathlib import Path

from grader.course.rubric import Projects
from grader.engine.runtime import preparation
from grader.engine.walls import gpu
from grader.errors import UserError
from grader.inputs.resources import runtime_requirements

COLAB_REQUIREMENTS = "colab-projects.txt"
COURSE_ADDITIONS = "runtime-requirements.txt"  # in the projects' folder
CUDA_REQUIREMENTS = "colab-projects-cuda.txt"  # the CUDA builds' list, beside the Colab-like one
BUILT_STAMP = ".installed"  # written last: a runtime without it was not built to the end


def requirement_files(projects: Projects, base: Path | None = None) -> list[Path]:
    """What the runtime installs: ``base`` (default: the grader's Colab-like list), then the
    course's additions when the projects' folder has them."""
    files = [base or runtime_requirements(COLAB_REQUIREMENTS)]
    additions = projects.folder / COURSE_ADDITIONS
    if additions.is_file():
        files.append(additions)
    for path in files:
        if not path.is_file():
            raise UserError(f"{path}: no such requirements file")
    return files


def _requirement_count(files: list[Path]) -> int:
    lines = (line.split("#")[0].strip() for path in files for line in path.read_text().splitlines())
    return sum(1 for line in lines if line and not line.startswith("-"))


class _PipProgress:
    """pip's own lines, read as they come, told as counts and an estimate of what is left."""

    def __init__(self, expected: int, say: Callable[[str], None]):
        self.expected, self.say = max(expected, 1), say
        self.collected = 0
        self.started = time.monotonic()
        self.last_said = 0.0

    def line(self, text: str) -> None:
        if text.startswith("Collecting "):
            self.collected += 1
            self.expected = max(self.expected, self.collected)  # what the listed ones need
            now = time.monotonic()
            if now - self.last_said >= 5 or self.collected == self.expected:
                self.last_said = now
                per = (now - self.started) / self.collected
                left = max(self.expected - self.collected, 0) * per
                self.say(
                    f"  fetched {self.collected}/{self.expected} packages, "
                    f"about {left:.0f} s of fetching left"
                )
        elif text.startswith("Installing collected packages"):
            self.say(
                f"  installing {self.collected} packages (a few minutes with nothing to show; "
                f"fetching took {time.monotonic() - self.started:.0f} s)"
            )
        elif text.startswith("ERROR"):
            self.say(f"  {text}")


def build(
    projects: Projects,
    folder: Path | None = None,
    *,
    base: Path | None = None,
    python: str = sys.executable,
    say: Callable[[str], None] = print,
) -> Path:
    """Make the runtime in ``folder`` (default: where the projects' settings look for it),
    from nothing: a half-built one from an earlier try is removed first. Returns the folder."""
    target = (folder or projects.runtime_folder()).absolute()
    files = requirement_files(projects, base)
    count = _requirement_count(files)
    say(
        f"building the projects' runtime in {target}: {count} pinned packages from "
        f"{', '.join(str(f) for f in files)} (the full Colab-like list is about 3 GB and takes "
        "3-10 minutes, most of it downloading)"
    )
    started = time.monotonic()
    if target.exists():
        if not (target / "pyvenv.cfg").is_file():
            raise UserError(f"{target} exists and is not a virtualenv: give another --runtime")
        shutil.rmtree(target)
    say("  1/3 a new virtualenv")
    _run([python, "-m", "venv", str(target)], "making the virtualenv")
    say("  2/3 its packages")
    # No bytecode (--no-compile): step 3 compiles every module as the sandbox names it, over
    # whatever pip wrote; pip's compile, one file after another, was done twice (the light
    # test runtime's install took 16 s of CPU, 9 without it; the Colab-like list, minutes).
    pip = [str(target / "bin" / "python"), "-m", "pip", "install", "--progress-bar", "off"]
    pip += ["--disable-pip-version-check", "--no-compile"]
    pip += [f"--requirement={f}" for f in files]
    _run(pip, "installing the packages", _PipProgress(count, say).line)
    say("  3/3 the sandbox's files for it")
    preparation.prepare(target, say=say)
    (target / BUILT_STAMP).write_text("built by grader setup --projects\n")
    say(_gpu_line(target))
    say(f"the projects' runtime is ready in {time.monotonic() - started:.0f} s: {target}")
    return target


def _gpu_line(runtime: Path) -> str:
    """Whether the runtime's notebooks will use this machine's GPU, and if not why."""
    found = gpu.found()
    if not found.present:
        return found.line()
    if gpu.cuda_build(runtime):
        return f"{found.line()}: this runtime is one (its notebooks use the GPU)"
    return (
        f"{found.line()}; this runtime is a CPU build, so its notebooks run on the CPU: build "
        "it with `grader setup --projects --cuda` to use the GPU"
    )


def _run(command: list[str], doing: str, each_line: Callable[[str], None] | None = None) -> None:
    """Run ``command``; its output goes to ``each_line`` (or nowhere) and its last lines into
    the error when it fails."""
    process = subprocess.Popen(
        command, stdout=subprocess.PIPE, stderr=subprocess.STDOUT, text=True, errors="replace"
    )
    assert process.stdout is not None
    tail: list[str] = []
    for raw in process.stdout:
        text = raw.rstrip()
        tail = [*tail[-19:], text]
        if each_line is not None:
            each_line(text)
    if process.wait() != 0:
        shown = "\n".join(tail)
        raise UserError(f"{doing} failed (exit {process.returncode}); its last lines:\n{shown}")


def cli(args: argparse.Namespace) -> int:
    from grader.course.config import find_course, load_course
    from grader.course.rubric import load_projects

    course = load_course(find_course(args.course))
    if not course.projects:
        raise UserError(f"{course.path} has no project components: nothing to build")
    projects = load_projects(course.projects_dir)
    if args.cuda and args.requirements:
        raise UserError("give --cuda or --requirements, not both: --cuda is the grader's own list")
    base = Path(args.requirements) if args.requirements else None
    if args.cuda:
        base = runtime_requirements(CUDA_REQUIREMENTS)
    build(projects, Path(args.runtime) if args.runtime else None, base=base)
    return 0
