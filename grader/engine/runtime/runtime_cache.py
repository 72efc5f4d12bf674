"""Where what is made once per notebook runtime is kept: the user's cache, one folder per
runtime, and one per base Python that runtimes are made from, shared by all of them (see
:mod:`.preparation`). ``$GRADER_CACHE``, else ``$XDG_CACHE_HOME/lstm-course-grader``, else
``~/.cache/lstm-course-grader``."""

from __future__ import annotations

import contextlib
import fcntl
import hashlib
import os
import shutil
import sys
import time
from collections.abc import Iterator
from pathlib import Path

CACHE_VARIABLE = "GRADER_CACHE"


def cache_root() -> Path:
    """The user's cache folder for the grader."""
    if os.environ.get(CACHE_VARIABLE):
        return Path(os.environ[CACHE_VARIABLE])
    xdg = os.environ.get("XDG_CACHE_HOME")
    return Path(xdg if xdg else Path.home() / ".cache") / "lstm-course-grader"


def runtime_venv(runtime: Path | None) -> Path:
    """The virtualenv (or Python prefix) a run's notebooks execute in: ``runtime``, or the
    grader's own."""
    return Path(os.path.realpath(runtime if runtime is not None else sys.prefix))


def runtime_cache(runtime: Path | None) -> Path:
    """This runtime's folder in the cache (not made here)."""
    venv = runtime_venv(runtime)
    digest = hashlib.sha256(str(venv).encode()).hexdigest()[:16]
    return cache_root() / "runtimes" / f"{venv.name}-{digest}"


def bytecode_cache() -> Path:
    """Every runtime's compiled modules, by what they were compiled from (not made here):
    shared by the user's runtimes (see :mod:`.cached_compileall`)."""
    return cache_root() / "bytecode"


def prune_bytecode(unused_days: float) -> int:
    """Remove from the bytecode cache what no runtime compiled or took from it in the last
    ``unused_days`` (an entry's time is its last use), and what a compile stopped half-way
    left; how many files were removed."""
    now = time.time()
    oldest, unfinished = now - unused_days * 86400, now - 3600
    removed = 0
    for folder, _, names in os.walk(bytecode_cache()):
        for name in names:
            path = os.path.join(folder, name)
            # an entry being written is named so until it is whole (cached_compileall)
            before = unfinished if name.startswith(".entry-") else oldest
            with contextlib.suppress(OSError):
                if os.stat(path).st_mtime < before:
                    os.unlink(path)
                    removed += 1
    return removed


def base_digest(base: Path) -> str:
    """Which build of a base Python a layer was made from, without naming its host folder:
    its path and its interpreter's size and time (a Python built again at the same path)."""
    python = Path(os.path.realpath(base / "bin" / "python3"))
    made = python.stat() if python.is_file() else None
    key = f"{base}\0{made and (made.st_size, made.st_mtime_ns)}"
    return hashlib.sha256(key.encode()).hexdigest()[:24]


def base_cache(base: Path) -> Path:
    """The folder of the base Python ``base`` as the sandbox shows it (not made here): one
    per build of that Python, whichever virtualenvs are made from it, so a new virtualenv or
    a package installed into one never builds it again."""
    return cache_root() / "bases" / f"{base.name}-{base_digest(base)}"


@contextlib.contextmanager
def locked(folder: Path) -> Iterator[None]:
    """Hold ``folder``'s lock (a file beside it), making the folder: two graders started at
    once make what is kept there once, the second waiting for the first."""
    folder.mkdir(parents=True, exist_ok=True)
    fd = os.open(folder.parent / f"{folder.name}.lock", os.O_RDWR | os.O_CREAT | os.O_CLOEXEC)
    try:
        fcntl.flock(fd, fcntl.LOCK_EX)
        yield
    finally:
        os.close(fd)


def remove_if_gone(folder: Path, runtime: Path) -> bool:
    """Remove the cache folder of ``runtime`` and its lock if the runtime is gone, unless
    another grader holds the lock (not waited for); whether it was removed. The runtime is
    looked for again once the lock is held: one made again meanwhile keeps its folder."""
    lock = folder.parent / f"{folder.name}.lock"
    fd = os.open(lock, os.O_RDWR | os.O_CREAT | os.O_CLOEXEC)
    try:
        try:
            fcntl.flock(fd, fcntl.LOCK_EX | fcntl.LOCK_NB)
        except BlockingIOError:
            return False
        if runtime.exists():
            return False
        shutil.rmtree(folder, ignore_errors=True)
        lock.unlink(missing_ok=True)
        return True
    finally:
        os.close(fd)
