"""A trial run before the first submission: the whole path a submission takes (the warm
process, a fork with the submission's namespaces and limits, a cell, a sealed probe process,
a call and its reply) on a notebook of the grader's own. If it fails, nothing can be graded
on this machine as it is, and the command refuses at once with what to fix, instead of
giving every student a score the grader did not earn them.

It runs in one of the run's own graders (see :mod:`grader.grading.workers`), on the warm
process that grader has started for its submissions: it costs one fork's run, not a warm start
of its own."""

from __future__ import annotations

import time
from collections.abc import Sequence
from pathlib import Path

from grader.disk_full import DiskFull, temp_full_line
from grader.engine.run.results import RunLimits
from grader.engine.run.submission import fresh_run_problem
from grader.engine.runtime.runtime_cache import cache_root, runtime_cache
from grader.errors import UserError


def _advice(runtime: Path | None) -> str:
    return (
        "Nothing was graded. Check that bubblewrap can make namespaces for this account "
        "(`bwrap --unshare-all --ro-bind / / true`; on Ubuntu 24.04: `sudo sysctl "
        "kernel.apparmor_restrict_unprivileged_userns=0`) and that the assignment's memory "
        "limit is enough to start Python with its packages. The sandbox's prepared files are "
        f"in {runtime_cache(runtime)} and {cache_root() / 'bases'}: if they were damaged, "
        "remove those folders and run `grader setup`."
    )


class GraderUnavailable(UserError):
    """The grader cannot run notebooks on this machine as it is set up."""


def check(
    limits: RunLimits,
    *,
    runtime: Path | None = None,
    shared_cells: Sequence[str] = (),
    warm_imports: Sequence[str] = (),
) -> float:
    """Run the trial notebook with ``limits``; raise :class:`GraderUnavailable` saying what
    went wrong unless it ran and its call came back right; else return its seconds (a warm
    start included, if this process had none yet). The warm process it forks from is the one
    this process's next submission uses."""
    started = time.monotonic()
    try:
        problem = fresh_run_problem(
            limits, runtime=runtime, shared_cells=shared_cells, warm_imports=warm_imports
        )
    except UserError:
        raise
    except Exception as error:  # the grader's own code failed on its own notebook
        raise GraderUnavailable(
            f"the grader could not run its trial notebook: {type(error).__name__}: {error}. "
            + _advice(runtime)
        ) from None
    if problem is not None and " is full (" in problem:  # the temporary folder: said, with its fix
        raise DiskFull(f"nothing was graded: {temp_full_line()}")
    if problem is not None:
        raise GraderUnavailable(
            f"the grader could not run its trial notebook: {problem}. {_advice(runtime)}"
        )
    return time.monotonic() - started
