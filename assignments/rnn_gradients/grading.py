"""rnn_gradients, the instructor's side (never released): the reference RNN, the hidden cases,
the known mistakes.

The vanilla RNN of the notes, one example per row::

    h_t  = tanh(x_t W_xh^T + h_{t-1} W_hh^T + b_h)      x_t (N, D), h_t (N, H)

and its backward pass through time, for the upstream gradients ``dh_seq`` (T, N, H)::

    dh_t     = dh_seq[t] + dh_{t+1 -> t}                 what reaches h_t, now and from later
    dz_t     = dh_t * (1 - h_t^2)                        through the tanh
    dW_xh    = sum_t dz_t^T x_t      dW_hh = sum_t dz_t^T h_{t-1}      db_h = sum_t sum_n dz_t
    dx_t     = dz_t W_xh             dh_{t -> t-1} = dz_t W_hh

A known mistake is the same RNN with one equation written wrong: :class:`RNN` holds every
equation as a replaceable field, and each mistake replaces one.
"""

from __future__ import annotations

import dataclasses
from collections.abc import Callable
from dataclasses import dataclass

import numpy as np

from grader.assignment import Case, Mistake

PARAM_KEYS = ("W_xh", "W_hh", "b_h")

# --- the equations ---------------------------------------------------------------------------


def rnn_step(x_t, h_prev, W_xh, W_hh, b_h):
    """h_t = tanh(x_t W_xh^T + h_prev W_hh^T + b_h): (N, H).

    x_t (N, D), h_prev (N, H), W_xh (H, D), W_hh (H, H), b_h (H,).
    """
    return np.tanh(x_t @ W_xh.T + h_prev @ W_hh.T + b_h)


def tanh_backward(dh, h):
    """dz = dh * (1 - h^2): through h = tanh(z), given its output h. Both (N, H)."""
    return dh * (1.0 - h**2)


def weight_gradient(dz, inputs):
    """dW = dz^T a for z = a W^T: dz (N, H), a (N, K) -> (H, K), summed over the batch."""
    return dz.T @ inputs


def bias_gradient(dz):
    """db = sum_n dz: (N, H) -> (H,)."""
    return dz.sum(axis=0)


def input_gradient(dz, W):
    """da = dz W for z = a W^T: dz (N, H), W (H, K) -> (N, K)."""
    return dz @ W


def states_before(h0, h_seq):
    """h_{t-1} for every t: (T, N, H), h0 first."""
    return np.concatenate([h0[None], h_seq[:-1]], axis=0)


def last_step_seed(h_seq):
    """dh_seq for the scalar sum(h_seq[T-1]): ones at the last step, zeros before. (T, N, H)."""
    dh_seq = np.zeros_like(h_seq)
    dh_seq[-1] = 1.0
    return dh_seq


def frobenius_norms(dx):
    """Entry t is ||dx[t]||_F: (T, N, D) -> (T,)."""
    return np.sqrt((dx**2).sum(axis=(1, 2)))


# --- the RNN, every equation replaceable ------------------------------------------------------


def forward_over(step: Callable, x, h0, params, carry_state: bool = True):
    """h_seq (T, N, H): ``step`` applied along x (T, N, D) from h0 (N, H)."""
    h_t, h_seq = h0, []
    for x_t in x:
        h_t = step(x_t, h_t if carry_state else h0, params["W_xh"], params["W_hh"], params["b_h"])
        h_seq.append(h_t)
    return np.stack(h_seq)


