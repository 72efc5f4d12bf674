"""The course's wheel, built as the course builds it (``pip wheel --no-deps .``), once per
content of the checkout and shared by every test that installs it (the wheel as users install
it, the upgrade, the Colab replica, the lowest versions); or the wheel of an earlier commit of
the repository (``git archive``), as a course running that build has it.

The checkout's wheel is kept in ``~/.cache/lstm-grader-tests/wheel-<hash>/``, the hash of every
file the build reads (the checkout's files as ``git ls-files`` lists them, the version it builds
as, and the Python and setuptools that build it), as pip's cache is keyed: a file lock makes a
second test process wait for the first's build, never build it twice, and a changed file is a
new hash, so a stale wheel is never reused. It is built from a copy of the checkout's files
(not its build/ folder, whose leftovers could fill a wheel with files the package data no longer
names), with the version the checkout builds as (the copy has no git history to read it from:
setup.py's scheme, given to setuptools-scm as the version)."""

from __future__ import annotations

import fcntl
import hashlib
import importlib.util
import os
import shutil
import subprocess
import sys
import tarfile
from pathlib import Path

import pathspec
import pytest
import setuptools_scm

ROOT = Path(__file__).resolve().parents[2]
CACHE = Path(os.environ.get("XDG_CACHE_HOME") or Path.home() / ".cache") / "lstm-grader-tests"


def checkout_version() -> str:
    """The version a build of the checkout gets (setup.py's scheme on its history):
    ``0.2.<commits>+g<commit>``, with ``.d<date>`` for uncommitted changes."""
    spec = importlib.util.spec_from_file_location("grader_setup", ROOT / "setup.py")
    assert spec is not None and spec.loader is not None
    setup = importlib.util.module_from_spec(spec)
    spec.loader.exec_module(setup)  # its setup() runs only as the build runs it
    return setuptools_scm.get_version(root=str(ROOT), **setup.SCM_VERSION)


HAS_HISTORY = (ROOT / ".git").exists()  # a clone (or a worktree), not an archive or a copy
NEEDS_HISTORY = pytest.mark.skipif(
    not HAS_HISTORY,
    reason="needs the repository's history (git archive of a commit): this tree is an archive "
    "or a copy without .git; run it in a clone",
)


def _listed() -> list[str]:
    """The checkout's files, as a clone and its untracked, unignored files have them; in a tree
    without the history (an archive, a copy), every file .gitignore does not ignore."""
    if not HAS_HISTORY:
        ignored = pathspec.GitIgnoreSpec.from_lines((ROOT / ".gitignore").read_text().splitlines())
        found = (p.relative_to(ROOT).as_posix() for p in ROOT.rglob("*") if p.is_file())
        return sorted(name for name in found if not ignored.match_file(name))
    listed = run("git", "ls-files", "-z", "--cached", "--others", "--exclude-standard", cwd=ROOT)
    return sorted(name for name in listed.stdout.split("\0") if name and (ROOT / name).is_file())


def _key(names: list[str], version: str) -> str:
    import setuptools

    digest = hashlib.sha256(f"{sys.executable}\0{setuptools.__version__}\0{version}\0".encode())
    for name in names:
        digest.update(name.encode() + b"\0" + (ROOT / name).read_bytes() + b"\0")
    return digest.hexdigest()[:16]


def course_wheel() -> Path:
    """The checkout's wheel: built on the first call for these files, then reused."""
    names, version = _listed(), checkout_version()
    folder = CACHE / f"wheel-{_key(names, version)}"
    CACHE.mkdir(parents=True, exist_ok=True)
    with open(CACHE / f"{folder.name}.lock", "w") as lock:
        fcntl.flock(lock, fcntl.LOCK_EX)
        made = list(folder.glob("lstm_course_grader-*.whl"))
        if (folder / "done").is_file() and len(made) == 1:
            return made[0]
        shutil.rmtree(folder, ignore_errors=True)
        source = folder / "source"
        for name in names:
            (source / name).parent.mkdir(parents=True, exist_ok=True)
            shutil.copy2(ROOT / name, source / name)
        wheel = _wheel(source, folder, version)
        shutil.rmtree(source)
        (folder / "done").write_text(wheel.name + "\n")
        return wheel


def build_wheel(out: Path) -> Path:
    """The checkout's wheel, copied into ``out`` (a test's own folder)."""
    out.mkdir(parents=True, exist_ok=True)
    return Path(shutil.copy(course_wheel(), out))


def commit_wheel(commit: str, out: Path) -> Path:
    """The wheel of an earlier ``commit`` of this repository, in ``out`` (built once: a wheel
    already there is reused), as a course given that build installs it."""
    made = sorted(out.glob("lstm_course_grader-*.whl"))
    if made:
        return made[0]
    source = out / "source"
    source.mkdir(parents=True)
    archive = out / "source.tar"
    run("git", "archive", "--format=tar", "-o", str(archive), commit, cwd=ROOT)
    with tarfile.open(archive) as tar:
        tar.extractall(source, filter="data")
    archive.unlink()
    return _wheel(source, out, "")


def _wheel(source: Path, out: Path, version: str) -> Path:
    environment = dict(os.environ)
    if version:  # the copy has no history: its version is the checkout's
        environment["SETUPTOOLS_SCM_PRETEND_VERSION_FOR_LSTM_COURSE_GRADER"] = version
    run(sys.executable, "-m", "pip", "wheel", "-q", "--no-deps", "--no-build-isolation",
         "-w", out, source, env=environment)  # fmt: skip
    (wheel,) = out.glob("lstm_course_grader-*.whl")
    return wheel


def run(*command: str | Path, **options) -> subprocess.CompletedProcess:
    """``command`` run to its end; its output, or a RuntimeError with it."""
    done = subprocess.run(
        [str(part) for part in command], capture_output=True, text=True, **options
    )
    if done.returncode != 0:
        raise RuntimeError(f"{' '.join(map(str, command))} failed:\n{done.stdout}{done.stderr}")
    return done
