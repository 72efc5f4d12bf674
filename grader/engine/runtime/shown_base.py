"""The Python a virtualenv was made from, as the sandbox shows it at ``/opt/python/base``: a
layer built once per build of that Python (:mod:`.preparation`), kept in the user's cache and
shared by every virtualenv made from it (:func:`.runtime_cache.base_cache`).

The base's own files name its host folder in places too many to rename at each start: the
standard library's bytecode (thousands of files record where they were compiled), libpython,
the extension modules' library path, the static library. :func:`build_shown_base` compiles
the bytecode again as ``/opt/python/base/...`` (same source mtime and size, so the sandbox's
Python uses it and never rewrites it) and writes renamed copies of every other file of the
base that names its folder. :mod:`.shown_runtime` lays the result between its small layer of
renamed copies and the host folder. The base's own ``site-packages`` is not built: a
virtualenv that does not include the system's packages shows it empty.

Without the layer (a runtime whose base was never built), the base is shown as before: its
standard library's bytecode, libpython and the extension modules name its host folder.
"""

from __future__ import annotations

import json
import os
import shutil
import time
from collections.abc import Callable
from pathlib import Path

from grader.engine.runtime.counted_compile import (
    compile_counted,
    compileall_command,
    python_sources,
)
from grader.engine.runtime.runtime_cache import base_cache, base_digest, locked
from grader.engine.runtime.shown_runtime import NEUTRAL, Renamer, Shown, copy_renamed, shown_folders
from grader.limits import SHOWN


def _base(venv: Path) -> Shown | None:
    """``venv``'s base as the sandbox shows it; None for a system Python, shown at its own
    path."""
    return next((f for f in shown_folders(venv) if f.inside == f"{NEUTRAL}/base"), None)


def base_layer(venv: Path) -> Path | None:
    """The folder of the layer of the Python ``venv`` was made from, built or not; None for
    a system Python, which has none."""
    base = _base(Path(os.path.realpath(venv)))
    return None if base is None else base_cache(base.host)


def _to_compile(venv: Path) -> tuple[Shown, list[Path], list[Path]] | None:
    """``venv``'s base, the folders of its bytecode and that bytecode; None without a base
    to build (a system Python is shown at its own path)."""
    base = _base(venv)
    if base is None:
        return None
    bytecode = [path for path in _base_files(base.host) if path.suffix == ".pyc"]
    return base, sorted({pyc.parent.parent for pyc in bytecode}), bytecode


def base_sources(venv: Path) -> int:
    """How many source files :func:`ensure_shown_base` compiles for ``venv``'s base: none
    when its layer was built (for this virtualenv or another made from the same Python)."""
    found = _to_compile(Path(os.path.realpath(venv)))
    if found is None or _built(base_cache(found[0].host)):
        return 0
    return sum(python_sources(folder, recurse=False) for folder in found[1])


def _built(layer: Path) -> bool:
    return (layer / "base.json").is_file()  # written last, and the layer renamed in whole


def ensure_shown_base(venv: Path, say: Callable[[str], None] = print) -> None:
    """Build the layer of the Python ``venv`` was made from, unless it was built."""
    venv = Path(os.path.realpath(venv))
    found = _to_compile(venv)
    if found is None:
        say(f"{venv}: no base Python to build (a system Python is shown at its own path)")
        return
    layer = base_cache(found[0].host)
    with locked(layer):
        if _built(layer):
            say(f"base Python as shown: built before, shared by the runtimes made from it: {layer}")
            return
        _build(venv, found, layer, say)


