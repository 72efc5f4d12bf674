"""The projects' rubric and settings, read from ``assignments/projects/`` (TOML, no code).

``projects.toml`` names the projects (their ids are the gradebook's component names), the
rubric file, the runtime and the run limits; ``rubric.toml`` holds the criteria, each with its
points and the level descriptors the marker reads.
"""

from __future__ import annotations

import os
import re
from dataclasses import dataclass
from pathlib import Path

from grader.course.keys import PROJECTS_TOML, RUBRIC_TOML
from grader.errors import UserError
from grader.inputs.toml_input import Table, read
from grader.projects.kinds import CRITERION_CHECKS, KEEPABLE

PROJECTS_FILE = "projects.toml"
_ID = re.compile(r"^[a-z0-9][a-z0-9-]*$")


@dataclass(frozen=True)
class Level:
    points: float
    descriptor: str


@dataclass(frozen=True)
class Criterion:
    id: str
    title: str
    points: float
    levels: tuple[Level, ...]  # best first
    checks: tuple[str, ...]  # which automatic checks to show beside it


@dataclass(frozen=True)
class Rubric:
    title: str
    criteria: tuple[Criterion, ...]
    path: Path

    @property
    def points(self) -> float:
        return sum(c.points for c in self.criteria)

    def criterion(self, criterion_id: str) -> Criterion | None:
        return next((c for c in self.criteria if c.id == criterion_id), None)


@dataclass(frozen=True)
class Project:
    id: str
    title: str


@dataclass(frozen=True)
class Projects:
    """The projects folder: its projects, their shared rubric, how their notebooks run."""

    folder: Path
    title: str
    projects: tuple[Project, ...]
    rubric: Rubric
    runtime: str
    cell_timeout: float
    notebook_timeout: float
    memory_mb: int
    rerun_tolerance: float = 0.05
    # the checks' kinds the students are not told (grader.projects.kinds.KEEPABLE)
    kept_from_students: frozenset[str] = frozenset()

    def runtime_folder(self) -> Path:
        """Where the runtime's venv is, built or not: GRADER_PROJECTS_RUNTIME, else
        ``runtime`` relative to the folder the grader runs in."""
        configured = os.environ.get("GRADER_PROJECTS_RUNTIME") or self.runtime
        path = Path(configured).expanduser()
        return path if path.is_absolute() else Path.cwd() / path

    def runtime_path(self) -> Path:
        """The runtime's venv folder; UserError saying how to build it when it is not there."""
        path = self.runtime_folder()
        if not (path / "bin" / "python").exists():
            raise UserError(
                f"the projects' runtime {path} is not built: run `grader setup --projects` (or "
                "set GRADER_PROJECTS_RUNTIME to a virtualenv with IPython and the projects' "
                "packages)"
            )
        return path


def is_projects_folder(folder: Path) -> bool:
    return (Path(folder) / PROJECTS_FILE).is_file()


def load_projects(folder: Path) -> Projects:
    folder = Path(folder)
    path = folder / PROJECTS_FILE
    top = Table(path, "", read(path, "projects file"))
    top.only(PROJECTS_TOML.names)
    settings = top.table("projects")
    settings.only(PROJECTS_TOML.table("projects").names)
    projects: list[Project] = []
    for table in top.tables("project"):
        table.only(PROJECTS_TOML.table("project").names)
        project = Project(_identifier(table), table.text("title"))
        if any(p.id == project.id for p in projects):
            raise table.error(f"project id '{project.id}' is given twice")
        projects.append(project)
    return Projects(
        folder=folder,
        title=settings.text("title"),
        projects=tuple(projects),
        rubric=load_rubric(folder / settings.text("rubric")),
        runtime=settings.text("runtime"),
        cell_timeout=settings.positive("cell_timeout"),
        notebook_timeout=settings.positive("notebook_timeout"),
        memory_mb=int(settings.positive("memory_mb")),
        rerun_tolerance=settings.number("rerun_tolerance", 0.05),
        kept_from_students=_kinds(settings),
    )


def _kinds(settings: Table) -> frozenset[str]:
    kept = settings.strings("keep_from_students", [])
    for unknown in sorted(set(kept) - set(KEEPABLE)):
        raise settings.error(
            f"keep_from_students names {unknown!r}, which is no kind of check: the kinds are "
            + ", ".join(KEEPABLE)
        )
    return frozenset(kept)


def load_rubric(path: Path) -> Rubric:
    """The rubric, or UserError naming the file and the key that is wrong."""
    top = Table(path, "", read(path, "rubric"))
    top.only(RUBRIC_TOML.names)
    head = top.table("rubric")
    head.only(RUBRIC_TOML.table("rubric").names)
    criteria: list[Criterion] = []
    for table in top.tables("criterion"):
        criterion_id = _identifier(table)
        if any(c.id == criterion_id for c in criteria):
            raise table.error(f"criterion id '{criterion_id}' is given twice; ids must differ")
        named = Table(path, f"criterion '{criterion_id}'", table.data)
        criteria.append(_criterion(named, criterion_id))
    return Rubric(head.text("title"), tuple(criteria), Path(path))


def _criterion(table: Table, criterion_id: str) -> Criterion:
    table.only(RUBRIC_TOML.table("criterion").names)
    points = table.positive("points")
    checks = tuple(table.strings("checks", []))
    for check in checks:
        if check not in CRITERION_CHECKS:
            raise table.error(
                f"'{table.where}.checks' names '{check}'; the checks are "
                + ", ".join(CRITERION_CHECKS)
            )
    levels: list[Level] = []
    for level_table in table.tables("level"):
        level_table.only(RUBRIC_TOML.table("criterion.level").names)
        level = Level(level_table.number("points"), level_table.text("descriptor"))
        if level.points > points:
            raise level_table.error(
                f"'{level_table.where}.points' is {level.points:g}, more than the criterion's "
                f"{points:g} points"
            )
        if any(other.points == level.points for other in levels):
            raise level_table.error(
                f"two levels of {table.where} give {level.points:g} points; each level its own"
            )
        levels.append(level)
    levels.sort(key=lambda level: -level.points)
    return Criterion(criterion_id, table.text("title"), points, tuple(levels), checks)


def _identifier(table: Table) -> str:
    value = table.text("id")
    if not _ID.match(value):
        raise table.error(
            f"'{table.where}.id' is {value!r}: use lower-case letters, digits and '-' "
            "(it is a column name of the marks CSV)"
        )
    return value
