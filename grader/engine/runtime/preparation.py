"""What the sandbox needs made once per notebook runtime, made on first use and kept in the user's
cache: the base Python as the sandbox shows it (:mod:`.shown_base`, about 230 MB) and
matplotlib's font list (:mod:`.fontlist`); and the runtime's own bytecode compiled as the
sandbox names it (:func:`.shown_runtime.compile_as_shown`), where the runtime is the user's to
write.

Nothing here needs root. ``grader setup`` does it ahead of time; ``grader grade`` does it when
it finds it missing. Either says first how many files there are to compile and about how long it
takes on this machine as loaded now, then the counts and the time left as it goes
(:mod:`.counted_compile`): half a minute on an idle machine, minutes on a busy one. The cache is
``$GRADER_CACHE``, else ``$XDG_CACHE_HOME/lstm-course-grader``, else
``~/.cache/lstm-course-grader``: one folder per runtime, named by a digest of the runtime's path.
"""

from __future__ import annotations

import contextlib
import fcntl
import json
import os
import time
from collections.abc import Callable, Iterator
from dataclasses import dataclass
from pathlib import Path

from grader.batch.progress import about
from grader.engine.runtime import fontlist, shown_base, shown_runtime
from grader.engine.runtime.counted_compile import python_sources, seconds_for
from grader.engine.runtime.runtime_cache import runtime_cache, runtime_venv
from grader.limits import PREPARATION

_DONE = "prepared.json"
_VERSION = 1  # what a cache folder holds; a change makes every runtime prepared again


def _fingerprint(runtime: Path | None) -> list[int]:
    """What changes when the runtime is made again at the same path (its folder's inode) or
    gets packages installed or removed (its site-packages folders' times)."""
    venv = runtime_venv(runtime)
    packages = sorted(venv.glob("lib/python3*/site-packages"))
    return [venv.stat().st_ino, *(folder.stat().st_mtime_ns for folder in packages)]


def is_prepared(runtime: Path | None) -> bool:
    try:
        done = json.loads((runtime_cache(runtime) / _DONE).read_text())
    except (OSError, ValueError):
        return False
    return (
        isinstance(done, dict)
        and done.get("version") == _VERSION
        and done.get("runtime") == str(runtime_venv(runtime))
        and done.get("fingerprint") == _fingerprint(runtime)
    )


@dataclass(frozen=True)
class _Work:
    """What preparing a runtime will do: the source files of each compiling step (none for
    a runtime that is not the user's to write), and about how long it all takes here, now."""

    runtime_files: int
    base_files: int
    seconds: float

    @classmethod
    def of(cls, venv: Path) -> _Work:
        runtime = python_sources(venv / "lib") if _writable(venv) else 0
        base = shown_base.base_sources(venv)
        cores = len(os.sched_getaffinity(0))  # compileall -j 0: a process per core
        cpu_s = runtime * PREPARATION.runtime_cpu_s_per_file
        cpu_s += base * PREPARATION.base_cpu_s_per_file
        seconds = seconds_for(cpu_s, cores)
        if any(venv.glob("lib/python3*/site-packages/matplotlib")):  # else no list is made
            seconds += seconds_for(PREPARATION.font_list_cpu_s, 1)
        return cls(runtime, base, seconds)

    def said(self) -> str:
        cores, load = len(os.sched_getaffinity(0)), os.getloadavg()[0]
        return (
            f"{self.runtime_files:,} files of the runtime and {self.base_files:,} of its base "
            f"Python to compile, and the font list: {about(self.seconds)} here now ({cores} "
            f"core{'s' if cores != 1 else ''}, load {load:.1f}; longer as the machine gets busier)"
        )


def _writable(venv: Path) -> bool:
    return os.access(venv / "lib", os.W_OK)


def prepare(runtime: Path | None, say: Callable[[str], None] = print) -> Path:
    """Make this runtime's cache folder from scratch; return it. It says first how much there
    is to do and about how long it takes here, then each step with its counts and the time
    left as it goes, and how long each took."""
    venv = runtime_venv(runtime)
    folder = runtime_cache(runtime)
    with _locked(folder):
        if is_prepared(runtime):  # another grader prepared it while this one waited
            return folder
        started = time.monotonic()
        work = _Work.of(venv)
        say(f"preparing the sandbox for the runtime {venv} (once): {work.said()}")
        notes = []
        step = time.monotonic()
        if _writable(venv):
            say(f"  1/3 its bytecode as the sandbox names it ({work.runtime_files:,} files)")
            shown_runtime.compile_as_shown(venv, say=say)
            say(f"  1/3 done in {_since(step)}")
        else:
            notes.append(f"{venv} is not yours to write: its bytecode names its host folder")
            say(f"  1/3 skipped: {notes[-1]}")
        step = time.monotonic()
        say(f"  2/3 the base Python as the sandbox shows it ({work.base_files:,} files)")
        shown_base.build_shown_base(venv, folder / shown_runtime.SHOWN_BASE, say=say)
        say(f"  2/3 done in {_since(step)}")
        step = time.monotonic()
        say("  3/3 matplotlib's font list")
        fontlist.build_font_list(venv, folder / fontlist.FOLDER, say=say)
        say(f"  3/3 done in {_since(step)}")
        done = {"version": _VERSION, "runtime": str(venv), "notes": notes}
        done["fingerprint"] = _fingerprint(runtime)  # after the steps, which write bytecode
        (folder / _DONE).write_text(json.dumps(done))
        say(f"prepared in {_since(started)}: {folder}")
    return folder


def ensure_prepared(runtime: Path | None, say: Callable[[str], None] = print) -> None:
    """Prepare ``runtime`` unless it is. A cache that cannot be written is said once and the
    sandbox works without it (it lists the fonts at each start, and its base Python's
    bytecode names its host folder)."""
    if is_prepared(runtime):
        return
    say("the sandbox is not prepared for this runtime yet (`grader setup` does it ahead):")
    try:
        prepare(runtime, say)
    except OSError as error:
        say(f"note: the sandbox could not be prepared ({error}); grading goes on without it")


@contextlib.contextmanager
def _locked(folder: Path) -> Iterator[None]:
    """Hold the runtime's lock: two graders started at once prepare it once."""
    folder.mkdir(parents=True, exist_ok=True)
    fd = os.open(folder.parent / f"{folder.name}.lock", os.O_RDWR | os.O_CREAT | os.O_CLOEXEC)
    try:
        fcntl.flock(fd, fcntl.LOCK_EX)
        yield
    finally:
        os.close(fd)


def _since(started: float) -> str:
    return f"{time.monotonic() - started:.1f} s"
