"""A numeric answer scored for feedback the student gets while they may hand in again
(``withhold``): the same score, and no word of the right value, in its sentence, in a partial
rule's ``{expected}`` or in the size of the error (answered minus the error is the value)."""

from __future__ import annotations

import numpy as np
import pytest

from grader.scoring.numeric_answer import NumericAnswer, PartialRule, score_answer

ANSWER = NumericAnswer(
    "steps_to_vanish",
    10,
    atol=0.0,
    rtol=0.0,
    says="the gradient falls below 1e-3 after {expected} steps",
    partial=(PartialRule(0.5, "Close: {expected} is one more than {answered}.", atol=1.0),),
)
EXPECTED = {"steps_to_vanish": np.array([44.0])}
VALUES = {"W_rec": 0.853}


def scored(got: object, withhold: bool, error: str | None = None):
    result = score_answer(ANSWER, got, error, EXPECTED, VALUES, withhold)
    (case,) = result.cases
    return case


@pytest.mark.parametrize(
    ("got", "error", "score"),
    [
        (np.array([46.0]), None, 0.0),  # wrong
        (np.array([43.0]), None, 0.5),  # the partial rule
        (None, "NameError: name 'steps_to_vanish' is not defined", 0.0),  # not set
        ("44", None, 0.0),  # text
    ],
)
def test_withheld_feedback_scores_alike_and_never_states_the_right_value(got, error, score):
    told, kept = scored(got, False, error), scored(got, True, error)
    assert told.score == kept.score == score
    assert "44" in told.message  # the feedback after the deadline states it
    assert "44" not in kept.message and kept.max_error is None, kept.message
    assert "given in the feedback after the deadline" in kept.message
    assert "W_rec = 0.853" in kept.message  # still in the student's own numbers


def test_a_right_answer_reads_the_same_either_way():
    assert scored(np.array([44.0]), True).message == scored(np.array([44.0]), False).message
