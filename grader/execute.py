"""Run a student's notebook in a sandboxed Jupyter kernel, then call its functions on inputs
the trusted side sends in.

:func:`run_submission` is the one entry point. It runs the notebook's code cells in order, the
way Colab would (``!shell`` lines and ``%magics`` work; a cell that raises is recorded and the
run goes on; a cell past its time limit is interrupted and recorded), then sends each
:class:`ProbeCall`'s inputs into the kernel and reads the return values back as plain arrays.
Nothing is compared or scored in here: the values go back to the caller, which compares them
outside the sandbox. The walls themselves are :mod:`grader.sandbox`.
"""

from __future__ import annotations

import ast
import asyncio
import base64
import json
import logging
import math
import os
import re
import signal
import subprocess
import tempfile
import threading
import time
from collections import deque
from collections.abc import Coroutine, Sequence
from concurrent.futures import ThreadPoolExecutor
from dataclasses import dataclass, field
from pathlib import Path
from queue import Empty
from typing import Any

import nbformat
import numpy as np
import zmq
from jupyter_client import AsyncKernelManager
from jupyter_client.kernelspec import KernelSpec
from nbclient import NotebookClient
from nbclient.exceptions import DeadKernelError

from grader import sandbox
from grader.sandbox import SandboxUnavailable

__all__ = [
    "CellError",
    "Limits",
    "ProbeCall",
    "ProbeOutcome",
    "RunResult",
    "SandboxUnavailable",
    "check_sandbox",
    "read_code_cells",
    "run_submission",
]

_LOG = logging.getLogger(__name__)
_LOG.addHandler(logging.NullHandler())  # nbclient's timeout chatter is already in the result

# Largest kernel message the trusted side reads; a larger one is dropped by ZeroMQ before it
# is held in memory (a cell whose value is a 100 MB string).
_MAX_MESSAGE_BYTES = 16 * 1024**2
# Largest total of arrays one probe call may return (base64 in JSON must stay under the above).
_MAX_RESULT_BYTES = 4 * 1024**2
_KERNEL_START_S = 60.0
# How long a kernel gets to stop after an interrupt before it is killed.
_INTERRUPT_GRACE_S = 10.0
_RESULT_NAME = "_grader_probe_result"
_ANSI = re.compile(r"\x1b\[[0-9;?]*[A-Za-z]")
_MEMORY_MESSAGE = re.compile(
    r"unable to allocate|can't allocate memory|cannot allocate memory|not enough memory"
    r"|bad_alloc|out of memory",
    re.IGNORECASE,
)
_ARRAY_FORMAT = re.compile(r"[@=<>!]?[?bBhHiIlLqQefd]")


@dataclass(frozen=True)
class Limits:
    """What one submission's run may use."""

    cell_timeout: float = 120.0  # seconds per cell
    notebook_timeout: float = 900.0  # seconds for the whole notebook (cells + probe)
    probe_timeout: float = 10.0  # seconds per probe call
    # Memory of all the run's processes together (where cgroups can be used, see
    # sandbox.cgroup_support), and address space of each process.
    memory_bytes: int = 2 * 1024**3
    output_bytes: int = 1_000_000  # text output kept; the rest is dropped with a note
    unsafe_no_sandbox: bool = False  # run without namespaces (trusted notebooks only)
    disk_bytes: int = 512 * 1024**2  # files written to the scratch folder, and to /tmp
    max_processes: int = 256  # processes and threads of the run at once (with cgroups)


@dataclass(frozen=True)
class ProbeCall:
    """One call of a notebook's function: ``args`` are numpy arrays or dicts of them."""

    function: str
    args: tuple


@dataclass
class ProbeOutcome:
    """What one call returned (float64 arrays; a tuple for functions returning several) or why
    there is no value."""

    value: np.ndarray | tuple[np.ndarray, ...] | None
    error: str | None


@dataclass
class CellError:
    """A cell that raised or ran out of time; ``index`` counts every cell of the notebook
    from 0, markdown included."""

    index: int
    ename: str
    evalue: str
    timed_out: bool = False


@dataclass
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


def check_sandbox(limits: Limits) -> None:
    """Raise :class:`SandboxUnavailable` (saying why) if these limits cannot be enforced here."""
    sandbox.check_available(limits.unsafe_no_sandbox)


