"""The course's graded LSTM functions: their signatures, inputs to probe them with, and the
outputs of the usual mistakes, so that a wrong answer can be named.

Shapes follow the course notes: ``x_t`` (N, D); ``h_prev``, ``c_prev`` (N, H); each ``W_*``
(H, D+H) acting on ``[x_t, h_prev]``; each ``b_*`` (H,); a sequence ``x`` is (T, N, D).
"""

from __future__ import annotations

from collections.abc import Callable, Mapping
from dataclasses import dataclass

import numpy as np

Array = np.ndarray
Argument = Array | dict[str, Array]
PARAM_KEYS = ("W_f", "b_f", "W_i", "b_i", "W_c", "b_c", "W_o", "b_o")


@dataclass(frozen=True)
class Signature:
    """How the grader calls a graded function: positional ``params``; one array per ``returns``."""

    params: tuple[str, ...]
    returns: tuple[str, ...]


SIGNATURES: dict[str, Signature] = {
    "forget_gate": Signature(("x_t", "h_prev", "W_f", "b_f"), ("f_t",)),
    "input_gate": Signature(("x_t", "h_prev", "W_i", "b_i"), ("i_t",)),
    "candidate_memory": Signature(("x_t", "h_prev", "W_c", "b_c"), ("c_hat_t",)),
    "output_gate": Signature(("x_t", "h_prev", "W_o", "b_o"), ("o_t",)),
    "cell_state": Signature(("c_prev", "f_t", "i_t", "c_hat_t"), ("c_t",)),
    "hidden_state": Signature(("o_t", "c_t"), ("h_t",)),
    "lstm_cell": Signature(("x_t", "h_prev", "c_prev", "params"), ("h_t", "c_t")),
    "lstm_forward": Signature(("x", "h0", "c0", "params"), ("h_seq", "c_seq")),
}

# The gate each layer function computes, by the letter of its weights.
GATE_LETTERS = {"forget_gate": "f", "input_gate": "i", "candidate_memory": "c", "output_gate": "o"}

# What a wrong answer that equals the output of a known mistake is told.
MISTAKE_HINTS: dict[str, str] = {
    "tanh-for-sigmoid": "your values match tanh; a gate uses the sigmoid, so it lies in (0, 1).",
    "sigmoid-for-tanh": "your values match the sigmoid; the candidate memory uses tanh, "
    "so it lies in (-1, 1).",
    "no-activation": "your values match W [x_t, h_prev] + b with no activation: "
    "apply the sigmoid (gates) or tanh (candidate memory).",
    "hx-order": "your values match the concatenation [h_prev, x_t]; the course's order is "
    "[x_t, h_prev], input first.",
    "no-bias": "your values match the result without the bias: add b.",
    "gates-swapped": "the gates are swapped: f_t scales the old memory C_{t-1}, "
    "i_t scales the candidate.",
    "no-forget": "the old memory C_{t-1} must be scaled by the forget gate f_t.",
    "no-input": "the candidate memory must be scaled by the input gate i_t.",
    "product-for-sum": "the two terms are added, not multiplied: f_t * C_{t-1} + i_t * c~_t.",
    "no-tanh": "h_t = o_t * tanh(C_t): squash the cell state with tanh before the output gate.",
    "tanh-outside": "apply tanh to C_t alone, then multiply by o_t.",
    "returns-swapped": "return the hidden state first: (h, c), not (c, h).",
    "state-not-carried": "feed each step's (h_t, c_t) into the next step; every step of yours "
    "started again from (h0, c0).",
}

_GATE_MISTAKES = ("tanh-for-sigmoid", "no-activation", "hx-order", "no-bias")
MISTAKES: dict[str, tuple[str, ...]] = {
    "forget_gate": _GATE_MISTAKES,
    "input_gate": _GATE_MISTAKES,
    "candidate_memory": ("sigmoid-for-tanh", "no-activation", "hx-order", "no-bias"),
    "output_gate": _GATE_MISTAKES,
    "cell_state": ("gates-swapped", "no-forget", "no-input", "product-for-sum"),
    "hidden_state": ("no-tanh", "tanh-outside"),
    "lstm_cell": ("hx-order", "no-tanh", "returns-swapped"),
    "lstm_forward": ("hx-order", "no-tanh", "returns-swapped", "state-not-carried"),
}


