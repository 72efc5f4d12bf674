"""The engine's entry: :func:`run_submission` runs one submission's steps
(:mod:`.steps`) in a cgroup of its own, times its phases, and asks whose fault a seal that
failed is; :func:`warm_up` starts the warm process ahead; :func:`fresh_run_problem` runs the
grader's trial notebook in a fresh sandbox (:mod:`.trial_notebook`)."""

from __future__ import annotations

import functools
import time
from collections.abc import Sequence
from pathlib import Path

from grader.engine.run import warm
from grader.engine.run.hooks import NoHooks, RunHooks
from grader.engine.run.notebook import (
    NotANotebook,
    NotebookFile,
)
from grader.engine.run.results import (
    PhaseTimes,
    ProbeCall,
    ProbeOutcome,
    RunLimits,
    RunResult,
)
from grader.engine.run.seal_blame import blame_the_seal
from grader.engine.run.steps import Run
from grader.engine.run.trial_notebook import TRIAL_CALLS, trial_problem, write_trial_notebook
from grader.engine.walls import bwrap
from grader.engine.walls.bwrap import SandboxUnavailable
from grader.engine.walls.cgroups import run_cgroup
from grader.limits import FORBIDDEN, RUN
from grader.scratch import Scratch


def check_sandbox(limits: RunLimits) -> None:
    """Raise :class:`SandboxUnavailable` (saying why) if these limits cannot be enforced here."""
    bwrap.check_available(limits.unsafe_no_sandbox)


def _dotted(names: Sequence[str]) -> list[str]:
    """``names`` once each, in order; raises ValueError unless each is a dotted identifier."""
    names = list(dict.fromkeys(names))
    bad = [n for n in names if not all(part.isidentifier() for part in str(n).split("."))]
    if bad:
        raise ValueError(f"not a dotted name: {bad[0]!r}")
    return names


def _watched(names: Sequence[str]) -> list[str]:
    """The forbidden names the probes watch: dotted identifiers only, at most as many as the
    probe reads."""
    names = _dotted(names)
    if len(names) > FORBIDDEN.max_names:
        raise ValueError(
            f"{len(names)} forbidden names; the probes watch at most {FORBIDDEN.max_names}"
        )
    return names


def _ahead(shared_cells: Sequence[str], warm_imports: Sequence[str]) -> warm.Ahead:
    """What the warm process is to do ahead of the runs (``warm_imports``: module names)."""
    return warm.Ahead(tuple(shared_cells), tuple(_dotted(warm_imports)))


def warm_up(
    limits: RunLimits = RUN,
    *,
    runtime: Path | None = None,
    shared_cells: Sequence[str] = (),
    warm_imports: Sequence[str] = (),
) -> None:
    """Start, in the background, the warm process that :func:`run_submission` with these
    arguments will fork from, so that its start overlaps the caller's own work (reading the
    submissions). Optional: without it, the first run starts the warm process. Call it in the
    process that will run the submissions, before any fork of that process."""
    try:
        check_sandbox(limits)
    except SandboxUnavailable:  # run_submission says so
        return
    isolate = not limits.unsafe_no_sandbox
    ahead = _ahead(shared_cells, warm_imports)
    warm.start_soon(Path(runtime) if runtime else None, isolate, ahead)