class NotANotebook(ValueError):
    """The file is not a notebook this grader can read; the message says why."""


def read_code_cells(path: Path) -> list[tuple[int, str]]:
    """The code cells of a notebook as (index among all cells, source), any nbformat version.

    Only the code is kept, so Colab's metadata (widget state included) cannot get in the way.
    Raises :class:`NotANotebook`.
    """
    try:
        data = path.read_bytes()
    except OSError as error:
        raise NotANotebook(f"cannot read the file: {error.strerror or error}") from None
    if not data.strip():
        raise NotANotebook("not a notebook: the file is empty")
    try:
        text = data.decode("utf-8-sig")
    except UnicodeDecodeError:
        raise NotANotebook("not a notebook: the file is not UTF-8 text") from None
    try:
        raw = json.loads(text)
    except json.JSONDecodeError as error:
        raise NotANotebook(f"not a notebook: the file is not JSON ({error})") from None
    if not isinstance(raw, dict) or "nbformat" not in raw:
        raise NotANotebook("not a notebook: JSON without the notebook fields (nbformat, cells)")
    try:
        notebook = nbformat.convert(nbformat.reader.reads(text), 4)
        cells = list(notebook.get("cells", []))
    except Exception as error:  # nbformat raises many kinds for malformed notebooks
        raise NotANotebook(f"not a notebook: {type(error).__name__}: {error}") from None
    code = []
    for index, cell in enumerate(cells):
        if not isinstance(cell, dict):
            raise NotANotebook(f"not a notebook: cell {index} is not an object")
        if cell.get("cell_type") != "code":
            continue
        source = cell.get("source", "")
        if isinstance(source, list):
            source = "".join(str(line) for line in source)
        if not isinstance(source, str):
            raise NotANotebook(f"not a notebook: cell {index} has no source text")
        code.append((index, source))
    return code


def run_submission(
    notebook: Path,
    probe_calls: Sequence[ProbeCall],
    limits: Limits = Limits(),  # noqa: B008 - frozen, so one shared default is safe
    files_dir: Path | None = None,
    *,
    runtime: Path | None = None,
) -> RunResult:
    """Run ``notebook`` in a sandbox, then make each of ``probe_calls``; never raises for a bad
    notebook.

    ``files_dir`` (the submission's own folder) is copied into the kernel's working folder;
    without it, only the notebook is. ``runtime``, a virtualenv folder with ipykernel, runs
    the kernel with its Python (bound read-only) instead of the grader's own. Safe to call
    from several threads or processes at once.
    Raises :class:`SandboxUnavailable` when no sandbox can be made and ``limits`` does not
    allow running without one.
    """
    started = time.monotonic()
    for call in probe_calls:
        if not call.function.isidentifier():
            raise ValueError(f"not a function name: {call.function!r}")
    if files_dir is not None and not Path(files_dir).is_dir():
        raise ValueError(f"files_dir is not a folder: {files_dir}")
    if runtime is not None and not (Path(runtime) / "bin" / "python").exists():
        raise ValueError(f"runtime is not a virtualenv (no bin/python): {runtime}")
    try:
        cells = read_code_cells(Path(notebook))
    except NotANotebook as error:
        return RunResult(
            "invalid",
            str(error),
            [],
            "",
            False,
            [ProbeOutcome(None, str(error)) for _ in probe_calls],
            "",
            time.monotonic() - started,
        )
    check_sandbox(limits)
    code = "\n\n".join(source for _, source in cells)
    source = Path(files_dir or notebook).resolve()
    with (
        tempfile.TemporaryDirectory(prefix="grader-run-") as run_dir,
        sandbox.run_cgroup(limits.memory_bytes, limits.max_processes) as cgroup,
    ):
        plan = sandbox.SandboxPlan(
            run_dir=Path(run_dir),
            source=source,
            memory_bytes=limits.memory_bytes,
            disk_bytes=limits.disk_bytes,
            output_bytes=limits.output_bytes,
            isolate=not limits.unsafe_no_sandbox,
            cgroup=cgroup,
            runtime=Path(runtime).absolute() if runtime is not None else None,
        )
        run = _Run(plan, limits, started)
        result = _run_to_completion(run.execute(cells, list(probe_calls), code))
    result.duration_s = time.monotonic() - started
    return result


