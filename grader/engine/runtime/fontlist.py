"""Matplotlib's list of the system's fonts, made once per runtime (:mod:`.preparation`) instead
of at every warm start.

Importing ``matplotlib.pyplot`` in a fresh home folder lists every font of the system (it runs
``fc-list`` and opens each font file), which took 0.7 s of each warm process's start. The list
matplotlib writes names the fonts it ships relative to its own folder and the system's by their
paths under ``/usr``, which the sandbox shows at the same place: a list made on the host, with
the sandbox's home folder and environment, is the list the sandbox would make. It is kept in the
runtime's cache folder at ``shown-fontlist/``; the grader sends it to each warm process with its
first message (an open descriptor: without namespaces the warm process runs as the student's
user, who may not read the grader's cache), which puts it where matplotlib looks before
importing it. Without one, the warm process lists the fonts itself, as before.

A list that names a system font since removed is stale (matplotlib, finding the file gone,
would list the fonts again in every warm process): it counts as none, and the runtime as not
prepared, so that the next `grader setup` or `grader grade` makes it again. A font installed
since is not looked for: matplotlib's own list does not notice one either.
"""

from __future__ import annotations

import json
import os
import shutil
import subprocess
import tempfile
from collections.abc import Callable
from pathlib import Path

from grader.engine.runtime.runtime_cache import runtime_cache

FOLDER = "shown-fontlist"
# What the sandbox's warm process is given (the same variables as its own environment, see
# grader.engine.walls.bwrap): the list depends on the home folder and on where fc-list is found.
_ENVIRONMENT = {"PATH": "/usr/local/bin:/usr/bin:/bin", "LANG": "C.UTF-8"}
_MAKE = "import matplotlib, matplotlib.font_manager, sys; sys.stdout.write(matplotlib.__version__)"


def font_list(runtime: Path | None) -> Path | None:
    """The font list made for ``runtime`` (None: the grader's own virtualenv), if there is one
    and it is not :func:`stale`."""
    made = _made(runtime)
    return made if made is not None and _names_only_present_fonts(made) else None


def stale(runtime: Path | None) -> bool:
    """Whether the list made for ``runtime`` names a system font that is gone."""
    made = _made(runtime)
    return made is not None and not _names_only_present_fonts(made)


def _made(runtime: Path | None) -> Path | None:
    folder = runtime_cache(runtime) / FOLDER
    made = sorted(folder.glob("fontlist-v*.json")) if folder.is_dir() else []
    return made[-1] if made else None


def _names_only_present_fonts(listed: Path) -> bool:
    """Every system font file the list at ``listed`` names is there (matplotlib's own fonts
    are named relative to its folder, and come and go with its version, which names the
    list). About 600 entries: a few milliseconds, once per warm start."""
    try:
        entries = json.loads(listed.read_text())
        names = [entry["fname"] for entry in [*entries["ttflist"], *entries["afmlist"]]]
    except (OSError, ValueError, KeyError, TypeError):  # unreadable: made again
        return False
    return all(os.path.isfile(name) for name in names if os.path.isabs(name))


def build_font_list(venv: Path, folder: Path, say: Callable[[str], None] = print) -> None:
    """Make ``folder/fontlist-v<matplotlib version>.json`` for ``venv`` from scratch."""
    venv = Path(os.path.realpath(venv))
    python = venv / "bin" / "python"
    with tempfile.TemporaryDirectory(prefix="grader-fontlist-") as home:
        cache = Path(home) / "matplotlib"
        environment = {**_ENVIRONMENT, "HOME": home, "MPLCONFIGDIR": str(cache)}
        done = subprocess.run(
            [str(python), "-I", "-c", _MAKE],
            env=environment,
            capture_output=True,
            text=True,
            check=False,
        )
        made = sorted(cache.glob("fontlist-v*.json"))
        if done.returncode != 0 or not made:
            said = done.stderr.strip().splitlines()[-1:] or ["no font list was written"]
            say(f"{venv}: no font list made ({said[0][:300]}); warm starts list the fonts")
            return
        shutil.rmtree(folder, ignore_errors=True)
        folder.mkdir(parents=True)
        shutil.copy(made[-1], folder / made[-1].name)
    say(f"matplotlib {done.stdout.strip()}: font list made in {folder}")
