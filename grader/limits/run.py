"""The limits of one submission's run: what it may use, how long the trusted side waits for
the sandbox, and what it keeps of the replies."""

from __future__ import annotations

from dataclasses import dataclass
from typing import Protocol

from grader.limits.units import GiB, KiB, MiB


class RunSettings(Protocol):
    """What a folder's settings say of its notebooks' runs: an assignment's ``[grading]``
    (:class:`grader.assignment.AssignmentConfig`), or projects.toml's ``[projects]``."""

    @property
    def cell_timeout(self) -> float: ...
    @property
    def notebook_timeout(self) -> float: ...
    @property
    def memory_mb(self) -> int: ...


@dataclass(frozen=True)
class RunLimits:
    """What one submission's run may use. These are the defaults; every run is given the
    limits :meth:`for_assignment` makes of its folder's settings."""

    cell_timeout: float = 120.0  # seconds per cell
    notebook_timeout: float = 900.0  # seconds for the whole notebook (cells + probe)
    probe_timeout: float = 10.0  # seconds per probe call
    # Memory of all the run's processes together (where cgroups can be used, see
    # sandbox.cgroup_support), and each process's address space beyond what the warm process
    # had mapped before the fork (CUDA torch maps gigabytes it never touches).
    memory_bytes: int = 2 * GiB
    # The share of memory_bytes one process may map beyond the warm process's mappings: below
    # the cgroup's limit, so that a cell's own allocation fails with a MemoryError the student
    # reads before the group as a whole is killed by the out-of-memory killer.
    address_space_share: float = 0.875
    output_bytes: int = 1_000_000  # text output kept; the rest is dropped with a note
    unsafe_no_sandbox: bool = False  # run without namespaces (trusted notebooks only)
    disk_bytes: int = 512 * MiB  # files written to the scratch folder, and to /tmp
    max_processes: int = 256  # processes and threads of the run at once (with cgroups)

    @classmethod
    def for_assignment(
        cls,
        settings: RunSettings,
        *,
        timeout: float | None = None,
        unsafe_no_sandbox: bool = False,
        disk_bytes: int | None = None,
        memory_ceiling_bytes: int | None = None,
    ) -> RunLimits:
        """The limits of a run of ``settings``' notebooks (the one way to make them: ``grader
        grade``, the projects' checks, a regrade): its timeouts and memory, ``timeout``
        (``--timeout``) in place of its cell timeout where given, ``disk_bytes`` in place of
        the default where given, and the memory no more than ``memory_ceiling_bytes`` where
        given (what a platform's container leaves the student: :mod:`grader.platforms`)."""
        memory_bytes = settings.memory_mb * MiB
        if memory_ceiling_bytes is not None:
            memory_bytes = min(memory_bytes, memory_ceiling_bytes)
        return cls(
            cell_timeout=timeout or settings.cell_timeout,
            notebook_timeout=settings.notebook_timeout,
            memory_bytes=memory_bytes,
            unsafe_no_sandbox=unsafe_no_sandbox,
            disk_bytes=cls.disk_bytes if disk_bytes is None else disk_bytes,
        )


RUN = RunLimits()


@dataclass(frozen=True)
class EngineTimes:
    """How long the trusted side waits for the sandbox's own steps (not the student's code)."""

    start_s: float = 60.0  # from the fork request to the runner's first word
    # How long a cell or call gets to stop after an interrupt before its process is killed.
    interrupt_grace_s: float = 10.0
    end_s: float = 5.0  # for a probe process to end, or init to report an exit code
    warm_start_s: float = 120.0  # importing numpy, IPython and matplotlib on a busy machine
    folder_claim_s: float = 60.0  # a folder younger than this may not be locked by its maker yet
    # How long the processes left in a run's cgroup get to die before the cgroup is given up: a
    # fork bomb's hundreds of copies of a process with torch loaded take seconds to tear down.
    cgroup_remove_s: float = 30.0
    # Without cgroups, how often a submission's memory is counted
    # (grader.engine.walls.memory_watch): a sample of a process with torch loaded takes a few
    # milliseconds; a submission past its limit ends within about this long.
    memory_sample_s: float = 0.25


ENGINE = EngineTimes()


@dataclass(frozen=True)
class ReplyLimits:
    """What the trusted side reads and keeps of a submission's replies."""

    result_bytes: int = 4 * MiB  # largest array one call may return, as float64, either side
    # Largest reply frame the grader reads: a result with its record and the wire's framing.
    reply_bytes: int = 16 * MiB
    # What the grader keeps of one submission's replies, as float64: past it, a call's value is
    # refused, so that its memory for a submission is bounded whatever the replies. Each array
    # counts its numbers, its key and object_bytes besides.
    kept_bytes: int = 64 * MiB
    # What one array object of a reply costs the trusted side besides its numbers: numpy's
    # object, its place in a message, a case and a figure. 60,000 empty arrays are not free.
    object_bytes: int = 1 * KiB
    # Arrays in one reply: a graded function returns a handful (an LSTM's four gates); more
    # is a reply of the wrong structure, refused before anything is made of it.
    arrays_per_reply: int = 64
    # Arrays in a diagnosis's traced call (gradersandbox.tracer: every argument and result of
    # each call of a composite's parts, some 25 a call for a backward step with its dicts), as
    # many as the most calls it records take; kept_bytes bounds their numbers all the same.
    traced_arrays_per_reply: int = 8192
    key_chars: int = 64  # of a dict reply's key: the expected keys are names like "h_seq"
    named_keys: int = 8  # keys a message about a dict reply names, at most


REPLIES = ReplyLimits()


@dataclass(frozen=True)
class PlatformLimits:
    """The run of an autograder inside a platform's container (:mod:`grader.platforms`)."""

    # PrairieLearn's ceiling on externalGradingOptions.timeout (its docs: 600 s at most).
    grading_most_s: int = 600
    # The container's start and the warm process, beyond the notebook's own time limit.
    start_s: int = 30
    # Rounds of killing the student's processes (each stopped, then killed) before the results
    # are written: a fork bomb's copies fork as others die.
    ending_rounds: int = 50
    # The container's memory where its cgroup cannot be read (no cgroup filesystem mounted in
    # it), as each platform documents it: Gradescope's default (raisable in its "Autograder
    # Settings"), then PrairieLearn's grader host's.
    gradescope_memory_bytes: int = 768 * MiB
    prairielearn_memory_bytes: int = 2 * GiB  # its grader host's default, with no swap
    # A cgroup memory limit above this is none: cgroup v1 says "no limit" with 2**63 rounded
    # down to pages, far past any machine's memory.
    cgroup_unlimited_bytes: int = 1 << 60
    # What the grader itself holds in the container beside the student's processes: its own
    # process (the gradebook, the scoring's numpy) and the warm process the student's are
    # forked from (Python, numpy, torch imported). A right notebook's whole run peaks at about
    # 140 MB at Gradescope's defaults (docs/admins/performance.md); this leaves it room, so
    # that a student's memory bomb meets the student's limit, never the container's, whose
    # out-of-memory killer would end the grader with it.
    grader_memory_bytes: int = 256 * MiB


PLATFORMS = PlatformLimits()
