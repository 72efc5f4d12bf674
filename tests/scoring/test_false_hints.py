"""Hints that named a mistake the student did not make (issue 49), and numbers beside a lost
point that said nothing was wrong. Each student function is our own test code, called here
in-process where the sandbox would call it: what is under test is scoring and diagnosis."""

from __future__ import annotations

from pathlib import Path

import numpy as np

import reference_lstm as ref
from grader.assignment import load_assignment
from grader.feedback.export import GradedSubmission, feedback_html, largest_error
from grader.grading import probing
from grader.scoring import Rules, score_function
from grader.scoring.calls import Answer, Call
from grader.scoring.diagnose import diagnose
from grader.scoring.values import HiddenCase, as_value, copy_args

ASSIGNMENTS = Path(__file__).resolve().parents[2] / "assignments"


def _outcome(function, args: tuple) -> tuple[object, str | None]:
    try:
        return as_value(function(*copy_args(args))), None
    except Exception as error:  # noqa: BLE001 - the grader sees the error's text
        return None, f"{type(error).__name__}: {error}"


def _graded(assignment_name: str, student: dict, cases: dict[str, list[HiddenCase]]):
    """Scored and diagnosed as `grader grade` does it, the calls made in this process: the
    hints of every function that lost points."""
    assignment = load_assignment(ASSIGNMENTS / assignment_name)
    rules = Rules.of(assignment)
    functions = {n: student.get(n, assignment.reference(n)) for n in assignment.functions}
    outcomes = {n: [_outcome(functions[n], c.args) for c in cases[n]] for n in cases}
    results = {n: score_function(n, 10, cases[n], outcomes[n], rules) for n in cases}

    def call_batch(calls: list[Call]) -> list[Answer]:
        answers = []
        for call in calls:
            saved = {}
            for part, table in (call.stand_ins or {}).items():
                saved[part] = functions[part]
                functions[part] = _stand_in(table)
            value, error = _outcome(functions[call.function], call.args)
            functions.update(saved)
            answers.append(Answer(value, error))
        return answers

    known = probing.known(assignment)
    return diagnose(results, cases, outcomes, known, rules, call_batch).given_to(results)


def _stand_in(table):
    def answer(*args):
        for asked, right in table:
            if all(np.allclose(a, b) for a, b in zip(asked, args, strict=True)):
                return right
        raise LookupError("asked what the notes never ask")

    return answer


def test_a_clipped_cell_state_is_not_told_it_ignores_its_gates():
    """The smallest case saturated: the clipped answer sits at 1 wherever its inputs move, so
    that case cannot tell an ignored input and votes for nothing."""
    assignment = load_assignment(ASSIGNMENTS / "lstm_gates")
    cases = assignment.hidden_cases(7)
    smallest = cases["cell_state"][0]
    c_prev, f_t, i_t, c_hat = (np.array(a, copy=True) for a in smallest.args)
    c_prev[:] = 6.0
    f_t[:] = 0.9
    args = (c_prev, f_t, i_t, c_hat)
    cases["cell_state"][0] = HiddenCase("cell_state", smallest.label, args, ref.cell_state(*args))

    def cell_state(c_prev, f_t, i_t, c_hat_t):
        return np.clip(f_t * c_prev + i_t * c_hat_t, -1.0, 1.0)

    graded = _graded("lstm_gates", {"cell_state": cell_state}, {"cell_state": cases["cell_state"]})
    hints = graded["cell_state"].hint_messages
    assert "ignores-input" not in hints, hints
    assert list(hints) == ["capped"]
    assert "no value leaves [-1, 1]" in hints["capped"]


