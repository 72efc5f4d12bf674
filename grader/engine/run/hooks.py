"""What the caller of :func:`grader.engine.run_submission` is told while one submission runs.

In nbclient's style (``on_notebook_start``, ``on_cell_executed``...): the run calls a hook at
each point where the caller may do work of its own, with typed arguments; a caller that has
nothing to do there passes :class:`NoHooks`, or subclasses it and overrides what it needs.
"""

from __future__ import annotations

from collections.abc import Sequence
from contextlib import AbstractContextManager
from typing import TYPE_CHECKING, Protocol

from grader.engine.run.results import ProbeOutcome

if TYPE_CHECKING:
    from grader.engine.run.probes import ProbeSession


class OpenSession(Protocol):
    """Opens a probe session: a fresh process forked from the state the cells left, whose
    ``.call(function, args, stand_ins)`` returns a :class:`ProbeOutcome`."""

    def __call__(self) -> AbstractContextManager[ProbeSession]: ...


class RunHooks(Protocol):
    """The points of a run where the caller's own work goes."""

    def on_submission_starting(self) -> None:
        """Called once while the submission's processes start (they join their cgroups and
        mount their folders, tens of milliseconds in which the caller would only wait); the
        time it takes is not counted against the notebook's. Not called when the notebook
        cannot be read. What it raises ends the run and is raised by ``run_submission``."""
        ...

    def on_probes_complete(
        self, probes: Sequence[ProbeOutcome], open_session: OpenSession
    ) -> object:
        """Called after the graded probes, with their outcomes in the order of the probe
        calls, when the cells left a state to call again (not when the run ended early):
        each ``open_session()`` is a fresh process forked from that state. What it returns
        comes back as the run's ``after_probes``."""
        ...


class NoHooks:
    """Hooks that do nothing: subclass it to override only some of them."""

    def on_submission_starting(self) -> None:
        return None

    def on_probes_complete(
        self, probes: Sequence[ProbeOutcome], open_session: OpenSession
    ) -> object:
        return None
