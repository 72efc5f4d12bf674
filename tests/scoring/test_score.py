"""Scoring and hints, as pure functions on arrays."""

from __future__ import annotations

from pathlib import Path

import numpy as np
import pytest

import reference_lstm as ref
from grader.assignment import load_assignment
from grader.scoring import Rules, score_function
from grader.scoring.compare import score_case
from grader.scoring.values import HiddenCase, as_value

ROOT = Path(__file__).resolve().parents[2]
ASSIGNMENT = load_assignment(ROOT / "assignments" / "lstm_gates")
RULES = Rules.of(ASSIGNMENT)
GATES = ("forget_gate", "input_gate", "candidate_memory", "output_gate")


@pytest.fixture(scope="module")
def cases():
    return ASSIGNMENT.hidden_cases(2026)


def run(cases, name, implementation, points=10.0):
    outcomes = []
    for case in cases[name]:
        try:
            outcomes.append((implementation(*case.args), None))
        except Exception as error:  # noqa: BLE001 - a student's function may raise anything
            outcomes.append((None, f"{type(error).__name__}: {error}"))
    return score_function(name, points, cases[name], outcomes, RULES)


def to_float32(value):
    if isinstance(value, dict):
        return {k: v.astype(np.float32) for k, v in value.items()}
    return np.asarray(value, dtype=np.float32)


def test_same_seed_same_cases_other_seed_other_cases(cases):
    again = ASSIGNMENT.hidden_cases(2026)
    other = ASSIGNMENT.hidden_cases(2027)
    first = cases["forget_gate"][0].args[0]
    np.testing.assert_array_equal(first, again["forget_gate"][0].args[0])
    assert not np.allclose(first, other["forget_gate"][0].args[0])


def test_cases_cover_batch_of_one_varied_sizes_and_large_z(cases):
    labels = [c.label for c in cases["forget_gate"]]
    assert labels[0].startswith("N=1,")
    assert len({c.args[0].shape for c in cases["forget_gate"]}) == 4
    x_t, h_prev, W, b = cases["forget_gate"][-1].args
    z = np.concatenate([x_t, h_prev], axis=1) @ W.T + b
    assert np.abs(z).max() > 20  # a naive sigmoid would overflow here


@pytest.mark.parametrize(
    "name", [*GATES, "cell_state", "hidden_state", "lstm_cell", "lstm_forward"]
)
def test_reference_answers_in_float32_get_full_marks(cases, name):
    function = getattr(ref, name)
    result = run(cases, name, lambda *args: function(*map(to_float32, args)))
    assert result.score == 10.0 and result.passed
    assert result.max_error is not None and result.max_error < 1e-4


def test_partial_credit_is_per_case(cases):
    seen = {"calls": 0}

    def right_on_small_batches(*args):
        seen["calls"] += 1
        value = ref.forget_gate(*args)
        return value if value.shape[0] < 4 else value + 0.1

    result = run(cases, "forget_gate", right_on_small_batches)
    assert seen["calls"] == 4
    assert result.score == pytest.approx(5.0)  # two of the four cases have N < 4
    assert not result.passed


def test_lstm_cell_earns_half_a_case_for_the_right_cell_state(cases):
    def wrong_hidden(x_t, h_prev, c_prev, params):
        _, c_t = ref.lstm_cell(x_t, h_prev, c_prev, params)
        o_t = ref.output_gate(x_t, h_prev, params["W_o"], params["b_o"])
        return o_t * c_t, c_t

    result = run(cases, "lstm_cell", wrong_hidden)
    assert result.score == pytest.approx(5.0)
    assert result.hints[0] == "o-times-C"


def test_shape_mismatch_says_what_came_back(cases):
    result = run(cases, "forget_gate", lambda *args: ref.forget_gate(*args).T)
    message = result.cases[1].message
    assert "got (3, 4), expected (4, 3): is W transposed?" in message
    assert "is W transposed?" in message
    assert result.score == 0.0 and "transposed-output" in result.hints


def test_nan_exception_none_and_stub_get_clear_messages(cases):
    def nan_gate(*args):
        out = ref.forget_gate(*args)
        out[0, 0] = np.nan
        return out

    assert "NaN or inf" in run(cases, "forget_gate", nan_gate).cases[0].message

    def stub(*args):
        raise NotImplementedError()

    assert run(cases, "forget_gate", stub).cases[0].message.startswith("not implemented yet")
    assert "forget `return`" in run(cases, "forget_gate", lambda *a: None).cases[0].message

    def wrong_arity(*args):
        return ref.lstm_cell(*args)[0]

    message = run(cases, "lstm_cell", wrong_arity).cases[0].message
    assert "expected a tuple of 2 arrays" in message


