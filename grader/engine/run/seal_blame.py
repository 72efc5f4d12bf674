"""Whose fault a seal that failed is: the submission's or the grader's.

A probe process that could not be sealed answers no call. The runner it is forked from is the
submission's own process: its cells may have used up its open files, installed a system-call
filter of their own that refuses what the seal needs (``seccomp(2)``, ``dup2``), or lowered
its limits. Where the exception surfaced says nothing about that; a fresh run does: if the
grader's own trial notebook, in a fresh sandbox with the same limits, is sealed and answered,
the sandbox works and what failed was the submission's state, which is scored as it earned.
Only when the fresh run fails too is it the grader's fault.
"""

from __future__ import annotations

import errno
import re
import threading
from collections.abc import Callable

from grader.engine.run.steps import Run

# Set in a thread while it makes the fresh run, whose own seal failing is the grader's fault.
_trying = threading.local()
# What the cells can do to the runner that a seal then fails on, by the seal's errno.
_CAUSES = {
    errno.EMFILE: "the cells left too many files open",
    errno.ENFILE: "the cells left too many files open",
    errno.EPERM: "the cells installed a system-call filter of their own, or dropped a right",
    errno.EACCES: "the cells installed a system-call filter of their own, or dropped a right",
    errno.ENOMEM: "the cells used up the notebook's memory",
    errno.EAGAIN: "the cells used up the notebook's processes or memory",
    errno.EINVAL: "the cells changed the kernel's state or limits",
}


def blame_the_seal(run: Run, fresh_run_problem: Callable[[], str | None]) -> None:
    """Once ``run`` ended with a seal refused: a fault of the grader if a fresh trial run
    (``fresh_run_problem``: what went wrong in it, or None) fails too, else the submission's,
    said in words a student can act on."""
    refusal = run.seal_refusal or ""
    if getattr(_trying, "fresh_run", False):  # this is the fresh run, and it was not sealed
        run.fault(refusal)
        return
    _trying.fresh_run = True
    try:
        problem = fresh_run_problem()
    except Exception as error:  # the grader's own notebook cannot run: not the student's doing
        problem = f"{type(error).__name__}: {error}"
    finally:
        _trying.fresh_run = False
    if problem is not None:
        run.fault(f"{refusal}; a fresh trial run failed too: {problem}"[:1000])
        return
    run.gone = submission_refusal(refusal)


def submission_refusal(refusal: str) -> str:
    """Why no function was called, when the cells left the runner unable to seal its calls."""
    number = re.search(r"\[Errno (\d+)\]", refusal)
    cause = _CAUSES.get(int(number[1])) if number else None
    return (
        f"the graded functions could not be called: {refusal[:300]}. A fresh run of the "
        f"grader's own notebook was sealed, so what the cells did caused it"
        f"{f' ({cause})' if cause else ''}; no function was called"
    )
