"""The comparison, gradient-check and plotting cells of every released notebook never stop
"Run all" on a student's error: with the function they call raising an error of any kind, or
returning an array of the wrong shape, the notebook runs to the end in a real kernel, each such
cell says what failed, and the final check() still runs."""

from __future__ import annotations

import re

import nbformat
import pytest
from diagnosis_corpus import ASSIGNMENTS, Entry, filled
from nbclient import NotebookClient

from grader.assignment.releasing import release

pytestmark = pytest.mark.slow

# assignment -> (the function its experiment cells call, the cells that call it)
CALLED = {
    "lstm_gates": ("lstm_forward", ("experiment",)),
    "rnn_gradients": ("gradient_norms", ("experiment",)),
    "lstm_backward": ("lstm_backward", ("experiment",)),
}
STEP_CALLED = {  # the gradient checks call the step functions
    "rnn_gradients": ("rnn_backward", ("gradient-check",)),
    "lstm_backward": ("lstm_step_backward", ("gradient-check",)),
}
BROKEN = {
    "raises": "raise ValueError('operands could not be broadcast together')",
    "wrong shape": "return np.zeros(3)",
}


def _broken(released, assignment: str, functions: list[str], body: str):
    """The release filled with the solutions, ``functions`` then replaced by ``body``."""
    notebook = filled(released, Entry("broken", assignment=assignment))
    for cell in notebook.cells:
        for function in functions:
            found = re.search(rf"^def {function}\(.*?\):\n", cell.source, re.M | re.S)
            if found and cell.cell_type == "code":
                start = found.end()
                cell.source = cell.source[:start] + f"    {body}\n" + cell.source[start:]
    return notebook


@pytest.mark.parametrize("assignment", sorted(CALLED))
@pytest.mark.parametrize("broken", sorted(BROKEN))
def test_a_students_error_never_stops_run_all(tmp_path, assignment, broken):
    released = nbformat.read(release(ASSIGNMENTS / assignment, tmp_path), as_version=4)
    called = [CALLED[assignment], *([STEP_CALLED[assignment]] if assignment in STEP_CALLED else [])]
    notebook = _broken(released, assignment, [f for f, _ in called], BROKEN[broken])
    # nbclient raises on the first cell that raises: returning at all means none did
    NotebookClient(notebook, timeout=300, kernel_name="python3").execute()
    printed = {
        c.id: "".join(o.get("text", "") for o in c.outputs)
        for c in notebook.cells
        if c.cell_type == "code"
    }
    for _, cells in called:
        for cell in cells:
            assert "failed" in printed[cell], printed[cell]
            assert "check() says which function to fix" in printed[cell] or (
                "The plot failed" in printed[cell]
            )
    assert "functions pass their public cases" in printed["grader-check-all"]
