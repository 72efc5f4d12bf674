"""One LSTM time step, one small function per equation of the course notes.

Shapes: ``x_t`` (N, D); ``h_prev``, ``c_prev`` (N, H); each ``W_*`` (H, D+H) acting on
``[x_t, h_prev]``; each ``b_*`` (H,).
"""

from __future__ import annotations

from collections.abc import Mapping

import numpy as np

from reference_lstm.shapes import as_array, expect_shape, result_dtype

PARAM_KEYS = ("W_f", "b_f", "W_i", "b_i", "W_c", "b_c", "W_o", "b_o")
GATE_KEYS = {"f": ("W_f", "b_f"), "i": ("W_i", "b_i"), "c": ("W_c", "b_c"), "o": ("W_o", "b_o")}


def sigmoid(z: np.ndarray) -> np.ndarray:
    """Logistic function, stable for large |z| (no overflow warning)."""
    z = np.asarray(z)
    # exp of a non-positive number never overflows; pick the form per sign.
    e = np.exp(-np.abs(z))
    return np.where(z >= 0, 1.0 / (1.0 + e), e / (1.0 + e)).astype(
        z.dtype if np.issubdtype(z.dtype, np.floating) else np.float64, copy=False
    )


def _preactivation(x_t, h_prev, W, b, names: tuple[str, str]) -> np.ndarray:
    """``W [x_t, h_prev] + b``: (N, H)."""
    x_t = as_array("x_t", x_t, 2)
    h_prev = as_array("h_prev", h_prev, 2)
    W = as_array(names[0], W, 2)
    b = as_array(names[1], b, 1)
    n, d = x_t.shape
    h = b.shape[0]  # the bias is the one argument whose shape is H alone
    expect_shape("h_prev", h_prev, (n, h))
    expect_shape(names[0], W, (h, d + h))
    expect_shape(names[1], b, (h,))
    dtype = result_dtype(x_t, h_prev, W, b)
    xh = np.concatenate([x_t, h_prev], axis=1).astype(dtype, copy=False)
    return (xh @ W.T.astype(dtype, copy=False) + b.astype(dtype, copy=False)).astype(dtype)


def forget_gate(x_t, h_prev, W_f, b_f) -> np.ndarray:
    """f_t = sigmoid(W_f [x_t, h_prev] + b_f): (N, H); 0 forgets the cell entry, 1 keeps it."""
    return sigmoid(_preactivation(x_t, h_prev, W_f, b_f, ("W_f", "b_f")))


def input_gate(x_t, h_prev, W_i, b_i) -> np.ndarray:
    """i_t = sigmoid(W_i [x_t, h_prev] + b_i): (N, H); how much new memory is written."""
    return sigmoid(_preactivation(x_t, h_prev, W_i, b_i, ("W_i", "b_i")))


def candidate_memory(x_t, h_prev, W_c, b_c) -> np.ndarray:
    """c~_t = tanh(W_c [x_t, h_prev] + b_c): (N, H); the new memory proposed."""
    return np.tanh(_preactivation(x_t, h_prev, W_c, b_c, ("W_c", "b_c")))


def output_gate(x_t, h_prev, W_o, b_o) -> np.ndarray:
    """o_t = sigmoid(W_o [x_t, h_prev] + b_o): (N, H); how much memory is shown as h_t."""
    return sigmoid(_preactivation(x_t, h_prev, W_o, b_o, ("W_o", "b_o")))


def cell_state(c_prev, f_t, i_t, c_hat_t) -> np.ndarray:
    """C_t = f_t * C_{t-1} + i_t * c~_t: (N, H), the long-term memory."""
    c_prev = as_array("c_prev", c_prev, 2)
    f_t = as_array("f_t", f_t, 2)
    i_t = as_array("i_t", i_t, 2)
    c_hat_t = as_array("c_hat_t", c_hat_t, 2)
    for name, array in (("f_t", f_t), ("i_t", i_t), ("c_hat_t", c_hat_t)):
        expect_shape(name, array, c_prev.shape)
    return f_t * c_prev + i_t * c_hat_t


def hidden_state(o_t, c_t) -> np.ndarray:
    """h_t = o_t * tanh(C_t): (N, H), the short-term memory and the cell's output."""
    o_t = as_array("o_t", o_t, 2)
    c_t = as_array("c_t", c_t, 2)
    expect_shape("c_t", c_t, o_t.shape)
    return o_t * np.tanh(c_t)


def check_params(params: Mapping[str, np.ndarray]) -> None:
    """Raise ValueError when ``params`` lacks a key of :data:`PARAM_KEYS`."""
    missing = [k for k in PARAM_KEYS if k not in params]
    if missing:
        raise ValueError(f"params is missing {', '.join(missing)}; expected keys {PARAM_KEYS}")


def lstm_cell(x_t, h_prev, c_prev, params: Mapping[str, np.ndarray]):
    """One step: returns ``(h_t, c_t)``, each (N, H)."""
    check_params(params)
    c_prev = as_array("c_prev", c_prev, 2)
    expect_shape("c_prev", c_prev, np.shape(h_prev))
    f_t = forget_gate(x_t, h_prev, params["W_f"], params["b_f"])
    i_t = input_gate(x_t, h_prev, params["W_i"], params["b_i"])
    c_hat_t = candidate_memory(x_t, h_prev, params["W_c"], params["b_c"])
    o_t = output_gate(x_t, h_prev, params["W_o"], params["b_o"])
    c_t = cell_state(c_prev, f_t, i_t, c_hat_t)
    return hidden_state(o_t, c_t), c_t


def init_params(
    D: int,
    H: int,
    rng: np.random.Generator | None = None,
    scale: float | None = None,
    dtype=np.float64,
) -> dict[str, np.ndarray]:
    """Random parameters: each W (H, D+H) uniform in ±1/sqrt(H) (PyTorch's rule), b (H,)."""
    rng = rng if rng is not None else np.random.default_rng()
    bound = scale if scale is not None else 1.0 / np.sqrt(H)
    params = {}
    for w_key, b_key in GATE_KEYS.values():
        params[w_key] = rng.uniform(-bound, bound, (H, D + H)).astype(dtype)
        params[b_key] = rng.uniform(-bound, bound, (H,)).astype(dtype)
    return params
