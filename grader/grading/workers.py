"""Where a grading run's submissions are graded: in this process, in a pool of worker processes
(``--workers``), or on a Dask cluster (``--dask``).

Each is started before the submissions are read, with its warm process
(:func:`grader.engine.warm_up`): seconds of imports that then overlap reading and checking the
hand-ins instead of coming after them. A pool's workers, forked from this process, share the
one warm process it starts (one import of torch, one copy of it in memory, whatever the
workers); a Dask worker starts its own. The trial notebook
(:mod:`grader.engine.run.trial`) is handed to one of them as soon as it starts, so it forks from a
warm process the run needs anyway, and no submission is handed out before it came back right.
"""

from __future__ import annotations

import contextlib
import ctypes
import logging
import multiprocessing
import os
import signal
import socket
import sys
from collections.abc import Callable, Iterator, Sequence
from concurrent.futures import FIRST_COMPLETED, ProcessPoolExecutor, wait
from concurrent.futures.process import BrokenProcessPool
from typing import Any

from grader.batch.processes import process_pool
from grader.engine.run import trial
from grader.engine.run.results import NOT_GRADED
from grader.errors import UserError
from grader.grading import remote
from grader.grading.grader_process import grader_error, trial_run, warm_up_quietly
from grader.limits import GRADING
from grader.logs import LOGGER

# grade(submission, plan, seed) -> row: a module-level function (it is pickled by name).
GradeOne = Callable[[Any, Any, int], Any]
Todo = Sequence[tuple[Any, int]]  # (submission, seed)
_PR_SET_PDEATHSIG = 1  # prctl(2): the signal this process gets when its parent thread ends


def _pool_worker(parent: int, plan) -> None:
    """A pool worker's start: it dies with the process that started it (the kernel's
    parent-death signal), so a watch or a run killed with SIGKILL leaves no grader, and no
    sandbox (bubblewrap dies with its parent), running on; then its warm process (the one
    it shares with its parent, where it was forked from a parent that has it)."""
    if sys.platform == "linux":
        libc = ctypes.CDLL(None, use_errno=True)
        libc.prctl(_PR_SET_PDEATHSIG, signal.SIGKILL, 0, 0, 0)
        if os.getppid() != parent:  # it died before the signal was asked for
            os._exit(1)
    warm_up_quietly(plan)


class Graders:
    """A run's graders, started, with the trial notebook handed to one of them."""

    def __init__(self, tried: Callable[[], float], graded: Callable[[Todo], Iterator[Any]]):
        self._tried = tried
        self._graded = graded

    def checked(self) -> float:
        """Wait for the trial run; return its seconds, or raise
        :class:`grader.engine.run.trial.GraderUnavailable` saying what to fix."""
        try:
            return self._tried()
        except BrokenProcessPool as error:
            raise trial.GraderUnavailable(
                f"a grader process died during the trial run ({error}); nothing was graded"
            ) from None

    def graded(self, todo: Todo) -> Iterator[Any]:
        """Grade each ``(submission, seed)`` with ``grade_one(submission, plan, seed)``; yield
        the rows as they come, in any order. Call it once :meth:`checked` has returned."""
        return self._graded(todo)


