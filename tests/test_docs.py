"""The documentation site (docs/, issue 42): it builds strictly (a warning, a broken internal
link or a missing picture fails it), and its reference pages list every command and flag of the
parser, every key the course files' readers accept and every limit, so the docs cannot drift
from the product."""

from __future__ import annotations

import argparse
import re
import shutil
import subprocess
import sys
from pathlib import Path

import pytest
import term_kit
from bs4 import BeautifulSoup

from grader import limits
from grader.assignment.keys import ASSIGNMENT_TOML
from grader.cli import build_parser
from grader.course.keys import COURSE_TOML, PROJECTS_TOML, RUBRIC_TOML

ROOT = Path(__file__).resolve().parent.parent
DOCS = ROOT / "docs"
TUTORIAL = DOCS / "instructors" / "tutorial.md"


def sphinx(source: Path, out: Path) -> subprocess.CompletedProcess:
    """The strict build `make docs` runs: warnings are errors, every reference must resolve."""
    command = [sys.executable, "-m", "sphinx", "-W", "--keep-going", "-n", "-q", "-b", "html"]
    return subprocess.run(
        [*command, str(source), str(out)], capture_output=True, text=True, timeout=900
    )


@pytest.fixture(scope="module")
def site(tmp_path_factory) -> Path:
    out = tmp_path_factory.mktemp("site")
    built = sphinx(DOCS, out)
    assert built.returncode == 0, built.stdout[-3000:] + built.stderr[-6000:]
    assert "WARNING" not in built.stderr, built.stderr[-6000:]
    return out


def page(site: Path, name: str) -> BeautifulSoup:
    return BeautifulSoup((site / name).read_text(encoding="utf-8"), "html.parser")


def shown(text: str) -> str:
    """Text as a reader sees it: one space between words, Markdown's code quotes gone."""
    return " ".join(text.replace("`", "").split())


def test_the_site_builds_strictly_with_a_page_per_reader(site):
    for name in [
        "index.html",
        "students/colab.html",
        "students/self-check.html",
        "students/report.html",
        "students/bundle.html",
        "students/feedback.html",
        "instructors/tutorial.html",
        "authors/assignment.html",
        "admins/sandbox.html",
        "admins/install.html",
        "admins/lms.html",
        "admins/dask.html",
        "reference/commands.html",
        "reference/limits.html",
    ]:
        assert (site / name).is_file(), name
    pictures = ["dashboard-overview.png", "dashboard-marking.png", "feedback-page.png"]
    for picture in [*pictures, "gradient-flow.png"]:
        assert (site / "_images" / picture).is_file(), picture


def test_a_broken_internal_link_fails_the_strict_build(tmp_path):
    copy = tmp_path / "docs"
    shutil.copytree(DOCS, copy, ignore=shutil.ignore_patterns("_build"))
    (tmp_path / "assignments").mkdir()  # the authors' page includes the shipped guide
    shutil.copy(ROOT / "assignments" / "README.md", tmp_path / "assignments" / "README.md")
    with (copy / "students" / "index.md").open("a") as text:
        text.write("\nSee [the grading page](../instructors/no-such-page.md).\n")
    built = sphinx(copy, tmp_path / "out")
    assert built.returncode != 0
    assert "no-such-page.md" in built.stderr


def _commands(parser: argparse.ArgumentParser, prefix: str = ""):
    """(command line, parser) of every command and sub-command, read off argparse itself."""
    for action in parser._actions:
        if isinstance(action, argparse._SubParsersAction):
            for name, sub in action.choices.items():
                full = f"{prefix} {name}".strip()
                yield full, sub
                yield from _commands(sub, full)


def test_the_command_reference_lists_every_command_and_flag(site):
    html = page(site, "reference/commands.html")
    commands = list(_commands(build_parser()))
    assert {"grade", "collect", "marks set", "lti init", "serve", "similarity"} <= {
        name for name, _ in commands
    }
    for name, sub in commands:
        section = html.find("section", id="grader-" + name.replace(" ", "-"))
        assert section is not None, f"no section for grader {name}"
        text = shown(section.get_text(""))
        assert f"grader {name}" in text
        for action in sub._actions:
            if isinstance(action, argparse._HelpAction | argparse._SubParsersAction):
                continue
            for argument in action.option_strings or [action.metavar or action.dest]:
                assert argument in text, f"grader {name}: {argument} is not in the reference"
            if action.help and "%(" not in action.help:
                assert shown(action.help) in text, (name, action.help)


@pytest.mark.parametrize(
    "declared, name",
    [
        (COURSE_TOML, "course-files"),
        (PROJECTS_TOML, "course-files"),
        (RUBRIC_TOML, "course-files"),
        (ASSIGNMENT_TOML, "assignment-toml"),
    ],
    ids=lambda value: getattr(value, "name", value),
)
def test_the_file_reference_lists_every_key_the_reader_accepts(site, declared, name):
    text = shown(page(site, f"reference/{name}.html").get_text(""))
    for table in declared.tables:
        assert table.heading in text, table.heading
        for key in table.keys:
            assert key.meaning.strip(), f"{declared.name}: {table.name}.{key.name} has no meaning"
            assert key.name in text, key
            assert shown(key.meaning) in text, key.meaning


def test_the_readers_accept_exactly_the_declared_keys(tmp_path):
    """A key the declarations do not list is refused by the reader, naming the known keys: the
    declarations are what the reader checks, not a copy of it."""
    from grader.course.config import load_course
    from grader.errors import UserError

    shipped = (ROOT / "assignments" / "course.toml").read_text()
    roster = ROOT / "examples" / "course" / "roster.csv"
    course = tmp_path / "course.toml"
    course.write_text(shipped.replace("../examples/course/roster.csv", str(roster)))
    assert load_course(course).components
    course.write_text(course.read_text().replace("scale = 100", "scale = 100\nsacle = 5"))
    with pytest.raises(UserError) as refused:
        load_course(course)
    assert "sacle" in str(refused.value)
    assert ", ".join(COURSE_TOML.table("course").names) in str(refused.value)


def test_the_limits_reference_lists_every_limit_with_its_reason(site):
    sys.path.insert(0, str(DOCS / "_ext"))
    try:
        from grader_reference import field_comments
    finally:
        sys.path.remove(str(DOCS / "_ext"))
    text = shown(page(site, "reference/limits.html").get_text(""))
    for group_name, group in limits.GROUPS.items():
        reasons = field_comments(type(group))
        for field in vars(group):
            assert f"{group_name}.{field}" in text, f"{group_name}.{field}"
            if reasons.get(field):  # (some fields are explained by their group's docstring)
                assert shown(reasons[field]) in text, reasons[field]


def test_the_instructors_tutorial_holds_the_walkthrough_the_install_test_runs():
    blocks = term_kit.walkthrough(TUTORIAL)
    assert [b.kind for b in blocks] == ["term"] * 3 + ["term-server", "term"]
    assert blocks[0].lines[0].startswith("grader init ")


def test_the_readme_is_the_front_door():
    """The README stays short: what it is, a picture, install, the two commands and where the
    docs are; every page it links to exists."""
    text = (ROOT / "README.md").read_text()
    assert len(text.splitlines()) <= 200
    assert "make demo" in text and "make test" in text and "make docs" in text
    links = re.findall(r"\]\(([^)#\s]+)", text)
    assert any(link.startswith("docs/") and link.endswith(".png") for link in links)
    for link in links:
        if "://" not in link:
            assert (ROOT / link).exists(), f"the README links to {link}, which does not exist"
    assert not term_kit.walkthrough(ROOT / "README.md"), "the walkthrough lives in the docs"