def test_untransposed_w_gets_the_orientation_hint(cases):
    def untransposed(x_t, h_prev, W_f, b_f):
        return ref.sigmoid(np.concatenate([x_t, h_prev], axis=1) @ W_f + b_f)

    result = run(cases, "forget_gate", untransposed)
    assert result.score == 0 and result.hints == ("W-orientation",)
    assert "ValueError: matmul" in result.cases[0].message
    assert "@ W.T" in result.hint_messages["W-orientation"]


def test_timeout_error_is_a_zero_with_its_message(cases):
    outcomes = [(None, "timed out after 10 s")] * 4
    result = score_function("cell_state", 10, cases["cell_state"], outcomes, RULES)
    assert result.score == 0 and result.cases[0].message == "timed out after 10 s"


def gate_with(activation=None, order="xh", bias=True):
    def gate(x_t, h_prev, W, b):
        xh = np.concatenate([x_t, h_prev] if order == "xh" else [h_prev, x_t], axis=1)
        return activation(xh @ W.T + (b if bias else 0))

    return gate


@pytest.mark.parametrize(
    "name, implementation, code",
    [
        ("forget_gate", gate_with(np.tanh), "tanh-for-sigmoid"),
        ("candidate_memory", gate_with(ref.sigmoid), "sigmoid-for-tanh"),
        ("input_gate", gate_with(ref.sigmoid, order="hx"), "concat-order"),
        ("output_gate", gate_with(ref.sigmoid, bias=False), "missing-bias"),
        ("forget_gate", gate_with(lambda z: z), "missing-activation"),
        ("cell_state", lambda c, f, i, g: f * c + g, "input-gate-missing"),
        ("cell_state", lambda c, f, i, g: f * g + i * c, "forget-on-candidate"),
        ("hidden_state", lambda o, c: o * c, "o-times-C"),
        ("lstm_cell", lambda *a: ref.lstm_cell(*a)[::-1], "returns-c-h"),
        (
            "lstm_forward",
            lambda x, h0, c0, p: tuple(
                np.stack(s) for s in zip(*[ref.lstm_cell(x_t, h0, c0, p) for x_t in x], strict=True)
            ),
            "state-not-carried",
        ),
    ],
)
def test_typical_mistakes_lose_points_and_get_their_hint(cases, name, implementation, code):
    result = run(cases, name, implementation)
    assert result.score < 10
    assert result.hints and result.hints[0] == code
    assert result.hint_messages[code]


def test_a_wrong_gate_is_recognised_through_lstm_cell(cases):
    def cell_with_tanh_forget(x_t, h_prev, c_prev, p):
        f = np.tanh(np.concatenate([x_t, h_prev], axis=1) @ p["W_f"].T + p["b_f"])
        i = ref.input_gate(x_t, h_prev, p["W_i"], p["b_i"])
        g = ref.candidate_memory(x_t, h_prev, p["W_c"], p["b_c"])
        o = ref.output_gate(x_t, h_prev, p["W_o"], p["b_o"])
        c = f * c_prev + i * g
        return o * np.tanh(c), c

    result = run(cases, "lstm_cell", cell_with_tanh_forget)
    assert result.hints[0] == "tanh-for-sigmoid"
    assert "forget_gate" in result.hint_messages["tanh-for-sigmoid"]


def test_batch_major_forward_gets_its_shape_hint(cases):
    result = run(
        cases, "lstm_forward", lambda *a: tuple(s.transpose(1, 0, 2) for s in ref.lstm_forward(*a))
    )
    assert "batch-major" in result.hints
    assert "time-major" in result.cases[1].message


def test_forbidden_call_zeroes_the_function(cases):
    outcomes = [(case.expected, None) for case in cases["lstm_forward"]]
    scored = score_function("lstm_forward", 10, cases["lstm_forward"], outcomes, RULES)
    result = scored.with_forbidden(["calls torch.nn.LSTM inside"])
    assert scored.score == 10 and scored.passed
    assert result.score == 0 and not result.passed


def test_a_string_is_compared_as_a_string_exactly():
    """A str is compared exactly (no tolerance, no float), and a str where an array belongs,
    or the other way round, says which kind came back."""
    case = HiddenCase("greeting", "name = Ann", ("Ann",), as_value("Hello, Ann"))
    assert score_case(case, "Hello, Ann", None, RULES).passed
    wrong = score_case(case, "Hello,Ann", None, RULES)
    assert wrong.score == 0 and wrong.message == "returned 'Hello,Ann', expected 'Hello, Ann'"
    numbers = score_case(case, np.zeros(2), None, RULES)
    assert numbers.message == "returned an array, expected a str"
    array_case = HiddenCase("f", "x", (), as_value([1.0, 2.0]))
    assert (
        score_case(array_case, "1, 2", None, RULES).message == "returned a str, expected an array"
    )
    several = HiddenCase("names", "n", (), as_value(["a", "b"]))
    assert score_case(several, ("a", "b"), None, RULES).passed
    assert score_case(several, ("a", "c"), None, RULES).score == 0.5
