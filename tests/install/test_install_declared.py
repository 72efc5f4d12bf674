"""What each install declares, as users install it: the wheel with its `[instructor]` extra
alone provides everything the grader imports; the lock resolves on the oldest Python the
Makefile accepts; docs/admins/install.md's block runs line by line in a fresh login shell of an
ordinary user."""

from __future__ import annotations

import os
import pwd
import shutil
import subprocess
from pathlib import Path

import pytest
from install_kit import (
    DEBIAN_PYTHON,
    IMPORT_ALL,
    NOT_THE_GRADERS,
    PIP,
    REPO,
    as_user,
    checked,
    make_venv,
    needs_debian_python,
    own_folder,
)

pytestmark = needs_debian_python
ACCOUNT = "grader-test-admin"  # made by these tests when they run as root


@pytest.fixture(scope="module")
def install_block(account, home, wheel) -> subprocess.CompletedProcess | None:
    """docs/admins/install.md's block, run once, line by line, in a fresh login shell of the
    ordinary user (None where the tests do not run as root: no account to log in as)."""
    if account is None:
        return None
    folder = own_folder(account, home / "admin")
    shutil.rmtree(Path(pwd.getpwnam(account).pw_dir) / "grader", ignore_errors=True)  # a rerun's
    lines = _install_block()
    assert lines[0].startswith("WHEEL=") and not any(line.startswith("pip ") for line in lines[:2])
    local = shutil.copy(wheel, folder / wheel.name)  # the wheel given locally, the user's
    shutil.chown(local, account, account)
    script = "set -e\ncd " + str(folder) + "\n"
    for number, line in enumerate([f"WHEEL={local}", *lines[1:]], start=1):
        script += f"{line}\necho 'line {number} done'\n"
    environment = [f"{k}={v}" for k, v in os.environ.items() if k.startswith("PIP_")]
    return subprocess.run(
        ["runuser", "-l", account, "-c", f"env {' '.join(environment)} bash -l -s"],
        input=script,
        capture_output=True,
        text=True,
        timeout=3600,
        check=False,
    )


@pytest.fixture(scope="module")
def instructor_only(account, home, wheel, install_block) -> Path:
    """A virtualenv of the wheel and its `[instructor]` extra, nothing else (no torch, no test
    tools): the one the install block made (``~/grader``, the user's), or one made here where
    it made none (not root, or the block failed: its own test says why)."""
    if install_block is not None and install_block.returncode == 0:
        made = Path(pwd.getpwnam(account).pw_dir) / "grader"
        if (made / "bin" / "python").is_file():
            return made
    folder = own_folder(account, home / "instructor-only")
    return make_venv(account, folder, f"{wheel}[instructor]")


def test_the_instructor_extra_provides_everything_the_grader_imports(account, instructor_only):
    python = str(instructor_only / "bin" / "python")
    done = as_user(account, instructor_only.parent, python, "-c", IMPORT_ALL, "grader",
                   ",".join(NOT_THE_GRADERS))  # fmt: skip
    assert done.returncode == 0, done.stdout + done.stderr


LOCK_PYTHON = "3.11.2"  # Debian 12's python3, the oldest the Makefile accepts


def _debian_python_version() -> str:
    done = subprocess.run([str(DEBIAN_PYTHON), "--version"], capture_output=True, text=True)
    return done.stdout.split()[-1] if done.returncode == 0 else ""


@pytest.mark.skipif(
    _debian_python_version() != LOCK_PYTHON, reason=f"needs Debian 12's python3 ({LOCK_PYTHON})"
)
def test_the_lock_resolves_on_the_oldest_python_the_makefile_accepts(account, home):
    """`make` accepts Debian 12's Python: every pin of requirements.txt installs there."""
    assert f"({', '.join(LOCK_PYTHON.split('.'))})" in (REPO / "Makefile").read_text()
    folder = own_folder(account, home / "lock")
    checked(as_user(account, folder, str(DEBIAN_PYTHON), "-m", "venv", "venv"))
    shutil.copy(REPO / "requirements.txt", folder / "requirements.txt")
    done = as_user(account, folder, *PIP, "--dry-run", "-r", "requirements.txt", timeout=1800)
    assert done.returncode == 0, done.stderr[-3000:]


# --- docs/admins/install.md's block, as written (issue 51) -----------------------------------


def _install_block() -> list[str]:
    """The lines of the first shell block of docs/admins/install.md."""
    text = (REPO / "docs" / "admins" / "install.md").read_text()
    block = text.split("```sh\n", 1)[1].split("```", 1)[0]
    return [line for line in block.splitlines() if line.strip()]


def test_the_install_block_runs_line_by_line_in_a_fresh_login_shell(install_block):
    if install_block is None:
        pytest.skip("needs root to make the ordinary account and its login shell")
    done, lines = install_block, _install_block()
    assert done.returncode == 0, f"{done.stdout[-3000:]}\n{done.stderr[-3000:]}"
    assert f"line {len(lines)} done" in done.stdout
    assert "works: user namespaces" in done.stdout
    assert "command not found" not in done.stderr
