"""The LSTM gates' known mistakes (instructor-only): each a variant of the notes' equations with
one thing done wrong (tanh for sigmoid, ``[h, x]`` for ``[x, h]``, ``o * C`` for
``o * tanh(C)``, state not carried, ...), run through the cell and the sequence, so a wrong
forget gate is recognised in ``lstm_cell`` and ``lstm_forward`` too."""

from __future__ import annotations

from collections.abc import Callable, Mapping
from dataclasses import dataclass, field

import numpy as np

from grader.assignment import Mistake
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
class _Spec:
    """How a mistake changes the equations: ``gate_overrides`` maps a gate to (activation,
    concat order, use bias[, product]); ``cell``/``hidden`` replace the cell-state and hidden-state
    equations; ``flags`` change how the cell and the sequence are put together."""

    code: str
    message: str
    functions: tuple[str, ...]
    gate_overrides: Mapping[str, tuple] = field(default_factory=dict)
    cell: Callable | None = None
    hidden: Callable | None = None
    flags: frozenset[str] = frozenset()
    weights_of: Mapping[str, str] = field(default_factory=dict)  # gate -> gate whose W, b it gets


# How W meets [x_t, h_prev] (N, D+H): the notes' xh @ W.T, or a reshape where a transpose was
# meant, on W (H, D+H) -> (D+H, H) or on the product W @ xh.T (H, N) -> (N, H). Each keeps the
# numbers in their order, so the shapes fit and only the values are wrong.
PRODUCTS: dict[str, Callable[[np.ndarray, np.ndarray], np.ndarray]] = {
    "transpose": lambda xh, W: xh @ W.T,
    "reshape-W": lambda xh, W: xh @ W.reshape(W.shape[1], W.shape[0]),
    "reshape-product": lambda xh, W: (W @ xh.T).reshape(xh.shape[0], W.shape[0]),
}


def _gate(activation: str, order: str, use_bias: bool, product: str = "transpose") -> Callable:
    def gate(x_t, h_prev, W, b):
        xh = np.concatenate([x_t, h_prev] if order == "xh" else [h_prev, x_t], axis=1)
        z = PRODUCTS[product](xh, W) + (b if use_bias else 0.0)
        return ACTIVATIONS[activation](z)

    return gate


def _reference_cell(c_prev, f, i, c_hat):
    return f * c_prev + i * c_hat


def _reference_hidden(o, c):
    return o * np.tanh(c)


def _gate_mistakes() -> list[_Spec]:
    mistakes = []
    for name, (_, _, activation) in GATES.items():
        users = (name, *COMPOSITES)
        wrong = "tanh" if activation == "sigmoid" else "sigmoid"
        mistakes += [
            _Spec(
                f"{wrong}-for-{activation}",
                f"{name} matches {wrong} where the notes use {activation}: swap the activation.",
                users,
                {name: (wrong, "xh", True)},
            ),
            _Spec(
                "concat-order",
                f"{name} matches W [h_prev, x_t]: the notes concatenate the input first, "
                f"[x_t, h_prev].",
                users,
                {name: (activation, "hx", True)},
            ),
            _Spec(
                "missing-bias",
                f"{name} matches the gate without its bias: add b.",
                users,
                {name: (activation, "xh", False)},
            ),
            _Spec(
                "reshape-for-transpose",
                f"{name} matches [x_t, h_prev] @ W.reshape(D + H, H): reshape keeps the numbers"
                f" in W's row order, it does not transpose; use W.T.",
                users,
                {name: (activation, "xh", True, "reshape-W")},
            ),
            _Spec(
                "product-reshaped",
                f"{name} matches (W @ [x_t, h_prev].T).reshape(N, H): reshape keeps the numbers"
                f" in their (H, N) order, it does not transpose; use .T, or [x_t, h_prev] @ W.T.",
                users,
                {name: (activation, "xh", True, "reshape-product")},
            ),
            _Spec(
                "missing-activation",
                f"{name} matches the pre-activation W [x_t, h_prev] + b: apply {activation}.",
                users,
                {name: ("identity", "xh", True)},
            ),
        ]
    return mistakes


def _swapped_weights() -> list[_Spec]:
    """lstm_cell passing two gates each other's weights (W_i, b_i to the forget gate and
    W_f, b_f to the input gate, ...): every gate is right on its own, the cell is not."""
    names = list(GATES)
    mistakes = []
    for k, first in enumerate(names):
        for second in names[k + 1 :]:
            w1, b1, _ = GATES[first]
            w2, b2, _ = GATES[second]
            mistakes.append(
                _Spec(
                    "gate-weights-swapped",
                    f"{{function}} matches {first} given {w2}, {b2} and {second} given {w1}, {b1}:"
                    f' pass each gate its own weights, {first}(..., params["{w1}"],'
                    f' params["{b1}"]).',
                    COMPOSITES,
                    weights_of={first: second, second: first},
                )
            )
    return mistakes


