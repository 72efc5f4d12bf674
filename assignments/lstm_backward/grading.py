"""lstm_backward, the instructor's side (never released): the reference backward pass of the
course's LSTM, the hidden cases, the known mistakes.

One step backward, for the upstream gradients ``dh`` and ``dc`` (N, H) of h_t and C_t, with
``xh = [x_t, h_prev]`` (N, D+H)::

    do   = dh * tanh(C_t)                             through h_t = o_t * tanh(C_t)
    dC   = dc + dh * o_t * (1 - tanh(C_t)^2)          both paths that reach C_t
    df   = dC * C_prev    di = dC * c~_t    dc~ = dC * i_t
    dC_prev = dC * f_t                                the forget-gate path
    dz_k = dk * k * (1 - k)    for the sigmoid gates k = f, i, o
    dz_c = dc~ * (1 - c~_t^2)                         the tanh of the candidate
    dW_k = dz_k^T xh    db_k = sum_n dz_k    dxh = sum_k dz_k W_k = [dx_t, dh_prev]

Through time the parameter gradients add up over the steps, and each step passes dh_prev and
dC_prev to the step before it. :class:`LSTMBackward` holds every equation as a replaceable field;
a known mistake replaces one. ``lstm_backward``'s reference is ``reference_lstm.lstm_grads``
itself, and the tests check that :class:`LSTMBackward` with no field replaced agrees with it.
"""

from __future__ import annotations

import dataclasses
from collections.abc import Callable
from dataclasses import dataclass

import numpy as np

import reference_lstm as ref
from grader.assignment import Case, Mistake
from reference_lstm.backward import StepCache, step_forward

GATES = ("f", "i", "c", "o")  # the keys W_<gate>, b_<gate> of params

# --- the equations, one function each ----------------------------------------------------------


def output_gate_gradient(dh, v: StepCache):
    """do = dh * tanh(C_t): (N, H)."""
    return dh * np.tanh(v.c)


def cell_gradient(dh, dc, v: StepCache):
    """dC = dc + dh * o_t * (1 - tanh(C_t)^2): what reaches C_t from step t+1 and through h_t."""
    return dc + dh * v.o * (1.0 - np.tanh(v.c) ** 2)


def sigmoid_backward(d, s):
    """dz = d * s * (1 - s) through s = sigmoid(z), given its output s."""
    return d * s * (1.0 - s)


def tanh_backward(d, t):
    """dz = d * (1 - t^2) through t = tanh(z), given its output t."""
    return d * (1.0 - t**2)


def forget_path(dC, f):
    """dC_prev = dC * f_t: C_t = f_t * C_prev + ..., the path along the cell state."""
    return dC * f


def weight_gradient(dz, x_t, h_prev):
    """dW = dz^T [x_t, h_prev]: (H, D+H), the x columns first like W's."""
    return dz.T @ np.concatenate([x_t, h_prev], axis=1)


def bias_gradient(dz):
    """db = sum_n dz: (H,)."""
    return dz.sum(axis=0)


def split_xh(dxh, D: int):
    """(dx_t, dh_prev) from d[x_t, h_prev] (N, D+H): the first D columns belong to x_t."""
    return dxh[:, :D], dxh[:, D:]


# --- the backward pass, every equation replaceable ---------------------------------------------


@dataclass(frozen=True)
class LSTMBackward:
    """Backpropagation through the course's LSTM; the defaults are the reference."""

    output_gate_gradient: Callable = output_gate_gradient
    cell_gradient: Callable = cell_gradient
    sigmoid_backward: Callable = sigmoid_backward
    candidate_backward: Callable = tanh_backward
    forget_path: Callable = forget_path
    weight_gradient: Callable = weight_gradient
    bias_gradient: Callable = bias_gradient
    split_xh: Callable = split_xh
    sum_over_time: bool = True  # parameter gradients add up over the steps (not overwritten)

    def step_backward(self, x_t, h_prev, c_prev, params, dh_t, dc_t) -> dict:
        """The gradients of sum(h_t * dh_t + C_t * dc_t) for one step: keys x_t, h_prev,
        c_prev and every params key."""
        _, v = step_forward(x_t, h_prev, c_prev, params)
        dC = self.cell_gradient(dh_t, dc_t, v)
        dz = {
            "f": self.sigmoid_backward(dC * v.c_prev, v.f),
            "i": self.sigmoid_backward(dC * v.c_hat, v.i),
            "c": self.candidate_backward(dC * v.i, v.c_hat),
            "o": self.sigmoid_backward(self.output_gate_gradient(dh_t, v), v.o),
        }
        grads = {}
        for gate in GATES:
            grads[f"W_{gate}"] = self.weight_gradient(dz[gate], x_t, h_prev)
            grads[f"b_{gate}"] = self.bias_gradient(dz[gate])
        dxh = sum(dz[gate] @ params[f"W_{gate}"] for gate in GATES)
        grads["x_t"], grads["h_prev"] = self.split_xh(dxh, np.shape(x_t)[1])
        grads["c_prev"] = self.forget_path(dC, v.f)
        return grads

    def backward(self, x, h0, c0, params, dh_seq) -> dict:
        return backward_over_steps(
            self.step_backward, x, h0, c0, params, dh_seq, self.sum_over_time
        )

    def functions(self) -> dict[str, Callable]:
        """The graded functions, as this backward pass computes them."""
        return {"lstm_step_backward": self.step_backward, "lstm_backward": self.backward}


