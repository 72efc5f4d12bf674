"""Shared makings of the course tests: a course folder in tmp_path (the shipped rubric and
course file, a roster of three students and a TA) and a gradebook in it."""

from __future__ import annotations

import shutil
from pathlib import Path

from grader.course.config import Course, load_course
from grader.course.rubric import Projects, load_projects

ROOT = Path(__file__).resolve().parent.parent

ROSTER = (
    "id,name,email,role\n"
    "CS21B042,Asha Verma,asha.verma@example.edu,student\n"
    "EE21B017,Rahul Menon,rahul.menon@example.edu,student\n"
    "ME21B103,Priya Nair,priya.nair@example.edu,student\n"
    "TA01,Kiran Rao,kiran.rao@example.edu,staff\n"
)


def make_course(tmp_path: Path, roster: str = ROSTER) -> tuple[Course, Projects]:
    """assignments/course.toml and assignments/projects/ as shipped, with a test roster."""
    assignments = tmp_path / "assignments"
    shutil.copytree(ROOT / "assignments" / "projects", assignments / "projects")
    text = (ROOT / "assignments" / "course.toml").read_text(encoding="utf-8")
    text = text.replace("../examples/course/roster.csv", "roster.csv")
    (assignments / "course.toml").write_text(text, encoding="utf-8")
    (assignments / "roster.csv").write_text(roster, encoding="utf-8")
    course = load_course(assignments / "course.toml")
    return course, load_projects(course.projects_dir)
