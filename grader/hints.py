"""Known mistakes, each with a stable code, recognised by the output it produces.

A mistake is a variant of the course's equations with one thing done wrong (tanh for sigmoid,
``[h, x]`` for ``[x, h]``, ``o * C`` for ``o * tanh(C)``, ...). When a wrong answer matches what
a variant computes on the same inputs, the feedback names the mistake. Variants run through the
whole cell and sequence, so a wrong forget gate is recognised in ``lstm_cell`` and
``lstm_forward`` too. Everything here is pure numpy on the trusted side.
"""

from __future__ import annotations

import re
from collections.abc import Callable, Mapping
from dataclasses import dataclass, field

import numpy as np

from reference_lstm import sigmoid

GATES = {  # graded gate function -> (params keys, activation name)
    "forget_gate": ("W_f", "b_f", "sigmoid"),
    "input_gate": ("W_i", "b_i", "sigmoid"),
    "candidate_memory": ("W_c", "b_c", "tanh"),
    "output_gate": ("W_o", "b_o", "sigmoid"),
}
COMPOSITES = ("lstm_cell", "lstm_forward")
ACTIVATIONS: dict[str, Callable[[np.ndarray], np.ndarray]] = {
    "sigmoid": sigmoid,
    "tanh": np.tanh,
    "identity": lambda z: z,
}


@dataclass(frozen=True)
class Mistake:
    """One known mistake: a stable ``code``, what to tell the student, and the variant.

    ``gate_overrides`` maps a gate function to ``(activation, concat_order, use_bias)``;
    ``cell``/``hidden`` replace the cell-state and hidden-state equations; ``flags`` change how
    the cell and the sequence are put together.
    """

    code: str
    message: str
    functions: tuple[str, ...]
    gate_overrides: Mapping[str, tuple[str, str, bool]] = field(default_factory=dict)
    cell: Callable | None = None
    hidden: Callable | None = None
    flags: frozenset[str] = frozenset()


def _gate(activation: str, order: str, use_bias: bool) -> Callable:
    def gate(x_t, h_prev, W, b):
        xh = np.concatenate([x_t, h_prev] if order == "xh" else [h_prev, x_t], axis=1)
        z = xh @ W.T + (b if use_bias else 0.0)
        return ACTIVATIONS[activation](z)

    return gate


def _reference_cell(c_prev, f, i, c_hat):
    return f * c_prev + i * c_hat


def _reference_hidden(o, c):
    return o * np.tanh(c)


def _gate_mistakes() -> list[Mistake]:
    mistakes = []
    for name, (_, _, activation) in GATES.items():
        users = (name, *COMPOSITES)
        wrong = "tanh" if activation == "sigmoid" else "sigmoid"
        mistakes += [
            Mistake(
                f"{wrong}-for-{activation}",
                f"{name} matches {wrong} where the notes use {activation}: swap the activation.",
                users,
                {name: (wrong, "xh", True)},
            ),
            Mistake(
                "concat-order",
                f"{name} matches W [h_prev, x_t]: the notes concatenate the input first, "
                f"[x_t, h_prev].",
                users,
                {name: (activation, "hx", True)},
            ),
            Mistake(
                "missing-bias",
                f"{name} matches the gate without its bias: add b.",
                users,
                {name: (activation, "xh", False)},
            ),
            Mistake(
                "missing-activation",
                f"{name} matches the pre-activation W [x_t, h_prev] + b: apply {activation}.",
                users,
                {name: ("identity", "xh", True)},
            ),
        ]
    return mistakes


CELL_USERS = ("cell_state", *COMPOSITES)
HIDDEN_USERS = ("hidden_state", *COMPOSITES)

MISTAKES: tuple[Mistake, ...] = (
    *_gate_mistakes(),
    Mistake(
        "input-gate-missing",
        "the cell update matches f * C_prev + c~: the input gate i_t must scale the "
        "candidate, C_t = f_t * C_prev + i_t * c~_t.",
        CELL_USERS,
        cell=lambda c_prev, f, i, c_hat: f * c_prev + c_hat,
    ),
    Mistake(
        "forget-gate-missing",
        "the cell update matches C_prev + i * c~: the forget gate f_t must scale the old memory.",
        CELL_USERS,
        cell=lambda c_prev, f, i, c_hat: c_prev + i * c_hat,
    ),
    Mistake(
        "forget-on-candidate",
        "the cell update matches f * c~ + i * C_prev: the forget gate belongs on the old "
        "memory C_prev and the input gate on the candidate c~.",
        CELL_USERS,
        cell=lambda c_prev, f, i, c_hat: f * c_hat + i * c_prev,
    ),
    Mistake(
        "o-times-C",
        "the hidden state matches o * C: squash the cell state first, h_t = o_t * tanh(C_t).",
        HIDDEN_USERS,
        hidden=lambda o, c: o * c,
    ),
    Mistake(
        "sigmoid-on-cell",
        "the hidden state matches o * sigmoid(C): the notes use tanh(C_t).",
        HIDDEN_USERS,
        hidden=lambda o, c: o * sigmoid(c),
    ),
    Mistake(
        "hidden-from-previous-cell",
        "h_t matches o_t * tanh(C_prev): compute the new cell state first and use it.",
        COMPOSITES,
        flags=frozenset({"hidden-from-previous-cell"}),
    ),
    Mistake(
        "returns-c-h",
        "the two values come back as (c, h): return (h, c).",
        COMPOSITES,
        flags=frozenset({"returns-c-h"}),
    ),
    Mistake(
        "state-not-carried",
        "every step matches a cell started from h0 and c0: carry h_t and c_t to the next step.",
        ("lstm_forward",),
        flags=frozenset({"state-not-carried"}),
    ),
)

