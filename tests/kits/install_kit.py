"""The product installed as users install it, for tests/install/: an ordinary account (made
when the tests run as root), a folder of its own outside the checkout, virtualenvs of Debian's
own Python into which the course's wheel (wheel_kit) is installed, and commands run as that
user. Each test file names its own account, so that files running at once on two test
processes never count against one user's process limit."""

from __future__ import annotations

import os
import pwd
import shutil
import subprocess
import sys
import tempfile
from pathlib import Path

import pytest

REPO = Path(__file__).resolve().parents[2]
EXAMPLES = REPO / "examples"
DEBIAN_PYTHON = Path("/usr/bin/python3")

needs_debian_python = pytest.mark.skipif(
    not DEBIAN_PYTHON.is_file() or not sys.platform.startswith("linux"),
    reason="needs Debian's own python3 (apt-get install python3-venv)",
)


def ordinary_account(name: str) -> str | None:
    """The ordinary user ``name`` to run the product as, made if missing (None: the tests
    already run as one). Two test processes may make it at once: the second finds it made."""
    if os.getuid() != 0:
        return None
    try:
        pwd.getpwnam(name)
    except KeyError:
        made = subprocess.run(["useradd", "--create-home", "--shell", "/bin/bash", name])
        pwd.getpwnam(name)  # made here, or by the other process (useradd's 9: it exists)
        assert made.returncode in (0, 9), made
    return name


def new_home(account: str | None) -> Path:
    """A folder of the user's own, outside the checkout (pytest's own is root's, mode 700).
    Its name is new (mkdtemp), never the pid's: two runs in pid namespaces of their own, or two
    test processes, have the same pids, and each would remove the other's folder."""
    folder = Path(tempfile.mkdtemp(prefix="grader-install-test-", dir="/tmp"))
    folder.chmod(0o755)
    if account is not None:
        shutil.chown(folder, account, account)
    return folder


def as_user(account: str | None, folder: Path, *command: str, env: dict | None = None, **kw):
    """Run ``command`` in ``folder`` as the ordinary user, with that user's home and a PATH
    that starts with ``folder/venv/bin`` (when there is one)."""
    venv_bin = folder / "venv" / "bin"
    environment = {
        "PATH": f"{venv_bin}:/usr/local/bin:/usr/bin:/bin",
        "HOME": pwd.getpwnam(account).pw_dir if account else os.environ["HOME"],
        "LANG": "C.UTF-8",
        **(env or {}),
    }
    for name in ("PIP_INDEX_URL", "PIP_EXTRA_INDEX_URL", "PIP_FIND_LINKS", "PIP_CONFIG_FILE"):
        if name in os.environ:
            environment.setdefault(name, os.environ[name])
    prefix = ["runuser", "-u", account, "--"] if account else []
    return subprocess.run(
        [*prefix, "env", "-i", *(f"{k}={v}" for k, v in environment.items()), *command],
        cwd=folder,
        capture_output=True,
        text=True,
        **kw,
    )


def checked(done: subprocess.CompletedProcess) -> subprocess.CompletedProcess:
    assert done.returncode == 0, f"{done.args}\n{done.stdout[-3000:]}\n{done.stderr[-3000:]}"
    return done


# Without compiling every installed module ahead (torch's thousands): half of each install's
# time; Python compiles, and writes into the user's own venv, what a run imports.
PIP = ["venv/bin/python", "-m", "pip", "install", "-q", "--disable-pip-version-check"]
PIP += ["--no-compile"]


def make_venv(account, folder: Path, *requirements: str) -> Path:
    """A virtualenv of Debian's own Python in ``folder``, the user's, with ``requirements``
    installed as a user's pip resolves them: from pyproject's ranges, not the checkout's lock
    (whose pins need a newer Python 3.11 than Debian's, e.g. soupsieve's)."""
    checked(as_user(account, folder, str(DEBIAN_PYTHON), "-m", "venv", "venv"))
    checked(as_user(account, folder, *PIP, *requirements, timeout=1800))
    return folder / "venv"


def own_folder(account, folder: Path) -> Path:
    """A new folder of the user's."""
    folder.mkdir()
    if account:
        shutil.chown(folder, account, account)
    return folder


def copy_for(account, source: Path, target: Path) -> Path:
    """A copy of the file or folder ``source`` that is the user's."""
    if source.is_file():
        shutil.copy(source, target)
    else:
        shutil.copytree(source, target, ignore=shutil.ignore_patterns("__pycache__"))
    if account:
        for path in [target, *target.rglob("*")]:
            shutil.chown(path, account, account)
    return target


# --- what each install declares -----------------------------------------------------------

# Run inside the notebooks' runtime (the sandbox) or copied into it: never imported by the
# grader's own process, so the grader's install need not provide for them.
NOT_THE_GRADERS = ("grader.engine.gradersandbox", "grader.colab_stub")
# What a student's base install runs: `grader report`, `grader bundle`, and what they import;
# but the reference's torch comparison, which needs the torch Colab has and the base install
# leaves alone.
STUDENT_MODULES = ("grader.cli", "grader.bundle", "grader.report", "reference_lstm")
NEEDS_TORCH = ("reference_lstm.torch_interop",)

IMPORT_ALL = """
import importlib, pkgutil, sys
import grader
wanted, skipped = sys.argv[1].split(","), tuple(sys.argv[2].split(","))
names = set(wanted)
for top in wanted:
    module = importlib.import_module(top)
    for found in pkgutil.walk_packages(getattr(module, "__path__", []), prefix=top + "."):
        names.add(found.name)
failed = []
for name in sorted(names):
    if name.startswith(skipped) or name.split(".")[-1] in ("shipped", "templates", "runtimes"):
        continue
    try:
        importlib.import_module(name)
    except Exception as error:
        failed.append(f"{name}: {type(error).__name__}: {error}")
print("\\n".join(failed) or f"imported {len(names)} modules")
sys.exit(1 if failed else 0)
"""