def _run_to_completion(coroutine: Coroutine[Any, Any, RunResult]) -> RunResult:
    """Run ``coroutine`` on a fresh event loop, in a thread of its own if this one has a loop."""
    try:
        asyncio.get_running_loop()
    except RuntimeError:
        return asyncio.run(coroutine)
    with ThreadPoolExecutor(max_workers=1) as worker:
        return worker.submit(asyncio.run, coroutine).result()


# --- kept output ---------------------------------------------------------------------------


class _Transcript:
    """Text output of a run, kept up to a byte budget; the rest is counted and dropped."""

    def __init__(self, budget: int):
        self._budget = budget
        self._kept: list[str] = []
        self._kept_bytes = 0
        self._dropped_here = 0
        self._dropped_in_kernel = 0
        self.lost_messages = 0  # cut off by ZeroMQ for their size; their size is unknown

    def add(self, text: str) -> None:
        data = _ANSI.sub("", text).encode("utf-8", "replace")
        room = self._budget - self._kept_bytes
        if len(data) > room:
            self._dropped_here += len(data) - max(room, 0)
            data = data[: max(room, 0)]
        if data:
            self._kept.append(data.decode("utf-8", "ignore"))
            self._kept_bytes += len(data)

    def add_message(self, msg: dict[str, Any]) -> None:
        """Keep the text a person would see for one IOPub message."""
        content = msg.get("content", {})
        kind = msg.get("msg_type")
        if kind == "stream":
            self.add(str(content.get("text", "")))
            dropped = msg.get("metadata", {}).get("grader_dropped_bytes")
            if isinstance(dropped, int):  # the kernel's own cap, see _grader_kernel_startup
                self._dropped_in_kernel = max(self._dropped_in_kernel, dropped)
        elif kind == "error":
            traceback = content.get("traceback") or []
            text = "\n".join(str(line) for line in traceback)
            self.add((text or f"{content.get('ename')}: {content.get('evalue')}") + "\n")
        elif kind in ("execute_result", "display_data"):
            plain = content.get("data", {}).get("text/plain")
            if plain:
                self.add(str(plain) + "\n")

    @property
    def dropped_bytes(self) -> int:
        return self._dropped_here + self._dropped_in_kernel

    @property
    def truncated(self) -> bool:
        return self.dropped_bytes > 0 or self.lost_messages > 0

    def note(self, text: str) -> None:
        """Add the grader's own remark, past the budget if need be: it is short and rare."""
        self._kept.append(f"\n[{text}]\n")

    def note_lost_message(self) -> None:
        self.lost_messages += 1
        self.note(f"an output message over {_MAX_MESSAGE_BYTES // 1024**2} MB was dropped")

    @property
    def text(self) -> str:
        kept = "".join(self._kept)
        if self.dropped_bytes:
            kept += f"\n[... {self.dropped_bytes} bytes dropped]\n"
        return kept


class _TranscriptClient(NotebookClient):
    """An nbclient that hands output to a transcript instead of keeping it in the notebook, so
    a chatty notebook costs the trusted side no more than the output cap."""

    def __init__(self, nb: nbformat.NotebookNode, transcript: _Transcript, **kwargs: Any):
        super().__init__(nb, **kwargs)
        self.transcript = transcript

    def output(self, outs, msg, display_id, cell_index):  # noqa: ANN001 - nbclient's signature
        self.transcript.add_message(msg)
        return None

    def clear_output(self, outs, msg, cell_index):  # noqa: ANN001 - nothing kept to clear
        return None

    def handle_comm_msg(self, outs, msg, cell_index):  # noqa: ANN001 - widgets are not graded
        return None


# --- the kernel ----------------------------------------------------------------------------


