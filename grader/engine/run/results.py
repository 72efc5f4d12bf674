"""What the engine is given (limits, probe calls) and what it hands back (the run's result)."""

from __future__ import annotations

from dataclasses import asdict, dataclass, field

import numpy as np

from grader.limits import RunLimits  # what one run may use: grader.limits owns it

__all__ = ["CellError", "NOT_GRADED", "RunLimits", "ProbeCall", "ProbeOutcome", "RunResult"]

# How a grader fault begins when a process of the submission could not start (a fork refused):
# graded again after the batch, alone, and never scored.
NOT_GRADED = "not graded — grader error"


@dataclass(frozen=True)
class ProbeCall:
    """One call of a notebook's function: ``args`` are numpy arrays or dicts of them; with
    ``read``, the value of the notebook's variable ``function`` instead (a numeric answer)."""

    function: str
    args: tuple
    read: bool = False


@dataclass(frozen=True)
class ProbeOutcome:
    """What one call returned (float64 arrays or a str; a tuple for functions returning
    several, a dict for one returning a dict of them) or why there is no value."""

    value: np.ndarray | str | tuple[np.ndarray | str, ...] | dict[str, np.ndarray | str] | None
    error: str | None
    # Indices of the arguments the call changed in place (seen inside the sandbox).
    mutated_args: tuple[int, ...] = ()
    # Whether the returned value holds one array object more than once.
    aliased: bool = False
    # The run-time record (seen inside the sandbox, so only as honest as the notebook lets it
    # be): ``(verb, name)`` for each forbidden object the call used, verb "constructs" or
    # "calls"; and how the watch was lost during the call, if it was ("removed", "replaced",
    # or "changed": the notebook called sys.setprofile).
    forbidden_seen: tuple[tuple[str, str], ...] = ()
    watch_lost: str | None = None


@dataclass(frozen=True)
class CellError:
    """A cell that raised or ran out of time; ``index`` counts every cell of the notebook
    from 0, markdown included."""

    index: int
    ename: str
    evalue: str
    timed_out: bool = False
    line: int | None = None  # the line of the cell where the error came up, where known


@dataclass(frozen=True)
class PhaseTimes:
    """Seconds each phase of grading one submission took, on the monotonic clock: the start of
    its processes (with the caller's work done meanwhile), its cells, its graded probe calls,
    the diagnosis of what lost points, and the making of its files. The engine times the first
    three; the grader adds the others."""

    start: float = 0.0
    cells: float = 0.0
    probes: float = 0.0
    diagnosis: float = 0.0
    files: float = 0.0

    def as_dict(self) -> dict[str, float]:
        """``{phase: seconds}``, to the millisecond, in the order of the phases."""
        return {phase: round(seconds, 3) for phase, seconds in asdict(self).items()}


@dataclass(frozen=True)
class RunResult:
    """The outcome of one run.

    ``status`` is ``completed``, ``invalid`` (not a readable notebook), ``timeout`` (the
    notebook's limit was hit), ``memory`` (a cell or call hit the memory limit) or ``crashed`` (the
    kernel died or had to be stopped before every probe was made); ``reason`` says it in words
    unless the run completed.
    """

    status: str
    reason: str | None
    cell_errors: list[CellError]
    output: str
    output_truncated: bool
    probes: list[ProbeOutcome]
    code: str
    duration_s: float
    # Cells that replaced what Python's own machinery relies on (``sys.stdout``, builtins,
    # ``json.dumps``...): cell index -> the names replaced, for reasons that name the cell.
    patched: dict[int, list[str]] = field(default_factory=dict)
    # Why the grader itself could not run the submission (its warm process could not start, a
    # probe process could not be sealed): not the student's doing, so not to be scored.
    grader_fault: str | None = None
    phases: PhaseTimes = field(default_factory=PhaseTimes)
    # What the caller's hook made of the graded probes (RunHooks.on_probes_complete), when the
    # run got that far; None otherwise.
    after_probes: object = None
    # Where the notebook asked for a GPU when it ran, mapped to the CPU (run_submission's
    # gpu_to_cpu): (cell index among all cells, line), in the order first asked.
    gpu: list[tuple[int, int]] = field(default_factory=list)
