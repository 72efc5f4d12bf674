"""The platforms' tests' course and hand-ins: the shipped course copied (an export makes its
secret), its cells' time limit shortened where a module's hostile cells wait it out, the export
run as a user runs it, the notebooks handed in (the examples' own, or one with a cell of a
classic exploit added)."""

from __future__ import annotations

import os
import re
import shutil
from collections.abc import Callable
from concurrent.futures import ThreadPoolExecutor
from pathlib import Path
from typing import TypeVar

import nbformat
import pytest
from platform_harness import environment_index

from grader.cli import main
from grader.platforms.wheel import DISTRIBUTION

On = TypeVar("On")
Here = TypeVar("Here")

ROOT = Path(__file__).resolve().parents[2]
NEEDS_ROOT = pytest.mark.skipif(
    os.geteuid() != 0 or shutil.which("unshare") is None,
    reason="the platform harness makes namespaces and mounts: it needs root and unshare",
)


def grader_index() -> Path:
    """The local index a harness's build installs the grader's dependencies from (its
    ``[instructor]`` extra's, as this environment has them): the export carries the grader's own
    wheel."""
    return environment_index(f"{DISTRIBUTION}[instructor]", leave_out=(DISTRIBUTION,))


def copied_course(folder: Path) -> Path:
    """A copy of the shipped course in ``folder`` (its roster where course.toml finds it): its
    course.toml."""
    shutil.copytree(ROOT / "assignments", folder / "assignments")
    (folder / "examples" / "course").mkdir(parents=True)
    shutil.copy(ROOT / "examples" / "course" / "roster.csv", folder / "examples" / "course")
    return folder / "assignments" / "course.toml"


def with_cell_timeout(course: Path, assignment: str, seconds: int) -> Path:
    """``course`` (its course.toml) with ``assignment``'s ``cell_timeout`` set to ``seconds``,
    for a module whose tests check that the limit is enforced, not how long it is: a hostile
    cell (a fork bomb) waits it out on every run."""
    toml = course.parent / assignment / "assignment.toml"
    text, count = re.subn(
        r"^cell_timeout = [0-9.]+", f"cell_timeout = {seconds}", toml.read_text(), flags=re.M
    )
    assert count == 1, f"{toml}: no one cell_timeout line to set"
    toml.write_text(text)
    return course


def export(course: Path, name: str, platform: str, out: Path) -> Path:
    """``grader autograder NAME --for PLATFORM --out OUT --course COURSE``, as a user runs it.
    Never of the checkout's own course: an export makes the course's secret where it has none,
    which would land in the checkout (a copy: :func:`copied_course`)."""
    assert not course.resolve().is_relative_to(ROOT), f"{course}: export a copy of the course"
    code = main(["autograder", name, "--for", platform, "--out", str(out), "--course", str(course)])
    assert code == 0
    return out


def example(assignment: str, student: str) -> bytes:
    return (ROOT / "examples" / assignment / f"{student}.ipynb").read_bytes()


def with_cell(notebook: bytes, source: str) -> bytes:
    """``notebook`` with a code cell of ``source`` added at its end."""
    read = nbformat.reads(notebook.decode(), as_version=4)
    read.cells.append(nbformat.v4.new_code_cell(source))
    return nbformat.writes(read).encode()


def at_once(on_platform: Callable[[], On], here: Callable[[], Here]) -> tuple[On, Here]:
    """``on_platform()`` (a harness's run, a process of its own at half a CPU) on a thread
    while ``here()`` (``grader grade`` on this machine) runs: both mostly wait (on the
    container's CPU share, on a time limit), so the two take about the longer one's time."""
    with ThreadPoolExecutor(max_workers=1) as platform:
        running = platform.submit(on_platform)
        done_here = here()
        return running.result(), done_here