class _SandboxKernelManager(AsyncKernelManager):
    """A kernel manager whose kernel starts inside the sandbox :attr:`plan` describes."""

    def __init__(self, plan: sandbox.SandboxPlan, **kwargs: Any):
        super().__init__(
            transport="ipc",  # unix sockets: reachable across the network namespace
            ip=str(plan.run_dir / "ipc"),
            connection_file=str(plan.run_dir / "connection.json"),
            **kwargs,
        )
        self.plan = plan
        self.info_fd: int | None = None  # where bwrap writes the sandbox's pid
        self._spec = KernelSpec(
            argv=[],  # see format_kernel_cmd
            display_name="Python 3 (grading sandbox)",
            language="python",
            # The kernel interrupts itself on request: a signal cannot cross into the sandbox.
            interrupt_mode="message",
        )

    @property
    def kernel_spec(self) -> KernelSpec:
        return self._spec

    def reach_sandbox(self, pid: int) -> None:
        """Point every socket of this manager and its clients at the running sandbox ``pid``."""
        self.ip = sandbox.host_sockets(self.plan, pid, self.ip)
        self._close_control_socket()  # opened at start, on the path as named before
        self._connect_control_socket()

    def format_kernel_cmd(self, extra_arguments: list[str] | None = None) -> list[str]:
        inside = sandbox.prepare_run_dir(self.plan, Path(self.connection_file))
        return sandbox.kernel_command(self.plan, inside, list(extra_arguments or []), self.info_fd)


class _StderrTail:
    """The last few KB a kernel process writes to its own stderr, read in a thread so a
    flood costs nothing; it says why a kernel did not start."""

    def __init__(self, keep: int = 4096):
        self._read_fd, self.write_fd = os.pipe()
        self._chunks: deque[bytes] = deque()
        self._keep = keep
        self._thread = threading.Thread(target=self._drain, daemon=True)
        self._thread.start()

    def _drain(self) -> None:
        with os.fdopen(self._read_fd, "rb", buffering=0) as pipe:
            while chunk := pipe.read(65536):
                self._chunks.append(chunk)
                while sum(map(len, self._chunks)) - len(self._chunks[0]) > self._keep:
                    self._chunks.popleft()

    def close_writer(self) -> None:
        os.close(self.write_fd)

    def text(self) -> str:
        return b"".join(self._chunks)[-self._keep :].decode("utf-8", "replace").strip()


class _KernelGone(Exception):
    """The kernel died, or was stopped because it no longer answered."""


