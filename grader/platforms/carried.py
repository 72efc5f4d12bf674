"""What an export carries of the course, laid out in one folder (``course/`` of the
autograder's source): the assignment's folder (its hidden cases, its solution), the roster, the
course's secret (the hidden cases are drawn per student and assignment from it, as ``grader
grade`` draws them), the assignment's release records (each student's values; the
grader-owned cells of every class-wide release, so that a notebook released by an earlier
grader is not called edited) and ``course.toml`` (which makes the folder a course's, as
:func:`grader.assignment.releases.course_folder` looks for it), with the settings the run needs
(``platform.json``). Only the grader, as root, may read it in the
container (:mod:`grader.platforms.container_walls`)."""

from __future__ import annotations

import json
import shutil
from dataclasses import dataclass
from pathlib import Path

from grader.assignment import load_assignment, releases
from grader.course.config import COURSE_FILE, Course
from grader.limits import MiB
from grader.roster import Roster, load_roster
from grader.variants import attribution, draw
from grader.variants.record import FOLDER as VARIANTS
from grader.variants.record import Record, read_record, record_path

FOLDER = "course"
SETTINGS = "platform.json"
ROSTER = "roster.csv"


def carry(course: Course, name: str, into: Path) -> Path:
    """Lay out ``course``'s assignment ``name`` in ``into``/course; return that folder."""
    course_dir = course.path.parent
    folder = into / FOLDER
    shutil.copytree(
        course.assignment_folder(name),
        folder / name,
        ignore=shutil.ignore_patterns("__pycache__", ".ipynb_checkpoints"),
    )
    shutil.copyfile(course.roster_path, folder / ROSTER)
    key = folder / VARIANTS / draw.KEY_NAME
    key.parent.mkdir(parents=True)
    key.write_bytes(draw.course_key(course_dir))  # made now where the course has none yet
    key.chmod(0o600)
    shutil.copyfile(course.path, folder / COURSE_FILE)
    record = record_path(course_dir, name)
    if record.is_file():
        shutil.copyfile(record, record_path(folder, name))
    released = releases.record_path(course_dir, name)
    if released.is_file():
        released_here = releases.record_path(folder, name)
        released_here.parent.mkdir(parents=True, exist_ok=True)
        shutil.copyfile(released, released_here)
    settings = {"assignment": name, "decimals": course.decimals, "title": course.title}
    (folder / SETTINGS).write_text(json.dumps(settings, indent=1) + "\n")
    return folder


@dataclass(frozen=True)
class Carried:
    """The course as an export carries it, read back in the container."""

    folder: Path
    assignment: str
    decimals: int
    title: str

    @classmethod
    def at(cls, folder: Path) -> Carried:
        settings = json.loads((folder / SETTINGS).read_text())
        return cls(folder, settings["assignment"], settings["decimals"], settings["title"])

    @property
    def assignment_dir(self) -> Path:
        return self.folder / self.assignment

    def memory_bytes(self) -> int:
        """The memory the assignment gives a submission's processes (``memory_mb``)."""
        return load_assignment(self.assignment_dir).config.memory_mb * MiB

    def roster(self) -> Roster:
        return load_roster(self.folder / ROSTER)

    def key(self) -> bytes:
        return draw.course_key(self.folder)

    def record(self) -> Record:
        return read_record(self.folder, self.assignment)

    def place_record(self) -> None:
        """The students' values where the grading looks for them (no course file here)."""
        attribution.place_record(self.assignment_dir, self.record())
