"""Wiring mistakes (issue 66), held apart from every other corpus and used to tune nothing else:
a composite whose graded parts are right but put together wrong (a wrong argument to a part,
parts' results swapped, a part's result unused, a carried value altered, a reduction changed),
written as students write them into the released notebooks. Each is self-checked in a plain
kernel and graded by `grader grade` with the machinery of :mod:`uncatalogued_corpus`
(``run(work, code, WIRING)``).

``causes`` is {"wiring"} where the traced calls name the cause (one entry also takes the
pattern of its values, which names the carried gradient, where its calls show nothing the
pattern does not).
"""

from __future__ import annotations

from uncatalogued_corpus import THROUGH, Mistake

WIRED = frozenset({"wiring"})
CELL_USERS = ("lstm_forward",)
RNN_FORWARD_USERS = ("rnn_backward", "gradient_norms")

GATE_LINE = 'i_t = input_gate(x_t, h_prev, params["W_i"], params["b_i"])'
FORGET_LINE = 'f_t = forget_gate(x_t, h_prev, params["W_f"], params["b_f"])'
OUTPUT_LINE = 'o_t = output_gate(x_t, h_prev, params["W_o"], params["b_o"])'
CELL_LINE = "c_t = cell_state(c_prev, f_t, i_t, c_hat_t)"
HIDDEN_LINE = "h_t = hidden_state(o_t, c_t)"
FORWARD_CALL = "h_t, c_t = lstm_cell(x_t, h_t, c_t, params)"
STEP_CALL = 'h_t = rnn_step(x_t, h_t, params["W_xh"], params["W_hh"], params["b_h"])'
NORMS = "return np.sqrt(np.sum(dx**2, axis=(1, 2)))"
CARRIED = 'dh_next, dc_next = step["h_prev"], step["c_prev"]'
STEP_BACKWARD_CALL = "x[t], h_prev_seq[t], c_prev_seq[t], params, dh_seq[t] + dh_next, dc_next"


def _wired(assignment: str, home: str, cell: str, old: str, new: str, about: str, users=()):
    lost = {home: set(WIRED), **{user: set(THROUGH) for user in users}}
    return Mistake(about, assignment, home, {cell: [(old, new)]}, WIRED, lost)