@dataclass
class _Run:
    """The state of one run: the kernel, the transcript, and what went wrong so far."""

    plan: sandbox.SandboxPlan
    limits: Limits
    started: float
    transcript: _Transcript = field(init=False)
    cell_errors: list[CellError] = field(default_factory=list)
    gone: str | None = None  # why the kernel is no longer usable
    notebook_timeout: str | None = None
    memory: str | None = None

    def __post_init__(self) -> None:
        self.transcript = _Transcript(self.limits.output_bytes)
        self.deadline = self.started + self.limits.notebook_timeout
        self.km = _SandboxKernelManager(self.plan)
        self.kc: Any = None
        self._reply: dict[str, Any] | None = None
        self._oom_kills = 0  # as the run's cgroup counted them at the last look
        self._refused_processes = 0

    async def execute(
        self, cells: list[tuple[int, str]], calls: list[ProbeCall], code: str
    ) -> RunResult:
        stderr = _StderrTail()
        try:
            try:
                await self._start_kernel(stderr)
            except Exception as error:  # any failure to start is this submission's result
                await asyncio.sleep(0.2)  # let the last words of the kernel reach the pipe
                lines = stderr.text().splitlines() or [f"{type(error).__name__}: {error}"]
                self.gone = f"the kernel did not start: {lines[-1][-500:]}"
                ended, _ = self._cgroup_news()
                if ended:
                    self.gone += (
                        " (the memory limit is too low for the kernel and the submission's "
                        "files together)"
                    )
                elif _MEMORY_MESSAGE.search(lines[-1]) or lines[-1].endswith("MemoryError"):
                    self.gone += " (the memory limit is too low for Python and its kernel)"
            if self.gone is None:
                await self._run_cells(cells, self._cells_deadline(len(calls)))
            probes = await self._probe_all(calls)
        finally:
            await self._stop_kernel()
        status, reason = self._verdict()
        return RunResult(
            status,
            reason,
            self.cell_errors,
            self.transcript.text,
            self.transcript.truncated,
            probes,
            code,
            0.0,
        )

    # -- start and stop

    async def _start_kernel(self, stderr: _StderrTail) -> None:
        info_read, self.km.info_fd = os.pipe() if self.plan.isolate else (None, None)
        try:
            await self.km.start_kernel(
                stdin=subprocess.DEVNULL,
                stdout=stderr.write_fd,
                stderr=stderr.write_fd,
                cwd=str(self.plan.run_dir),
                pass_fds=() if self.km.info_fd is None else (self.km.info_fd,),
            )
        finally:
            stderr.close_writer()
            if self.km.info_fd is not None:
                os.close(self.km.info_fd)
        if info_read is not None:
            try:
                pid = await asyncio.to_thread(sandbox.read_sandbox_pid, info_read)
            finally:
                os.close(info_read)
            self.km.reach_sandbox(pid)
        self.kc = self.km.client()
        # Set before the sockets exist, so it holds for every channel.
        self.kc.context.setsockopt(zmq.MAXMSGSIZE, _MAX_MESSAGE_BYTES)
        self.kc.start_channels()
        self._watch_iopub()
        await self.kc.wait_for_ready(timeout=min(_KERNEL_START_S, self._left()))

    def _watch_iopub(self) -> None:
        socket = self.kc.iopub_channel.socket
        self._iopub_cut = socket.get_monitor_socket(zmq.EVENT_DISCONNECTED)

    async def _mend_iopub(self) -> None:
        """Reconnect IOPub if ZeroMQ cut it over an oversized message (it does not reconnect
        by itself), so that the output of later cells still arrives."""
        try:
            await self._iopub_cut.recv_multipart(flags=zmq.NOBLOCK)
        except zmq.Again:
            return
        self.transcript.note_lost_message()
        self.kc.iopub_channel.socket.disable_monitor()
        self._iopub_cut.close(linger=0)
        self.kc.iopub_channel.stop()
        self.kc._iopub_channel = None  # jupyter_client makes a fresh channel on next use
        self.kc.iopub_channel.start()
        self._watch_iopub()

    async def _stop_kernel(self) -> None:
        """Kill the sandbox and everything in it."""
        process = getattr(self.km.provisioner, "process", None)
        try:
            if self.kc is not None:
                self.kc.stop_channels()
            if self.km.has_kernel:
                await self.km.shutdown_kernel(now=True)  # kills, then removes sockets and files
            else:
                await self.km.cleanup_resources()
        finally:
            # Whatever went wrong above, the sandbox's first process must not outlive the run:
            # its death ends every process inside (bwrap --die-with-parent, pid namespace).
            if process is not None and process.poll() is None:
                process.kill()
                process.wait()

    async def _kill(self, why: str) -> None:
        self.gone = self.gone or why
        if self.km.has_kernel:
            await self.km.shutdown_kernel(now=True)

    # -- cells

    def _left(self) -> float:
        return self.deadline - time.monotonic()

    def _cells_deadline(self, probe_count: int) -> float:
        """Cells end early enough to leave the probes their time (a quarter of the notebook's
        time at most)."""
        reserve = min(
            probe_count * self.limits.probe_timeout + _INTERRUPT_GRACE_S,
            self.limits.notebook_timeout / 4,
        )
        return self.deadline - reserve

    async def _run_cells(self, cells: list[tuple[int, str]], deadline: float) -> None:
        notebook = nbformat.v4.new_notebook(
            cells=[nbformat.v4.new_code_cell(source) for _, source in cells]
        )
        timeout_box = {"s": self.limits.cell_timeout}
        client = _TranscriptClient(
            notebook,
            self.transcript,
            km=self.km,
            allow_errors=True,
            interrupt_on_timeout=True,
            timeout_func=lambda cell: timeout_box["s"],
            log=_LOG,
            on_cell_executed=self._keep_reply,
        )
        client.kc = self.kc
        for position, (index, _) in enumerate(cells):
            left = deadline - time.monotonic()
            if left <= 0:
                self._stop_for_notebook_time(index)
                return
            by_notebook = left < self.limits.cell_timeout
            timeout_box["s"] = min(self.limits.cell_timeout, left)
            limit = (
                f"the notebook's time limit of {self.limits.notebook_timeout:g} s"
                if by_notebook
                else f"its time limit of {self.limits.cell_timeout:g} s"
            )
            client.error_on_timeout = {
                "ename": "CellTimeoutError",
                "evalue": f"the cell ran past {limit} and was interrupted",
                "traceback": [],
            }
            self._reply = None
            try:
                await client.async_execute_cell(notebook.cells[position], position)
            except DeadKernelError:
                self._look_at_cgroup(f"cell {index}")
                self._record(CellError(index, "DeadKernelError", "the kernel died"))
                self.gone = f"the kernel died while running cell {index}{self._exit_note()}"
                return
            await self._mend_iopub()
            self._look_at_cgroup(f"cell {index}")
            content = (self._reply or {}).get("content", {})
            if content.get("status") != "error":
                continue
            # nbclient stands in for the reply of an interrupted cell with one of its own,
            # which has no header: a cell cannot fake that.
            timed_out = "header" not in self._reply
            self._record(
                CellError(index, str(content.get("ename")), str(content.get("evalue")), timed_out)
            )
            if timed_out and not await self._settles():
                await self._kill(
                    f"cell {index} ran past its time limit and did not stop when "
                    "interrupted, so the kernel was stopped"
                )
                return
            if timed_out and by_notebook:
                self._stop_for_notebook_time(index + 1)
                return

    def _cgroup_news(self) -> tuple[int, int]:
        """How many processes the out-of-memory killer ended, and how many process or thread
        starts the process limit refused, since the last look at the run's cgroup."""
        cgroup = self.plan.cgroup
        if cgroup is None:
            return 0, 0
        oom_kills, refused = cgroup.oom_kills(), cgroup.refused_processes()
        news = oom_kills - self._oom_kills, refused - self._refused_processes
        self._oom_kills, self._refused_processes = oom_kills, refused
        return news

    def _look_at_cgroup(self, culprit: str) -> None:
        """Record what the run's cgroup counted since the last look, blaming ``culprit``."""
        ended, refused = self._cgroup_news()
        if refused:
            self.transcript.note(
                f"{culprit}: {refused} process or thread starts were refused; a run may have "
                f"{self.limits.max_processes} at once"
            )
        if ended and self.memory is None:
            self.memory = (
                f"{culprit} hit the memory limit of {self.limits.memory_bytes / 1024**3:g} GiB "
                f"for all its processes together (the out-of-memory killer ended {ended} "
                f"process{'es' if ended > 1 else ''})"
            )

    def _keep_reply(self, cell: Any, cell_index: int, execute_reply: dict[str, Any]) -> None:
        self._reply = execute_reply

    def _stop_for_notebook_time(self, next_index: int) -> None:
        self.notebook_timeout = (
            f"the notebook ran past its time limit of {self.limits.notebook_timeout:g} s; "
            f"cells from {next_index} on were not run"
        )

    def _record(self, error: CellError) -> None:
        self.cell_errors.append(error)
        if error.timed_out:
            self.transcript.note(f"cell {error.index}: {error.evalue}")
        if self.memory is None and (
            error.ename.endswith("MemoryError") or _MEMORY_MESSAGE.search(error.evalue)
        ):
            self.memory = (
                f"cell {error.index} hit the memory limit of "
                f"{self.limits.memory_bytes / 1024**3:g} GiB ({error.ename})"
            )

    async def _settles(self) -> bool:
        """Whether the kernel answers again within the grace time after an interrupt."""
        try:
            msg_id = self.kc.kernel_info()
            return await self._shell_reply(msg_id, _INTERRUPT_GRACE_S) is not None
        except _KernelGone:
            return False

    def _exit_note(self) -> str:
        process = getattr(self.km.provisioner, "process", None)
        code = process.poll() if process is not None else None
        if code is None:
            return ""
        if code > 128:  # bubblewrap passes on a signal's death as 128 + the signal
            code = 128 - code
        if code >= 0:
            return f" (exit code {code})"
        try:
            return f" (killed by {signal.Signals(-code).name})"
        except ValueError:
            return f" (killed by signal {-code})"

    # -- probes

    async def _probe_all(self, calls: list[ProbeCall]) -> list[ProbeOutcome]:
        outcomes = []
        if self.gone is None:
            await self._mend_iopub()
        drain = asyncio.ensure_future(self._drain_iopub()) if self.kc is not None else None
        try:
            for call in calls:
                outcomes.append(await self._probe(call))
                self._look_at_cgroup(f"the call of {call.function}")
        finally:
            if drain is not None:
                drain.cancel()
        return outcomes

    async def _drain_iopub(self) -> None:
        while True:
            self.transcript.add_message(await self.kc.iopub_channel.get_msg(timeout=None))

    async def _probe(self, call: ProbeCall) -> ProbeOutcome:
        if self.gone is not None:
            return ProbeOutcome(None, f"not called: {self.gone}")
        timeout = min(self.limits.probe_timeout, self._left())
        if timeout <= 0:
            return ProbeOutcome(None, "not called: the notebook's time limit was reached")
        msg_id = self.kc.execute(
            _probe_code(call),
            store_history=False,
            user_expressions={"result": _RESULT_NAME},
            allow_stdin=False,
            stop_on_error=False,
        )
        try:
            reply = await self._shell_reply(msg_id, timeout)
            if reply is None:
                await self.km.interrupt_kernel()
                if await self._shell_reply(msg_id, _INTERRUPT_GRACE_S) is None:
                    await self._kill(
                        f"{call.function} ran past its time limit and did not stop when "
                        "interrupted, so the kernel was stopped"
                    )
                return ProbeOutcome(None, f"timed out after {timeout:g} s")
        except _KernelGone:
            self.gone = self.gone or (
                f"the kernel died while {call.function} was called{self._exit_note()}"
            )
            return ProbeOutcome(None, f"the kernel died during the call{self._exit_note()}")
        return _read_probe_reply(reply)

    async def _shell_reply(self, msg_id: str, timeout: float) -> dict[str, Any] | None:
        """The shell reply to ``msg_id``, or None after ``timeout``; raises :class:`_KernelGone`
        when the kernel dies meanwhile."""
        end = time.monotonic() + timeout
        while (left := end - time.monotonic()) > 0:
            try:
                msg = await self.kc.shell_channel.get_msg(timeout=min(left, 1.0))
            except Empty:
                if not await self.km.is_alive():
                    raise _KernelGone from None
                continue
            if msg.get("parent_header", {}).get("msg_id") == msg_id:
                return msg
        return None

    # -- verdict

    def _verdict(self) -> tuple[str, str | None]:
        if self.gone is not None:
            if self.memory is not None:
                return "memory", f"{self.memory}; then {self.gone}"
            return "crashed", self.gone
        if self.memory is not None:
            return "memory", self.memory
        if self.notebook_timeout is not None:
            return "timeout", self.notebook_timeout
        return "completed", None