def backward_over_steps(step_backward, x, h0, c0, params, dh_seq, sum_over_time=True) -> dict:
    """Backpropagation through time with ``step_backward`` for each step, last step first:
    step t receives dh_seq[t] plus the dh_prev of step t+1, and the dC_prev of step t+1.
    Returns the keys x (T, N, D), h0, c0 (N, H) and every params key. T >= 1."""
    h_seq, c_seq = ref.lstm_forward(x, h0, c0, params)
    h_prev_seq = np.concatenate([h0[None], h_seq[:-1]])
    c_prev_seq = np.concatenate([c0[None], c_seq[:-1]])
    grads = dict.fromkeys(params, 0.0)
    dx_steps = []
    dh_next, dc_next = np.zeros_like(h0), np.zeros_like(c0)
    for t in reversed(range(len(x))):
        step = step_backward(
            x[t], h_prev_seq[t], c_prev_seq[t], params, dh_seq[t] + dh_next, dc_next
        )
        for key in params:
            grads[key] = grads[key] + step[key] if sum_over_time else step[key]
        dx_steps.append(step["x_t"])
        dh_next, dc_next = step["h_prev"], step["c_prev"]
    grads.update(x=np.stack(dx_steps[::-1]), h0=dh_next, c0=dc_next)
    return grads


REFERENCE = {
    "lstm_step_backward": LSTMBackward().step_backward,
    "lstm_backward": ref.lstm_grads,
}


# --- the known mistakes ------------------------------------------------------------------------

BOTH = ("lstm_step_backward", "lstm_backward")


def _mistake(code: str, message: str, users: tuple[str, ...], **change) -> Mistake:
    functions = dataclasses.replace(LSTMBackward(), **change).functions()
    return Mistake(code, message, {name: functions[name] for name in users})


