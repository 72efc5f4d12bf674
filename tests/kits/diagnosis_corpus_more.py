"""More of the diagnosis corpus (see diagnosis_corpus.py), the gates' and those of rnn_gradients
and lstm_backward: reshape for transpose in every gate and in the RNN step, and each composite
with a mistake of its own beside a wrong part, which must be named as both, never as "only
because". A part's own mistake may show
through its composite on the cases where the composite's mistake does not (its hint then names
the part), so a composite may carry the part's code beside "composition"."""

from __future__ import annotations

from diagnosis_corpus import (
    CANDIDATE,
    FORGET,
    FORWARD_STACK,
    INPUT,
    OUTPUT,
    Entry,
    _gate,
    _through_composites,
)

STEP = "return np.tanh(x_t @ W_xh.T + h_prev @ W_hh.T + b_h)"
STEP_CALL = 'h_t = rnn_step(x_t, h_t, params["W_xh"], params["W_hh"], params["b_h"])'
DZ = "dz = (dh_seq[t] + dh_next) * (1.0 - h_seq[t] ** 2)"
NORMS = "return np.sqrt(np.sum(dx**2, axis=(1, 2)))"
SIGMOID_DERIVATIVE = [(f'"{g}": d{g} * {g} * (1.0 - {g}),', f'"{g}": d{g} * {g},') for g in "fio"]
SUMMED = "grads[key] += step[key]"
COMPOSITES = ("rnn_forward", "rnn_backward", "gradient_norms")


def _rnn(about: str, edits: dict, lost: dict) -> Entry:
    return Entry(about, edits, lost, assignment="rnn_gradients")


def _step_through(codes: set[str]) -> dict[str, set[str]]:
    """A mistake of rnn_step, costing every function after it (blamed on their part)."""
    return {"rnn_step": codes, **{c: {"wrong-part"} | codes for c in COMPOSITES}}


