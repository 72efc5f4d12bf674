"""A runtime's bytecode, compiled as the sandbox names it, is kept in the user's cache by what it
was compiled from, and a second runtime of the same packages takes it from there: each file as
compileall writes it (the code, and the header Python checks against the source), the cache's
entries used, not added to. A damaged entry is compiled again; a cache that cannot be written
costs nothing but the time; what no runtime used for two months is removed, and so is the
cache folder of a runtime that is gone."""

from __future__ import annotations

import json
import marshal
import os
import shutil
import subprocess
import sys
import time
from pathlib import Path

import pytest

from grader.engine.runtime import cached_compileall
from grader.engine.runtime.runtime_cache import CACHE_VARIABLE, bytecode_cache, prune_bytecode

GRADER = [sys.executable, "-m", "grader.cli"]
DEBIAN_PYTHON = Path("/usr/bin/python3")
SHOWN = "/opt/python/venv"  # where the sandbox shows a runtime
MODULES = 30


def _package(folder: Path) -> Path:
    """Modules with a little of everything compile keeps: constants, a function, a class, a
    name that is not ASCII, and a file that is not Python 3."""
    folder.mkdir(parents=True)
    for number in range(MODULES):
        (folder / f"m{number:02d}.py").write_text(
            f"VALUE = {number}\nNAME = 'modül {number}'\n"
            f"def twice(x):\n    return 2 * x + {number}\n"
            f"class Gate:\n    bias = {number / 7!r}\n"
        )
    (folder / "template.py").write_text("print 'not Python 3'\n")
    return folder


def _runtime(where: Path) -> Path:
    subprocess.run([str(DEBIAN_PYTHON), "-m", "venv", "--without-pip", str(where)], check=True)
    (site,) = where.glob("lib/python3*/site-packages")
    _package(site / "course_helpers")
    return where


def _setup(runtime: Path, cache: Path) -> subprocess.CompletedProcess:
    return subprocess.run(
        [*GRADER, "setup", "--runtime", str(runtime)],
        capture_output=True,
        text=True,
        env={**os.environ, CACHE_VARIABLE: str(cache)},
        timeout=600,
        check=False,
    )


def _entries(cache: Path) -> list[Path]:
    return sorted(p for p in (cache / "bytecode").rglob("*") if p.is_file())


def _bytecode(runtime: Path) -> dict[str, bytes]:
    """Each module's bytecode file in ``runtime``, by its path in the runtime."""
    return {
        str(path.relative_to(runtime)): path.read_bytes()
        for path in runtime.glob("lib/python3*/site-packages/course_helpers/__pycache__/*.pyc")
    }


def _as_compileall_writes(runtime: Path, folder: Path) -> dict[str, bytes]:
    """``runtime`` compiled by compileall alone, as the sandbox names it, into ``folder``."""
    plain = shutil.copytree(runtime, folder, symlinks=True)
    for stale in plain.rglob("__pycache__"):
        shutil.rmtree(stale)
    subprocess.run(
        [str(plain / "bin" / "python"), "-m", "compileall", "-q", "-f"]
        + ["-s", str(plain), "-p", SHOWN, str(plain / "lib")],
        capture_output=True,
        check=False,
    )
    return _bytecode(plain)


def _same_as_compileall(taken: dict[str, bytes], plain: dict[str, bytes], runtime: Path) -> None:
    assert taken.keys() == plain.keys() and len(taken) == MODULES
    for name, data in taken.items():
        source = runtime / name.replace("__pycache__/", "").split(".cpython")[0]
        stat = Path(f"{source}.py").stat()
        # the header Python checks: this runtime's source's time and size
        assert data[:4] == plain[name][:4] and int.from_bytes(data[4:8], "little") == 0
        assert int.from_bytes(data[8:12], "little") == int(stat.st_mtime) & 0xFFFFFFFF
        assert int.from_bytes(data[12:16], "little") == stat.st_size
        code, expected = marshal.loads(data[16:]), marshal.loads(plain[name][16:])
        assert code == expected and marshal.dumps(code) == marshal.dumps(expected), name
        assert code.co_filename.startswith(f"{SHOWN}/lib/"), code.co_filename


needs_debian_python = pytest.mark.skipif(
    not DEBIAN_PYTHON.exists(), reason="needs the system's /usr/bin/python3"
)


@needs_debian_python
def test_a_second_runtime_of_the_same_packages_takes_its_bytecode_from_the_cache(tmp_path):
    cache = tmp_path / "cache"
    first, second = _runtime(tmp_path / "first"), _runtime(tmp_path / "course" / "second")
    assert _setup(first, cache).returncode == 0
    entries = _entries(cache)
    assert len(entries) == MODULES  # one per module compiled; the template is not Python 3
    long_ago = time.time() - 30 * 86400
    for entry in entries:
        os.utime(entry, (long_ago, long_ago))

    done = _setup(second, cache)

    assert done.returncode == 0, done.stderr
    assert _entries(cache) == entries  # taken, none added
    assert all(entry.stat().st_mtime > long_ago + 86400 for entry in entries)  # each one used
    plain = _as_compileall_writes(second, tmp_path / "plain")
    _same_as_compileall(_bytecode(second), plain, second)