WIRING: dict[str, Mistake] = {
    "cell-input-gate-given-b_f": _wired(
        "lstm_gates",
        "lstm_cell",
        "lstm-cell",
        GATE_LINE,
        'i_t = input_gate(x_t, h_prev, params["W_i"], params["b_f"])',
        "the input gate handed b_f (the line above copied)",
        CELL_USERS,
    ),
    "cell-output-gate-given-W_f": _wired(
        "lstm_gates",
        "lstm_cell",
        "lstm-cell",
        OUTPUT_LINE,
        'o_t = output_gate(x_t, h_prev, params["W_f"], params["b_o"])',
        "the output gate handed W_f",
        CELL_USERS,
    ),
    "cell-h-from-forget-gate": _wired(
        "lstm_gates",
        "lstm_cell",
        "lstm-cell",
        HIDDEN_LINE,
        "h_t = hidden_state(f_t, c_t)",
        "hidden_state given the forget gate's result where the output gate's belongs",
        CELL_USERS,
    ),
    "cell-h-without-output-gate": _wired(
        "lstm_gates",
        "lstm_cell",
        "lstm-cell",
        HIDDEN_LINE,
        "h_t = np.tanh(c_t)",
        "h_t = tanh(C_t): the output gate's result never used",
        CELL_USERS,
    ),
    "forward-carries-h-as-c": _wired(
        "lstm_gates",
        "lstm_forward",
        "lstm-forward",
        FORWARD_CALL,
        "h_t, c_t = lstm_cell(x_t, h_t, h_t, params)",
        "lstm_forward hands the cell h where the cell state belongs",
    ),
    "forward-h-c-swapped": _wired(
        "lstm_gates",
        "lstm_forward",
        "lstm-forward",
        FORWARD_CALL,
        "h_t, c_t = lstm_cell(x_t, c_t, h_t, params)",
        "lstm_forward hands the cell (c, h) where it takes (h, c)",
    ),
    "forward-c-clipped": _wired(
        "lstm_gates",
        "lstm_forward",
        "lstm-forward",
        FORWARD_CALL,
        f"{FORWARD_CALL}\n        c_t = np.clip(c_t, -1.0, 1.0)",
        "lstm_forward clips the cell state it carries to the next step",
    ),
    "rnn-forward-first-input-each-step": _wired(
        "rnn_gradients",
        "rnn_forward",
        "rnn-forward",
        STEP_CALL,
        'h_t = rnn_step(x[0], h_t, params["W_xh"], params["W_hh"], params["b_h"])',
        "rnn_forward reads x[0] at every step",
        RNN_FORWARD_USERS,
    ),
    "rnn-forward-carries-negated": _wired(
        "rnn_gradients",
        "rnn_forward",
        "rnn-forward",
        STEP_CALL,
        'h_t = -rnn_step(x_t, h_t, params["W_xh"], params["W_hh"], params["b_h"])',
        "rnn_forward negates each state (and carries it negated)",
        RNN_FORWARD_USERS,
    ),
    "norms-largest-entry": _wired(
        "rnn_gradients",
        "gradient_norms",
        "gradient-norms",
        NORMS,
        "return np.max(np.abs(dx), axis=(1, 2))",
        "gradient_norms takes the largest |entry| instead of the norm",
    ),
    "norms-l1": _wired(
        "rnn_gradients",
        "gradient_norms",
        "gradient-norms",
        NORMS,
        "return np.sum(np.abs(dx), axis=(1, 2))",
        "gradient_norms takes the sum of |entries| (the L1 norm) instead of the norm",
    ),
    "lstm-backward-carries-swapped": _wired(
        "lstm_backward",
        "lstm_backward",
        "lstm-backward",
        CARRIED,
        'dh_next, dc_next = step["c_prev"], step["h_prev"]',
        "lstm_backward carries dC_prev as dh and dh_prev as dC",
    ),
    # The value given is dh_seq[t] + dC_prev, which no name fits, and the output (h0 given
    # dC_prev) does not outrank the pattern of the values: the carried gradient is named.
    "lstm-backward-dh-from-c": Mistake(
        "lstm_backward carries dC_prev back as dh too",
        "lstm_backward",
        "lstm_backward",
        {"lstm-backward": [(CARRIED, 'dh_next, dc_next = step["c_prev"], step["c_prev"]')]},
        frozenset({"wiring", "not-carried"}),
        {"lstm_backward": {"wiring", "not-carried", "aliased"}},  # h0 and c0 one array: true
    ),
    # issue 76: two gates' parameters swapped in the cell, both gates named; and two gates'
    # results handed to the cell state in each other's places (whose arithmetic is also a
    # weights swap's and the cell update's own f * c~ + i * C_prev)
    "cell-forget-output-weights-swapped": Mistake(
        "lstm_cell gives the forget gate W_o, b_o and the output gate W_f, b_f",
        "lstm_gates",
        "lstm_cell",
        {
            "lstm-cell": [
                (FORGET_LINE, 'f_t = forget_gate(x_t, h_prev, params["W_o"], params["b_o"])'),
                (OUTPUT_LINE, 'o_t = output_gate(x_t, h_prev, params["W_f"], params["b_f"])'),
            ]
        },
        WIRED,
        {"lstm_cell": set(WIRED), "lstm_forward": set(THROUGH)},
    ),
    "cell-gates-swapped-into-cell-state": _wired(
        "lstm_gates",
        "lstm_cell",
        "lstm-cell",
        CELL_LINE,
        "c_t = cell_state(c_prev, i_t, f_t, c_hat_t)",
        "cell_state handed the input gate's result where the forget gate's belongs, and back",
        CELL_USERS,
    ),
    "lstm-backward-c-prev-from-h": _wired(
        "lstm_backward",
        "lstm_backward",
        "lstm-backward",
        STEP_BACKWARD_CALL,
        "x[t], h_prev_seq[t], h_prev_seq[t], params, dh_seq[t] + dh_next, dc_next",
        "lstm_backward hands the step h_(t-1) where C_(t-1) belongs",
    ),
}