def _build(
    venv: Path,
    found: tuple[Shown, list[Path], list[Path]],
    layer: Path,
    say: Callable[[str], None],
) -> None:
    """Build the ``layer`` folder from scratch for the base, its folders of bytecode and
    that bytecode, ``found``."""
    (base, folders, bytecode), started = found, time.monotonic()
    building = layer.with_name(f"{layer.name}.building")
    shutil.rmtree(building, ignore_errors=True)
    building.mkdir(parents=True)
    total = sum(python_sources(folder, recurse=False) for folder in folders)
    compiled = _compile(venv, base, building, base.host, ["-l", *folders], bytecode, total, say)
    renamed = _rename(base, building)
    # A renamed source is not the host's: its bytecode is compiled from the copy, and used
    # unchecked (the copy at the top is written again at each start).
    again = [p for p in bytecode if (building / _source(p).relative_to(base.host)).is_file()]
    sources = sorted({building / _source(p).relative_to(base.host) for p in again})
    unchecked = ["--invalidation-mode", "unchecked-hash", *sources]
    _compile(venv, base, building, building, unchecked, again, len(sources), say)
    left = len(bytecode) - compiled
    stamp = {"base": base_digest(base.host), "bytecode left uncompiled": left}
    (building / "base.json").write_text(json.dumps(stamp))
    shutil.rmtree(layer, ignore_errors=True)
    building.rename(layer)
    size = sum(f.stat().st_size for f in layer.rglob("*") if f.is_file() and not f.is_symlink())
    say(
        f"base Python as shown: {compiled} bytecode files compiled as {base.inside}, "
        f"{renamed} files renamed, {left} left as they were; {size / 1e6:.0f} MB in {layer}, "
        f"{time.monotonic() - started:.0f} s"
    )


def _compile(
    venv: Path,
    base: Shown,
    layer: Path,
    root: Path,
    what: list,
    bytecode: list,
    sources: int,
    say: Callable[[str], None],
) -> int:
    """Compile again ``bytecode`` (files of the base, each optimization level) from the
    ``sources`` source files in ``what`` under ``root``, as the sandbox names them, saying
    how far it got as it goes; return how many bytecode files were."""
    made = layer / ".compiling"
    levels = ["-o", "0", "-o", "1", "-o", "2"]
    command = compileall_command(
        venv / "bin" / "python",
        *("-f", "-j", "0", *levels, "-s", str(root), "-p", base.inside, *map(str, what)),
        options=["-X", f"pycache_prefix={made}"],
    )
    compile_counted(command, sources, say)
    compiled = 0
    for pyc in bytecode:
        # With a pycache prefix, bytecode lies at prefix + the source's folder, no __pycache__.
        folder = root / pyc.parent.parent.relative_to(base.host)
        fresh = Path(f"{made}{folder}", pyc.name)
        if fresh.is_file():
            place = layer / pyc.relative_to(base.host)
            place.parent.mkdir(parents=True, exist_ok=True)
            fresh.replace(place)
            place.chmod(0o644)
            compiled += 1
    shutil.rmtree(made, ignore_errors=True)
    return compiled


def _source(pyc: Path) -> Path:
    """``x/__pycache__/name.cpython-311.opt-1.pyc``'s source, ``x/name.py``."""
    return pyc.parent.parent / f"{pyc.name.split('.')[0]}.py"


def _rename(base: Shown, layer: Path) -> int:
    """Write renamed copies of the base's other files and links that name its folder."""
    renamer = Renamer([base], keep_tails=True)
    if any(os.path.lexists(base.host / tail) for tail in renamer.tails()):
        renamer = Renamer([base])  # a name the base uses itself: strings move up
    for tail in renamer.tails():
        (layer / tail).symlink_to(".")
    spellings = [spelling.encode() for spelling in base.spellings]
    renamed = 0
    for path in _base_files(base.host):
        if path.suffix == ".pyc" or not (path.is_file() or path.is_symlink()):
            continue
        if path.is_symlink():
            data = os.readlink(path).encode()
        elif path.stat().st_size <= SHOWN.largest_base_file_bytes:
            data = path.read_bytes()
        else:
            continue
        if any(spelling in data for spelling in spellings):
            copy_renamed(
                path, layer / path.relative_to(base.host), renamer, SHOWN.largest_base_file_bytes
            )
            renamed += 1
    return renamed


def _base_files(base: Path):
    """The base's files, but not its ``site-packages`` (shown empty)."""
    for folder, subfolders, names in os.walk(base):
        if Path(folder).name.startswith("python3") and "site-packages" in subfolders:
            subfolders.remove("site-packages")
        for name in names:
            yield Path(folder, name)