def _driver(cache: Path, folder: Path) -> subprocess.CompletedProcess:
    """The cached compileall over ``folder``, as :func:`.compile_as_shown` runs it."""
    return subprocess.run(
        [str(DEBIAN_PYTHON), cached_compileall.__file__, str(cache), "-q", "-f", "-j", "0"]
        + ["-s", str(folder), "-p", SHOWN, str(folder / "lib")],
        capture_output=True,
        text=True,
        check=False,
    )


@needs_debian_python
def test_a_damaged_entry_is_compiled_again_and_written_whole(tmp_path):
    cache = tmp_path / "cache"
    first, second = _runtime(tmp_path / "first"), _runtime(tmp_path / "second")
    _driver(cache / "bytecode", first)
    entries = _entries(cache)
    entries[0].write_bytes(entries[0].read_bytes()[:40])  # cut short
    entries[1].write_bytes(b"\0" * 32 + marshal.dumps(compile("VALUE = 'forged'", "x", "exec")))
    entries[2].write_bytes(b"")
    held = {entry: entry.read_bytes() for entry in entries[:3]}

    _driver(cache / "bytecode", second)

    _same_as_compileall(
        _bytecode(second), _as_compileall_writes(second, tmp_path / "plain"), second
    )
    for entry, damaged in held.items():
        assert entry.read_bytes() != damaged  # written again, whole
    _driver(cache / "bytecode", second)  # and read back by the next runtime
    _same_as_compileall(
        _bytecode(second), _as_compileall_writes(second, tmp_path / "again"), second
    )


@needs_debian_python
def test_a_cache_that_cannot_be_written_compiles_all_the_same(tmp_path):
    runtime = _runtime(tmp_path / "runtime")
    unwritable = tmp_path / "a-file"
    unwritable.write_text("not a folder")

    done = _driver(unwritable / "bytecode", runtime)

    assert done.returncode == 1  # compileall's own: the template that is not Python 3
    assert "Traceback" not in done.stderr
    _same_as_compileall(
        _bytecode(runtime), _as_compileall_writes(runtime, tmp_path / "plain"), runtime
    )


def test_what_no_runtime_used_for_two_months_is_removed(tmp_path, monkeypatch):
    monkeypatch.setenv(CACHE_VARIABLE, str(tmp_path))
    shelf = bytecode_cache() / sys.implementation.cache_tag / "ab"
    shelf.mkdir(parents=True)
    now = time.time()
    ages = {"used-today": 0, "used-last-month": 30, "unused-61-days": 61, "unused-a-year": 365}
    ages |= {".entry-left-an-hour-ago": 2 / 24, ".entry-being-written": 0}
    for name, days in ages.items():
        (shelf / name).write_bytes(b"x")
        os.utime(shelf / name, (now - days * 86400, now - days * 86400))

    assert prune_bytecode(60) == 3

    assert sorted(p.name for p in shelf.iterdir()) == [
        ".entry-being-written",
        "used-last-month",
        "used-today",
    ]


@needs_debian_python
def test_the_folder_of_a_runtime_that_is_gone_is_removed_as_another_is_prepared(tmp_path):
    """A deleted virtualenv leaves its folder in the cache (its compiled files' list, its font
    list): the next runtime prepared removes it, but not one whose runtime is there, one not
    yet recorded, nor one another grader holds."""
    cache = tmp_path / "cache"
    folders = cache / "runtimes"
    alive = tmp_path / "alive"
    alive.mkdir()
    records = {
        "gone": ("prepared.json", {"runtime": str(tmp_path / "deleted-venv")}),
        "gone-while-compiling": ("compiled-sources.json", {"runtime": [str(tmp_path / "x"), 1]}),
        "alive": ("prepared.json", {"runtime": str(alive)}),
        "held": ("prepared.json", {"runtime": str(tmp_path / "deleted-too")}),
        "not-recorded": ("font-list.json", {}),
    }
    for name, (record, content) in records.items():
        (folders / name).mkdir(parents=True)
        (folders / name / record).write_text(json.dumps(content))
        (folders / f"{name}.lock").touch()
    holder = subprocess.Popen(
        [sys.executable, "-c", "import fcntl, os, sys, time\n"
         "fd = os.open(sys.argv[1], os.O_RDWR)\nfcntl.flock(fd, fcntl.LOCK_EX)\n"
         "print('held', flush=True)\ntime.sleep(120)", str(folders / "held.lock")],
        stdout=subprocess.PIPE, text=True,
    )  # fmt: skip
    try:
        assert holder.stdout is not None and holder.stdout.readline() == "held\n"
        done = _setup(_runtime(tmp_path / "new"), cache)
    finally:
        holder.kill()
        holder.wait()

    assert done.returncode == 0, done.stderr
    left = sorted(p.name for p in folders.iterdir() if not p.name.startswith("new-"))
    assert left == sorted(
        ["alive", "alive.lock", "held", "held.lock", "not-recorded", "not-recorded.lock"]
    )
