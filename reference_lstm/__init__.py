"""The course's reference LSTM, in numpy, as the course notes write it.

Every gate reads the concatenation ``[x_t, h_{t-1}]`` (input first)::

    f_t  = sigmoid(W_f [x_t, h_{t-1}] + b_f)     forget gate
    i_t  = sigmoid(W_i [x_t, h_{t-1}] + b_i)     input gate
    c~_t = tanh   (W_c [x_t, h_{t-1}] + b_c)     candidate memory
    C_t  = f_t * C_{t-1} + i_t * c~_t            cell state (long-term memory)
    o_t  = sigmoid(W_o [x_t, h_{t-1}] + b_o)     output gate
    h_t  = o_t * tanh(C_t)                       hidden state (short-term memory)
"""

from reference_lstm.backward import lstm_grads
from reference_lstm.cell import (
    PARAM_KEYS,
    candidate_memory,
    cell_state,
    forget_gate,
    hidden_state,
    init_params,
    input_gate,
    lstm_cell,
    output_gate,
    sigmoid,
)
from reference_lstm.gradient_flow import lstm_gradient_norms, rnn_gradient_norms
from reference_lstm.sequence import lstm_forward

__all__ = [
    "PARAM_KEYS",
    "candidate_memory",
    "cell_state",
    "forget_gate",
    "from_torch",
    "hidden_state",
    "init_params",
    "input_gate",
    "lstm_cell",
    "lstm_forward",
    "lstm_gradient_norms",
    "lstm_grads",
    "output_gate",
    "rnn_gradient_norms",
    "sigmoid",
    "to_torch",
]


def __getattr__(name: str):
    """``from_torch`` and ``to_torch`` import torch (seconds) only when first asked for."""
    if name in ("from_torch", "to_torch"):
        from reference_lstm import torch_interop

        return getattr(torch_interop, name)
    raise AttributeError(f"module 'reference_lstm' has no attribute {name!r}")
