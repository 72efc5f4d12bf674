"""``grader setup`` says how much there is to do and about how long it takes here, then counts
and the time left as it goes, instead of a fixed figure that a busy machine makes false."""

from __future__ import annotations

import importlib.util
import marshal
import os
import re
import shutil
import subprocess
import sys
from pathlib import Path

import pytest

from grader.engine.runtime.counted_compile import compile_counted, python_sources

GRADER = [sys.executable, "-m", "grader.cli"]
DEBIAN_PYTHON = Path("/usr/bin/python3")  # a system Python: the sandbox shows it as it is


def _package(folder: Path, modules: int) -> Path:
    """A package of ``modules`` small modules, one file that is not Python 3 (as some packages
    ship templates) and a stale ``__pycache__`` that compileall does not walk into."""
    folder.mkdir(parents=True)
    for number in range(modules):
        (folder / f"m{number:03d}.py").write_text(f"VALUE = {number}\n")
    (folder / "template.py").write_text("print 'not Python 3'\n")
    (folder / "__pycache__").mkdir()
    (folder / "__pycache__" / "ignored.py").write_text("")
    return folder


def test_compiling_says_the_count_done_and_the_time_left_as_it_goes(tmp_path, capfd):
    package = _package(tmp_path / "package", 40)
    assert python_sources(package) == 41
    assert python_sources(tmp_path, recurse=False) == 0
    command = [sys.executable, "-X", f"pycache_prefix={tmp_path / 'made'}", "-m", "compileall"]
    said: list[str] = []

    done = compile_counted([*command, "-f", str(package)], 41, said.append, every_s=0)

    assert done == 41
    counts = [int(m[1]) for m in (re.match(r" +(\d+) of 41 files \(", s) for s in said) if m]
    assert counts == list(range(1, 42)), said
    assert said[-1].strip().startswith("41 of 41 files (100%)"), said
    assert all(re.search(r", about \d+ (s|min) left$", line) for line in said[:-1]), said
    assert len(list((tmp_path / "made").rglob("m*.pyc"))) == 40
    printed = capfd.readouterr()
    assert "not Python 3" not in printed.out + printed.err  # the package's error, not shown


def _setup(runtime: Path, cache: Path) -> subprocess.CompletedProcess:
    return subprocess.run(
        [*GRADER, "setup", "--runtime", str(runtime)],
        capture_output=True,
        text=True,
        env={**os.environ, "GRADER_CACHE": str(cache)},
        timeout=600,
        check=False,
    )


@pytest.mark.skipif(not DEBIAN_PYTHON.exists(), reason="needs the system's /usr/bin/python3")
def test_setup_says_what_it_will_compile_and_about_how_long_before_each_step(tmp_path):
    runtime = tmp_path / "runtime"
    subprocess.run([str(DEBIAN_PYTHON), "-m", "venv", "--without-pip", str(runtime)], check=True)
    (site,) = runtime.glob("lib/python3*/site-packages")
    shutil.rmtree(site)
    _package(site / "course_helpers", 30)
    cache = tmp_path / "cache"

    done = _setup(runtime, cache)

    assert done.returncode == 0, done.stderr
    walls, lines = _walls_then_the_rest(done.stdout)
    assert len(walls) == 4, done.stdout  # namespaces, bubblewrap, seccomp, cgroups: each said
    first = lines[0]
    assert "31 files of the runtime and 0 of its base Python to compile" in first, first
    assert re.search(r"about \d+ (s|min) here now \(\d+ cores?, load \d+\.\d;", first), first
    steps = [line.strip() for line in lines if re.match(r" +\d/3 ", line)]
    assert steps[0] == "1/3 its bytecode as the sandbox names it (31 files)", steps
    assert "2/3 the base Python as the sandbox shows it (0 files)" in steps
    assert [s[:3] for s in steps if " done in " in s] == ["1/3", "2/3", "3/3"], steps
    assert lines[-1].startswith("prepared in ")
    assert "about 20 s" not in done.stdout
    assert len(list(site.rglob("m*.pyc"))) == 30

    again = _setup(runtime, cache)
    assert again.returncode == 0, again.stderr
    assert _walls_then_the_rest(again.stdout)[1][0].startswith("the sandbox is prepared for")


