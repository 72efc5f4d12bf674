"""The wiring check's pieces (issue 66), in-process: a traced call's record read back as data
(and refused when it is not what the sandbox's tracer writes), and the comparison with the
notes' calls, which names only differences the reference's own calls do not show. The sandbox
end to end, and both tools' words, are tests/scoring/test_wiring_corpus.py's."""

from __future__ import annotations

from pathlib import Path

import numpy as np
import pytest

import reference_lstm as ref
from grader.assignment import load_assignment
from grader.engine.gradersandbox.tracer import Tracer
from grader.grading import probing
from grader.scoring import traces, wiring

ASSIGNMENTS = Path(__file__).resolve().parents[2] / "assignments"
GATES = ("forget_gate", "input_gate", "candidate_memory", "output_gate")
CELL_PARTS = (*GATES, "cell_state", "hidden_state")


@pytest.fixture(scope="module")
def gates():
    assignment = load_assignment(ASSIGNMENTS / "lstm_gates")
    return assignment, probing.known(assignment), assignment.hidden_cases(7)["lstm_cell"][0]


def _traced_in_sandbox_format(cell, args: tuple) -> dict:
    """The record the sandbox's tracer makes of ``cell`` on ``args``, its values as the
    trusted side decodes them (float64 arrays)."""
    namespace = {name: getattr(ref, name) for name in CELL_PARTS}
    tracer = Tracer(list(CELL_PARTS), lambda value: np.asarray(value, dtype=np.float64))
    tracer.install(namespace)
    try:
        result = cell(namespace, *args)
    finally:
        tracer.remove(namespace)
    return tracer.reply(result)


def _cell_with(input_bias: str):
    def cell(parts, x_t, h_prev, c_prev, params):
        f_t = parts["forget_gate"](x_t, h_prev, params["W_f"], params["b_f"])
        i_t = parts["input_gate"](x_t, h_prev, W_i=params["W_i"], b_i=params[input_bias])
        c_hat = parts["candidate_memory"](x_t, h_prev, params["W_c"], params["b_c"])
        o_t = parts["output_gate"](x_t, h_prev, params["W_o"], params["b_o"])
        c_t = parts["cell_state"](c_prev, f_t, i_t, c_hat)
        return parts["hidden_state"](o_t, c_t.copy()), c_t

    return cell


def test_the_tracers_record_reads_back_as_the_calls_made(gates):
    assignment, known, case = gates
    record = _traced_in_sandbox_format(_cell_with("b_i"), case.args)
    parameters = {name: list(known.parameters[name]) for name in CELL_PARTS}
    calls, output = traces.read_trace(record, CELL_PARTS, parameters)
    assert [part for part, _, _ in calls] == list(CELL_PARTS)
    assert np.array_equal(calls[1][1][3], case.args[3]["b_i"])  # a keyword argument, placed
    assert isinstance(output, tuple) and len(output) == 2


@pytest.mark.parametrize(
    "forged",
    [
        {"c0": "print", "c0a0": np.ones(2), "o": np.ones(2)},  # a part the grader never asked
        {"c0": "forget_gate", "c0a1": np.ones(2), "o": np.ones(2)},  # an argument missing
        {"c0": "forget_gate", "c0a0": "text", "o": np.ones(2)},  # a str where numbers go
        {"c0": "forget_gate", "c0a0": np.ones(2), "o": np.ones(2), "cut": "cut"},  # cut short
        {"c0x": np.ones(2)},  # a key the tracer never writes
        {"o.0": np.ones(2), "o:h": np.ones(2)},  # a value both a tuple and a dict
        [np.ones(2)],  # not a record at all
    ],
)
def test_a_record_the_tracer_does_not_write_is_not_read(forged):
    assert traces.read_trace(forged, CELL_PARTS, {}) is None


def test_a_cell_that_gives_its_parts_what_the_notes_give_shows_no_difference(gates):
    """Keyword arguments, copies and its own order of calls: nothing the notes do not do."""
    assignment, known, case = gates
    record = _traced_in_sandbox_format(_cell_with("b_i"), case.args)
    assert traces.sentence(known, assignment.output_names, "lstm_cell", case.args, record) is None


def test_a_part_given_the_wrong_entry_is_named_with_the_notes_words(gates):
    assignment, known, case = gates
    record = _traced_in_sandbox_format(_cell_with("b_f"), case.args)
    said = traces.sentence(known, assignment.output_names, "lstm_cell", case.args, record)
    assert said == (0, "lstm_cell calls input_gate with b_f where the notes give b_i")


def test_a_value_no_name_fits_is_never_compared(gates):
    """The cell scales h on its own: no part's call differs and the scaled h is no named value,
    so nothing is said (the other hints stay)."""
    assignment, known, case = gates

    def scaled(parts, *args):
        h_t, c_t = _cell_with("b_i")(parts, *args)
        return 1.5 * h_t + 0.25, c_t

    record = _traced_in_sandbox_format(scaled, case.args)
    assert traces.sentence(known, assignment.output_names, "lstm_cell", case.args, record) is None


def test_the_best_ranked_difference_is_told_over_several_cases():
    found = [(3, "f returns a where the notes return b"), None, (0, "f calls g with a")]
    assert wiring.wiring_told(found) == (0, "f calls g with a.")
    assert wiring.wiring_told([None, None]) is None
