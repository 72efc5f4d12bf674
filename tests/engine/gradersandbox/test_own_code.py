"""A cell that replaces the grader's own code in the sandbox (wraps the probe's ``_call``)
costs no function its earned points (issue 35): what it replaced is put back before the
calls, and the cell is sent for review."""

from __future__ import annotations

import pytest
from attack_kit import FULL, attack, grade, marks

pytestmark = pytest.mark.slow

# Logs every call to a file (refused in a sealed probe, so every call would fail) and means
# to forge forget_gate's answer.
WRAP = """
import sys
_probe = sys.modules['gradersandbox.probe']
_real = _probe._call
def _call(namespace, call, limit, watching):
    with open('/content/calls.log', 'a') as log:
        log.write(call.function + '\\n')
    if call.function == 'forget_gate':
        namespace = dict(namespace, forget_gate=lambda x_t, h_prev, W_f, b_f: x_t * 0)
    return _real(namespace, call, limit, watching)
_probe._call = _call
print('wrapped', _probe._call.__name__)
"""


def test_a_cell_that_wraps_the_probes_call_changes_no_call(tmp_path):
    graded = grade(tmp_path, attack(tmp_path / "in" / "wrap.ipynb", append=(WRAP,)))["wrap"]
    assert "wrapped _call" in graded["feedback"]
    assert marks(graded) == FULL
    assert "own sandbox code (gradersandbox)" in graded["feedback"]  # a review note
