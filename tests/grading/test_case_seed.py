"""A student's hidden cases are drawn per student and assignment from the course's secret
(issue 96): ``case_seed`` is the same for every hand-in of one student, wherever it is computed,
and tells students, assignments and courses apart; a hand-in is graded on it unless ``--seed``,
``grading.seed``, ``--draw-again`` or the seed recorded for the same bytes says otherwise."""

from __future__ import annotations

import shutil
from dataclasses import replace
from pathlib import Path

from course_kit import ROSTER, make_course
from hypothesis import given
from hypothesis import strategies as st

from grader.assignment import load_config
from grader.grading.seeds import (
    FRESH,
    RECORDED,
    SEEDS,
    STUDENTS,
    StudentSeeds,
    case_seed,
    seed_for,
    seeds_said,
    student_seeds,
)
from grader.roster import load_roster
from grader.variants.draw import course_key

KEYS = st.binary(min_size=32, max_size=32)
NAMES = st.text(st.characters(codec="utf-8", exclude_characters="\0"), min_size=1, max_size=40)


@given(KEYS, NAMES, NAMES)
def test_a_students_seed_is_one_seed_in_range(key: bytes, assignment: str, student: str):
    seed = case_seed(key, assignment, student)
    assert 0 <= seed < SEEDS
    assert case_seed(key, assignment, student) == seed


@given(KEYS, NAMES)
def test_a_roster_id_is_the_same_student_whatever_its_case(key: bytes, assignment: str):
    assert case_seed(key, assignment, "CS21B042") == case_seed(key, assignment, "cs21b042")


def test_students_and_assignments_draw_apart():
    key = bytes(range(32))  # a fixed secret: these inputs are checked apart once for all
    students = [f"CS21B{n:03d}" for n in range(200)]
    seeds = {case_seed(key, "lstm_gates", s) for s in students}
    assert len(seeds) == len(students)
    assert case_seed(key, "lstm_gates", "asha") != case_seed(key, "lstm_backward", "asha")


def test_each_course_has_its_own_secret(tmp_path: Path):
    key, other_course = course_key(tmp_path / "course"), course_key(tmp_path / "other")
    assert key != other_course
    # two random secrets give one student the same seed once in 2**31 courses
    assert case_seed(key, "lstm_gates", "asha") != case_seed(other_course, "lstm_gates", "asha")


def test_the_course_secret_is_kept_so_the_seed_lasts(tmp_path: Path):
    first = case_seed(course_key(tmp_path), "lstm_gates", "asha")
    assert case_seed(course_key(tmp_path), "lstm_gates", "asha") == first
    assert (tmp_path / "variants" / "secret.key").stat().st_mode & 0o077 == 0


LSTM_GATES = Path(__file__).resolve().parents[2] / "assignments" / "lstm_gates"
CONFIG = load_config(LSTM_GATES)
FIXED = replace(CONFIG, seed=11)
SEED = st.integers(0, SEEDS - 1)


@given(SEED, SEED)
def test_a_new_hand_in_is_graded_on_its_students_own_seed(recorded: int, own: int):
    assert seed_for(None, CONFIG, None, student=own) == own
    assert seed_for(None, CONFIG, recorded, student=own) == recorded  # the same bytes: as before
    assert seed_for(5, CONFIG, recorded, student=own) == 5
    assert seed_for(None, FIXED, recorded, student=own) == 11


def test_draw_again_draws_neither_the_recorded_seed_nor_the_students_own():
    drawn = {seed_for(None, CONFIG, 1, draw_again=True, student=2) for _ in range(20)}
    assert len(drawn) > 1 and not drawn & {1, 2}


def test_the_run_says_where_its_seeds_came_from():
    said = seeds_said(None, CONFIG, False, [RECORDED, STUDENTS, STUDENTS, FRESH])
    assert said.startswith("seeds: 1 as recorded for the same notebook (the same cases")
    assert "2 the student's own" in said and "every hand-in of a student" in said
    assert "1 drawn for new hand-ins (no roster id names their students" in said
    outside = seeds_said(None, CONFIG, False, [FRESH], "the assignment is in no course folder")
    assert "(the assignment is in no course folder: a student handing in again" in outside
    assert "drawn anew (--draw-again)" in seeds_said(None, CONFIG, True, [STUDENTS])
    assert seeds_said(None, CONFIG, False, []) == ""
    assert seeds_said(5, CONFIG, False, [FRESH]) == ""


def test_a_student_the_course_roster_names_by_id_gets_their_own_seed(tmp_path: Path):
    made, _ = make_course(tmp_path, ROSTER + ",Dev Shah,dev.shah@example.edu,student\n")
    shutil.copytree(LSTM_GATES, made.path.parent / "lstm_gates")
    config = load_config(made.path.parent / "lstm_gates")
    secret = made.path.parent / "variants" / "secret.key"

    nobody = student_seeds(config, ["dev.shah", "zed"])  # an id made from the address; none
    assert nobody == StudentSeeds({}) and not secret.exists()  # no secret made for nothing
    own = student_seeds(config, ["cs21b042", "EE21B017", "zed"])
    key = course_key(made.path.parent)
    assert own.seeds == {
        "cs21b042": case_seed(key, "lstm_gates", "CS21B042"),
        "EE21B017": case_seed(key, "lstm_gates", "EE21B017"),
    }
    given = load_roster(made.roster_path)  # --roster: the same ids, the same seeds
    assert student_seeds(config, ["EE21B017"], given).seeds["EE21B017"] == own.seeds["EE21B017"]

    shutil.copytree(LSTM_GATES, tmp_path / "alone" / "lstm_gates")
    alone = load_config(tmp_path / "alone" / "lstm_gates")
    outside = student_seeds(alone, ["CS21B042"], given)  # no course: no secret
    assert outside == StudentSeeds({}, "the assignment is in no course folder, so has no secret")
