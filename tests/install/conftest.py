"""The fixtures every file of tests/install/ shares: its ordinary account (the file's
``ACCOUNT``), a folder of the user's own, the course's wheel in it, and the student's install
made from it (the student's tests, and the instructor's term, where students build reports)."""

from __future__ import annotations

import subprocess
from pathlib import Path

import pytest
from install_kit import make_venv, new_home, ordinary_account, own_folder
from wheel_kit import build_wheel, checkout_version


@pytest.fixture(scope="module")
def account(request) -> str | None:
    """The file's ordinary user (its ``ACCOUNT``), made when the tests run as root."""
    return ordinary_account(request.module.ACCOUNT)


@pytest.fixture(scope="session")
def removals() -> list[subprocess.Popen]:
    """The removals of the files' folders, waited for as the session ends."""
    started: list[subprocess.Popen] = []
    yield started
    for removal in started:
        removal.wait()


@pytest.fixture(scope="module")
def home(account, removals) -> Path:
    """The folder, removed as this process goes on to its next file: a folder of virtualenvs
    (torch's among them) takes the disk a minute and a half to remove on a busy machine, and
    little CPU, which the next file has."""
    folder = new_home(account)
    yield folder
    removals.append(subprocess.Popen(["rm", "-rf", "--one-file-system", "--", str(folder)]))


@pytest.fixture(scope="module")
def wheel(home) -> Path:
    """The course's wheel (built once per content of the checkout: wheel_kit), copied into the
    ordinary user's folder (root's cache is not theirs to read), named by the version the
    checkout builds as."""
    made = build_wheel(home / "wheel")
    assert made.name == f"lstm_course_grader-{checkout_version()}-py3-none-any.whl"
    return made


@pytest.fixture(scope="module")
def student(account, home, wheel) -> Path:
    """The student's install: the wheel alone (no extra) in a virtualenv of the user's own."""
    folder = own_folder(account, home / "student")
    make_venv(account, folder, str(wheel))
    return folder