def test_a_missing_transpose_where_D_equals_H_is_not_told_it_reshapes():
    """x_t @ W_xh runs where D == H and raises elsewhere; on the square case it equals the
    catalogued W_xh.reshape(D, H), which the raising cases contradict."""
    assignment = load_assignment(ASSIGNMENTS / "rnn_gradients")
    cases = {"rnn_step": assignment.hidden_cases(7)["rnn_step"]}
    assert any(c.args[0].shape[1] == c.args[1].shape[1] for c in cases["rnn_step"])

    def rnn_step(x_t, h_prev, W_xh, W_hh, b_h):
        return np.tanh(x_t @ W_xh + h_prev @ W_hh.T + b_h)

    hints = _graded("rnn_gradients", {"rnn_step": rnn_step}, cases)["rnn_step"].hint_messages
    assert "reshape-for-transpose" not in hints, hints
    assert list(hints) == ["W-orientation"]


def test_a_backward_loop_that_stops_early_is_not_told_its_relu_cuts():
    """One step (T = 1): the loop never runs, every gradient is 0; where the right b_h is all
    negative, 0 is max(b_h, 0), but an all-zero answer cannot tell a ReLU. The cases that can
    tell show the cause: only step 0 is wrong."""
    assignment = load_assignment(ASSIGNMENTS / "rnn_gradients")
    cases = assignment.hidden_cases(7)["rnn_backward"]
    one = next(c for c in cases if c.args[0].shape[0] == 1)
    x, h0, params, dh_seq = copy_args(one.args)
    dh_seq = -np.ones_like(dh_seq)  # every dz negative: the right b_h is all negative
    args = (x, h0, params, dh_seq)
    expected = as_value(assignment.reference("rnn_backward")(*args))
    assert np.all(expected["b_h"] < 0)
    cases = [HiddenCase("rnn_backward", one.label, args, expected)] + [
        c for c in cases if c is not one
    ]

    forward = assignment.reference("rnn_forward")

    def rnn_backward(x, h0, params, dh_seq):
        h_seq = forward(x, h0, params)
        grads = {key: np.zeros_like(value) for key, value in params.items()}
        dx, dh_next = np.zeros_like(x), np.zeros_like(h0)
        for t in reversed(range(1, len(x))):  # stops before step 0
            h_prev = h_seq[t - 1]
            dz = (dh_seq[t] + dh_next) * (1.0 - h_seq[t] ** 2)
            grads["W_xh"] += dz.T @ x[t]
            grads["W_hh"] += dz.T @ h_prev
            grads["b_h"] += dz.sum(axis=0)
            dx[t] = dz @ params["W_xh"]
            dh_next = dz @ params["W_hh"]
        return {**grads, "x": dx, "h0": dh_next}

    graded = _graded("rnn_gradients", {"rnn_backward": rnn_backward}, {"rnn_backward": cases})
    hints = graded["rnn_backward"].hint_messages
    assert "relu-cut" not in hints, hints
    assert list(hints) == ["loop-misses-step"]
    assert "x: wrong only at the first step" in hints["loop-misses-step"]


def test_a_wrong_shape_is_shown_as_such_never_as_a_tiny_largest_error():
    """A dict with one value of the wrong shape: the other values are right to the last bit,
    so the largest error over them is tiny, beside a lost point."""
    assignment = load_assignment(ASSIGNMENTS / "lstm_backward")
    rules = Rules.of(assignment)
    cases = assignment.hidden_cases(7)["lstm_step_backward"]
    outcomes = []
    for case in cases:
        grads = dict(as_value(case.expected))
        grads["W_f"] = grads["W_f"][:, :-1]  # one column short
        outcomes.append((grads, None))
    result = score_function("lstm_step_backward", 10, cases, outcomes, rules)
    assert not result.passed and result.max_error is not None and result.max_error < 1e-12
    assert largest_error(result) == "wrong shape"
    page = feedback_html(
        GradedSubmission("s1", "LSTM backward", 7, "graded", None, {result.name: result})
    )
    assert "(largest error wrong shape)" in page  # the function's detail, folded
    assert f"(largest error {result.max_error:.2g})" not in page
