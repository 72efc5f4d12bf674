"""Instructor-only grading of the LSTM gates (never released): the cases of each graded function,
the reference, how the cell and the sequence are put together, and the known mistakes
(``gates_mistakes.py``). The framework imports this file by path; see assignments/README.md."""

from __future__ import annotations

import numpy as np
from gates_mistakes import MISTAKES  # noqa: F401 - the framework reads grading.MISTAKES

import reference_lstm as ref
from grader.assignment import Case

GATES = {  # graded gate function -> (params keys)
    "forget_gate": ("W_f", "b_f"),
    "input_gate": ("W_i", "b_i"),
    "candidate_memory": ("W_c", "b_c"),
    "output_gate": ("W_o", "b_o"),
}
GRADED = (*GATES, "cell_state", "hidden_state", "lstm_cell", "lstm_forward")
REFERENCE = {name: getattr(ref, name) for name in GRADED}
# The public cases of the released notebook: (N, D, H) and T of each.
PUBLIC_SIZES = ((2, 3, 4), (3, 5, 2))
PUBLIC_SEQUENCE_LENGTHS = (3, 2)
# The last hidden case scales inputs and weights so the gates see |z| in the tens: a naive
# sigmoid overflows there, a stable one does not.
EDGE_SCALE = 6.0


def _random_state(rng: np.random.Generator, N: int, D: int, H: int, scale: float):
    x_t = scale * rng.standard_normal((N, D))
    h_prev = rng.uniform(-1.0, 1.0, (N, H))
    c_prev = 2.0 * rng.standard_normal((N, H))
    params = ref.init_params(D, H, rng, scale=scale)
    return x_t, h_prev, c_prev, params


def _case(function: str, rng: np.random.Generator, N: int, D: int, H: int, T: int, edge: bool):
    """One case of ``function``, labelled with what it takes."""
    x_t, h_prev, c_prev, params = _random_state(rng, N, D, H, EDGE_SCALE if edge else 1.0)
    if function in GATES:
        w_key, b_key = GATES[function]
        label = f"N={N}, D={D}, H={H}" + (", large |z|" if edge else "")
        return Case(label, (x_t, h_prev, params[w_key], params[b_key]))
    gates = {
        name: getattr(ref, name)(x_t, h_prev, params[w], params[b])
        for name, (w, b) in GATES.items()
    }
    saturated = ", saturated gates" if edge else ""
    if function == "cell_state":
        args = (c_prev, gates["forget_gate"], gates["input_gate"], gates["candidate_memory"])
        return Case(f"N={N}, H={H}{saturated}", args)
    if function == "hidden_state":
        c_t = ref.cell_state(
            c_prev, gates["forget_gate"], gates["input_gate"], gates["candidate_memory"]
        )
        return Case(f"N={N}, H={H}{saturated}", (gates["output_gate"], c_t))
    large = ", large |z|" if edge else ""
    if function == "lstm_cell":
        return Case(f"N={N}, D={D}, H={H}{large}", (x_t, h_prev, c_prev, params))
    x = (EDGE_SCALE if edge else 1.0) * rng.standard_normal((T, N, D))
    return Case(f"N={N}, D={D}, H={H}, T={T}{large}", (x, h_prev, c_prev, params))


def make_cases(function: str, rng: np.random.Generator, settings: dict) -> list[Case]:
    """``settings["count"]`` cases of ``function``: case k uses ``sizes[k]`` (N, D, H) and
    ``sequence_lengths[k]`` of the [cases] table (the public cases their own sizes); the last
    hidden case, when there are several, drives the gates to large |z|."""
    count = settings["count"]
    if settings["public"]:
        sizes, lengths = PUBLIC_SIZES, PUBLIC_SEQUENCE_LENGTHS
    else:
        sizes, lengths = settings["sizes"], settings["sequence_lengths"]
        if len(sizes) < count or len(lengths) < count:
            raise ValueError(
                f"[cases] needs {count} sizes and sequence_lengths (cases_per_function), "
                f"has {len(sizes)} and {len(lengths)}"
            )
    edge = not settings["public"] and count > 1
    return [
        _case(function, rng, *sizes[k], lengths[k], edge and k == count - 1) for k in range(count)
    ]


def _lstm_cell(parts, x_t, h_prev, c_prev, params):
    """C_t = f * C_prev + i * c~,  h_t = o * tanh(C_t), with the gates of ``parts``."""
    gate = {name: parts[name](x_t, h_prev, params[w], params[b]) for name, (w, b) in GATES.items()}
    c_t = parts["cell_state"](
        c_prev, gate["forget_gate"], gate["input_gate"], gate["candidate_memory"]
    )
    return parts["hidden_state"](gate["output_gate"], c_t), c_t


def _lstm_forward(parts, x, h0, c0, params):
    """The cell of ``parts`` over the steps of x (T, N, D), carrying (h, c)."""
    h_t, c_t, hs, cs = h0, c0, [], []
    for x_t in x:
        h_t, c_t = parts["lstm_cell"](x_t, h_t, c_t, params)
        hs.append(h_t)
        cs.append(c_t)
    return np.stack(hs), np.stack(cs)


COMPOSITION = {"lstm_cell": _lstm_cell, "lstm_forward": _lstm_forward}
PARTS = {"lstm_cell": (*GATES, "cell_state", "hidden_state"), "lstm_forward": ("lstm_cell",)}
OUTPUT_NAMES = {"lstm_cell": ("h", "c"), "lstm_forward": ("h", "c")}
RANGES = {
    "forget_gate": (0.0, 1.0),
    "input_gate": (0.0, 1.0),
    "output_gate": (0.0, 1.0),
    "candidate_memory": (-1.0, 1.0),
    "hidden_state": (-1.0, 1.0),
}
# The framework's generic hints in the words of the notes.
HINTS = {
    "transposed-output": "is W transposed? The result is (N, H): compute [x_t, h_prev] @ W.T.",
    "batch-major": "the sequence is time-major: return (T, N, H), not (N, T, H).",
    "last-step-only": "return the states of every step stacked into (T, N, H), not only the last"
    " one.",
    "initial-state-included": "leave out h0 and c0: entry t is the state after step t + 1.",
    "W-orientation": "W is (H, D+H) and [x_t, h_prev] is (N, D+H): compute [x_t, h_prev] @ W.T.",
    "concatenate-axis": "concatenate along the feature axis, axis=1: [x_t, h_prev] is (N, D+H).",
    "out-of-range": "values leave ({low}, {high}), where {function}'s values lie: did you apply"
    " the sigmoid (gates) or tanh (candidate, h_t = o_t * tanh(C_t))?",
}