@dataclass(frozen=True)
class RNN:
    """The notes' RNN with its backward pass; the defaults are the reference."""

    step: Callable = rnn_step
    carry_state: bool = True  # forward: step t reads the h_{t-1} that step t-1 produced
    shift_by_h0: bool = False  # forward: h_seq starts with h0 (and misses the last state)
    local_gradient: Callable = tanh_backward
    previous_gradient: Callable = input_gradient  # dh_{t-1} from dz_t and W_hh
    weight_gradient: Callable = weight_gradient
    bias_gradient: Callable = bias_gradient
    accumulate_from_next: bool = True  # dh_t = dh_seq[t] + what step t+1 sends back
    sum_over_time: bool = True  # parameter gradients summed over t (not overwritten)
    batch_mean: bool = False  # parameter gradients divided by N (the loss taken as a mean)
    returns_dh0: bool = True
    gradient_seed: Callable = last_step_seed  # which h the norms differentiate
    norms_in_time_order: bool = True

    def forward(self, x, h0, params):
        h_seq = forward_over(self.step, x, h0, params, self.carry_state)
        return states_before(h0, h_seq) if self.shift_by_h0 else h_seq

    def backward(self, x, h0, params, dh_seq):
        return self.backward_through(self.forward(x, h0, params), x, h0, params, dh_seq)

    def backward_through(self, h_seq, x, h0, params, dh_seq):
        """The gradients of sum(h_seq * dh_seq), given the forward states ``h_seq``."""
        grads = dict.fromkeys(PARAM_KEYS, 0.0)  # T >= 1: every key gets an array
        dx = np.zeros_like(x)
        h_prev_seq = states_before(h0, h_seq)
        dh_next = np.zeros_like(h0)
        for t in reversed(range(len(x))):
            dh = dh_seq[t] + dh_next if self.accumulate_from_next else dh_seq[t]
            dz = self.local_gradient(dh, h_seq[t])
            step_grads = {
                "W_xh": self.weight_gradient(dz, x[t]),
                "W_hh": self.weight_gradient(dz, h_prev_seq[t]),
                "b_h": self.bias_gradient(dz),
            }
            for key, value in step_grads.items():
                grads[key] = grads[key] + value if self.sum_over_time else value
            dx[t] = input_gradient(dz, params["W_xh"])
            dh_next = self.previous_gradient(dz, params["W_hh"])
        if self.batch_mean:
            grads = {key: value / len(h0) for key, value in grads.items()}
        grads.update(x=dx, h0=dh_next if self.returns_dh0 else np.zeros_like(h0))
        return grads

    def gradient_norms(self, x, h0, params):
        h_seq = self.forward(x, h0, params)
        dx = self.backward_through(h_seq, x, h0, params, self.gradient_seed(h_seq))["x"]
        norms = frobenius_norms(dx)
        return norms if self.norms_in_time_order else norms[::-1]

    def functions(self) -> dict[str, Callable]:
        """The graded functions, as this RNN computes them."""
        return {
            "rnn_step": self.step,
            "rnn_forward": self.forward,
            "rnn_backward": self.backward,
            "gradient_norms": self.gradient_norms,
        }


REFERENCE = RNN().functions()


# --- the known mistakes ----------------------------------------------------------------------

STEP_USERS = ("rnn_step", "rnn_forward", "rnn_backward", "gradient_norms")
FORWARD_USERS = ("rnn_forward", "rnn_backward", "gradient_norms")
DX_USERS = ("rnn_backward", "gradient_norms")  # mistakes that change dx show in the norms too


def _mistake(code: str, message: str, users: tuple[str, ...], **change) -> Mistake:
    functions = dataclasses.replace(RNN(), **change).functions()
    return Mistake(code, message, {name: functions[name] for name in users})