CELL_USERS = ("cell_state", *COMPOSITES)
HIDDEN_USERS = ("hidden_state", *COMPOSITES)

_SPECS: tuple[_Spec, ...] = (
    *_gate_mistakes(),
    *_swapped_weights(),  # before the cell's mistakes, whose arithmetic a swap can repeat
    _Spec(
        "input-gate-missing",
        "the cell update matches f * C_prev + c~: the input gate i_t must scale the "
        "candidate, C_t = f_t * C_prev + i_t * c~_t.",
        CELL_USERS,
        cell=lambda c_prev, f, i, c_hat: f * c_prev + c_hat,
    ),
    _Spec(
        "forget-gate-missing",
        "the cell update matches C_prev + i * c~: the forget gate f_t must scale the old memory.",
        CELL_USERS,
        cell=lambda c_prev, f, i, c_hat: c_prev + i * c_hat,
    ),
    _Spec(
        "forget-on-candidate",
        "the cell update matches f * c~ + i * C_prev: the forget gate belongs on the old "
        "memory C_prev and the input gate on the candidate c~.",
        CELL_USERS,
        cell=lambda c_prev, f, i, c_hat: f * c_hat + i * c_prev,
    ),
    _Spec(
        "o-times-C",
        "the hidden state matches o * C: squash the cell state first, h_t = o_t * tanh(C_t).",
        HIDDEN_USERS,
        hidden=lambda o, c: o * c,
    ),
    _Spec(
        "sigmoid-on-cell",
        "the hidden state matches o * sigmoid(C): the notes use tanh(C_t).",
        HIDDEN_USERS,
        hidden=lambda o, c: o * sigmoid(c),
    ),
    _Spec(
        "hidden-from-previous-cell",
        "h_t matches o_t * tanh(C_prev): compute the new cell state first and use it.",
        COMPOSITES,
        flags=frozenset({"hidden-from-previous-cell"}),
    ),
    _Spec(
        "returns-c-h",
        "the two values come back as (c, h): return (h, c).",
        COMPOSITES,
        flags=frozenset({"returns-c-h"}),
    ),
    _Spec(
        "state-not-carried",
        "every step matches a cell started from h0 and c0: carry h_t and c_t to the next step.",
        ("lstm_forward",),
        flags=frozenset({"state-not-carried"}),
    ),
    _Spec(
        "c-not-carried",
        "h_t is carried from step to step but every step starts from c0: carry C_t too.",
        ("lstm_forward",),
        flags=frozenset({"c-not-carried"}),
    ),
    _Spec(
        "h-not-carried",
        "C_t is carried from step to step but every step starts from h0: carry h_t too.",
        ("lstm_forward",),
        flags=frozenset({"h-not-carried"}),
    ),
    _Spec(
        "steps-shifted",
        "entry t holds the state before step t (h0 first): store the state after each step.",
        ("lstm_forward",),
        flags=frozenset({"steps-shifted"}),
    ),
)


def _cell_step(mistake: _Spec, x_t, h_prev, c_prev, params) -> tuple[np.ndarray, np.ndarray]:
    gate = {}
    for name, (_, _, activation) in GATES.items():
        spec = mistake.gate_overrides.get(name, (activation, "xh", True))
        w_key, b_key, _ = GATES[mistake.weights_of.get(name, name)]
        gate[name] = _gate(*spec)(x_t, h_prev, params[w_key], params[b_key])
    c_t = (mistake.cell or _reference_cell)(
        c_prev, gate["forget_gate"], gate["input_gate"], gate["candidate_memory"]
    )
    shown = c_prev if "hidden-from-previous-cell" in mistake.flags else c_t
    h_t = (mistake.hidden or _reference_hidden)(gate["output_gate"], shown)
    return h_t, c_t


def mistaken_output(mistake: _Spec, function: str, args: tuple):
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
            h_in = h0 if "h-not-carried" in mistake.flags else h_t
            c_in = c0 if "c-not-carried" in mistake.flags else c_t
            if "steps-shifted" in mistake.flags:  # h_seq[t] is the state before step t
                hs.append(h_t)
                cs.append(c_t)
            h_t, c_t = _cell_step(mistake, x_t, h_in, c_in, params)
            if "steps-shifted" not in mistake.flags:
                hs.append(h_t)
                cs.append(c_t)
        return order(np.stack(hs), np.stack(cs))
    raise ValueError(f"no mistakes are known for {function!r}")


def _variant(spec: _Spec, function: str) -> Callable:
    """``function`` written with ``spec``'s mistake, with the graded function's signature."""
    return lambda *args: mistaken_output(spec, function, args)


MISTAKES: tuple[Mistake, ...] = tuple(
    Mistake(spec.code, spec.message, {f: _variant(spec, f) for f in spec.functions})
    for spec in _SPECS
)
