"""Shared makings of the course tests: a course folder in tmp_path (the shipped rubric and
course file, a roster of three students and a TA) and a gradebook in it; results, hand-ins and
marks put in it as grading and marking put them."""

from __future__ import annotations

import json
import shutil
from collections.abc import Callable
from pathlib import Path

from grader.course.config import Course, load_course
from grader.course.rubric import Projects, Rubric, load_projects
from grader.gradebook.course_book import CourseBook
from grader.gradebook.results import Gradebook, Row

ROOT = Path(__file__).resolve().parents[2]

ROSTER = (
    "id,name,email,role\n"
    "CS21B042,Asha Verma,asha.verma@example.edu,student\n"
    "EE21B017,Rahul Menon,rahul.menon@example.edu,student\n"
    "ME21B103,Priya Nair,priya.nair@example.edu,student\n"
    "TA01,Kiran Rao,kiran.rao@example.edu,staff\n"
)

# The test roster and the names real rosters hold: a comma and quotes, Devanagari, and a
# student without an email, placed after someone so an LMS could mistake whose row it is.
WIDE_ROSTER = ROSTER + (
    'SE21B007,"Ünal, Zoë ""Z""",zoe.unal@example.edu,student\n'
    "BT21B055,अनन्या शर्मा,ananya.sharma@example.edu,student\n"
    "PH21B011,Noor Khan,,student\n"
)


def make_course(
    tmp_path: Path, roster: str = ROSTER, edit: Callable[[str], str] = str
) -> tuple[Course, Projects]:
    """assignments/course.toml (its text passed through ``edit``) and assignments/projects/ as
    shipped, with a test roster."""
    assignments = tmp_path / "assignments"
    shutil.copytree(ROOT / "assignments" / "projects", assignments / "projects")
    text = (ROOT / "assignments" / "course.toml").read_text(encoding="utf-8")
    text = edit(text.replace("../examples/course/roster.csv", "roster.csv"))
    (assignments / "course.toml").write_text(text, encoding="utf-8")
    (assignments / "roster.csv").write_text(roster, encoding="utf-8")
    course = load_course(assignments / "course.toml")
    return course, load_projects(course.projects_dir)


def auto_result(
    out: Path,
    component: str,
    student: str,
    score: float,
    source: Path | str = "x.ipynb",
    status: str = "graded",
    late: bool | None = None,
    handed_in_at: str | None = None,
) -> None:
    with Gradebook(out / component / "gradebook.sqlite") as book:
        run = book.start_run(component, {})
        book.record(
            run,
            Row(
                student,
                str(source),
                "sha-" + str(score),
                1,
                status,
                None if status == "graded" else "no notebook",
                score,
                100.0,
                late,
                {},
                handed_in_at=handed_in_at,
            ),
        )


def handed_in(
    tmp_path: Path, student: str, submitted_at: str, assignment: str = "lstm_gates"
) -> Path:
    """A collected student folder, as far as final grades read it: the assignment's notebook
    in its slot, with its time, as ``grader collect`` records it."""
    folder = tmp_path / "submissions" / student
    folder.mkdir(parents=True)
    entry = {"path": f"{assignment}.ipynb", "sha256": "0" * 64, "at": submitted_at}
    manifest = {
        "submitted_at": submitted_at,
        "slots": {f"assignment/{assignment}": entry | {"source": "mail"}},
        "assignments": {assignment: entry["path"]},
    }
    (folder / "manifest.json").write_text(json.dumps(manifest))
    return folder


def full_marks(book: CourseBook, rubric: Rubric, student: str, component: str) -> None:
    for criterion in rubric.criteria:
        book.set_mark(student, component, criterion.id, criterion.points, "", by="ta")
