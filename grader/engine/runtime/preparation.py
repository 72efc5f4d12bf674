"""What the sandbox needs made once per notebook runtime, made on first use and kept in the user's
cache: the runtime's own bytecode compiled as the sandbox names it
(:func:`.shown_runtime.compile_as_shown`), where the runtime is the user's to write; the base
Python as the sandbox shows it (:mod:`.shown_base`, about 230 MB, once per base Python: every
virtualenv made from it shares it); and matplotlib's font list (:mod:`.fontlist`).

Nothing here needs root. ``grader setup`` does it ahead of time; ``grader grade`` does it when
it finds it missing, or finds packages installed or removed since (an upgrade of the grader
itself): then only the source files new or changed since are compiled again, in seconds.
Either says first how many files there are to compile and about how long it takes on this
machine as loaded now, then the counts and the time left as it goes (:mod:`.counted_compile`):
half a minute on an idle machine, minutes on a busy one. The cache is ``$GRADER_CACHE``, else
``$XDG_CACHE_HOME/lstm-course-grader``, else ``~/.cache/lstm-course-grader``: one folder per
runtime, named by a digest of the runtime's path (removed once the runtime is gone), and one
per base Python.
"""

from __future__ import annotations

import contextlib
import importlib.util
import json
import os
import shutil
import time
from collections.abc import Callable
from dataclasses import dataclass
from pathlib import Path

from grader.batch.progress import about
from grader.engine.runtime import fontlist, shown_base, shown_runtime
from grader.engine.runtime.counted_compile import seconds_for
from grader.engine.runtime.runtime_cache import (
    locked,
    prune_bytecode,
    remove_if_gone,
    runtime_cache,
    runtime_venv,
)
from grader.limits import PREPARATION

_DONE = "prepared.json"
_COMPILED = "compiled-sources.json"  # each source file compiled as shown: its time and size
_VERSION = 2  # what a cache folder holds; a change makes every runtime prepared again
_EARLIER_BASE_LAYER = "shown-base"  # where graders before version 2 built the base, per runtime


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
        and not fontlist.stale(runtime)
    )


@dataclass(frozen=True)
class _Work:
    """What preparing a runtime will do: the source files of each compiling step (none for
    a runtime that is not the user's to write, nor for a base built before), and about how
    long it all takes here, now."""

    runtime_files: int
    base_files: int
    seconds: float

    @classmethod
    def of(cls, venv: Path, runtime_files: int) -> _Work:
        base = shown_base.base_sources(venv)
        cores = len(os.sched_getaffinity(0))  # compileall -j 0: a process per core
        cpu_s = runtime_files * PREPARATION.runtime_cpu_s_per_file
        cpu_s += base * PREPARATION.base_cpu_s_per_file
        seconds = seconds_for(cpu_s, cores)
        if any(venv.glob("lib/python3*/site-packages/matplotlib")):  # else no list is made
            seconds += seconds_for(PREPARATION.font_list_cpu_s, 1)
        return cls(runtime_files, base, seconds)

    def said(self) -> str:
        cores, load = len(os.sched_getaffinity(0)), os.getloadavg()[0]
        return (
            f"{self.runtime_files:,} files of the runtime and {self.base_files:,} of its base "
            f"Python to compile, and the font list: {about(self.seconds)} here now ({cores} "
            f"core{'s' if cores != 1 else ''}, load {load:.1f}; longer as the machine gets busier,"
            " shorter for files another runtime compiled: they are taken from the cache)"
        )


def _writable(venv: Path) -> bool:
    return os.access(venv / "lib", os.W_OK)


def prepare(runtime: Path | None, say: Callable[[str], None] = print) -> Path:
    """Make this runtime's cache folder; return it. It says first how much there is to do
    and about how long it takes here, then each step with its counts and the time left as it
    goes, and how long each took."""
    venv = runtime_venv(runtime)
    folder = runtime_cache(runtime)
    with locked(folder):
        if is_prepared(runtime):  # another grader prepared it while this one waited
            return folder
        shutil.rmtree(folder / _EARLIER_BASE_LAYER, ignore_errors=True)
        started = time.monotonic()
        sources = _sources(venv) if _writable(venv) else {}
        changed = _changed_since_compiled(folder, venv, sources)
        work = _Work.of(venv, len(sources) if changed is None else len(changed))
        say(f"preparing the sandbox for the runtime {venv} (once): {work.said()}")
        notes = []
        step = time.monotonic()
        if not _writable(venv):
            notes.append(f"{venv} is not yours to write: its bytecode names its host folder")
            say(f"  1/3 skipped: {notes[-1]}")
        elif changed == []:
            say("  1/3 its bytecode as the sandbox names it: every file as compiled before")
        else:
            kept = "" if changed is None else f", {len(sources) - len(changed):,} kept as compiled"
            say(f"  1/3 its bytecode as the sandbox names it ({work.runtime_files:,} files{kept})")
            files = None if changed is None else [venv / name for name in changed]
            shown_runtime.compile_as_shown(venv, files, say=say)
            say(f"  1/3 done in {_since(step)}")
        prune_bytecode(PREPARATION.bytecode_unused_days)
        _prune_runtimes(keep=folder)
        if sources:  # as compiled now: the bytecode's times are the ones just written
            compiled = {"runtime": _identity(venv), **_sources(venv)}
            (folder / _COMPILED).write_text(json.dumps(compiled))
        step = time.monotonic()
        say(f"  2/3 the base Python as the sandbox shows it ({work.base_files:,} files)")
        shown_base.ensure_shown_base(venv, say=say)
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


