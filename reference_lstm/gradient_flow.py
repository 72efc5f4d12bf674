"""Why the LSTM exists: how the gradient of the last hidden state w.r.t. the first input
behaves over T steps, for a vanilla RNN and for the LSTM.

Every function returns ``norms`` of shape (T_max,): ``norms[T-1]`` is the Frobenius norm of the
Jacobian ``d h_T / d x_1`` for a sequence of T steps.
"""

from __future__ import annotations

import numpy as np

from reference_lstm.backward import lstm_grads
from reference_lstm.cell import init_params

INPUT_SCALE = 1e-6  # inputs near the origin, where tanh is almost linear


def rnn_gradient_norms(
    w_rec: float, T_max: int = 100, hidden_size: int = 8, input_size: int = 4, seed: int = 0
) -> np.ndarray:
    """Vanilla RNN ``h_t = tanh(W_rec h_{t-1} + W_x x_t)``, ``W_rec = w_rec * Q`` (Q orthogonal).

    Near the origin each step multiplies the gradient by about ``w_rec``: it vanishes for
    ``w_rec < 1``, is carried for ``w_rec = 1`` and explodes for ``w_rec > 1``.
    """
    rng = np.random.default_rng(seed)
    q, _ = np.linalg.qr(rng.standard_normal((hidden_size, hidden_size)))
    W_rec = w_rec * q
    W_x = rng.standard_normal((hidden_size, input_size)) / np.sqrt(input_size)
    x = INPUT_SCALE * rng.standard_normal((T_max, input_size))

    norms = np.empty(T_max)
    h = np.zeros(hidden_size)
    jacobian = None  # d h_t / d x_1, (H, D)
    for t in range(T_max):
        h = np.tanh(W_rec @ h + W_x @ x[t])
        local = 1.0 - h**2  # tanh' at this step
        jacobian = local[:, None] * (W_x if jacobian is None else W_rec @ jacobian)
        norms[t] = np.linalg.norm(jacobian)
    return norms


def lstm_gradient_norms(
    forget_bias: float = 5.0,
    T_max: int = 100,
    hidden_size: int = 8,
    input_size: int = 4,
    seed: int = 0,
) -> np.ndarray:
    """The LSTM with small random weights and ``b_f = forget_bias``.

    A forget gate near 1 (``sigmoid(5) = 0.993``) lets the cell state carry the gradient across
    many steps, where the vanilla RNN's vanishes or explodes.
    """
    rng = np.random.default_rng(seed)
    params = init_params(input_size, hidden_size, rng, scale=0.1)
    params["b_f"] = np.full(hidden_size, float(forget_bias))
    # One batch row per hidden unit: row k back-propagates from unit k of h_T, so a single
    # backward pass gives the whole Jacobian.
    x = np.repeat(rng.standard_normal((T_max, 1, input_size)), hidden_size, axis=1)
    zeros = np.zeros((hidden_size, hidden_size))

    norms = np.empty(T_max)
    for T in range(1, T_max + 1):
        dh_seq = np.zeros((T, hidden_size, hidden_size))
        dh_seq[-1] = np.eye(hidden_size)
        norms[T - 1] = np.linalg.norm(lstm_grads(x[:T], zeros, zeros, params, dh_seq)["x"][0])
    return norms
