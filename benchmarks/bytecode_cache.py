"""What the bytecode cache saves a second runtime: a package of the running environment (torch
unless named) copied into three folders and compiled as the sandbox names it, by compileall
alone (the baseline), by the cached compileall into an empty cache, and by it again into a
second folder (every file in the cache). Prints CPU seconds of each (the compiling processes
and their workers, all waited for) and the ratios to the baseline.

    .venv/bin/python benchmarks/bytecode_cache.py [PACKAGE]
"""

from __future__ import annotations

import importlib.util
import os
import shutil
import subprocess
import sys
import tempfile
from pathlib import Path

from grader.engine.runtime import cached_compileall
from grader.engine.runtime.shown_runtime import NEUTRAL


def _children_cpu() -> float:
    spent = os.times()
    return spent.children_user + spent.children_system


def _compiled(command: list[str]) -> float:
    """CPU seconds of ``command``, which compiles (its exit code aside: some packages ship
    files that are not Python 3)."""
    before = _children_cpu()
    subprocess.run(command, stdout=subprocess.DEVNULL, stderr=subprocess.DEVNULL, check=False)
    return _children_cpu() - before


def main(argv: list[str]) -> int:
    package = argv[0] if argv else "torch"
    found = importlib.util.find_spec(package)
    if found is None or not found.submodule_search_locations:
        raise SystemExit(f"{package} is not a package installed here")
    source = Path(next(iter(found.submodule_search_locations)))
    with tempfile.TemporaryDirectory(prefix="bytecode-cache-") as scratch:
        base = Path(scratch)
        folders = {}
        for name in ("baseline", "first", "second"):
            folders[name] = base / name
            shutil.copytree(source, folders[name] / package, symlinks=True,
                            ignore=shutil.ignore_patterns("__pycache__"))  # fmt: skip
        files = sum(1 for _ in folders["baseline"].rglob("*.py"))

        def arguments(folder: Path) -> list[str]:
            return ["-q", "-f", "-j", "0", "-s", str(folder), "-p", f"{NEUTRAL}/venv", str(folder)]

        cached = [sys.executable, cached_compileall.__file__, str(base / "cache")]
        cpu = {
            "compileall alone": _compiled(
                [sys.executable, "-m", "compileall", *arguments(folders["baseline"])]
            ),
            "cached, the cache empty": _compiled([*cached, *arguments(folders["first"])]),
            "cached, every file in it": _compiled([*cached, *arguments(folders["second"])]),
        }
    baseline = cpu["compileall alone"]
    print(
        f"{package}: {files:,} source files, compiled as {NEUTRAL}/venv on {os.cpu_count()} cores"
    )
    for name, seconds in cpu.items():
        print(f"  {name:<26}{seconds:7.1f} s of CPU  {seconds / baseline:5.2f} x the baseline")
    return 0


if __name__ == "__main__":
    raise SystemExit(main(sys.argv[1:]))
