"""Where what is made once per notebook runtime is kept: the user's cache, one folder per
runtime (see :mod:`.preparation`). ``$GRADER_CACHE``, else ``$XDG_CACHE_HOME/lstm-course-grader``,
else ``~/.cache/lstm-course-grader``."""

from __future__ import annotations

import hashlib
import os
import sys
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
