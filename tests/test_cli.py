"""The ``grader`` command itself, before any of its commands."""

from __future__ import annotations

import subprocess
import sys
from importlib.metadata import version


def test_version_is_the_installed_package_version():
    done = subprocess.run(
        [sys.executable, "-m", "grader.cli", "--version"], capture_output=True, text=True
    )
    assert done.returncode == 0, done.stderr
    assert done.stdout == f"grader {version('lstm-course-grader')}\n"
