"""The course's wheel, built once per content of the checkout and shared by every test that
installs it (the wheel as users install it, the Colab replica, the lowest versions): kept in
``~/.cache/lstm-grader-tests/wheel-<hash>/``, the hash of every file the build reads (the
checkout's files as ``git ls-files`` lists them, and the Python and setuptools that build it),
as pip's cache is keyed. A file lock makes a second test process wait for the first's build,
never build it twice; a changed file is a new hash, so a stale wheel is never reused.
"""

from __future__ import annotations

import fcntl
import hashlib
import os
import shutil
import subprocess
import sys
from pathlib import Path

ROOT = Path(__file__).resolve().parents[2]
CACHE = Path(os.environ.get("XDG_CACHE_HOME") or Path.home() / ".cache") / "lstm-grader-tests"


def _listed() -> list[str]:
    """The checkout's files, as a clone and its untracked, unignored files have them."""
    listed = subprocess.run(
        ["git", "ls-files", "-z", "--cached", "--others", "--exclude-standard"],
        cwd=ROOT,
        capture_output=True,
        text=True,
        check=True,
    ).stdout.split("\0")
    return sorted(name for name in listed if name and (ROOT / name).is_file())


def _key(names: list[str]) -> str:
    import setuptools

    digest = hashlib.sha256(f"{sys.executable}\0{setuptools.__version__}\0".encode())
    for name in names:
        digest.update(name.encode() + b"\0" + (ROOT / name).read_bytes() + b"\0")
    return digest.hexdigest()[:16]


def course_wheel() -> Path:
    """The course's wheel, as the course builds it (``pip wheel --no-deps .``, from a copy of
    the checkout's files, not its build/ folder, whose leftovers could fill a wheel with files
    the package data no longer names); built on the first call for these files, then reused."""
    names = _listed()
    folder = CACHE / f"wheel-{_key(names)}"
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
        command = [sys.executable, "-m", "pip", "wheel", "-q", "--no-deps", "--no-build-isolation"]
        done = subprocess.run([*command, "-w", str(folder), str(source)], capture_output=True)
        assert done.returncode == 0, done.stdout.decode()[-3000:] + done.stderr.decode()[-3000:]
        shutil.rmtree(source)
        made = list(folder.glob("lstm_course_grader-*.whl"))
        assert len(made) == 1, made
        (folder / "done").write_text(made[0].name + "\n")
        return made[0]
