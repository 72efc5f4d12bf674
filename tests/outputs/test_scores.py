"""A score as a person reads it: to the course's decimals, a half rounded up from the value as
written, no trailing zeros."""

from __future__ import annotations

import pytest

from grader.outputs.scores import DEFAULT_DECIMALS, for_people


@pytest.mark.parametrize(
    ("value", "decimals", "read"),
    [
        (12.727272727, 2, "12.73"),
        (12.727272727, 1, "12.7"),
        (88.75, 1, "88.8"),  # a half up, though 88.75's binary fraction lies below it
        (98.125, 2, "98.13"),
        (10.9, 2, "10.9"),
        (100.0, 2, "100"),
        (0.001, 2, "0"),
        (-0.001, 2, "0"),
    ],
)
def test_a_score_reads_as_a_person_rounds_it(value, decimals, read):
    assert for_people(value, decimals) == read


def test_two_decimals_unless_the_course_says():
    assert DEFAULT_DECIMALS == 2 and for_people(2 / 3) == "0.67"
