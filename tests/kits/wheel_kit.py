"""The course's wheel, built as the course builds it (``pip wheel --no-deps .``): from a copy of
the checkout's files (not its build/ folder, whose leftovers could fill a wheel with files the
package data no longer names), with the version the checkout builds as (the copy has no git
history to read it from: setup.py's scheme, given to setuptools-scm as the version); or from an
earlier commit of the repository (``git archive``), as a course running that build has it."""

from __future__ import annotations

import importlib.util
import os
import shutil
import subprocess
import sys
import tarfile
from pathlib import Path

import setuptools_scm

ROOT = Path(__file__).resolve().parents[2]


def checkout_version() -> str:
    """The version a build of the checkout gets (setup.py's scheme on its history):
    ``0.2.<commits>+g<commit>``, with ``.d<date>`` for uncommitted changes."""
    spec = importlib.util.spec_from_file_location("grader_setup", ROOT / "setup.py")
    assert spec is not None and spec.loader is not None
    setup = importlib.util.module_from_spec(spec)
    spec.loader.exec_module(setup)  # its setup() runs only as the build runs it
    return setuptools_scm.get_version(root=str(ROOT), **setup.SCM_VERSION)


def build_wheel(out: Path) -> Path:
    """The checkout's wheel in ``out``, built from a copy of its files in ``out/source``."""
    listed = run("git", "ls-files", "-z", "--cached", "--others", "--exclude-standard", cwd=ROOT)
    source = out / "source"
    for name in filter(None, listed.stdout.split("\0")):
        if (ROOT / name).is_file():
            (source / name).parent.mkdir(parents=True, exist_ok=True)
            shutil.copy2(ROOT / name, source / name)
    return _wheel(source, out, checkout_version())


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