def case_inputs(
    name: str, rng: np.random.Generator, n: int, d: int, h: int, t: int = 1
) -> dict[str, Argument]:
    """Random arguments for ``name`` with batch ``n``, input size ``d``, hidden size ``h`` and,
    for ``lstm_forward``, ``t`` steps; keyed and ordered like ``SIGNATURES[name].params``.

    Values are where real ones live: gates in (0, 1), candidates and hidden states in (-1, 1),
    biases and states non-zero, so that each known mistake changes the result.
    """
    bound = 1.0 / np.sqrt(h)  # PyTorch's initialisation
    makers: dict[str, Callable[[], Array]] = {
        "x_t": lambda: rng.standard_normal((n, d)),
        "x": lambda: rng.standard_normal((t, n, d)),
        "h_prev": lambda: rng.uniform(-1, 1, (n, h)),
        "h0": lambda: rng.uniform(-1, 1, (n, h)),
        "c_prev": lambda: rng.standard_normal((n, h)),
        "c0": lambda: rng.standard_normal((n, h)),
        "c_t": lambda: 1.5 * rng.standard_normal((n, h)),
        "f_t": lambda: rng.uniform(0.05, 0.95, (n, h)),
        "i_t": lambda: rng.uniform(0.05, 0.95, (n, h)),
        "o_t": lambda: rng.uniform(0.05, 0.95, (n, h)),
        "c_hat_t": lambda: rng.uniform(-0.95, 0.95, (n, h)),
    }

    def make(param: str) -> Argument:
        if param == "params":
            return {key: make(key) for key in PARAM_KEYS}
        if param.startswith("W_"):
            return rng.uniform(-bound, bound, (h, d + h))
        if param.startswith("b_"):
            return rng.uniform(-bound, bound, h)
        return makers[param]()

    return {param: make(param) for param in SIGNATURES[name].params}


def mistake_outputs(name: str, inputs: Mapping[str, Argument]) -> dict[str, tuple[Array, ...]]:
    """What ``name`` returns on ``inputs`` with each mistake of ``MISTAKES[name]`` made."""
    return {m: _mistaken(name, inputs, m) for m in MISTAKES[name]}


def _mistaken(name: str, inputs: Mapping[str, Argument], mistake: str) -> tuple[Array, ...]:
    if name in GATE_LETTERS:
        g = GATE_LETTERS[name]
        activation = np.tanh if g == "c" else _sigmoid
        return (
            _gate(
                inputs["x_t"],
                inputs["h_prev"],
                inputs[f"W_{g}"],
                inputs[f"b_{g}"],
                activation,
                mistake,
            ),
        )
    if name == "cell_state":
        return (
            _cell_state(inputs["c_prev"], inputs["f_t"], inputs["i_t"], inputs["c_hat_t"], mistake),
        )
    if name == "hidden_state":
        return (_hidden_state(inputs["o_t"], inputs["c_t"], mistake),)
    if name == "lstm_cell":
        h_t, c_t = _lstm_cell(
            inputs["x_t"], inputs["h_prev"], inputs["c_prev"], inputs["params"], mistake
        )
    else:
        h_t, c_t = _lstm_forward(inputs["x"], inputs["h0"], inputs["c0"], inputs["params"], mistake)
    return (c_t, h_t) if mistake == "returns-swapped" else (h_t, c_t)


def _sigmoid(z: Array) -> Array:
    return 0.5 * (1.0 + np.tanh(0.5 * z))  # the same function, without overflow for large |z|


def _gate(x_t, h_prev, W, b, activation: Callable[[Array], Array], mistake: str) -> Array:
    xh = np.concatenate([h_prev, x_t] if mistake == "hx-order" else [x_t, h_prev], axis=1)
    z = xh @ W.T if mistake == "no-bias" else xh @ W.T + b
    if mistake == "no-activation":
        return z
    if mistake == "tanh-for-sigmoid":
        return np.tanh(z)
    if mistake == "sigmoid-for-tanh":
        return _sigmoid(z)
    return activation(z)


def _cell_state(c_prev, f_t, i_t, c_hat_t, mistake: str) -> Array:
    if mistake == "gates-swapped":
        return i_t * c_prev + f_t * c_hat_t
    if mistake == "no-forget":
        return c_prev + i_t * c_hat_t
    if mistake == "no-input":
        return f_t * c_prev + c_hat_t
    if mistake == "product-for-sum":
        return f_t * c_prev * i_t * c_hat_t
    return f_t * c_prev + i_t * c_hat_t


def _hidden_state(o_t, c_t, mistake: str) -> Array:
    if mistake == "no-tanh":
        return o_t * c_t
    if mistake == "tanh-outside":
        return np.tanh(o_t * c_t)
    return o_t * np.tanh(c_t)


def _lstm_cell(x_t, h_prev, c_prev, params, mistake: str) -> tuple[Array, Array]:
    f_t, i_t, c_hat_t, o_t = (
        _gate(
            x_t,
            h_prev,
            params[f"W_{g}"],
            params[f"b_{g}"],
            np.tanh if g == "c" else _sigmoid,
            mistake,
        )
        for g in "fico"
    )
    c_t = _cell_state(c_prev, f_t, i_t, c_hat_t, mistake)
    return _hidden_state(o_t, c_t, mistake), c_t


def _lstm_forward(x, h0, c0, params, mistake: str) -> tuple[Array, Array]:
    h_t, c_t = h0, c0
    hs, cs = [], []
    for x_t in x:
        start = (h0, c0) if mistake == "state-not-carried" else (h_t, c_t)
        h_t, c_t = _lstm_cell(x_t, *start, params, mistake)
        hs.append(h_t)
        cs.append(c_t)
    return np.stack(hs), np.stack(cs)
