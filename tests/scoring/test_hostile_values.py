"""Any value a student's function can return is scored, never an error of the grader's: floats
at the ends of the range (±1.79e308, subnormals), nan and inf, integers too large for a float,
0-d, empty and object arrays, lists, tuples and dicts of them, and the right answer scaled by
any of these (which is what the hint engine's rules of a scaled answer read).

Each value goes the way a graded call's value goes: the sandbox's own encoder (the probe's),
the wire, the trusted side's reader (:mod:`grader.engine.run.probes`), then the whole scoring of the
function with its hints (:func:`grader.scoring.score_function`), on a shipped assignment's
hidden cases."""

from __future__ import annotations

import math
import sys
from pathlib import Path

import numpy as np
import pytest
from hypothesis import HealthCheck, given, settings
from hypothesis import strategies as st

from grader.assignment import load_assignment
from grader.engine.gradersandbox import probe, protocol, wire
from grader.engine.run import probes
from grader.limits import REPLIES
from grader.scoring import Rules, score_function

ROOT = Path(__file__).resolve().parents[2]
ASSIGNMENT = load_assignment(ROOT / "assignments" / "rnn_gradients")
RULES = Rules.of(ASSIGNMENT)
CASES = ASSIGNMENT.hidden_cases(5)
probe.prepare()

LARGEST = sys.float_info.max  # 1.7976931348623157e308, finite
FLOATS = st.one_of(
    st.sampled_from([LARGEST, -LARGEST, math.nan, math.inf, -math.inf, 5e-324, -0.0, 0.0]),
    st.floats(allow_nan=True, allow_infinity=True),
)
NUMBERS = st.one_of(FLOATS, st.integers(), st.sampled_from([10**400, -(10**400), 2**63, -(2**64)]))


@st.composite
def returned(draw, expected: object) -> object:
    """A value a student's function may return where ``expected`` is right."""
    number = draw(NUMBERS)
    like = expected if isinstance(expected, np.ndarray) else np.zeros(3)
    kinds = {
        "number": lambda: number,
        "0-d": lambda: np.array(draw(FLOATS)),
        "empty": lambda: np.empty((0, *like.shape[1:])),
        "object array": lambda: np.array([number, 1.0], dtype=object),
        "filled": lambda: np.full(like.shape, draw(FLOATS)),
        "scaled": lambda: _scaled(like, draw(FLOATS)),
        "one changed": lambda: _one_changed(like, draw(FLOATS)),
        "list": lambda: [number, draw(FLOATS)],
        "like the answer": lambda: _scaled_answer(expected, draw(FLOATS)),
        "dict": lambda: {"dx": np.full(like.shape, draw(FLOATS))},
    }
    return kinds[draw(st.sampled_from(sorted(kinds)))]()


def _scaled_answer(expected: object, factor: float, plus: float = 0.0) -> object:
    """The right answer, each of its values times ``factor`` plus ``plus``."""
    if isinstance(expected, dict):
        return {k: _scaled(np.asarray(v), factor) + plus for k, v in expected.items()}
    if isinstance(expected, tuple):
        return tuple(_scaled(np.asarray(v), factor) + plus for v in expected)
    return _scaled(np.asarray(expected), factor) + plus


def _scaled(array: np.ndarray, factor: float) -> np.ndarray:
    with np.errstate(all="ignore"):
        return array.astype(np.float64) * factor


def _one_changed(array: np.ndarray, value: float) -> np.ndarray:
    changed = array.astype(np.float64).copy()
    if changed.size:
        changed.flat[0] = value
    return changed


def through_the_sandboxs_wire(value: object) -> tuple[object, str | None]:
    """``(value, error)`` as the trusted side reads a call that returned ``value``: encoded by
    the probe, framed, read back and checked."""
    try:
        shape, arrays, aliased = probe._encode_result(value, REPLIES.result_bytes)
        answer: protocol.Message = protocol.CallValue(shape, arrays, aliased, [], ([], None))
    except Exception as error:  # noqa: BLE001 - the probe sends any error of the call back
        answer = protocol.CallError(f"{type(error).__name__}: {error}", ([], None))
    reader = wire.Reader(REPLIES.reply_bytes)
    reader.feed(protocol.frame(answer))
    frame = reader.next()
    assert frame is not None
    outcome = probes._outcome(frame, "")
    return outcome.value, outcome.error


FUNCTIONS = sorted(CASES)


@pytest.mark.parametrize("name", FUNCTIONS)
@settings(max_examples=60, deadline=None, suppress_health_check=[HealthCheck.too_slow])
@given(data=st.data())
def test_any_value_returned_is_scored_with_a_reason(name, data):
    cases = CASES[name]
    outcomes = [
        through_the_sandboxs_wire(data.draw(returned(case.expected), label=case.label))
        for case in cases
    ]
    result = score_function(name, 10.0, cases, outcomes, RULES)
    assert 0.0 <= result.score <= 10.0
    for case in result.cases:
        assert case.passed or case.message, case


@pytest.mark.parametrize("name", FUNCTIONS)
@pytest.mark.parametrize("number", [LARGEST, -LARGEST, 1e300, 5e-324])
def test_every_value_at_the_ends_of_the_floats_is_scored(name, number):
    """A gradient that explodes to the largest float, honestly: the hint engine's rule of a
    multiple of the right answer (a sum for a mean) raised OverflowError (round of inf)."""
    cases = CASES[name]
    outcomes = [
        through_the_sandboxs_wire(_scaled_answer(case.expected, 0.0, number)) for case in cases
    ]
    result = score_function(name, 10.0, cases, outcomes, RULES)
    assert result.score == 0.0
    assert all(case.message for case in result.cases), result