def run_submission(
    notebook: Path | NotebookFile,
    probe_calls: Sequence[ProbeCall],
    limits: RunLimits = RUN,
    files_dir: Path | None = None,
    *,
    runtime: Path | None = None,
    hooks: RunHooks | None = None,
    shared_cells: Sequence[str] = (),
    warm_imports: Sequence[str] = (),
    forbidden_calls: Sequence[str] = (),
    gpu_to_cpu: bool = False,
) -> RunResult:
    """Run ``notebook`` in a sandbox, then make each of ``probe_calls``; never raises for a bad
    notebook.

    ``notebook``: its path, or the caller's :class:`NotebookFile` when others read it too.
    ``files_dir`` (the submission's own folder) is copied into the working folder; without it,
    only the notebook is. ``runtime`` is a virtualenv folder whose Python runs the notebook
    (None: the grader's own). ``hooks`` (see :class:`RunHooks`) are where the caller's own work
    goes: while the submission's processes start, and after the probes, in probe sessions of
    its own. ``forbidden_calls`` are dotted names (``torch.nn.LSTMCell``) watched during every
    call: each :class:`ProbeOutcome` says which of them the call constructed or called. Safe
    to call from several threads or processes at once. Raises :class:`SandboxUnavailable` when
    no sandbox can be made and ``limits`` does not allow running without one; what a hook
    raises is raised here, once the run's processes are gone.

    ``shared_cells`` are cells the caller vouches for (an assignment's grader-owned cells, as
    released): the warm process runs them once, and a cell of the notebook with exactly that
    text defines what it defined there instead of running again (see
    :mod:`grader.engine.gradersandbox.shared`). ``warm_imports`` are modules the warm process
    imports once for every run (what the submissions are expected to import: seconds each for
    torch), besides numpy, IPython and matplotlib.

    ``gpu_to_cpu``: a notebook written for a GPU runs on the CPU, the device mapped where the
    library is asked for it (:mod:`grader.engine.gradersandbox.device_map`); the result's
    ``gpu`` says where it asked."""
    started = time.monotonic()
    hooks = hooks or NoHooks()
    for call in probe_calls:
        if not call.function.isidentifier():
            raise ValueError(f"not a function name: {call.function!r}")
    watched = _watched(forbidden_calls)
    ahead = _ahead(shared_cells, warm_imports)
    if files_dir is not None and not Path(files_dir).is_dir():
        raise ValueError(f"files_dir is not a folder: {files_dir}")
    handed_in = notebook if isinstance(notebook, NotebookFile) else NotebookFile(notebook)
    try:
        cells = handed_in.code_cells()
    except NotANotebook as error:
        nothing = [ProbeOutcome(None, str(error)) for _ in probe_calls]
        return RunResult("invalid", str(error), [], "", False, nothing, "", 0.0)
    check_sandbox(limits)
    if runtime is not None:
        bwrap.check_runtime(Path(runtime))
    code = "\n\n".join(source for _, source in cells)
    source = Path(files_dir or handed_in.path).resolve()
    with run_cgroup(limits.memory_bytes, limits.max_processes) as cgroup:
        run = Run(
            limits,
            cgroup,
            started,
            Path(runtime) if runtime else None,
            ahead,
            watched,
            gpu_to_cpu,
        )
        timer = _PhaseTimer(started)
        after_probes: object = None
        try:
            run.start(source, hooks.on_submission_starting)
            timer.lap("start")
            if run.gone is None:
                groups = len({call.function for call in probe_calls})
                run.run_cells(cells, run.cells_deadline(groups))
            timer.lap("cells")
            probes = run.probe_all(list(probe_calls))
            timer.lap("probes")
            if run.gone is None:
                after_probes = hooks.on_probes_complete(probes, lambda: run.session("explore"))
        finally:
            run.close()
    if run.seal_refusal is not None and run.grader_fault is None:
        fresh_run = functools.partial(
            fresh_run_problem,
            limits,
            runtime=Path(runtime) if runtime else None,
            shared_cells=shared_cells,
            warm_imports=warm_imports,
        )
        blame_the_seal(run, fresh_run)
    status, reason = run.verdict()
    return RunResult(
        status,
        reason,
        run.cell_errors,
        run.transcript.text,
        run.transcript.truncated,
        probes,
        code,
        time.monotonic() - started,
        run.patched,
        run.grader_fault,
        PhaseTimes(**timer.seconds),
        after_probes,
        run.gpu,
    )


def fresh_run_problem(
    limits: RunLimits,
    *,
    runtime: Path | None = None,
    shared_cells: Sequence[str] = (),
    warm_imports: Sequence[str] = (),
) -> str | None:
    """What went wrong running the grader's trial notebook in a fresh sandbox with ``limits``;
    None when it ran, was sealed and answered right (see :mod:`grader.engine.run.trial`)."""
    with Scratch(None, "grader-trial-") as folder:  # and those of killed runs removed
        notebook = write_trial_notebook(Path(folder))
        result = run_submission(
            notebook,
            TRIAL_CALLS,
            limits,
            runtime=runtime,
            shared_cells=shared_cells,
            warm_imports=warm_imports,
        )
    return trial_problem(result)


class _PhaseTimer:
    """Seconds from one lap to the next, by phase."""

    def __init__(self, started: float):
        self._last = started
        self.seconds: dict[str, float] = {}

    def lap(self, phase: str) -> None:
        now = time.monotonic()
        self.seconds[phase] = now - self._last
        self._last = now