# Every hint code with what it means, for the instructors' table (assignments/*/README.md).
HINT_CODES: dict[str, str] = {
    "tanh-for-sigmoid": "a sigmoid gate (forget, input, output) computed with tanh",
    "sigmoid-for-tanh": "the candidate memory computed with sigmoid instead of tanh",
    "concat-order": "a gate computed on [h_prev, x_t] instead of [x_t, h_prev]",
    "missing-bias": "a gate computed without its bias b",
    "missing-activation": "a gate returned before its activation (W [x_t, h_prev] + b)",
    "input-gate-missing": "C_t = f_t * C_prev + c~_t: the input gate left out of the cell update",
    "forget-gate-missing": "C_t = C_prev + i_t * c~_t: the forget gate left out",
    "forget-on-candidate": "C_t = f_t * c~_t + i_t * C_prev: forget gate applied to the candidate",
    "o-times-C": "h_t = o_t * C_t instead of o_t * tanh(C_t)",
    "sigmoid-on-cell": "h_t = o_t * sigmoid(C_t) instead of o_t * tanh(C_t)",
    "hidden-from-previous-cell": "h_t computed from C_prev instead of the new C_t",
    "returns-c-h": "lstm_cell / lstm_forward return (c, h) instead of (h, c)",
    "state-not-carried": "lstm_forward restarts every step from h0, c0",
    "transposed-output": "a (H, N) result where (N, H) is expected: W applied transposed",
    "batch-major": "lstm_forward returns (N, T, H) instead of time-major (T, N, H)",
    "last-step-only": "lstm_forward returns only the last step, (N, H)",
    "W-orientation": "a matmul shape error: W (H, D+H) multiplied untransposed",
}
assert {m.code for m in MISTAKES} <= HINT_CODES.keys()

# Shape-based hints: the output has the right numbers in the wrong layout.
SHAPE_HINTS = {
    "transposed-output": "is W transposed? The result is (N, H): compute [x_t, h_prev] @ W.T.",
    "batch-major": "the sequence is time-major: return (T, N, H), not (N, T, H).",
    "last-step-only": "return the states of every step, (T, N, H), not only the last one.",
    "W-orientation": "W is (H, D+H) and [x_t, h_prev] is (N, D+H): compute [x_t, h_prev] @ W.T.",
}
# What numpy and torch say when a matrix product's shapes do not fit.
MATMUL_ERROR = re.compile(r"matmul|not aligned|core dimension|cannot be multiplied", re.IGNORECASE)


def _cell_step(mistake: Mistake, x_t, h_prev, c_prev, params) -> tuple[np.ndarray, np.ndarray]:
    gate = {}
    for name, (w_key, b_key, activation) in GATES.items():
        spec = mistake.gate_overrides.get(name, (activation, "xh", True))
        gate[name] = _gate(*spec)(x_t, h_prev, params[w_key], params[b_key])
    c_t = (mistake.cell or _reference_cell)(
        c_prev, gate["forget_gate"], gate["input_gate"], gate["candidate_memory"]
    )
    shown = c_prev if "hidden-from-previous-cell" in mistake.flags else c_t
    h_t = (mistake.hidden or _reference_hidden)(gate["output_gate"], shown)
    return h_t, c_t


def mistaken_output(mistake: Mistake, function: str, args: tuple):
    """What ``function`` returns on ``args`` when written with ``mistake``."""
    if function in GATES:
        activation = GATES[function][2]
        spec = mistake.gate_overrides.get(function, (activation, "xh", True))
        return _gate(*spec)(*args)
    if function == "cell_state":
        return (mistake.cell or _reference_cell)(*args)
    if function == "hidden_state":
        return (mistake.hidden or _reference_hidden)(*args)
    order = (lambda h, c: (c, h)) if "returns-c-h" in mistake.flags else (lambda h, c: (h, c))
    if function == "lstm_cell":
        return order(*_cell_step(mistake, *args))
    if function == "lstm_forward":
        x, h0, c0, params = args
        h_t, c_t, hs, cs = h0, c0, [], []
        for x_t in x:
            if "state-not-carried" in mistake.flags:
                h_t, c_t = h0, c0
            h_t, c_t = _cell_step(mistake, x_t, h_t, c_t, params)
            hs.append(h_t)
            cs.append(c_t)
        return order(np.stack(hs), np.stack(cs))
    raise ValueError(f"no mistakes are known for {function!r}")


def matching_mistakes(
    function: str, args: tuple, got, close: Callable[[object, object], bool]
) -> list[Mistake]:
    """The known mistakes whose output on ``args`` is ``close`` to what the student returned."""
    return [
        m
        for m in MISTAKES
        if function in m.functions and close(got, mistaken_output(m, function, args))
    ]


def shape_hint(function: str, got_shape: tuple, expected_shape: tuple) -> str | None:
    """The code of a shape-based hint, when the wrong shape tells what went wrong."""
    if len(expected_shape) == 2 and got_shape == expected_shape[::-1]:
        return "transposed-output"
    if len(expected_shape) == 3:
        T, N, H = expected_shape
        if got_shape == (N, T, H) and N != T:
            return "batch-major"
        if got_shape == (N, H):
            return "last-step-only"
    return None