MORE: dict[str, Entry] = {
    "reshape-forget": Entry(
        "W_f reshaped where it should be transposed",
        _gate("forget-gate", FORGET, "return sigmoid(xh @ W_f.reshape(xh.shape[1], -1) + b_f)"),
        _through_composites("forget_gate", {"reshape-for-transpose"}),
    ),
    "reshape-input": Entry(
        "xh @ W_i.reshape(D + H, H) in the input gate",
        _gate(
            "input-gate",
            INPUT,
            "D, H = x_t.shape[1], h_prev.shape[1]\n"
            "    return sigmoid(xh @ W_i.reshape(D + H, H) + b_i)",
        ),
        _through_composites("input_gate", {"reshape-for-transpose"}),
    ),
    "reshape-product-candidate": Entry(
        "the candidate's product reshaped from (H, N) to (N, H)",
        _gate(
            "candidate-memory",
            CANDIDATE,
            "return np.tanh((W_c @ xh.T).reshape(xh.shape[0], -1) + b_c)",
        ),
        _through_composites("candidate_memory", {"product-reshaped"}),
    ),
    "reshape-product-output": Entry(
        "(W_o @ xh.T).reshape(N, H) in the output gate",
        _gate(
            "output-gate",
            OUTPUT,
            "N, H = h_prev.shape\n    return sigmoid((W_o @ xh.T).reshape(N, H) + b_o)",
        ),
        _through_composites("output_gate", {"product-reshaped"}),
    ),
    "tanh-output-and-restart": Entry(
        "tanh in the output gate, and every step of lstm_forward restarts from h0 and c0",
        {
            "output-gate": [(OUTPUT, "return np.tanh(xh @ W_o.T + b_o)")],
            "lstm-forward": [
                (
                    "h_t, c_t = lstm_cell(x_t, h_t, c_t, params)",
                    "h_t, c_t = lstm_cell(x_t, h0, c0, params)",
                )
            ],
        },
        {
            "output_gate": {"tanh-for-sigmoid"},
            "lstm_cell": {"wrong-part", "tanh-for-sigmoid"},
            "lstm_forward": {"composition", "tanh-for-sigmoid"},
        },
    ),
    "tanh-forget-and-wrong-weights": Entry(
        "tanh in the forget gate, and lstm_cell hands it W_i",
        {
            "forget-gate": [(FORGET, "return np.tanh(xh @ W_f.T + b_f)")],
            "lstm-cell": [
                (
                    'f_t = forget_gate(x_t, h_prev, params["W_f"], params["b_f"])',
                    'f_t = forget_gate(x_t, h_prev, params["W_i"], params["b_i"])',
                )
            ],
        },
        {
            "forget_gate": {"tanh-for-sigmoid"},
            "lstm_cell": {"composition"},
            "lstm_forward": {"wrong-part", "tanh-for-sigmoid"},
        },
    ),
    "rnn-reshape-W_xh": _rnn(
        "x_t @ W_xh.reshape(D, H) in the RNN step",
        {
            "rnn-step": [
                (
                    STEP,
                    "D, H = x_t.shape[1], h_prev.shape[1]\n"
                    "    return np.tanh(x_t @ W_xh.reshape(D, H) + h_prev @ W_hh.T + b_h)",
                )
            ]
        },
        _step_through({"reshape-for-transpose"}),
    ),
    "rnn-reshape-product": _rnn(
        "(W_xh @ x_t.T).reshape(N, H) in the RNN step",
        {
            "rnn-step": [
                (
                    STEP,
                    "N, H = h_prev.shape\n"
                    "    return np.tanh((W_xh @ x_t.T).reshape(N, H) + h_prev @ W_hh.T + b_h)",
                )
            ]
        },
        _step_through({"product-reshaped"}),
    ),
    "rnn-no-bias-and-restart": _rnn(
        "the step without its bias, and rnn_forward restarting every step from h0",
        {
            "rnn-step": [(STEP, "return np.tanh(x_t @ W_xh.T + h_prev @ W_hh.T)")],
            "rnn-forward": [(STEP_CALL, STEP_CALL.replace("x_t, h_t,", "x_t, h0,"))],
        },
        {
            "rnn_step": {"missing-bias"},
            "rnn_forward": {"composition", "missing-bias"},
            "rnn_backward": {"wrong-part", "missing-bias"},
            "gradient_norms": {"wrong-part", "missing-bias"},
        },
    ),
    "rnn-untransposed-and-no-derivative": _rnn(
        "h_prev @ W_hh in the step, and rnn_backward without the tanh derivative",
        {
            "rnn-step": [(STEP, "return np.tanh(x_t @ W_xh.T + h_prev @ W_hh + b_h)")],
            "rnn-backward": [(DZ, "dz = dh_seq[t] + dh_next")],
        },
        {
            "rnn_step": {"W_hh-untransposed"},
            "rnn_forward": {"wrong-part", "W_hh-untransposed"},
            "rnn_backward": {"composition", "missing-tanh-derivative"},
            "gradient_norms": {"wrong-part", "W_hh-untransposed", "missing-tanh-derivative"},
        },
    ),
    "rnn-not-accumulated-and-reversed": _rnn(
        "rnn_backward ignoring what step t + 1 sends back, and the norms in reverse",
        {
            "rnn-backward": [(DZ, "dz = dh_seq[t] * (1.0 - h_seq[t] ** 2)")],
            "gradient-norms": [(NORMS, f"{NORMS}[::-1]")],
        },
        {
            "rnn_backward": {"gradient-not-accumulated"},
            "gradient_norms": {"composition", "norms-reversed"},
        },
    ),
    "lstm-backward-both": Entry(
        "the sigmoid's derivative written as s, and lstm_backward not summing over time",
        {
            "lstm-step-backward": SIGMOID_DERIVATIVE,
            "lstm-backward": [(SUMMED, "grads[key] = step[key]")],
        },
        {
            "lstm_step_backward": {"sigmoid-derivative-as-s"},
            "lstm_backward": {"composition", "dW-not-summed-over-time", "sigmoid-derivative-as-s"},
        },
        assignment="lstm_backward",
    ),
    # issue 36: mistakes no tool named, and blame beside the bug
    "bias-column-forget": Entry(
        "the forget gate's bias reshaped to a column, b_f.reshape(H, 1)",
        _gate("forget-gate", FORGET, "return sigmoid(xh @ W_f.T + b_f.reshape(-1, 1))"),
        _through_composites("forget_gate", {"bias-column"}),
    ),
    "bias-column-rnn": _rnn(
        "the RNN's bias reshaped to a column",
        {"rnn-step": [(STEP, "return np.tanh(x_t @ W_xh.T + h_prev @ W_hh.T + b_h[:, None])")]},
        _step_through({"bias-column"}),
    ),
    "gate-weights-swapped": Entry(
        "lstm_cell passes W_i, b_i to the forget gate and W_f, b_f to the input gate",
        {
            "lstm-cell": [
                (
                    'f_t = forget_gate(x_t, h_prev, params["W_f"], params["b_f"])',
                    'f_t = forget_gate(x_t, h_prev, params["W_i"], params["b_i"])',
                ),
                (
                    'i_t = input_gate(x_t, h_prev, params["W_i"], params["b_i"])',
                    'i_t = input_gate(x_t, h_prev, params["W_f"], params["b_f"])',
                ),
            ]
        },
        {
            # the traced calls show the swap, both gates named (issue 76)
            "lstm_cell": {"gate-weights-swapped", "wiring"},
            "lstm_forward": {"wrong-part", "gate-weights-swapped"},
        },
    ),
    "stack-repeated": Entry(
        "lstm_forward stacks the last state T times, np.stack([h_t] * T)",
        _gate(
            "lstm-forward",
            FORWARD_STACK,
            "return np.stack([h_t] * len(x)), np.stack([c_t] * len(x))",
        ),
        {"lstm_forward": {"aliased"}},
    ),
    "forget-gradient-from-candidate": Entry(
        "the forget gate's gradient taken through c~ instead of C_prev",
        {
            "lstm-step-backward": [
                (
                    "df, di, dc_hat = dc * c_prev, dc * c_hat, dc * i",
                    "df, di, dc_hat = dc * c_hat, dc * c_hat, dc * i",
                )
            ]
        },
        {
            "lstm_step_backward": {"some-outputs-wrong"},
            "lstm_backward": {"wrong-part", "some-outputs-wrong"},
        },
        assignment="lstm_backward",
    ),
}
