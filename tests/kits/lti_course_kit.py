"""A course registered with the LTI platform of :mod:`lti_platform_kit`, graded, and pushed:
what the LTI tests share (tests/course/test_lti*.py)."""

from __future__ import annotations

import contextlib
import csv
import io
import json
import time
from pathlib import Path
from typing import Any, NamedTuple

from course_kit import auto_result, make_course
from lti_platform_kit import INSTRUCTOR, TA, Platform, Serving, member

from grader.cli import main
from grader.course.config import Course

STUDENTS = [
    member("u-asha", "Asha Verma", "asha.verma@example.edu", "CS21B042"),
    member("u-rahul", "Rahul Menon", "rahul.menon@example.edu", "EE21B017"),
    member("u-priya", "Priya Nair", "priya.nair@example.edu", "ME21B103"),
]
STAFF = [
    member("u-kiran", "Kiran Rao", "kiran.rao@example.edu", "TA01", role=TA),
    member("u-prof", "Meera Iyer", "meera.iyer@example.edu", role=INSTRUCTOR),
]
USERS = {"u-asha": "CS21B042", "u-rahul": "EE21B017", "u-priya": "ME21B103"}


def lms_points(text: str) -> str:
    """course.toml with Assignment 1 worth 20 points in the LMS, Assignment 2 worth 30."""
    text = text.replace(
        'kind = "auto"\nweight = 15\n', 'kind = "auto"\nweight = 15\nlms_points = 20\n', 1
    )
    return text.replace(
        'id = "rnn_gradients"\ntitle = "Assignment 2: RNN gradients"\nkind = "auto"\nweight = 15\n',
        'id = "rnn_gradients"\ntitle = "Assignment 2: RNN gradients"\nkind = "auto"\nweight = 15\n'
        "lms_points = 30\n",
    )


def grader(course: Course, *args: str) -> int:
    return main([*args, "--course", str(course.path)])


def registered(course: Course, capsys: Any, members: Any = None, **settings: Any) -> Serving:
    """`grader lti init`, the JWKS registered on a platform, the platform's details stored."""
    assert grader(course, "lti", "init") == 0
    jwks = json.loads((course.lti_dir / "tool-jwks.json").read_text())
    platform = Platform(jwks, list(STUDENTS + STAFF if members is None else members), **settings)
    serving = Serving(platform)
    assert grader(course, "lti", "init", *platform.init_flags()) == 0
    capsys.readouterr()
    return serving


def graded(out: Path) -> None:
    auto_result(out, "lstm_gates", "CS21B042", 80.0)
    auto_result(out, "lstm_gates", "EE21B017", 55.5)
    auto_result(out, "lstm_gates", "ME21B103", 100.0)
    auto_result(out, "rnn_gradients", "CS21B042", 90.0)
    auto_result(out, "rnn_gradients", "EE21B017", 40.0)  # ME21B103 handed in nothing: 0


def push(course: Course, out: Path, *extra: str) -> int:
    return grader(course, "final", "--out", str(out), "--push", "lti", *extra)


def expected(out: Path, component: str, points: float) -> dict[str, float]:
    """What final-grades.csv says each student has of a component, on its LMS points."""
    with (out / "final" / "final-grades.csv").open(encoding="utf-8") as stream:
        rows = list(csv.DictReader(stream))
    return {
        row["student"]: round(float(row[component]) / 100 * points, 2)
        for row in rows
        if row[component]
    }


class LargeClass(NamedTuple):
    course: Course
    ids: list[str]
    members: list[dict[str, Any]]  # the class and an instructor, as the LMS enrolls them
    jwks: dict[str, Any]  # the tool's public keys, for a Platform to trust


AUTO = ("lstm_gates", "rnn_gradients", "lstm_backward")


def large_class(base: Path, students: int, out: Path) -> LargeClass:
    """The shipped course with a roster of ``students`` (ST00000, ST00001, ...), each graded in
    the three auto-graded assignments under ``out`` (scores spread over 0-100), and `grader lti
    init` run: for the benchmarks of pushing a class."""
    ids = [f"ST{n:05d}" for n in range(students)]
    roster = "id,name,email,role\n" + "".join(
        f"{i},Student {i},{i.lower()}@example.edu,student\n" for i in ids
    )
    course, _ = make_course(base, roster=roster)
    for n, student in enumerate(ids):
        for k, component in enumerate(AUTO):
            auto_result(out, component, student, float((n * 7 + k * 13) % 101))
    people = [member(f"u{i}", f"Student {i}", f"{i.lower()}@example.edu", i) for i in ids]
    people.append(member("u-prof", "Prof", "prof@example.edu", role=INSTRUCTOR))
    assert timed(course, "lti", "init")[0] == 0
    jwks = json.loads((course.lti_dir / "tool-jwks.json").read_text())
    return LargeClass(course, ids, people, jwks)


def timed(course: Course, *args: str) -> tuple[int, str, float]:
    """`grader <args>` in this process: its exit status, all it printed, the seconds it took."""
    out, err = io.StringIO(), io.StringIO()
    start = time.perf_counter()
    with contextlib.redirect_stdout(out), contextlib.redirect_stderr(err):
        code = grader(course, *args)
    return code, out.getvalue() + err.getvalue(), time.perf_counter() - start


def held(platform: Platform, component: str) -> dict[str, float]:
    return {USERS[u]: round(score, 2) for u, score in platform.scores_of(component).items()}
