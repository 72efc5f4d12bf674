"""The grader's own trial notebook: written for a run, and what went wrong in the run (see
:mod:`grader.engine.run.trial`, and :func:`grader.engine.fresh_run_problem`, which runs it)."""

from __future__ import annotations

from pathlib import Path

import nbformat
import numpy as np

from grader.engine.run.results import ProbeCall, RunResult

_CELL = "import numpy as np\n\n\ndef grader_trial(x):\n    return np.asarray(x) * 2.0\n"
_INPUT = np.arange(3.0)
TRIAL_CALLS = (ProbeCall("grader_trial", (_INPUT,)),)


def write_trial_notebook(folder: Path) -> Path:
    """The trial notebook, written into ``folder``."""
    notebook = folder / "trial.ipynb"
    cell = nbformat.v4.new_code_cell(_CELL)
    nbformat.write(nbformat.v4.new_notebook(cells=[cell]), notebook)
    return notebook


def trial_problem(result: RunResult) -> str | None:
    """What went wrong with the trial run, or None."""
    if result.grader_fault is not None:
        return result.grader_fault
    if result.status != "completed":
        return f"{result.status}: {result.reason}"
    if result.cell_errors:
        error = result.cell_errors[0]
        return f"its cell raised {error.ename}: {error.evalue}"[:500]
    outcome = result.probes[0]
    if outcome.error is not None:
        return f"its call failed: {outcome.error}"
    if not isinstance(outcome.value, np.ndarray) or not np.array_equal(outcome.value, _INPUT * 2):
        return "its call came back with a wrong value"
    return None