# --- the probe -------------------------------------------------------------------------------

# Runs inside the kernel after the student's cells: decode the inputs, call the function, and
# encode what it returned. Values leave through the buffer protocol (memoryview) or the array
# module, which no patch of numpy reaches; a function can only ever return its own values,
# and they are compared outside.
_PROBE_FUNCTION = """
def __grader_probe(name, request, limit):
    import array, base64, json
    simple = ("?", "b", "B", "h", "H", "i", "I", "l", "L", "q", "Q", "e", "f", "d")
    try:
        import numpy
        def decode(item):
            if "dict" in item:
                return {key: decode(value) for key, value in item["dict"].items()}
            if "number" in item:
                return item["number"]
            array = item["array"]
            data = base64.b64decode(array["data"])
            dtype = numpy.dtype(array["dtype"])
            return numpy.frombuffer(data, dtype=dtype).reshape(array["shape"]).copy()
        def is_tensor(value):
            return type(value).__module__.partition(".")[0] == "torch" and hasattr(value, "detach")
        def refuse(value):
            return TypeError("returned " + type(value).__name__ + ", expected an array")
        def flatten(value):
            # Nested sequences of numbers, without numpy: its functions may be patched.
            if is_tensor(value):
                value = value.detach().cpu().numpy()
            if value is None or isinstance(value, (str, bytes, bytearray, dict, set)):
                raise refuse(value)
            if isinstance(value, (list, tuple)):
                parts = [flatten(item) for item in value]
                if any(part[0] != parts[0][0] for part in parts):
                    raise ValueError("returned a ragged list, expected an array")
                inner = parts[0][0] if parts else []
                return [len(parts)] + inner, [x for part in parts for x in part[1]]
            try:
                view = memoryview(value)
            except TypeError:
                return [], [float(value)]
            if view.format.lstrip("@=<>!") not in simple:
                raise TypeError("returned an array of " + view.format + ", expected numbers")
            return flatten(view.tolist()) if view.ndim else ([], [float(view.tolist())])
        def encode(value):
            if is_tensor(value):
                value = value.detach().cpu().numpy()
            if value is None or isinstance(value, (str, bytes, bytearray, dict, set)):
                raise refuse(value)
            try:
                view = memoryview(value)
            except TypeError:
                view = None
            if view is not None and view.format.lstrip("@=<>!") in simple:
                element, shape, data = view.format, list(view.shape), view.tobytes()
            else:
                shape, flat = flatten(value)
                element, data = "d", array.array("d", flat).tobytes()
            if len(data) > limit:
                raise ValueError("returned %d bytes, more than the grader reads" % len(data))
            return {"format": element, "shape": shape, "data": base64.b64encode(data).decode()}
        if name not in globals():
            raise NameError("name '" + name + "' is not defined")
        function = globals()[name]
        if not callable(function):
            raise TypeError("'" + name + "' is " + type(function).__name__ + ", not a function")
        result = function(*[decode(item) for item in json.loads(request)])
        several = isinstance(result, tuple) or (
            isinstance(result, list) and result
            and all(is_tensor(r) or isinstance(r, numpy.ndarray) for r in result)
        )
        if several:
            return json.dumps({"several": [encode(item) for item in result]})
        return json.dumps({"one": encode(result)})
    except BaseException as error:
        return json.dumps({"error": type(error).__name__ + ": " + str(error)})
"""


