"""What one ``grader serve`` serves: the course and its graded output, read per request."""

from __future__ import annotations

from dataclasses import dataclass
from pathlib import Path

from grader.course.config import Course, load_course
from grader.course.rubric import Projects, load_projects


@dataclass
class Site:
    """What one server serves: the course and its graded output."""

    course_path: Path
    out: Path

    def course(self) -> Course:
        return load_course(self.course_path)  # read per request: edits show without a restart

    def projects(self) -> Projects | None:
        folder = self.course().projects_dir
        return load_projects(folder) if (folder / "projects.toml").is_file() else None