MISTAKES = (
    _mistake(
        "tanh-derivative-forgotten",
        "{function} matches dC = dc + dh * o_t: the path from h_t to C_t goes through the tanh, "
        "dC = dc + dh * o_t * (1 - tanh(C_t)^2).",
        BOTH,
        cell_gradient=lambda dh, dc, v: dc + dh * v.o,
    ),
    _mistake(
        "upstream-dc-ignored",
        "{function} matches dC = dh * o_t * (1 - tanh(C_t)^2) alone: C_t also reaches the "
        "loss directly, so add the dc that comes in, dC = dc + dh * o_t * (1 - tanh(C_t)^2).",
        BOTH,
        cell_gradient=lambda dh, dc, v: dh * v.o * (1.0 - np.tanh(v.c) ** 2),
    ),
    _mistake(
        "output-gate-without-tanh",
        "{function} matches do = dh: h_t = o_t * tanh(C_t), so do = dh * tanh(C_t).",
        BOTH,
        output_gate_gradient=lambda dh, v: dh,
    ),
    _mistake(
        "sigmoid-derivative-as-s",
        "{function} matches the sigmoid's derivative written as s: for s = sigmoid(z), "
        "ds/dz = s * (1 - s), so dz = d * s * (1 - s) for the gates f, i and o.",
        BOTH,
        sigmoid_backward=lambda d, s: d * s,
    ),
    _mistake(
        "candidate-derivative-as-sigmoid",
        "{function} matches the candidate's derivative written as c~ * (1 - c~): the candidate "
        "is a tanh, so dz_c = dc~ * (1 - c~_t^2).",
        BOTH,
        candidate_backward=lambda d, t: d * t * (1.0 - t),
    ),
    _mistake(
        "forget-path-dropped",
        "{function} matches a gradient that stops at C_t: the old memory gets its share too, "
        "dC_prev = dC * f_t, the path along which the LSTM carries gradients far back.",
        BOTH,
        forget_path=lambda dC, f: np.zeros_like(dC),
    ),
    _mistake(
        "forget-gate-not-applied",
        "{function} matches dC_prev = dC: C_t = f_t * C_prev + i_t * c~_t, so the gradient "
        "is scaled by the forget gate on its way back, dC_prev = dC * f_t.",
        BOTH,
        forget_path=lambda dC, f: dC,
    ),
    _mistake(
        "dW-transposed",
        "{function} matches dW = [x_t, h_prev]^T dz, of shape (D+H, H): a gradient has the "
        "shape of its weight, dW = dz^T [x_t, h_prev], (H, D+H).",
        BOTH,
        weight_gradient=lambda dz, x_t, h_prev: np.concatenate([x_t, h_prev], axis=1).T @ dz,
    ),
    _mistake(
        "dW-blocks-swapped",
        "{function} matches dW = dz^T [h_prev, x_t]: W acts on [x_t, h_prev], input first, so "
        "the first D columns of dW come from x_t and the last H from h_prev.",
        BOTH,
        weight_gradient=lambda dz, x_t, h_prev: dz.T @ np.concatenate([h_prev, x_t], axis=1),
    ),
    _mistake(
        "xh-split-swapped",
        "{function} matches d[x_t, h_prev] split the wrong way round: its first D columns are "
        "dx_t and its last H columns are dh_prev.",
        BOTH,
        split_xh=lambda dxh, D: (dxh[:, dxh.shape[1] - D :], dxh[:, : dxh.shape[1] - D]),
    ),
    _mistake(
        "db-not-summed-over-batch",
        "{function} matches db with one row per example: the bias is shared by the batch, so "
        "db = sum over the examples of dz, shape (H,).",
        BOTH,
        bias_gradient=lambda dz: dz,
    ),
    _mistake(
        "dW-not-summed-over-time",
        "{function} matches parameter gradients from the first step only: every step uses the "
        "same W and b, so add up their gradients over all steps (+=, not =).",
        ("lstm_backward",),
        sum_over_time=False,
    ),
)


# --- the composite over its part (issue 13) ----------------------------------------------------


def _backward_over_parts(parts, x, h0, c0, params, dh_seq):
    return backward_over_steps(parts["lstm_step_backward"], x, h0, c0, params, dh_seq)


COMPOSITION = {"lstm_backward": _backward_over_parts}
PARTS = {"lstm_backward": ("lstm_step_backward",)}


# --- the cases ---------------------------------------------------------------------------------

WEIGHT_SCALE = 0.8  # gates spread over (0, 1), some near saturation: every derivative matters


def _args(function: str, rng: np.random.Generator, T: int, N: int, D: int, H: int) -> tuple:
    params = ref.init_params(D, H, rng, scale=WEIGHT_SCALE)
    x = rng.standard_normal((T, N, D))
    h0 = rng.uniform(-0.9, 0.9, (N, H))
    c0 = 2.0 * rng.standard_normal((N, H))
    if function == "lstm_step_backward":
        dh_t, dc_t = rng.standard_normal((2, N, H))
        return (x[0], h0, c0, params, dh_t, dc_t)
    return (x, h0, c0, params, rng.standard_normal((T, N, H)))


def make_cases(function: str, rng: np.random.Generator, settings: dict) -> list[Case]:
    """``settings["count"]`` cases for ``function``; case k has the sizes (N, D, H) and the
    length T of entry k of ``settings["sizes"]`` and ``settings["sequence_lengths"]`` (taken
    in turn when there are fewer entries than cases). Public cases are drawn the same way,
    from the framework's public generator."""
    if function not in REFERENCE:
        raise ValueError(f"lstm_backward grades {', '.join(REFERENCE)}, not {function!r}")
    sizes, lengths = settings["sizes"], settings["sequence_lengths"]
    cases = []
    for k in range(settings["count"]):
        N, D, H = sizes[k % len(sizes)]
        T = lengths[k % len(lengths)]
        label = f"N={N}, D={D}, H={H}"
        if function == "lstm_backward":
            label = f"T={T}, {label}"
        cases.append(Case(label, _args(function, rng, T, N, D, H)))
    return cases
