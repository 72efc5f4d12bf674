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
from grader.scoring import traces, wiring, wiring_words

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
    assert wiring_words.wiring_told(found) == (0, "f calls g with a.")
    assert wiring_words.wiring_told([None, None]) is None


def _swapping_cell(weights: dict[str, str], gates_into_cell: tuple[str, str]):
    """A cell giving each gate the weights ``weights`` names (its own where not named), and
    cell_state the gates' results ``gates_into_cell`` as its f and i."""

    def cell(parts, x_t, h_prev, c_prev, params):
        given = {k: params[weights.get(k, k)] for k in params}
        gate = {
            name: parts[name](x_t, h_prev, given[f"W_{key}"], given[f"b_{key}"])
            for name, key in zip(GATES, "fico", strict=True)
        }
        f_t, i_t = (gate[name] for name in gates_into_cell)
        c_t = parts["cell_state"](c_prev, f_t, i_t, gate["candidate_memory"])
        return parts["hidden_state"](gate["output_gate"], c_t), c_t

    return cell


@pytest.mark.parametrize(
    ("weights", "into_cell", "said"),
    [
        (  # the forget gate handed W_o, b_o and the output gate W_f, b_f
            {"W_f": "W_o", "b_f": "b_o", "W_o": "W_f", "b_o": "b_f"},
            ("forget_gate", "input_gate"),
            "lstm_cell gives forget_gate W_o, b_o and output_gate W_f, b_f, each the other's:"
            " the notes give forget_gate W_f, b_f and output_gate W_o, b_o",
        ),
        (  # the input gate's result where the forget gate's belongs, and back
            {},
            ("input_gate", "forget_gate"),
            "lstm_cell gives cell_state input_gate's result where the notes give forget_gate's"
            " result, and forget_gate's result where they give input_gate's result: the two"
            " are swapped",
        ),
    ],
)
def test_two_values_swapped_are_both_named_before_any_known_mistake(
    gates, weights, into_cell, said
):
    """Issue 76: a swap is told with both of its values and outranks a known mistake, whose
    arithmetic a swap repeats (f * c~ + i * C_prev is also the cell update's own)."""
    assignment, known, case = gates
    record = _traced_in_sandbox_format(_swapping_cell(weights, into_cell), case.args)
    rank, words = traces.sentence(known, assignment.output_names, "lstm_cell", case.args, record)
    assert words == said
    assert wiring_words.wiring_swapped(rank)


def test_a_step_given_without_what_the_step_after_sent_back_names_the_carried_value():
    """Issue 76: lstm_backward handing each step dh_seq[t] alone. The notes' argument is a sum
    (the step's gradient plus what the previous call returned): named as such, so the value
    dropped is named, at step t whichever step showed it."""
    pool_step = np.arange(6.0).reshape(2, 3)
    sent_back = np.array([[0.5, -1.0, 2.0], [1.5, 0.25, -0.75]])
    inputs = (np.stack([pool_step + 1, pool_step]),)
    calls = [("part", [inputs[0][1]], {"h_prev": sent_back})]
    notes = wiring.sketch(
        calls + [("part", [inputs[0][0] + sent_back], {"h_prev": sent_back * 2})],
        None,
        inputs,
        {0: "dh_seq"},
        {},
    )
    theirs = wiring.sketch(
        calls + [("part", [inputs[0][0]], {"h_prev": sent_back * 2})],
        None,
        inputs,
        {0: "dh_seq"},
        {},
    )
    assert notes["calls"][1][1] == [["dh_seq[0] + part's h_prev@1"]]
    assert wiring_words.difference("f", notes, theirs) == (
        0,
        "f gives part dh_seq[t] alone where the notes add the h_prev that part returned for the"
        " step before: what is carried from one step to the next (going backward, the gradient)"
        " is dropped",
    )