def _probe_code(call: ProbeCall) -> str:
    request = json.dumps([_encode_argument(arg) for arg in call.args])
    return (
        _PROBE_FUNCTION
        + f"{_RESULT_NAME} = __grader_probe({call.function!r}, {request!r}, {_MAX_RESULT_BYTES})\n"
        + "del __grader_probe\n"
    )


def _encode_argument(arg: Any) -> dict[str, Any]:
    if isinstance(arg, dict):
        return {"dict": {str(key): _encode_argument(value) for key, value in arg.items()}}
    if isinstance(arg, int | float) and not isinstance(arg, bool):
        return {"number": arg}
    array = np.ascontiguousarray(arg)
    if array.dtype.kind not in "biuf":
        raise ValueError(f"a probe argument must be numeric, not {array.dtype}")
    data = base64.b64encode(array.tobytes()).decode("ascii")
    return {"array": {"dtype": array.dtype.str, "shape": list(array.shape), "data": data}}


def _read_probe_reply(reply: dict[str, Any]) -> ProbeOutcome:
    """Turn the kernel's reply to a probe into checked float64 arrays or an error."""
    content = reply.get("content", {})
    if content.get("status") != "ok":
        return ProbeOutcome(
            None, f"the call failed: {content.get('ename')}: {content.get('evalue')}"
        )
    result = content.get("user_expressions", {}).get("result", {})
    try:
        if result.get("status") != "ok":
            raise ValueError(f"{result.get('ename')}: {result.get('evalue')}")
        payload = ast.literal_eval(result["data"]["text/plain"])
        decoded = json.loads(payload)
        if "error" in decoded:
            return ProbeOutcome(None, str(decoded["error"])[:500])
        if "several" in decoded:
            return ProbeOutcome(tuple(_decode_array(item) for item in decoded["several"]), None)
        return ProbeOutcome(_decode_array(decoded["one"]), None)
    except Exception as error:  # the reply is the student's to corrupt; any flaw is theirs
        return ProbeOutcome(None, f"the returned value could not be read back ({error})"[:500])


def _decode_array(item: dict[str, Any]) -> np.ndarray:
    element = str(item["format"])
    if not _ARRAY_FORMAT.fullmatch(element):
        raise ValueError(f"returned elements of type {element!r}, expected real numbers")
    dtype = np.dtype(element.lstrip("@").replace("!", ">"))
    shape = tuple(int(n) for n in item["shape"])
    data = base64.b64decode(item["data"], validate=True)
    if any(n < 0 for n in shape) or len(data) != math.prod(shape) * dtype.itemsize:
        raise ValueError("the array's size does not match its shape")
    return np.frombuffer(data, dtype=dtype).reshape(shape).astype(np.float64)