def _recorded_runtime(folder: Path) -> str | None:
    """The runtime a cache folder was made for, as its records name it (None: none yet)."""
    for name, read in ((_DONE, lambda d: d["runtime"]), (_COMPILED, lambda d: d["runtime"][0])):
        try:
            return str(read(json.loads((folder / name).read_text())))
        except (OSError, ValueError, KeyError, IndexError, TypeError):
            continue
    return None


def _prune_runtimes(keep: Path) -> None:
    """Remove the cache folders of runtimes that are gone (a virtualenv deleted, or made again
    elsewhere: one made again at the same path is prepared again whole), each about a megabyte;
    not ``keep``, nor one another grader holds."""
    for folder in sorted(keep.parent.iterdir()):
        recorded = _recorded_runtime(folder) if folder != keep and folder.is_dir() else None
        if recorded is not None and not os.path.exists(recorded):
            remove_if_gone(folder, Path(recorded))


def _sources(venv: Path) -> dict[str, list[int]]:
    """Every source file compileall compiles in the runtime (as
    :func:`.counted_compile.python_sources` counts them), by its path in ``venv``: its
    modification time and size, which its bytecode records and Python checks, and its
    bytecode's time (0 without one), which changes when an installer compiles it again."""
    found = {}
    for place, subfolders, names in os.walk(venv / "lib"):
        subfolders[:] = [s for s in subfolders if s != "__pycache__"]
        for name in names:
            if name.endswith(".py"):
                path = Path(place, name)
                with contextlib.suppress(OSError):
                    stat = path.stat()
                    found[str(path.relative_to(venv))] = [
                        stat.st_mtime_ns,
                        stat.st_size,
                        _mtime_ns(Path(importlib.util.cache_from_source(str(path)))),
                    ]
    return found


def _mtime_ns(path: Path) -> int:
    try:
        return path.stat().st_mtime_ns
    except OSError:
        return 0


def _identity(venv: Path) -> list:
    return [str(venv), venv.stat().st_ino]  # made again at the same path: another runtime


def _changed_since_compiled(
    folder: Path, venv: Path, sources: dict[str, list[int]]
) -> list[str] | None:
    """The source files new or changed since this runtime was last compiled as shown; None
    when it never was (or most of it changed: compiling the folder, a process per core, is
    quicker than one file after another)."""
    try:
        compiled = json.loads((folder / _COMPILED).read_text())
    except (OSError, ValueError):
        return None
    if not isinstance(compiled, dict) or compiled.pop("runtime", None) != _identity(venv):
        return None
    changed = sorted(name for name, stat in sources.items() if compiled.get(name) != stat)
    return None if len(changed) > len(sources) // 2 else changed


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


def ensure_font_list(runtime: Path | None, say: Callable[[str], None] = print) -> None:
    """Make matplotlib's font list for ``runtime`` unless there is one: what a run without the
    sandbox's namespaces (``--unsafe-no-sandbox``, a platform's container) uses of the
    preparation, since its warm process starts matplotlib all the same (1.3 s of CPU each,
    without the list). Best effort, as :func:`ensure_prepared`."""
    if fontlist.font_list(runtime) is not None:
        return
    folder = runtime_cache(runtime)
    try:
        with locked(folder):
            if fontlist.font_list(runtime) is None:  # not made by another grader meanwhile
                fontlist.build_font_list(runtime_venv(runtime), folder / fontlist.FOLDER, say)
    except OSError as error:
        say(f"note: matplotlib's font list could not be made ({error}); warm starts list the fonts")


def _since(started: float) -> str:
    return f"{time.monotonic() - started:.1f} s"
