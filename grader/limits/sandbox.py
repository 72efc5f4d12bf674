"""The sandbox's side: the wire, the processes inside the sandbox, the forbidden-code watch,
the runtime's shown files and ``grader setup``'s estimates. The values the sandbox's own code
reads are copied into ``gradersandbox/limits.py`` by :mod:`grader.engine.walls.sandbox_limits`."""

from __future__ import annotations

from dataclasses import dataclass

from grader.limits.intake import INTAKE
from grader.limits.units import KiB, MiB


@dataclass(frozen=True)
class WireLimits:
    """Bounds of one value on the wire (:mod:`grader.engine.gradersandbox.wire`), checked by
    its reader on both sides: a frame costs time and memory linear in its length."""

    max_depth: int = 8  # nesting of tuples, lists and dicts: a diagnosis's tables are 4 deep
    max_dimensions: int = 32  # of one array, as numpy's own limit
    # Items of tuples, lists and dicts in one frame: a million one-byte items would cost tens of
    # times the frame's length in objects.
    max_items: int = 1 << 16


WIRE = WireLimits()


@dataclass(frozen=True)
class SandboxLimits:
    """What the processes inside the sandbox accept and try."""

    file_chunk_bytes: int = 1 * MiB  # a submission's files are sent in pieces of this size
    # The runner's orders (a cell's source, or a chunk of a file with its name and mode): any
    # cell of a notebook the intake accepts (a cell's text is no longer than the notebook's
    # JSON of it), with room to spare for the order's own framing; never less than a chunk.
    order_bytes: int = INTAKE.max_notebook_bytes + 1 * MiB
    # A probe process's calls, on a pipe of their own: a call's arguments and, for a diagnosis,
    # the tables of answers its stand-ins give (several cases' values): far more than any
    # order of the runner, which is why the two bounds differ.
    call_bytes: int = 64 * MiB
    error_chars: int = 2000  # of a cell's error message (the grader keeps less)
    fork_attempts: int = 20  # a probe process's fork failing for want of memory, tried again
    shared_cells_bytes: int = 192 * KiB  # all shared cells together, one message to the warm one
    request_bytes: int = 64 * KiB  # one fork request to the warm process
    request_fds: int = 16  # descriptors that come with one fork request
    # Each live submission has a user namespace; the warm process may make this many at once.
    user_namespaces: int = 64
    # The fork request at which the warm process backs its heap with huge pages: 0.3 to 0.4 s
    # of CPU once (with torch), after which each hand-in's forks (its own and its probes') cost
    # about 0.05 s less, which pays it back over about six. A run of a few hand-ins (the
    # trial and a student graded again) never pays it; a class's run pays it once.
    huge_pages_from_fork: int = 8
    warm_disk_bytes: int = 64 * MiB  # the warm process's own folders; submissions get fresh ones
    # Numbers a variable read back (a numeric answer, a variant's constant) may hold: counted
    # before it is turned into numbers, which for a Python list costs about a microsecond a
    # number (10^7 of them ran past the probe's time); an answer is a short list at most.
    read_numbers: int = 4096
    # Calls of its parts a diagnosis's traced call records (gradersandbox.tracer): a cell's
    # six parts over a sequence of tens of steps; past it the trace is cut and the grader
    # compares nothing. Their arrays stay within REPLIES.traced_arrays_per_reply.
    trace_calls: int = 200
    # Places (cell, line) where a notebook asked for a GPU that the sandbox mapped to the CPU
    # (gradersandbox.device_map), recorded and sent back: the page names the first and a count.
    gpu_places: int = 50


SANDBOX = SandboxLimits()


@dataclass(frozen=True)
class ForbiddenLimits:
    """The forbidden-code scan and the run-time watch of forbidden objects."""

    # Forbidden names of each kind an assignment may list, which is as many as the probes
    # watch (gradersandbox.watch) and the trusted side reads back: one number for both.
    max_names: int = 64
    scan_recursion: int = 10_000  # Python's recursion limit while parsing deeply nested cells
    aliases_timeout_s: float = 180.0  # importing torch on a busy two-core machine
    memo_entries: int = 2048  # the scan's cache of cells, trees and functions
    memo_largest_chars: int = 64 * KiB  # a larger cell or tree is worked out anew, never kept
    # Dotted parts of a path the scan follows (``torch.nn.modules.rnn.LSTMCell`` has 5): a
    # chain of thousands of attributes would make paths as long, each a copy of the last.
    path_parts: int = 64
    # A local name given values made from itself (``x = x.nn``) is followed for this many
    # dotted parts and paths (a student's chain is a few deep); past them, it is for review.
    name_rounds: int = 8  # dotted parts added to such a name's paths, one per round
    name_paths: int = 64  # paths such a name may stand for: each value doubles them at worst
    # Seconds the scan of one graded function may take (linear in the code, a second for
    # the largest notebooks): past it, the instructor is asked to review the function.
    reach_s: float = 60.0


FORBIDDEN = ForbiddenLimits()


@dataclass(frozen=True)
class ShownFiles:
    """Files of a Python runtime copied with host paths renamed (the sandbox's view of it)."""

    largest_base_file_bytes: int = 256 * MiB  # the static libpython is about 45 MB
    # A runtime's own files are scripts and small binaries; a statically linked python, the
    # largest, is about 20 MB.
    largest_runtime_file_bytes: int = 32 * MiB


SHOWN = ShownFiles()


@dataclass(frozen=True)
class PreparationFigures:
    """What ``grader setup`` (:mod:`grader.engine.runtime.preparation`) tells while it works: its
    estimate comes from these costs, measured as CPU time (which a busy machine does not
    change) on the 2-core development machine, and this machine's cores and load."""

    progress_every_s: float = 5.0  # a line of counts and time left, at most this often
    # compileall, one optimization level: 12,455 files of the grader's runtime in 47 s of CPU.
    runtime_cpu_s_per_file: float = 0.004
    # The base Python's standard library, three optimization levels: 1,790 files in 26 s.
    base_cpu_s_per_file: float = 0.015
    # Importing matplotlib and listing the system's fonts, on one core.
    font_list_cpu_s: float = 4.0
    # The user's bytecode cache (one entry per module compiled, about 20 kB): what no runtime
    # compiled or took from it for this long is removed as a runtime is prepared.
    bytecode_unused_days: float = 60.0


PREPARATION = PreparationFigures()