def default_graders(hand_ins: int, dask: str | None) -> int:
    """How many graders a run of ``hand_ins`` starts when ``--workers`` is not given: one per
    core on a Dask cluster, as before; on this machine one per
    ``GRADING.hand_ins_per_grader`` hand-ins, at most one per core. A grader pays its warm
    start before its first hand-in: seconds of CPU that a second grader of a few hand-ins costs
    a busy machine without giving them back on an idle one."""
    cores = os.cpu_count() or 1
    if dask:
        return cores
    return max(1, min(cores, hand_ins // GRADING.hand_ins_per_grader))


@contextlib.contextmanager
def start_graders(
    grade_one: GradeOne, plan, workers: int, dask: str | None, remote_job: Callable[[], dict]
) -> Iterator[Graders]:
    """Start the graders of a run and hand one of them the trial notebook; yield them.
    ``plan`` has what the run's warm processes do ahead and its ``limits``; ``remote_job`` makes
    what a Dask worker is sent of the run (:func:`grader.grading.remote.job_of`)."""
    if dask:
        with dask_client(dask, workers) as client:
            # the job is a task's result, made again if the worker holding it dies; its key
            # names its content (a scheduler may serve other runs, of other assignments)
            sent = remote_job()
            job = client.submit(dict, sent, key=f"grader-job-{sent['digest']}", pure=False)
            addresses = list(client.scheduler_info()["workers"])
            # Each worker's warm start, as a task (in its task thread), keyed by worker and job.
            # Held for the run: a future let go before its task starts has the scheduler cancel
            # the task, as every warm start was.
            warm = f"grader-warm-{sent['digest'][:16]}"
            warming = [
                remote.submit(client, remote.warm, job, workers=[address], key=f"{warm}-{address}")
                for address in addresses
            ]
            on_dask = remote.submit(client, remote.tried, job, workers=addresses[:1])
            yield Graders(
                lambda: remote.awaited(on_dask, "nothing was graded; the trial notebook"),
                lambda todo: _on_dask(client, job, sent["digest"], plan, todo),
            )
            del warming
    elif workers <= 1:
        warm_up_quietly(plan)  # the trial, run when the hand-ins are read, forks from it
        yield Graders(
            lambda: trial_run(plan),
            lambda todo: (grade_one(submission, plan, seed) for submission, seed in todo),
        )
    else:
        pool = warm_pool(plan, workers)
        try:
            in_pool = pool.submit(trial_run, plan)
            yield Graders(in_pool.result, lambda todo: _in_pool(pool, grade_one, plan, todo))
        finally:  # a run stopped part-way (Ctrl-C, SIGTERM) grades nothing more
            pool.shutdown(wait=True, cancel_futures=True)


def warm_pool(plan, workers: int) -> ProcessPoolExecutor:
    """``workers`` processes, started now, sharing the warm process for ``plan`` that this
    process starts first (their own, where they are not forked); the caller shuts it down (or
    uses it in a ``with``). Each ends with this process, however it ends (see
    :func:`_pool_worker`)."""
    if multiprocessing.get_start_method() == "fork":
        warm_up_quietly(plan)  # by this thread, which outlives the pool, as bubblewrap must
    pool = process_pool(workers, initializer=_pool_worker, initargs=(os.getpid(), plan))
    # Forked by the thread that submits first, which must outlive the pool: the kernel's
    # parent-death signal follows the thread that forked, not the process.
    pool.submit(int)  # starts every worker now: forked, they run the initializer
    return pool


def _in_pool(pool: ProcessPoolExecutor, grade_one: GradeOne, plan, todo: Todo) -> Iterator[Any]:
    """The rows as the pool's workers grade them. A worker killed mid-run (the kernel's OOM
    killer, a signal) breaks the pool: each hand-in the pool had not given back comes as a grader
    error that the run grades again, one at a time in its own process, once the others are in."""
    pending = {}
    for submission, seed in todo:
        try:
            pending[pool.submit(grade_one, submission, plan, seed)] = (submission, seed)
        except BrokenProcessPool:  # killed before the hand-ins were all handed out
            yield grader_error(submission, plan, seed, _POOL_BROKEN)
    while pending:
        done, _ = wait(pending, return_when=FIRST_COMPLETED)
        for future in done:
            submission, seed = pending.pop(future)
            try:
                row = future.result()
            except BrokenProcessPool:
                row = grader_error(submission, plan, seed, _POOL_BROKEN)
            yield row


_POOL_BROKEN = (
    f"{NOT_GRADED}: a grader process of this run was killed (out of memory? a signal?) before it"
    " gave back this hand-in's grading"
)


# A local cluster has no dashboard to feed: its workers do not sample their own stacks every
# 10 ms (Dask's profiler), nor the machine every 0.5 s, and the event loops check themselves
# once a second instead of every 20 ms. Measured while grading, each worker's event loop took
# as much CPU as the grading it ran; idle, these cut it from 3.3% of a core to 0.2%.
_LOCAL_DASK = {
    "distributed.worker.profile.enabled": False,
    "distributed.admin.system-monitor.interval": "5s",
    "distributed.admin.tick.interval": "1s",
    "distributed.worker.memory.monitor-interval": "1s",
}


def _local_dask_log_level() -> int:
    """The level from which a local cluster's own log lines (its scheduler's, here, and its
    workers') reach stderr: Dask's warnings with ``-v``, else none. The cluster is this run's
    own, and what befalls a submission on it comes back with its result; its workers' log
    is Dask's housekeeping, tracebacks included (a worker's heartbeat that meets the scheduler
    already closed at the end of a run, on a busy machine)."""
    if logging.getLogger(LOGGER).isEnabledFor(logging.DEBUG):
        return logging.WARNING
    return logging.CRITICAL + 1


@contextlib.contextmanager
def dask_client(address: str, workers: int):
    """A client of the scheduler at ``address``, or of a local cluster of ``workers``
    processes on loopback for ``local``. The workers need not see this machine's files: what
    they grade is sent to them (:mod:`grader.grading.remote`)."""
    import dask
    from dask.distributed import Client, LocalCluster

    with contextlib.ExitStack() as stack:
        if address == "local":
            stack.enter_context(dask.config.set(_LOCAL_DASK))
            cluster = stack.enter_context(
                LocalCluster(
                    n_workers=workers,
                    threads_per_worker=1,
                    processes=True,
                    host="127.0.0.1",
                    dashboard_address=None,
                    # The scheduler serves HTTP (health, metrics) even without a dashboard, on
                    # 8787 unless told: on all interfaces, and where another cluster's dashboard
                    # held that port, with a warning on stderr. Here: any free port, loopback.
                    scheduler_kwargs={"dashboard_address": "127.0.0.1:0"},
                    silence_logs=_local_dask_log_level(),
                )
            )
            yield stack.enter_context(Client(cluster))
            return
        try:
            _reached(address)
            client = stack.enter_context(Client(address, timeout=GRADING.dask_connect_s))
        except OSError as error:
            raise UserError(
                f"--dask {address}: no Dask scheduler answers there ({error}); "
                "start one (`dask scheduler`) or use --dask local"
            ) from None
        try:  # else the run's first task waits for a worker for ever, saying nothing
            client.wait_for_workers(1, timeout=GRADING.dask_connect_s)
        except TimeoutError:
            raise UserError(
                f"--dask {address}: the cluster has no workers (none joined in "
                f"{GRADING.dask_connect_s:g} s); start them (`dask worker {address}`) where the "
                "grader is installed"
            ) from None
        yield client


def _reached(address: str) -> None:
    """Connect to the scheduler's port at ``address`` (tcp:// or tls://, as Dask reads it) and
    let go; raises :class:`OSError` where nothing listens there. Dask's client tries a refused
    connection again and again for its whole timeout: a mistyped address took ten seconds to
    be told. An address of another protocol is left to the client."""
    from distributed.comm import get_address_host_port

    try:
        host, port = get_address_host_port(address)
    except ValueError:
        return
    socket.create_connection((host, port), timeout=GRADING.dask_connect_s).close()


def _on_dask(client, job, digest: str, plan, todo: Todo) -> Iterator[Any]:
    """Each hand-in sent as its bytes, graded on a worker, its files written under ``--out``
    here: the workers need see no folder of this machine."""
    futures = {
        remote.submit(
            client,
            remote.graded,
            job,
            remote.hand_in_of(submission, plan),
            seed,
            key=f"grade-{digest[:16]}-{submission.student}-{submission.sha256[:16]}-{seed}",
            **remote.in_turn(number),
        ): (submission, seed)
        for number, (submission, seed) in enumerate(todo)
    }

    def failed(sent: tuple[Any, int], failure: remote.Failed) -> Any:
        submission, seed = sent
        return grader_error(submission, plan, seed, failure.why())

    return remote.gathered(futures, plan.out, failed)
