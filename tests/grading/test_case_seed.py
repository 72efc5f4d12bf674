"""A student's hidden cases are drawn per student and assignment from the course's secret
(issue 96): ``case_seed`` is the same for every hand-in of one student, wherever it is computed,
and tells students, assignments and courses apart."""

from __future__ import annotations

from pathlib import Path

from hypothesis import given
from hypothesis import strategies as st

from grader.grading.seeds import SEEDS, case_seed
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
