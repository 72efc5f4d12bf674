"""A trial run before the first submission: the whole path a submission takes (the warm
process, a fork with the submission's namespaces and limits, a cell, a sealed probe process,
a call and its reply) on a notebook of the grader's own. If it fails, nothing can be graded
on this machine as it is, and the command refuses at once with what to fix, instead of
giving every student a score the grader did not earn them.

It runs in one of the run's own graders (see :mod:`grader.grading.workers`), on the warm
process that grader has started for its submissions: it costs one fork's run, not a warm start
of its own."""

from __future__ import annotations

import tempfile
import time
from collections.abc import Sequence
from pathlib import Path

import nbformat
import numpy as np

from grader.engine import run_submission
from grader.engine.results import ProbeCall, RunLimits, RunResult
from grader.engine.runtime_cache import runtime_cache
from grader.errors import UserError

_CELL = "import numpy as np\n\n\ndef grader_trial(x):\n    return np.asarray(x) * 2.0\n"
_INPUT = np.arange(3.0)


def _advice(runtime: Path | None) -> str:
    return (
        "Nothing was graded. Check that bubblewrap can make namespaces for this account "
        "(`bwrap --unshare-all --ro-bind / / true`; on Ubuntu 24.04: `sudo sysctl "
        "kernel.apparmor_restrict_unprivileged_userns=0`) and that the assignment's memory "
        "limit is enough to start Python with its packages. The sandbox's prepared files are "
        f"in {runtime_cache(runtime)}: if they were damaged, remove that folder and run "
        "`grader setup`."
    )


class GraderUnavailable(UserError):
    """The grader cannot run notebooks on this machine as it is set up."""


def check(
    limits: RunLimits,
    *,
    runtime: Path | None = None,
    shared_cells: Sequence[str] = (),
) -> float:
    """Run the trial notebook with ``limits``; raise :class:`GraderUnavailable` saying what
    went wrong unless it ran and its call came back right; else return its seconds (a warm
    start included, if this process had none yet). The warm process it forks from is the one
    this process's next submission uses."""
    started = time.monotonic()
    try:
        problem = fresh_run_problem(limits, runtime=runtime, shared_cells=shared_cells)
    except UserError:
        raise
    except Exception as error:  # the grader's own code failed on its own notebook
        raise GraderUnavailable(
            f"the grader could not run its trial notebook: {type(error).__name__}: {error}. "
            + _advice(runtime)
        ) from None
    if problem is not None:
        raise GraderUnavailable(
            f"the grader could not run its trial notebook: {problem}. {_advice(runtime)}"
        )
    return time.monotonic() - started


def fresh_run_problem(
    limits: RunLimits, *, runtime: Path | None = None, shared_cells: Sequence[str] = ()
) -> str | None:
    """What went wrong running the trial notebook in a fresh sandbox with ``limits``; None
    when it ran, was sealed and answered right."""
    with tempfile.TemporaryDirectory(prefix="grader-trial-") as folder:
        notebook = Path(folder) / "trial.ipynb"
        cell = nbformat.v4.new_code_cell(_CELL)
        nbformat.write(nbformat.v4.new_notebook(cells=[cell]), notebook)
        calls = [ProbeCall("grader_trial", (_INPUT,))]
        result = run_submission(notebook, calls, limits, runtime=runtime, shared_cells=shared_cells)
    return _problem(result)


def _problem(result: RunResult) -> str | None:
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
