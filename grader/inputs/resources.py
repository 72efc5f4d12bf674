"""Files the product reads at run time that are not Python modules: package data.

An installed grader (a wheel) carries the repository's ``assignments/`` as ``grader/shipped/``
its ``templates/`` as ``grader/templates/`` and its ``runtimes/`` as ``grader/runtimes/`` (see
setup.py). Run from a checkout (the
editable install that ``make`` makes), the same files are read where the repository keeps them.
"""

from __future__ import annotations

import shutil
from pathlib import Path

from grader.errors import UserError

_PACKAGE = Path(__file__).resolve().parents[1]  # the grader package: grader/inputs/..
# Package data folder -> the repository folder it is built from.
_BUILT_FROM = {"shipped": "assignments", "templates": "templates", "runtimes": "runtimes"}


def _folder(name: str) -> Path:
    packaged = _PACKAGE / name
    return packaged if packaged.is_dir() else _PACKAGE.parent / _BUILT_FROM[name]


def shipped_course() -> Path:
    """The course that ships: ``course.toml``, the assignments' folders, the projects'."""
    return _folder("shipped")


def runtime_requirements(name: str) -> Path:
    """A notebook runtime's pinned requirements: ``colab-projects.txt``, the projects'
    Colab-like runtime."""
    return _folder("runtimes") / name


def template(name: str) -> Path:
    """A template students or the feedback page start from: ``report.md``,
    ``submission.toml``, ``feedback.html``."""
    return _folder("templates") / name


def write_template(name: str, path: Path) -> None:
    """Copy the template ``name`` to ``path`` for a student to fill in; never overwrites."""
    if path.exists():
        raise UserError(f"{path} already exists: give a new file name for the template")
    path.parent.mkdir(parents=True, exist_ok=True)
    shutil.copyfile(template(name), path)
