"""Advice is given only where following it changes the result: each behaviour hint's advice,
applied to the code that earned it, and the advice it must not give (a .copy() of an array that
np.stack copies already changes nothing)."""

from __future__ import annotations

from pathlib import Path

import numpy as np

import reference_lstm as ref
from grader.assignment import load_assignment
from grader.scoring import Rules, score_case, score_function
from grader.scoring.compare import close

ASSIGNMENT = Path(__file__).resolve().parents[2] / "assignments" / "lstm_gates"


def _forward(store):
    """lstm_forward whose returned steps are ``store(states)``."""

    def lstm_forward(x, h0, c0, params):
        h_t, c_t, hs, cs = h0, c0, [], []
        for x_t in x:
            h_t, c_t = ref.lstm_cell(x_t, h_t, c_t, params)
            hs.append(h_t)
            cs.append(c_t)
        return store(hs, h_t), store(cs, c_t)

    return lstm_forward


def test_the_repeated_step_advice_changes_the_result_and_a_copy_would_not():
    assignment = load_assignment(ASSIGNMENT)
    rules = Rules.of(assignment)
    case = assignment.hidden_cases(7)["lstm_forward"][2]  # T = 5
    repeated = _forward(lambda steps, last: np.stack([last] * len(steps)))
    graded = score_function("lstm_forward", 1.0, [case], [(repeated(*case.args), None)], rules)
    assert list(graded.hints) == ["aliased"]
    advice = graded.hint_messages["aliased"]
    # a copy of each repeated array: np.stack copied them already, nothing changes
    copied = _forward(lambda steps, last: np.stack([last.copy() for _ in steps]))
    assert close(copied(*case.args), repeated(*case.args), 0.0, 0.0)
    assert ".copy()" not in advice and "copy" not in advice
    # the advice followed: each step its own array, computed at that step
    assert "each step its own array" in advice
    followed = _forward(lambda steps, last: np.stack(steps))
    assert score_case(case, followed(*case.args), None, rules).passed


def test_the_in_place_advice_changes_the_result():
    assignment = load_assignment(ASSIGNMENT)
    rules = Rules.of(assignment)
    case = assignment.hidden_cases(7)["cell_state"][1]

    def in_place(c_prev, f_t, i_t, c_hat_t):
        c_prev *= f_t
        c_prev += i_t * c_hat_t
        return c_prev

    def followed(c_prev, f_t, i_t, c_hat_t):  # "x = x + ..., not x += ..."
        c_prev = c_prev * f_t
        c_prev = c_prev + i_t * c_hat_t
        return c_prev

    for function, mutates in ((in_place, True), (followed, False)):
        args = tuple(np.array(a, copy=True) for a in case.args)
        got = function(*args)
        changed = [
            i
            for i, (a, b) in enumerate(zip(args, case.args, strict=True))
            if not np.array_equal(a, b)
        ]
        assert bool(changed) == mutates
        graded = score_case(case, got, None, rules, changed)
        assert graded.passed != mutates
        if mutates:
            assert list(graded.hints) == ["mutates-input"]
            assert "cell_state changes its input c_prev in place" in graded.hints["mutates-input"]
