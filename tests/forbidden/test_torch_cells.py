"""Every ready-made LSTM cell in torch is found, and TorchScript (whose code neither the scan
nor the run-time watch can read) is sent for review: never silent full marks (issue 35)."""

from __future__ import annotations

import pytest
from scan_kit import definite, scan

from grader.forbidden import REVIEW

HEAD = "import torch\nimport numpy as np\n"


@pytest.mark.parametrize(
    "made",
    [
        "torch.ao.nn.quantizable.LSTMCell(4, 3)",
        "torch.nn.quantizable.LSTMCell(4, 3)",
        "torch.ao.nn.quantizable.LSTM(4, 3)",
        "torch.ao.nn.quantized.dynamic.LSTMCell(4, 3)",
        "torch.ao.nn.quantized.LSTM(4, 3)",
    ],
)
def test_torchs_quantizable_and_quantized_lstms_are_forbidden(made):
    cell = (
        f"{HEAD}def lstm_cell(x_t, h_prev, c_prev, params):\n"
        f"    cell = {made}\n"
        "    return cell(torch.tensor(x_t), (torch.tensor(h_prev), torch.tensor(c_prev)))\n"
    )
    assert "lstm_cell" in definite(scan(cell))


def test_a_torchscript_archive_is_sent_for_review():
    cells = (
        f"{HEAD}CELL = torch.jit.load('cell.pt')\n",
        "def lstm_cell(x_t, h_prev, c_prev, params):\n    return CELL(x_t, h_prev, c_prev)\n",
    )
    found = scan(*cells)
    assert any("TorchScript (torch.jit)" in note for note in found.get(REVIEW, []))


def test_a_scripted_helper_is_followed_and_sent_for_review():
    step = "def step(x, h, c, w_ih, w_hh):\n    return torch.lstm_cell(x, (h, c), w_ih, w_hh)\n"
    graded = "def lstm_cell(x_t, h_prev, c_prev, params):\n    return scripted(x_t, h_prev)\n"
    cells = (HEAD + step, "scripted = torch.jit.script(step)\n", graded)
    found = scan(*cells)
    assert "lstm_cell" in definite(found)
    assert any("TorchScript (torch.jit)" in note for note in found.get(REVIEW, []))
