"""One submission's run: start its isolated child, send its files, run its cells in order,
then its probe calls, each graded function in a fresh probe process, and say how it went.
Nothing is compared or scored here: values go back to the caller as float64 arrays."""

from __future__ import annotations

import contextlib
import os
import signal
import tempfile
import time
from collections.abc import Callable, Iterator, Sequence
from itertools import groupby
from pathlib import Path

from grader.disk_full import no_space, temp_full_line
from grader.engine.gradersandbox import protocol, wire
from grader.engine.run import warm
from grader.engine.run.cell_reply import cell_reply
from grader.engine.run.channel import Channel, Gone
from grader.engine.run.exhaustion import Exhaustion
from grader.engine.run.probes import ProbeSession
from grader.engine.run.results import NOT_GRADED, CellError, ProbeCall, ProbeOutcome, RunLimits
from grader.engine.run.runner_settings import runner_settings
from grader.engine.run.transcript import Transcript
from grader.engine.walls import bwrap, student_user
from grader.engine.walls.cgroups import RunCgroup
from grader.engine.walls.memory_watch import SubmissionWatch, watch_submission
from grader.limits import ENGINE, REPLIES, SANDBOX, MiB


class Run:
    """The state of one run: the submission's pipes, its transcript, what went wrong so far."""

    def __init__(
        self,
        limits: RunLimits,
        cgroup: RunCgroup | None,
        started: float,
        runtime: Path | None,
        ahead: warm.Ahead = warm.PLAIN,
        forbidden_calls: Sequence[str] = (),
        gpu_to_cpu: bool = False,
    ):
        self.limits, self.cgroup, self.runtime = limits, cgroup, runtime
        self.ahead = ahead  # what the warm process it forks from did ahead
        self.forbidden_calls = list(forbidden_calls)
        self.gpu_to_cpu = gpu_to_cpu  # a GPU asked for is given the CPU's, at run time
        self.gpu: list[tuple[int, int]] = []  # where it was asked: (cell index, line)
        self.transcript = Transcript(limits.output_bytes)
        self.deadline = started + limits.notebook_timeout
        self.cell_errors: list[CellError] = []
        self.patched: dict[int, list[str]] = {}
        self.gone: str | None = None  # why the runner can no longer be used
        self.grader_fault: str | None = None  # see RunResult.grader_fault
        self.seal_refusal: str | None = None  # why a probe process could not be sealed
        self._zygote: warm.Zygote | None = None  # the warm process the submission came from
        self.notebook_timeout: str | None = None
        self.exhaustion = Exhaustion(limits, cgroup, self.transcript)
        self.channel = Channel(self.transcript, REPLIES.reply_bytes)
        self.runner_pid: int | None = None
        self.watch: SubmissionWatch | None = None  # its init, and its memory without cgroups
        self._kept_bytes = 0  # of the values of the calls' replies (see keep)

    def left(self) -> float:
        return self.deadline - time.monotonic()

    # -- start

    def start(self, source: Path, while_starting: Callable[[], None]) -> None:
        """Fork the submission's child, send its files, wait for its runner to be ready;
        ``while_starting`` (the caller's own work) runs while the child starts, off the
        notebook's clock."""
        isolate = not self.limits.unsafe_no_sandbox
        scratch = bwrap.SCRATCH if isolate else None
        files_bytes = bwrap.size_of(source)
        joins = self.cgroup.open_join_files() if self.cgroup is not None else []
        try:
            if not isolate:
                scratch = self._plain_scratch()
            settings = runner_settings(
                self.limits, scratch, files_bytes, len(joins), self.forbidden_calls, self.gpu_to_cpu
            )
            self._fork(settings, joins + self.channel.far_ends)
        finally:
            for fd in joins:
                os.close(fd)
            self.channel.close_far_ends()
        if self.grader_fault is not None:
            return
        deadline = time.monotonic() + min(ENGINE.start_s, max(self.left(), 1.0))
        try:
            self._send_files(source, deadline)
            began = time.monotonic()  # the child joins its cgroups and mounts its folders
            while_starting()
            spent = time.monotonic() - began
            deadline += spent
            self.deadline += spent
            reply = self.channel.receive(deadline)
        except Gone:
            self._not_started(None, answered=True)
            return
        except TimeoutError as error:
            self._not_started(str(error), answered=True)
            return
        try:
            started = None if reply is None else protocol.read_reply(reply)
        except wire.WireError:
            started = None
        if isinstance(started, protocol.Ready):
            self.runner_pid = started.pid
            self._watch()
            return
        said = started.reason if isinstance(started, protocol.NotStarted) else None
        self._not_started(said, answered=reply is not None)

    def _watch(self) -> None:
        """Hold the submission's init, ended with the run; without a cgroup, watch its memory."""
        if self.limits.unsafe_no_sandbox or self._zygote is None:
            return
        limit = self.limits.memory_bytes if self.cgroup is None else None
        try:
            self.watch = watch_submission(
                self._zygote.process.pid, self.channel.init_pipe_inode(), limit, self._memory_over
            )
        except (OSError, RuntimeError) as error:  # no thread or pidfd for it: not the student's
            self.could_not_start(f"the grader could not watch its memory ({error})")

    def _memory_over(self, held: int) -> None:  # the watch ended the submission
        self.exhaustion.memory_counted(held)
        self.gone = self.gone or "the kernel was stopped for its memory"

    def _plain_scratch(self) -> str:
        self._plain_folder = tempfile.TemporaryDirectory(prefix="grader-run-")
        student_user.hand_to_student(Path(self._plain_folder.name))
        return str(Path(self._plain_folder.name) / "content")

    def _fork(self, settings: dict, fds: list[int]) -> None:
        isolate = not self.limits.unsafe_no_sandbox
        try:
            self._zygote = warm.zygote(self.runtime, isolate, ahead=self.ahead)
            self._zygote.fork(settings, fds)
        except OSError:  # the warm process died since its last fork: start another
            try:
                self._zygote = warm.zygote(self.runtime, isolate, True, self.ahead)
                self._zygote.fork(settings, fds)
            except (OSError, warm.WarmFailed) as error:
                said = temp_full_line() if no_space(error) else error
                self.fault(f"the sandbox's warm process could not start: {said}")
        except warm.WarmFailed as error:
            self.fault(f"the sandbox's warm process could not start: {error}")

    def fault(self, why: str) -> None:
        """The grader itself failed: the submission cannot be graded on this run."""
        self.grader_fault = self.grader_fault or why
        self.gone = self.gone or why

    def could_not_start(self, why: str) -> None:
        """A process of the submission could not be started at all (another's may hold every
        process the user may have): the grader's failure, graded again after the batch."""
        self.fault(f"{NOT_GRADED}: {why}")

    def seal_refused(self, why: str) -> None:
        """A probe process could not be sealed: no call can be made. Whether the cells did it
        (open files used up, a system-call filter of their own) or the grader failed is told
        once the run ended (:func:`grader.engine.run.seal_blame.blame_the_seal`)."""
        self.seal_refusal = self.seal_refusal or why
        self.gone = self.gone or why

    def _send_files(self, source: Path, deadline: float) -> None:
        """The submission's folder (or lone notebook), file by file; links are kept as links."""
        root = source if source.is_dir() else source.parent
        paths = sorted(source.rglob("*")) if source.is_dir() else [source]
        for path in paths:
            relative = path.relative_to(root).as_posix()
            if path.is_symlink():
                target = os.readlink(path).encode()
                self.channel.send(protocol.Link(relative, target), deadline)
            elif path.is_file():
                with path.open("rb") as file:
                    mode = path.stat().st_mode
                    while True:
                        chunk = file.read(SANDBOX.file_chunk_bytes)
                        self.channel.send(protocol.FilePiece(relative, chunk, mode), deadline)
                        if len(chunk) < SANDBOX.file_chunk_bytes:
                            break
        self.channel.send(protocol.FilesEnd(), deadline)

    def _not_started(self, said: str | None, answered: bool) -> None:
        """The runner did not start: ``said`` why (None if it did not say), ``answered``
        False when it was silent past its time."""
        started_silently = said is None
        if not answered:
            said = "it did not answer in time"
        if said is None:
            code = self.channel.wait_exit_code(ENGINE.end_s)
            said = "it ended" + _exit_note(code) if code is not None else "it ended"
        note = self.exhaustion.not_started_note(said)
        self.gone = f"the kernel did not start: {said[-500:]}{note}"
        if answered and started_silently and not note:  # before any of the student's code
            self.could_not_start(f"its kernel could not start ({said[-200:]})")

    # -- cells

    def cells_deadline(self, probe_groups: int) -> float:
        """Cells end early enough to leave the probes their time (a quarter of the notebook's
        time at most)."""
        reserve = min(
            probe_groups * self.limits.probe_timeout + ENGINE.interrupt_grace_s,
            self.limits.notebook_timeout / 4,
        )
        return self.deadline - reserve

    def run_cells(self, cells: list[tuple[int, str]], deadline: float) -> None:
        for index, source in cells:
            if self.gone is not None:
                return
            left = deadline - time.monotonic()
            if left <= 0:
                self._stop_for_notebook_time(index)
                return
            by_notebook = left < self.limits.cell_timeout
            if not self._run_cell(index, source, min(self.limits.cell_timeout, left), by_notebook):
                return

    def _run_cell(self, index: int, source: str, timeout: float, by_notebook: bool) -> bool:
        """Run one cell; False when the run cannot go on."""
        try:
            self.channel.send(protocol.RunCell(index, source), time.monotonic() + timeout)
            reply = self.channel.receive(time.monotonic() + timeout)
            timed_out = reply is None
            if timed_out:
                if self.runner_pid is not None:  # always, once the runner started
                    self.channel.signal(self.runner_pid, signal.SIGINT)
                reply = self.channel.receive(time.monotonic() + ENGINE.interrupt_grace_s)
        except TimeoutError:
            timed_out, reply = True, None
        except Gone:
            self._died(index)
            return False
        self.channel.drain_output()
        self.exhaustion.look(f"cell {index}")
        if reply is None:
            self._record(
                CellError(index, "CellTimeoutError", _timeout_text(self, by_notebook), True)
            )
            self._stop_runner(
                f"cell {index} ran past its time limit and did not stop when interrupted, so "
                "the kernel was stopped"
            )
            return False
        done = cell_reply(reply, index)
        if done is None:
            self._died(index, "sent what the grader cannot read")
            return False
        self.transcript.dropped_at_source(done.dropped)
        if done.patched:
            self.patched[index] = done.patched
        self.gpu = [*self.gpu, *(p for p in done.gpu if p not in self.gpu)][: SANDBOX.gpu_places]
        if timed_out:
            self._record(
                CellError(index, "CellTimeoutError", _timeout_text(self, by_notebook), True)
            )
            if by_notebook:
                self._stop_for_notebook_time(index + 1)
                return False
        elif done.ename is not None:
            self._record(CellError(index, done.ename, done.evalue or "", line=done.line))
        return True

    def _died(self, index: int, how: str = "died") -> None:
        code = self.channel.wait_exit_code(1.0)
        self.exhaustion.look(f"cell {index}")
        self._record(CellError(index, "DeadKernelError", "the kernel died"))
        self.gone = f"the kernel {how} while running cell {index}{_exit_note(code)}"

    def _stop_runner(self, why: str) -> None:
        self.gone = self.gone or why
        if self.runner_pid is not None:
            self.channel.signal(self.runner_pid, signal.SIGKILL)

    def _stop_for_notebook_time(self, next_index: int) -> None:
        self.notebook_timeout = (
            f"the notebook ran past its time limit of {self.limits.notebook_timeout:g} s; "
            f"cells from {next_index} on were not run"
        )

    def _record(self, error: CellError) -> None:
        self.cell_errors.append(error)
        if error.timed_out:
            self.transcript.note(f"cell {error.index}: {error.evalue}")
        self.exhaustion.cell_failed(error)

    # -- probes

    def probe_all(self, calls: Sequence[ProbeCall]) -> list[ProbeOutcome]:
        """Each graded function's calls in a probe process of its own."""
        outcomes: list[ProbeOutcome] = []
        for function, grouped in groupby(calls, key=lambda call: call.function):
            group = list(grouped)
            if self.gone is not None:
                outcomes += [ProbeOutcome(None, f"not called: {self.gone}") for _ in group]
                continue
            with self.session(function) as session:
                outcomes += [session.answer(call) for call in group]
            self.exhaustion.look(f"the call of {function}")
        return outcomes

    def keep(self, outcome: ProbeOutcome, size: int) -> ProbeOutcome:
        """``outcome`` (its value ``size`` bytes), or its refusal once this run's values pass
        :data:`grader.limits.REPLIES`' ``kept_bytes``."""
        self._kept_bytes += size
        if self._kept_bytes <= REPLIES.kept_bytes:
            return outcome
        return ProbeOutcome(
            None,
            f"not kept: this notebook's calls returned more than {REPLIES.kept_bytes // MiB} MiB "
            "in all, more than the grader keeps",
        )

    @contextlib.contextmanager
    def session(self, label: str) -> Iterator[ProbeSession]:
        """A fresh probe process forked from the state the cells left."""
        session = ProbeSession(self, label)
        try:
            yield session
        finally:
            session.end()

    # -- end

    def verdict(self) -> tuple[str, str | None]:
        if self.gone is not None and self._zygote is not None and self._zygote.ended():
            # Its submission's processes went with it: not the notebook's doing.
            self.fault(f"the sandbox's warm process ended while the submission ran ({self.gone})")
        memory = self.exhaustion.memory
        if self.gone is not None:
            if memory is not None:
                return "memory", f"{memory}; then {self.gone}"
            return "crashed", self.gone
        if memory is not None:
            return "memory", memory
        if self.notebook_timeout is not None:
            return "timeout", self.notebook_timeout
        return "completed", None

    def close(self) -> None:
        with contextlib.suppress(Gone, TimeoutError, OSError):
            if self.gone is None:
                self.channel.send(protocol.EndSubmission(), time.monotonic() + 1.0)
        self.channel.drain_output()
        if self.watch is not None:  # whatever the submission left running ends now
            self.watch.stop(ENGINE.end_s)
        self.channel.close()
        folder = getattr(self, "_plain_folder", None)
        if folder is not None:
            folder.cleanup()

    def patch_note(self) -> str:
        """Which cells replaced Python's own machinery, for reasons that blame them."""
        if not self.patched:
            return ""
        named = "; ".join(f"cell {i} replaced {', '.join(n)}" for i, n in self.patched.items())
        return f" ({named})"


def _timeout_text(run: Run, by_notebook: bool) -> str:
    limit = (
        f"the notebook's time limit of {run.limits.notebook_timeout:g} s"
        if by_notebook
        else f"its time limit of {run.limits.cell_timeout:g} s"
    )
    return f"the cell ran past {limit} and was interrupted"


def _exit_note(code: int | None) -> str:
    if code is None:
        return ""
    if code >= 0:
        return f" (exit code {code})"
    try:
        return f" (killed by {signal.Signals(-code).name})"
    except ValueError:
        return f" (killed by signal {-code})"
