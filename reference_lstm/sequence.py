"""The LSTM over a time-major sequence."""

from __future__ import annotations

from collections.abc import Mapping

import numpy as np

from reference_lstm.cell import lstm_cell
from reference_lstm.shapes import as_array, expect_shape


def lstm_forward(x, h0, c0, params: Mapping[str, np.ndarray]):
    """Run the cell over ``x`` (T, N, D) from ``h0``, ``c0`` (N, H).

    Returns ``(h_seq, c_seq)``, each (T, N, H): the hidden and cell state after every step.
    """
    x = as_array("x", x, 3)
    h0 = as_array("h0", h0, 2)
    c0 = as_array("c0", c0, 2)
    expect_shape("h0", h0, (x.shape[1], h0.shape[1]))
    expect_shape("c0", c0, h0.shape)
    h_t, c_t = h0, c0
    hs, cs = [], []
    for x_t in x:
        h_t, c_t = lstm_cell(x_t, h_t, c_t, params)
        hs.append(h_t)
        cs.append(c_t)
    if not hs:
        empty = np.zeros((0,) + h0.shape, dtype=h0.dtype)
        return empty, empty.copy()
    return np.stack(hs), np.stack(cs)
