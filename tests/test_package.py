"""The package says what it is: its license (the code's and the fonts'), the licenses of what it
depends on listed where users look, ``python -m grader``, and no dependency that nothing uses."""

from __future__ import annotations

import re
import subprocess
import sys
import tomllib
from importlib.metadata import metadata, packages_distributions, version
from pathlib import Path

REPO = Path(__file__).resolve().parents[1]
PYPROJECT = tomllib.loads((REPO / "pyproject.toml").read_text())["project"]
# Declared dependencies the grader uses without importing them, and why.
USED_UNIMPORTED = {
    "dnspython": "dkimpy's DNS lookups of a signer's key",
    "uharfbuzz": "ReportLab's shaping of complex scripts",
}


def _name(requirement: str) -> str:
    return re.split(r"[\s\[<>=!~;]", requirement, maxsplit=1)[0]


def declared() -> list[str]:
    """The distributions pyproject.toml declares: the base install and the instructor's."""
    return [
        _name(r)
        for r in PYPROJECT["dependencies"] + PYPROJECT["optional-dependencies"]["instructor"]
    ]


def _normal(name: str) -> str:
    return re.sub(r"[-_.]+", "-", name).lower()


def test_the_license_is_stated_and_installed_with_the_package():
    assert PYPROJECT["license"] == "MIT AND OFL-1.1"
    assert (REPO / "LICENSE").read_text().startswith("MIT License")
    for path in PYPROJECT["license-files"]:
        assert (REPO / path).is_file(), path
    assert "Intended Audience :: Education" in PYPROJECT["classifiers"]


def test_every_dependency_has_its_license_listed_in_the_docs():
    page = (REPO / "docs" / "admins" / "licenses.md").read_text()
    listed = {_normal(n) for n in re.findall(r"^\| ([^|]+) \|", page, re.M) for n in n.split(", ")}
    assert {_normal(n) for n in declared()} <= listed
    assert "extract-msg | instructors | GPL-3.0" in page


def test_every_declared_dependency_is_imported_by_the_grader():
    """A declared package that no module of grader/ imports (nor runs, as USED_UNIMPORTED says)
    is one an install carries for nothing."""
    imports_of: dict[str, set[str]] = {}
    for module, distributions in packages_distributions().items():
        for distribution in distributions:
            imports_of.setdefault(_normal(distribution), set()).add(module)
    source = "\n".join(p.read_text() for p in (REPO / "grader").rglob("*.py"))
    imported = set(re.findall(r"^\s*(?:from|import) ([A-Za-z_]\w*)", source, re.M))
    unused = [
        name
        for name in declared()
        if name not in USED_UNIMPORTED and not imports_of.get(_normal(name), set()) & imported
    ]
    assert unused == []


def test_python_dash_m_grader_is_the_grader_command():
    done = subprocess.run(
        [sys.executable, "-m", "grader", "--version"], capture_output=True, text=True, cwd=REPO
    )
    assert done.returncode == 0, done.stderr
    assert done.stdout == f"grader {version('lstm-course-grader')}\n"


def test_the_installed_metadata_says_the_license():
    assert metadata("lstm-course-grader")["License-Expression"] == "MIT AND OFL-1.1"
