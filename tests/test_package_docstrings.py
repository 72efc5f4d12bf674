"""Each package of grader/ says what it holds: its ``__init__`` docstring names every module and
subpackage in it, so a newcomer reading it knows where to look (and a module added or moved
without a word there is caught)."""

from __future__ import annotations

import ast
import re
from pathlib import Path

GRADER = Path(__file__).resolve().parents[1] / "grader"


def unnamed(package: Path) -> list[str]:
    """The modules and subpackages of ``package`` its ``__init__`` docstring does not name."""
    docstring = ast.get_docstring(ast.parse((package / "__init__.py").read_text())) or ""
    members = [p.stem for p in package.glob("*.py") if p.stem not in ("__init__", "__main__")]
    members += [p.name for p in package.iterdir() if (p / "__init__.py").is_file()]
    return sorted(m for m in members if not re.search(rf"(?<!\w){re.escape(m)}\b", docstring))


def test_every_package_names_each_of_its_modules():
    missing = {
        str(init.parent.relative_to(GRADER.parent)): names
        for init in sorted(GRADER.rglob("__init__.py"))
        if (names := unnamed(init.parent))
    }
    assert not missing, "modules a package's docstring does not name:\n" + "\n".join(
        f"  {package}: {', '.join(names)}" for package, names in missing.items()
    )


def test_a_module_left_unnamed_is_seen(tmp_path):
    (tmp_path / "sub").mkdir()
    (tmp_path / "sub" / "__init__.py").write_text("")
    (tmp_path / "__init__.py").write_text('"""Holds ``named`` and sub."""\n')
    (tmp_path / "named.py").write_text("")
    (tmp_path / "other.py").write_text("")
    (tmp_path / "__main__.py").write_text("")
    assert unnamed(tmp_path) == ["other"]
    (tmp_path / "__init__.py").write_text('"""Holds ``named`` only, not ``sub_x``."""\n')
    assert unnamed(tmp_path) == ["other", "sub"]


def test_the_readme_and_the_design_page_name_every_package():
    packages = sorted(p.name for p in GRADER.iterdir() if (p / "__init__.py").is_file())
    for page in ("README.md", "docs/reference/design.md"):
        text = (GRADER.parent / page).read_text()
        assert not [p for p in packages if f"{p}/`" not in text], page
