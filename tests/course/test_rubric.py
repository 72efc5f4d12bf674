"""The projects' rubric and settings files: the shipped ones load, and every kind of mistake an
instructor makes while editing them is a clear message naming the file and the key."""

from __future__ import annotations

import shutil
from pathlib import Path

import pytest

from grader import cli
from grader.course.config import load_course
from grader.course.rubric import load_projects, load_rubric
from grader.errors import UserError

ROOT = Path(__file__).resolve().parents[2]
PROJECTS = ROOT / "assignments" / "projects"

GOOD = """
[rubric]
title = "Project"

[[criterion]]
id = "report-form"
title = "The two-page report"
points = 10
checks = ["report"]
[[criterion.level]]
points = 10
descriptor = "Two pages, six sections."
[[criterion.level]]
points = 0
descriptor = "No report."
"""


def write(tmp_path: Path, text: str) -> Path:
    path = tmp_path / "rubric.toml"
    path.write_text(text, encoding="utf-8")
    return path


def test_the_shipped_rubric_follows_the_hand_in_rules():
    projects = load_projects(PROJECTS)
    assert [p.id for p in projects.projects] == ["project1", "project2"]
    rubric = projects.rubric
    assert rubric.points == 100
    ids = [c.id for c in rubric.criteria]
    for needed in ("introduction", "dataset", "notebook", "results", "visualization", "references"):
        assert needed in ids
    for criterion in rubric.criteria:
        assert criterion.levels[0].points == criterion.points  # the best level gives full marks
        assert criterion.levels[-1].points == 0


def test_the_shipped_course_file_names_the_five_components():
    course = load_course(ROOT / "assignments" / "course.toml")
    assert [c.id for c in course.components] == [
        "lstm_gates",
        "rnn_gradients",
        "lstm_backward",
        "project1",
        "project2",
    ]
    assert course.total_weight == 100
    assert course.roster().by_id("CS21B042") is not None


@pytest.mark.parametrize(
    ("change", "expected"),
    [
        (
            lambda t: t.replace("points = 10\nchecks", 'points = "ten"\nchecks'),
            "criterion 'report-form'.points' must be a number",
        ),
        (
            lambda t: t.replace('id = "report-form"', 'id = "Report Form"'),
            "'criterion[0].id' is 'Report Form'",
        ),
        (
            lambda t: t.replace(
                "[[criterion.level]]\npoints = 10", "[[criterion.level]]\npoints = 12"
            ),
            "more than the criterion's 10 points",
        ),
        (
            lambda t: t.replace('checks = ["report"]', 'checks = ["reprot"]'),
            "names 'reprot'; the checks are report, notebook, dataset",
        ),
        (
            lambda t: t.replace('title = "The two-page report"', 'title = "x"\nweight = 3'),
            "unknown key 'criterion 'report-form'.weight'",
        ),
        (
            lambda t: t.replace('descriptor = "No report."', ""),
            "'criterion 'report-form'.level[1].descriptor' must be non-empty text",
        ),
        (
            lambda t: t.replace("points = 0\n", "points = 10\n"),
            "two levels of criterion 'report-form' give 10 points",
        ),
        (
            lambda t: t + t.split("[rubric]")[1].split('title = "Project"')[1],
            "criterion id 'report-form' is given twice",
        ),
        (
            lambda t: t.replace("[[criterion]]", "[criterion]", 1).replace(
                "[[criterion.level]]", "[[criterion.levelx]]"
            ),
            "no [[criterion]] tables",
        ),
        (lambda t: t.replace('title = "Project"', 'title = "Project'), "not valid TOML"),
    ],
)
def test_a_bad_rubric_names_the_file_and_the_key(tmp_path, change, expected):
    path = write(tmp_path, change(GOOD))
    with pytest.raises(UserError) as caught:
        load_rubric(path)
    message = str(caught.value)
    assert str(path) in message
    assert expected in message


def test_the_good_rubric_loads(tmp_path):
    rubric = load_rubric(write(tmp_path, GOOD))
    assert rubric.criterion("report-form").checks == ("report",)


def test_the_cli_says_what_is_wrong_with_the_rubric_and_exits_2(tmp_path, capsys):
    assignments = tmp_path / "assignments"
    shutil.copytree(ROOT / "assignments" / "projects", assignments / "projects")
    shutil.copy(ROOT / "assignments" / "course.toml", assignments / "course.toml")
    (tmp_path / "examples" / "course").mkdir(parents=True)
    shutil.copy(ROOT / "examples" / "course" / "roster.csv", tmp_path / "examples" / "course")
    rubric = assignments / "projects" / "rubric.toml"
    rubric.write_text(rubric.read_text().replace("points = 15\n", "points = -15\n", 1))
    code = cli.main(
        [
            "marks",
            "export",
            str(tmp_path / "m.csv"),
            "--course",
            str(assignments / "course.toml"),
            "--out",
            str(tmp_path / "graded"),
        ]
    )
    err = capsys.readouterr().err
    assert code == 2
    assert (
        "rubric.toml" in err
        and "criterion 'notebook'.points' must be a number of at least 0" in err
    )
    assert "Traceback" not in err


@pytest.mark.parametrize(
    ("old", "new", "expected"),
    [
        ("max_penalty = 50", "max_penalty = 150", "'late.max_penalty' is 150: at most 100"),
        (
            'kind = "auto"\nweight',
            'kind = "quiz"\nweight',
            "'component[0].kind' is 'quiz'; use one of auto, project",
        ),
        (
            "deadline = 2026-12-18T23:59:00+05:30",
            "deadline = 2026-12-18T23:59:00",
            "'component[0].deadline' must be a date-time with its UTC offset",
        ),
        (
            "grace_hours = 2",
            "grace_hours = 2\ngrace_minutes = 5",
            "unknown key 'late.grace_minutes'",
        ),
        ("weight = 15\n", "weight = 0\n", "'component[0].weight' must be more than 0"),
    ],
)
def test_a_bad_course_file_names_the_key(tmp_path, old, new, expected):
    text = (ROOT / "assignments" / "course.toml").read_text()
    assert old in text
    path = tmp_path / "course.toml"
    path.write_text(
        text.replace(old, new, 1).replace(
            "../examples/course/roster.csv", str(ROOT / "examples/course/roster.csv")
        )
    )
    with pytest.raises(UserError) as caught:
        load_course(path)
    assert str(path) in str(caught.value) and expected in str(caught.value)