def _walls_then_the_rest(printed: str) -> tuple[list[str], list[str]]:
    """``grader setup``'s lines: first one per wall it checks (``works:`` or ``missing:``),
    then whether it found a GPU (one line), then the preparation's."""
    lines = printed.splitlines()
    walls = [line for line in lines if re.match(r"(works|missing): ", line)]
    assert lines[: len(walls)] == walls, printed
    assert lines[len(walls)].startswith("GPU: "), printed
    return walls, lines[len(walls) + 1 :]


@pytest.mark.skipif(not DEBIAN_PYTHON.exists(), reason="needs the system's /usr/bin/python3")
def test_after_an_install_only_the_new_and_changed_files_are_compiled_again(tmp_path):
    """An upgrade of the grader (or any package) into a prepared runtime: the next preparation
    compiles the files it brought, and keeps the bytecode of the rest as it was."""
    runtime = tmp_path / "runtime"
    subprocess.run([str(DEBIAN_PYTHON), "-m", "venv", "--without-pip", str(runtime)], check=True)
    (site,) = runtime.glob("lib/python3*/site-packages")
    package = _package(site / "course_helpers", 30)
    cache = tmp_path / "cache"
    assert _setup(runtime, cache).returncode == 0
    kept = package / "m000.py"
    kept_bytecode = _bytecode(kept)
    kept_before = kept_bytecode.stat().st_mtime_ns

    (package / "m001.py").write_text("VALUE = 'changed by the upgrade'\n")
    (package / "added.py").write_text("VALUE = 'new with the upgrade'\n")
    (site / "course_helpers-2.dist-info").mkdir()  # as an installer records what it installed
    # The installer compiles what it wrote, naming the host's folder.
    subprocess.run([str(runtime / "bin" / "python"), "-m", "compileall", "-q", str(package)])
    done = _setup(runtime, cache)

    assert done.returncode == 0, done.stderr
    lines = _walls_then_the_rest(done.stdout)[1]
    assert "2 files of the runtime and 0 of its base Python to compile" in lines[0], lines
    steps = [line.strip() for line in lines if re.match(r" +1/3 ", line)]
    assert steps[0] == "1/3 its bytecode as the sandbox names it (2 files, 30 kept as compiled)"
    assert kept_bytecode.stat().st_mtime_ns == kept_before
    for name in ("m001.py", "added.py"):
        assert _compiled_as(_bytecode(package / name)).startswith("/opt/python/venv/lib/")
    assert _compiled_as(kept_bytecode).startswith("/opt/python/venv/lib/")


@pytest.mark.skipif(sys.prefix == sys.base_prefix, reason="needs a virtualenv's base Python")
def test_a_new_virtualenv_of_a_prepared_base_python_shares_its_layer(tmp_path):
    """The base Python as the sandbox shows it is built once per base, not once per
    virtualenv: a new virtualenv (a new install of the grader, a course's own runtime) made
    from the Python the checkout's was made from finds it built."""
    from grader.engine.runtime.runtime_cache import cache_root
    from grader.engine.runtime.shown_base import base_layer

    layer = base_layer(Path(sys.prefix))
    if layer is None:
        pytest.skip(f"the checkout's runtime was made from {sys.base_prefix}, shown as it is")
    assert (layer / "base.json").is_file(), "make venv prepares the checkout's runtime"
    built = cache_root() / "bases"
    cache = tmp_path / "cache"
    cache.mkdir()
    (cache / "bases").symlink_to(built)
    base_python = Path(sys.base_prefix) / "bin" / "python3"
    runtime = tmp_path / "runtime"
    subprocess.run([str(base_python), "-m", "venv", "--without-pip", str(runtime)], check=True)

    done = _setup(runtime, cache)

    assert done.returncode == 0, done.stderr
    lines = _walls_then_the_rest(done.stdout)[1]
    assert "0 of its base Python to compile" in lines[0], lines
    assert any(line.startswith("base Python as shown: built before, shared") for line in lines)


def _bytecode(source: Path) -> Path:
    return Path(importlib.util.cache_from_source(str(source)))


def _compiled_as(bytecode: Path) -> str:
    """The path a bytecode file says its source was compiled from."""
    return marshal.loads(bytecode.read_bytes()[16:]).co_filename
