"""Bytecode compiled by ``compileall`` in a runtime's own Python, counted as it goes, for
:mod:`.preparation`: how many source files a step has, what it should take on this machine as
loaded now, and every few seconds how many are done and the time left. The same steps take
half a minute on an idle machine and minutes on a busy one, so a fixed figure would mislead."""

from __future__ import annotations

import os
import subprocess
import time
from collections.abc import Callable, Sequence
from pathlib import Path

from grader.batch.progress import about
from grader.engine.runtime import cached_compileall
from grader.engine.runtime.runtime_cache import bytecode_cache
from grader.limits import PREPARATION


def compileall_command(python: Path, *arguments: str, options: Sequence[str] = ()) -> list[str]:
    """``python [options] -m compileall arguments``, each file's code kept in the user's
    bytecode cache, or taken from it (:mod:`.cached_compileall`)."""
    driver = cached_compileall.__file__
    return [str(python), *options, driver, str(bytecode_cache()), *arguments]


def python_sources(folder: Path, recurse: bool = True) -> int:
    """How many files ``compileall`` compiles in ``folder``: its ``.py`` files, and with
    ``recurse`` those of its subfolders, as compileall walks them (not into links to folders,
    nor into ``__pycache__``)."""
    if not recurse:
        return sum(1 for f in _entries(folder) if f.name.endswith(".py") and f.is_file())
    count = 0
    for _, subfolders, names in os.walk(folder):
        subfolders[:] = [s for s in subfolders if s != "__pycache__"]
        count += sum(1 for name in names if name.endswith(".py"))
    return count


def _entries(folder: Path) -> list[os.DirEntry]:
    try:
        with os.scandir(folder) as entries:
            return list(entries)
    except OSError:
        return []


def cores_for(jobs: int) -> float:
    """The cores ``jobs`` processes started now can expect: each gets a whole core, or its fair
    share of the machine when more processes want to run (its load) than it has cores."""
    cores = len(os.sched_getaffinity(0))
    jobs = max(1, min(jobs, cores))
    wanting = os.getloadavg()[0] + jobs
    return jobs * min(1.0, cores / wanting)


def seconds_for(cpu_s: float, jobs: int) -> float:
    """Wall seconds for ``cpu_s`` of work spread over ``jobs`` processes, here and now."""
    return cpu_s / cores_for(jobs)


def compile_counted(
    command: Sequence[str],
    total: int,
    say: Callable[[str], None],
    every_s: float = PREPARATION.progress_every_s,
) -> int:
    """Run ``command``, a ``compileall`` that names each file it compiles (no ``-q``), and say
    every ``every_s`` seconds how many of its ``total`` files are done and the time left;
    return how many it compiled. Its warnings and the errors of files that are not Python 3
    (templates some packages ship) are not shown: they are the packages', not the user's."""
    environment = {**os.environ, "PYTHONUNBUFFERED": "1"}  # its workers' lines come as written
    started = last = time.monotonic()
    done = 0
    with subprocess.Popen(
        list(command),
        stdout=subprocess.PIPE,
        stderr=subprocess.DEVNULL,
        env=environment,
        text=True,
        errors="replace",
    ) as process:
        assert process.stdout is not None
        for line in process.stdout:
            if not line.startswith("Compiling "):
                continue
            done += 1
            now = time.monotonic()
            if now - last >= every_s:
                last = now
                say(_progress(done, total, now - started))
    return done


def _progress(done: int, total: int, elapsed: float) -> str:
    line = f"    {done:,} of {total:,} files ({100 * done // max(total, 1)}%), {elapsed:.0f} s"
    if done < total:
        line += f", {about((total - done) * elapsed / done)} left"
    return line
