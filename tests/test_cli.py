"""The ``grader`` command itself, before any of its commands."""

from __future__ import annotations

import subprocess
import sys
from importlib.metadata import version
from pathlib import Path

import pytest

from grader import cli


def test_version_is_the_installed_package_version():
    done = subprocess.run(
        [sys.executable, "-m", "grader.cli", "--version"], capture_output=True, text=True
    )
    assert done.returncode == 0, done.stderr
    assert done.stdout == f"grader {version('lstm-course-grader')}\n"


# The import names of pyproject's [instructor] extra; python-dateutil is left out, as matplotlib
# (the student's base install) brings it.
INSTRUCTOR_IMPORTS = (
    "IPython tqdm dask distributed starlette uvicorn jinja2 markupsafe"
    " extract_msg openpyxl nbconvert datasketch jwt cryptography imapclient"
).split()

# Runs `grader ARGS` with the instructor's packages refused, as a student's install has them,
# then prints the grader modules the command line imported.
AS_A_STUDENT = """
import importlib.abc, sys
refused = set(sys.argv[1].split())
class Refuse(importlib.abc.MetaPathFinder):
    def find_spec(self, name, path, target=None):
        if name.split(".")[0] in refused:
            raise ModuleNotFoundError(f"No module named {name!r}", name=name)
sys.meta_path.insert(0, Refuse())
from grader.cli import main
try:
    code = main(sys.argv[2:])
except SystemExit as exited:  # --help
    code = exited.code
print("imported:", " ".join(sorted(m for m in sys.modules if m.startswith("grader."))))
sys.exit(code)
"""


def as_a_student(*args: str, cwd: Path) -> subprocess.CompletedProcess:
    return subprocess.run(
        [sys.executable, "-c", AS_A_STUDENT, " ".join(INSTRUCTOR_IMPORTS), *args],
        capture_output=True,
        text=True,
        cwd=cwd,
    )


def imported(done: subprocess.CompletedProcess) -> set[str]:
    line = next(line for line in done.stdout.splitlines() if line.startswith("imported:"))
    return set(line.split()[1:])


# Every command's module in cli.py's table: one command line imports its own alone.
COMMAND_MODULES = {
    entry.name: entry.module for entry in cli.COMMANDS if isinstance(entry, cli.Command)
}


def test_a_students_commands_run_without_the_instructors_packages(tmp_path):
    listed = as_a_student("--help", cwd=tmp_path)
    assert listed.returncode == 0, listed.stderr
    assert "grade" in listed.stdout and "similarity" in listed.stdout
    assert not imported(listed) & set(COMMAND_MODULES.values())
    # The bundle's PDF is typeset by the report's modules: a student's two commands go together.
    instructors = {m for name, m in COMMAND_MODULES.items() if name not in ("bundle", "report")}
    for command, written in (("bundle", "submission.toml"), ("report", "report.md")):
        done = as_a_student(command, "--template", written, cwd=tmp_path)
        assert done.returncode == 0, done.stderr
        assert (tmp_path / written).is_file()
        assert not imported(done) & instructors, f"grader {command} imported another command"


@pytest.mark.parametrize(
    "args",
    [
        ("grade", "--assignment", "nowhere", "--out", "o", "a.ipynb"),
        ("grade", "--help"),
        ("similarity", "a", "--out", "o"),
        ("collect", "inbox", "--out", "o"),
        ("assign", "nowhere"),
    ],
    ids=" ".join,
)
def test_an_instructors_command_in_a_students_install_says_what_to_install(tmp_path, args):
    done = as_a_student(*args, cwd=tmp_path)
    assert done.returncode == 2, done.stdout + done.stderr
    assert f"grader {args[0]}: this command is for instructors" in done.stderr
    assert "pip install 'lstm-course-grader[instructor]'" in done.stderr
    assert "Traceback" not in done.stderr
