"""A call that raises is reported with the student's own line: the cell, the line in it and
its code, where the error came up in the notebook's code (not numpy's)."""

from __future__ import annotations

import numpy as np
import pytest
from sandbox_fence import write_notebook

from grader.engine import ProbeCall, RunLimits, run_submission

pytestmark = pytest.mark.slow

GATE = """import numpy as np

def sigmoid(z):
    return 1 / (1 + np.exp(-z))

def forget_gate(x_t, h_prev, W_f, b_f):
    xh = np.concatenate([x_t, h_prev], axis=1)
    return sigmoid(xh @ W_f + b_f)
"""


def test_an_error_names_the_cell_the_line_and_the_code_of_the_student(tmp_path):
    notebook = write_notebook(tmp_path / "nb.ipynb", "x = 1", "# md text", GATE)
    x, h = np.ones((2, 3)), np.ones((2, 4))
    W, b = np.ones((4, 7)), np.zeros(4)
    limits = RunLimits(cell_timeout=20, notebook_timeout=120, probe_timeout=5)
    result = run_submission(notebook, [ProbeCall("forget_gate", (x, h, W, b))], limits)
    error = result.probes[0].error
    assert error.startswith("ValueError: matmul: Input operand 1 has a mismatch"), error
    # cell 2: the index among all cells, as every message of the run counts them
    assert error.endswith("(in forget_gate, cell 2, line 8: `return sigmoid(xh @ W_f + b_f)`)")
