"""Backpropagation through time for :func:`reference_lstm.lstm_forward`, written by hand.

For one step, with ``xh = [x_t, h_prev]`` (N, D+H) and upstream ``dh`` and ``dc`` (N, H)::

    do   = dh * tanh(C_t)
    dC   = dc + dh * o_t * (1 - tanh(C_t)^2)
    df   = dC * C_{t-1};   di = dC * c~_t;   dc~ = dC * i_t;   dC_{t-1} = dC * f_t
    dz_k = dk * k * (1 - k)      for the sigmoid gates k in f, i, o
    dz_c = dc~ * (1 - c~_t^2)
    dW_k += dz_k^T xh;  db_k += sum_n dz_k;  dxh = sum_k dz_k W_k
"""

from __future__ import annotations

from collections.abc import Mapping
from dataclasses import dataclass

import numpy as np

from reference_lstm.cell import (
    GATE_KEYS,
    candidate_memory,
    cell_state,
    check_params,
    forget_gate,
    input_gate,
    output_gate,
)
from reference_lstm.shapes import as_array, expect_shape


@dataclass(frozen=True)
class StepCache:
    """What one forward step keeps for its backward step; every array is (N, ·)."""

    xh: np.ndarray
    c_prev: np.ndarray
    f: np.ndarray
    i: np.ndarray
    c_hat: np.ndarray
    o: np.ndarray
    c: np.ndarray


def step_forward(x_t, h_prev, c_prev, params) -> tuple[np.ndarray, StepCache]:
    f = forget_gate(x_t, h_prev, params["W_f"], params["b_f"])
    i = input_gate(x_t, h_prev, params["W_i"], params["b_i"])
    c_hat = candidate_memory(x_t, h_prev, params["W_c"], params["b_c"])
    o = output_gate(x_t, h_prev, params["W_o"], params["b_o"])
    c = cell_state(c_prev, f, i, c_hat)
    h = o * np.tanh(c)
    xh = np.concatenate([x_t, h_prev], axis=1)
    return h, StepCache(xh=xh, c_prev=c_prev, f=f, i=i, c_hat=c_hat, o=o, c=c)


def _step_backward(dh, dc, cache: StepCache, params, grads) -> tuple[np.ndarray, np.ndarray]:
    """Accumulate one step's parameter gradients; return ``(dxh, dc_prev)``."""
    tanh_c = np.tanh(cache.c)
    do = dh * tanh_c
    dc = dc + dh * cache.o * (1.0 - tanh_c**2)
    dz = {
        "f": dc * cache.c_prev * cache.f * (1.0 - cache.f),
        "i": dc * cache.c_hat * cache.i * (1.0 - cache.i),
        "c": dc * cache.i * (1.0 - cache.c_hat**2),
        "o": do * cache.o * (1.0 - cache.o),
    }
    dxh = np.zeros_like(cache.xh)
    for gate, (w_key, b_key) in GATE_KEYS.items():
        grads[w_key] += dz[gate].T @ cache.xh
        grads[b_key] += dz[gate].sum(axis=0)
        dxh += dz[gate] @ params[w_key]
    return dxh, dc * cache.f


def lstm_grads(x, h0, c0, params: Mapping[str, np.ndarray], dh_seq) -> dict[str, np.ndarray]:
    """Gradients of ``sum(h_seq * dh_seq)`` for ``lstm_forward(x, h0, c0, params)``.

    ``x`` (T, N, D), ``h0``/``c0`` (N, H), ``dh_seq`` (T, N, H). Returns a dict with keys ``x``,
    ``h0``, ``c0`` and every params key, each shaped like the value it is the gradient of.
    """
    check_params(params)
    x = as_array("x", x, 3)
    h0 = as_array("h0", h0, 2)
    c0 = as_array("c0", c0, 2)
    dh_seq = as_array("dh_seq", dh_seq, 3)
    T, N, D = x.shape
    H = h0.shape[1]
    expect_shape("h0", h0, (N, H))
    expect_shape("c0", c0, (N, H))
    expect_shape("dh_seq", dh_seq, (T, N, H))

    caches = []
    h_t, c_t = h0, c0
    for x_t in x:
        h_t, cache = step_forward(x_t, h_t, c_t, params)
        c_t = cache.c
        caches.append(cache)

    grads = {key: np.zeros_like(np.asarray(params[key], dtype=h0.dtype)) for key in params}
    dx = np.zeros_like(x)
    dh_next = np.zeros_like(h0)
    dc_next = np.zeros_like(c0)
    for t in reversed(range(T)):
        dxh, dc_next = _step_backward(dh_seq[t] + dh_next, dc_next, caches[t], params, grads)
        dx[t] = dxh[:, :D]
        dh_next = dxh[:, D:]
    grads.update(x=dx, h0=dh_next, c0=dc_next)
    return grads
