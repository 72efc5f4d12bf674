"""Conversion between the course's params dict and PyTorch's packed LSTM weights.

PyTorch stacks the gates as i, f, g, o in ``weight_ih`` (4H, D) and ``weight_hh`` (4H, H) and
keeps two biases that add up; the course keeps one ``W_k`` (H, D+H) and one ``b_k`` per gate.
"""

from __future__ import annotations

from collections.abc import Mapping

import numpy as np
import torch

from reference_lstm.cell import GATE_KEYS, check_params

# PyTorch's row blocks, in its order: input, forget, cell candidate ("g"), output.
TORCH_GATE_ORDER = ("i", "f", "c", "o")


def from_torch(module: torch.nn.LSTM | torch.nn.LSTMCell) -> dict[str, np.ndarray]:
    """The params dict of a one-layer, unidirectional ``nn.LSTM`` or an ``nn.LSTMCell``."""
    if isinstance(module, torch.nn.LSTM):
        if module.num_layers != 1 or module.bidirectional or module.proj_size:
            raise ValueError(
                "from_torch supports a one-layer, unidirectional nn.LSTM without projection; "
                f"got num_layers={module.num_layers}, bidirectional={module.bidirectional}, "
                f"proj_size={module.proj_size}"
            )
        suffix = "_l0"
    elif isinstance(module, torch.nn.LSTMCell):
        suffix = ""
    else:
        raise ValueError(f"module is {type(module).__name__}, expected nn.LSTM or nn.LSTMCell")

    def weight(name: str) -> np.ndarray:
        return getattr(module, f"{name}{suffix}").detach().cpu().numpy()

    w_ih, w_hh = weight("weight_ih"), weight("weight_hh")
    bias = weight("bias_ih") + weight("bias_hh") if module.bias else np.zeros(w_ih.shape[0])
    H = module.hidden_size
    params = {}
    for block, gate in enumerate(TORCH_GATE_ORDER):
        rows = slice(block * H, (block + 1) * H)
        w_key, b_key = GATE_KEYS[gate]
        params[w_key] = np.concatenate([w_ih[rows], w_hh[rows]], axis=1)
        params[b_key] = bias[rows].astype(w_ih.dtype)
    return params


def to_torch(params: Mapping[str, np.ndarray], batch_first: bool = False) -> torch.nn.LSTM:
    """A one-layer ``nn.LSTM`` computing the same function as ``params``.

    The whole bias goes to ``bias_ih_l0``; ``bias_hh_l0`` is zero. The dtype follows ``W_f``.
    """
    check_params(params)
    H, DH = np.shape(params["W_f"])
    D = DH - H
    dtype = torch.float32 if np.asarray(params["W_f"]).dtype == np.float32 else torch.float64
    module = torch.nn.LSTM(D, H, num_layers=1, batch_first=batch_first, dtype=dtype)
    blocks = [np.asarray(params[GATE_KEYS[gate][0]]) for gate in TORCH_GATE_ORDER]
    biases = [np.asarray(params[GATE_KEYS[gate][1]]) for gate in TORCH_GATE_ORDER]
    packed = np.concatenate(blocks, axis=0)
    with torch.no_grad():
        module.weight_ih_l0.copy_(torch.from_numpy(packed[:, :D].copy()))
        module.weight_hh_l0.copy_(torch.from_numpy(packed[:, D:].copy()))
        module.bias_ih_l0.copy_(torch.from_numpy(np.concatenate(biases)))
        module.bias_hh_l0.zero_()
    return module