MISTAKES = (
    _mistake(
        "missing-tanh",
        "{function} matches the RNN without its tanh: "
        "h_t = tanh(x_t W_xh^T + h_prev W_hh^T + b_h).",
        STEP_USERS,
        step=lambda x_t, h_prev, W_xh, W_hh, b_h: x_t @ W_xh.T + h_prev @ W_hh.T + b_h,
    ),
    _mistake(
        "missing-bias",
        "{function} matches the RNN step without its bias: add b_h inside the tanh.",
        STEP_USERS,
        step=lambda x_t, h_prev, W_xh, W_hh, b_h: np.tanh(x_t @ W_xh.T + h_prev @ W_hh.T),
    ),
    _mistake(
        "W_hh-untransposed",
        "{function} matches h_prev W_hh instead of h_prev W_hh^T: with one example per row, "
        "W_hh h_prev is h_prev @ W_hh.T (W_hh is square, so numpy cannot tell you).",
        STEP_USERS,
        step=lambda x_t, h_prev, W_xh, W_hh, b_h: np.tanh(x_t @ W_xh.T + h_prev @ W_hh + b_h),
    ),
    _mistake(
        "reshape-for-transpose",
        "{function} matches x_t @ W_xh.reshape(D, H): reshape keeps the numbers in W_xh's row "
        "order, it does not transpose; use W_xh.T.",
        STEP_USERS,
        step=lambda x_t, h_prev, W_xh, W_hh, b_h: np.tanh(
            x_t @ W_xh.reshape(W_xh.shape[1], W_xh.shape[0]) + h_prev @ W_hh.T + b_h
        ),
    ),
    _mistake(
        "product-reshaped",
        "{function} matches (W_xh @ x_t.T).reshape(N, H): reshape keeps the numbers in their "
        "(H, N) order, it does not transpose; use .T, or x_t @ W_xh.T.",
        STEP_USERS,
        step=lambda x_t, h_prev, W_xh, W_hh, b_h: np.tanh(
            (W_xh @ x_t.T).reshape(x_t.shape[0], W_xh.shape[0]) + h_prev @ W_hh.T + b_h
        ),
    ),
    _mistake(
        "state-not-carried",
        "{function} matches an RNN that restarts every step from h0: step t must read the h_t "
        "that step t - 1 produced.",
        FORWARD_USERS,
        carry_state=False,
    ),
    _mistake(
        "h0-in-sequence",
        "{function} matches h_seq = [h0, h_1, ..., h_(T-1)]: h_seq[t] is the state after "
        "reading x[t], so h0 is not in it and the last state is.",
        ("rnn_forward",),
        shift_by_h0=True,
    ),
    _mistake(
        "missing-tanh-derivative",
        "{function} matches a backward pass without the tanh derivative: "
        "dz_t = dh_t * (1 - h_t^2) before the products with the weights.",
        DX_USERS,
        local_gradient=lambda dh, h: dh,
    ),
    _mistake(
        "gradient-not-accumulated",
        "{function} matches a backward pass where step t sees only dh_seq[t]: add the gradient "
        "that step t + 1 sends back, dh_t = dh_seq[t] + dz_(t+1) W_hh.",
        DX_USERS,
        accumulate_from_next=False,
    ),
    _mistake(
        "W_hh-transposed-backward",
        "{function} matches dh_prev = dz_t W_hh^T: the gradient goes back through W_hh "
        "itself, dh_prev = dz_t W_hh (in numpy dz @ W_hh).",
        DX_USERS,
        previous_gradient=lambda dz, W: dz @ W.T,
    ),
    _mistake(
        "dh0-not-returned",
        "{function} returns zeros for h0: return the gradient that the first step sends back, "
        "dh0 = dz_0 W_hh.",
        ("rnn_backward",),
        returns_dh0=False,
    ),
    _mistake(
        "dW-transposed",
        "{function} matches dW = a^T dz: a weight's gradient has the weight's shape, "
        "dW_xh = sum_t dz_t^T x_t (H, D) and dW_hh = sum_t dz_t^T h_prev (H, H).",
        ("rnn_backward",),
        weight_gradient=lambda dz, inputs: inputs.T @ dz,
    ),
    _mistake(
        "not-summed-over-time",
        "{function} matches weight gradients from the first step only: every step uses the "
        "same weights, so add up their gradients over all steps (+=, not =).",
        ("rnn_backward",),
        sum_over_time=False,
    ),
    _mistake(
        "batch-sum-forgotten",
        "{function} matches db_h with one row per example: b_h is shared by the whole batch, "
        "so sum dz over the examples too, db_h = sum_t sum_n dz_t (shape (H,)).",
        ("rnn_backward",),
        bias_gradient=lambda dz: dz,
    ),
    _mistake(
        "batch-mean",
        "{function} matches weight gradients divided by the batch size: the quantity is "
        "sum(h_seq * dh_seq), a sum over the batch, not a mean.",
        ("rnn_backward",),
        batch_mean=True,
    ),
    _mistake(
        "norms-reversed",
        "{function} is in reverse order: entry t belongs to x[t], the step t steps after the "
        "start, so the last entry is the gradient of h_(T-1) w.r.t. x[T-1].",
        ("gradient_norms",),
        norms_in_time_order=False,
    ),
    _mistake(
        "norms-of-every-step",
        "{function} matches the gradient of sum(h_seq) over every step: only the last state "
        "counts, so dh_seq is 1 at step T-1 and 0 before.",
        ("gradient_norms",),
        gradient_seed=np.ones_like,
    ),
)


