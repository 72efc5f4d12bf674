"""The modules pyproject.toml's [tool.mypy] holds to zero errors have none (what `make lint`
and tox's `types` check; here so that CI, which runs the tests, checks it too)."""

from __future__ import annotations

import subprocess
import sys
import tomllib
from pathlib import Path

ROOT = Path(__file__).resolve().parent.parent


def test_the_typed_packages_have_no_mypy_errors(tmp_path):
    done = subprocess.run(
        [sys.executable, "-m", "mypy", "--cache-dir", str(tmp_path / "cache")],
        capture_output=True,
        text=True,
        cwd=ROOT,
        check=False,
    )
    assert done.returncode == 0, done.stdout[-4000:] + done.stderr[-2000:]
    assert done.stdout.startswith("Success: no issues found"), done.stdout[-4000:]


def test_no_module_is_left_out_of_the_type_check():
    """pyproject.toml ignores no module's errors: every module is held to zero."""
    config = tomllib.loads((ROOT / "pyproject.toml").read_text())["tool"]["mypy"]
    left_out = [
        override["module"]
        for override in config.get("overrides", [])
        if override.get("ignore_errors")
    ]
    assert not left_out, f"mypy ignores the errors of {left_out}: fix them, then drop the override"