# --- composites over their parts (issue 13) --------------------------------------------------


def _forward_over_parts(parts, x, h0, params):
    return forward_over(parts["rnn_step"], x, h0, params)


def _backward_over_parts(parts, x, h0, params, dh_seq):
    return RNN().backward_through(parts["rnn_forward"](x, h0, params), x, h0, params, dh_seq)


def _norms_over_parts(parts, x, h0, params):
    h_seq = RNN().forward(x, h0, params)
    return frobenius_norms(parts["rnn_backward"](x, h0, params, last_step_seed(h_seq))["x"])


COMPOSITION = {
    "rnn_forward": _forward_over_parts,
    "rnn_backward": _backward_over_parts,
    "gradient_norms": _norms_over_parts,
}
PARTS = {
    "rnn_forward": ("rnn_step",),
    "rnn_backward": ("rnn_forward",),
    "gradient_norms": ("rnn_backward",),
}


# --- the cases -------------------------------------------------------------------------------


def random_params(rng: np.random.Generator, D: int, H: int) -> dict[str, np.ndarray]:
    """W_xh (H, D), W_hh (H, H), b_h (H,), scaled like a trained RNN's (gain about 1)."""
    return {
        "W_xh": rng.standard_normal((H, D)) / np.sqrt(D),
        "W_hh": rng.standard_normal((H, H)) / np.sqrt(H),
        "b_h": 0.5 * rng.standard_normal(H),
    }


def _args(function: str, rng: np.random.Generator, T: int, N: int, D: int, H: int) -> tuple:
    params = random_params(rng, D, H)
    x = rng.standard_normal((T, N, D))
    h0 = rng.uniform(-0.9, 0.9, (N, H))
    if function == "rnn_step":
        return (x[0], h0, params["W_xh"], params["W_hh"], params["b_h"])
    if function == "rnn_backward":
        return (x, h0, params, rng.standard_normal((T, N, H)))
    return (x, h0, params)


def make_cases(
    function: str, rng: np.random.Generator, settings: dict, values: dict | None = None
) -> list[Case]:
    """``settings["count"]`` cases for ``function``; case k has the sizes (N, D, H) and the
    length T of entry k of ``settings["sizes"]`` and ``settings["sequence_lengths"]`` (taken
    in turn when there are fewer entries than cases). Public cases are drawn the same way,
    from the framework's public generator.

    ``values`` are the student's own (assignment.toml's [variants]): gradient_norms then has
    one case more, after the others (which stay as they are), the student's own experiment:
    ``W_hh = W_rec * I``, graded on their W_rec."""
    if function not in REFERENCE:
        raise ValueError(f"rnn_gradients grades {', '.join(REFERENCE)}, not {function!r}")
    sizes, lengths = settings["sizes"], settings["sequence_lengths"]
    cases = []
    for k in range(settings["count"]):
        N, D, H = sizes[k % len(sizes)]
        T = lengths[k % len(lengths)]
        label = f"N={N}, D={D}, H={H}" if function == "rnn_step" else f"T={T}, N={N}, D={D}, H={H}"
        cases.append(Case(label, _args(function, rng, T, N, D, H)))
    if function == "gradient_norms" and values and "W_rec" in values:
        (N, D, H), T = sizes[0], max(lengths)
        x, h0, params = _args(function, rng, T, N, D, H)
        params["W_hh"] = float(values["W_rec"]) * np.eye(H)
        label = f"T={T}, N={N}, D={D}, H={H}, W_hh = {values['W_rec']} I (your own W_rec)"
        cases.append(Case(label, (x, h0, params)))
    return cases
