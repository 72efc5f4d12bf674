"""Every limit and default of the grader, each with its unit and why, in one place.

Each job has a frozen dataclass of its limits and one instance of it (``RUN``, ``WIRE``, ...);
a module reads ``limits.WIRE.max_depth``, never a number of its own. Values that follow from
others are derived here, so that changing one keeps the rest consistent. Per-assignment settings
(``assignment.toml``'s ``[grading]`` timeouts and memory) override :class:`RunLimits` for one
run; the command line's defaults are the values here.

The sandbox's side (:mod:`grader.engine.gradersandbox`) imports only the standard library from
a read-only copy, so it cannot import this module: its values are written, by
``python -m grader.limits --write-sandbox-copy`` in a checkout (see
:mod:`grader.engine.sandbox_limits`), to ``grader/engine/gradersandbox/limits.py``, and
``tests/test_limits.py`` fails when that copy is not what this module generates.

Units are in the names: ``_s`` seconds, ``_bytes`` bytes, ``_chars`` characters, ``_pt``
typographic points; a bare count counts what its comment says.
"""

from __future__ import annotations

import os
import sys
from dataclasses import dataclass
from typing import Protocol

from grader.errors import UserError

KiB = 1024
MiB = 1024 * KiB
GiB = 1024 * MiB


# --- one submission's run -------------------------------------------------------------------


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
    ) -> RunLimits:
        """The limits of a run of ``settings``' notebooks (the one way to make them: ``grader
        grade``, the projects' checks, a regrade): its timeouts and memory, ``timeout``
        (``--timeout``) in place of its cell timeout where given, and ``disk_bytes`` in place of
        the default where given."""
        return cls(
            cell_timeout=timeout or settings.cell_timeout,
            notebook_timeout=settings.notebook_timeout,
            memory_bytes=settings.memory_mb * MiB,
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
    # A live run's cgroup holds its kernel within a minute of being made and is removed seconds
    # after the kernel ends; an empty one this much older was left by a grader that was killed.
    stale_cgroup_s: float = 600.0


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
    key_chars: int = 64  # of a dict reply's key: the expected keys are names like "h_seq"
    named_keys: int = 8  # keys a message about a dict reply names, at most


REPLIES = ReplyLimits()


# --- the sandbox's side (copied into gradersandbox/limits.py) --------------------------------


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
    # The runner's orders (a cell's source, or a chunk of a file with its name and mode): a
    # chunk with room to spare, and the longest cells students paste data into.
    order_bytes: int = 4 * MiB
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
    warm_disk_bytes: int = 64 * MiB  # the warm process's own folders; submissions get fresh ones


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
    """What ``grader setup`` (:mod:`grader.engine.preparation`) tells while it works: its
    estimate comes from these costs, measured as CPU time (which a busy machine does not
    change) on the 2-core development machine, and this machine's cores and load."""

    progress_every_s: float = 5.0  # a line of counts and time left, at most this often
    # compileall, one optimization level: 12,455 files of the grader's runtime in 47 s of CPU.
    runtime_cpu_s_per_file: float = 0.004
    # The base Python's standard library, three optimization levels: 1,790 files in 26 s.
    base_cpu_s_per_file: float = 0.015
    # Importing matplotlib and listing the system's fonts, on one core.
    font_list_cpu_s: float = 4.0


PREPARATION = PreparationFigures()


# --- grading around the run -----------------------------------------------------------------


@dataclass(frozen=True)
class GradingLimits:
    """What ``grader grade`` reads and shows of one submission."""

    scanned_files: int = 200  # files of a submission's folder scanned for forbidden code
    scanned_file_bytes: int = 1_000_000  # larger files are not scanned
    session_rounds: int = 10  # rounds of probe sessions one diagnosis may open
    feedback_output_chars: int = 20_000  # of the notebook's own output, folded in the feedback
    public_cases: int = 2  # public cases per function in the released notebook
    cases_kept: int = 4  # seeds whose cases a process keeps
    # The paste-ready failing case is printed whole only when it is small enough to paste;
    # any case, whole or summarised, is cut to these in the feedback.
    rerun_lines: int = 200
    rerun_bytes: int = 32 * KiB


GRADING = GradingLimits()


@dataclass(frozen=True)
class JsonInputLimits:
    """JSON anyone may have written (a handed-in notebook, a bundle's manifest), as read."""

    # Nesting of lists and objects: a notebook is 6 deep, Colab's widget state a few more;
    # past Python's own recursion, readers (nbformat's among them) fail with a traceback.
    max_depth: int = 64


JSON_INPUT = JsonInputLimits()


@dataclass(frozen=True)
class IntakeLimits:
    """Caps that keep one hostile submission from filling the disk or the memory."""

    max_members: int = 500
    max_member_bytes: int = 100 * MiB
    max_total_bytes: int = 200 * MiB
    max_ratio: float = 100.0
    # Small members may compress far better than max_ratio (a CSV of zeros) without harm.
    ratio_floor_bytes: int = 1 * MiB
    max_message_bytes: int = 300 * MiB
    max_attachment_bytes: int = 100 * MiB
    max_manifest_bytes: int = 1 * MiB


INTAKE = IntakeLimits()


@dataclass(frozen=True)
class LinkFetching:
    """Fetching a notebook behind a Colab, Drive or GitHub link (``grader collect``)."""

    timeout_s: float = 30.0  # per attempt
    attempts: int = 3
    backoff_s: float = 2.0  # before the second attempt, doubled after each
    max_bytes: int = 50 * MiB  # a notebook with its outputs; larger is not a hand-in


FETCH = LinkFetching()


@dataclass(frozen=True)
class MailboxDefaults:
    """Reading hand-ins from IMAP, and ``grader watch`` answering them."""

    imap_port: int = 993  # IMAP over TLS
    fetch_batch: int = 25  # messages per UID FETCH: few round trips, bounded memory
    watch_interval_s: float = 5.0  # between polls of the mailboxes
    # Gradings per student and assignment in an hour; the rest wait: a student cannot use the
    # grader as a free compute service.
    watch_max_per_hour: int = 4
    watch_workers: int = 1  # notebooks graded at once
    # A burst is collected and handled in parts of this many messages, each part's notebooks
    # handed to the graders before the next part is read: the graders start after the first
    # part (under a second) instead of after the whole burst (seconds for 200 messages).
    watch_messages_at_once: int = 20
    smtp_timeout_s: float = 60.0  # one SMTP connection's replies, sending feedback or answers


MAILBOX = MailboxDefaults()


# --- PDFs -----------------------------------------------------------------------------------


@dataclass(frozen=True)
class PdfLimits:
    """What reading one PDF may take. A two-page report from Word, LaTeX or Google Docs
    reads in well under a second and 100 MB; a 350-page book's page sizes and first pages in
    a few seconds."""

    cpu_seconds: int = 20
    memory_bytes: int = 1536 * MiB  # address space: pypdf's own share is the most
    wall_seconds: float = 120.0  # a child waiting on a busy machine, never forever

    @classmethod
    def from_environment(cls) -> PdfLimits:
        """The defaults, or ``GRADER_PDF_CPU_SECONDS`` and ``GRADER_PDF_MEMORY_MB`` where set
        (a slow machine, a course whose reports are large)."""
        try:
            cpu = int(os.environ.get("GRADER_PDF_CPU_SECONDS") or cls.cpu_seconds)
            memory = int(os.environ.get("GRADER_PDF_MEMORY_MB") or 0) * MiB
        except ValueError:
            raise UserError(
                "GRADER_PDF_CPU_SECONDS and GRADER_PDF_MEMORY_MB must be whole numbers"
            ) from None
        return cls(cpu, memory or cls.memory_bytes, max(cls.wall_seconds, 6.0 * cpu))


PDF = PdfLimits()


@dataclass(frozen=True)
class ReportRules:
    """The project report's rules (``grader report --check``), and how much of a PDF is read."""

    max_pages: int = 2
    min_body_pt: float = 9.0  # body text no smaller than this
    pages_read: int = 10  # first pages whose text is read (a report's facts, its check)
    pdfs_kept: int = 512  # PDFs whose reading a process keeps, by content
    # A figure is decoded at 4 bytes a pixel before it is scaled down: 50 megapixels is 200 MB
    # at most, and a plot saved with plt.savefig(dpi=300) is a few megapixels. Larger is
    # refused with advice (a decompression bomb among them).
    figure_max_pixels: int = 50_000_000
    # An A4 page's width at 300 dpi: a figure is never printed larger, so more pixels are only
    # memory and megabytes in the PDF.
    figure_side_pixels: int = 2480
    caption_chars: int = 300  # a caption taken from the markdown before a plot: a sentence or two


REPORT = ReportRules()


@dataclass(frozen=True)
class SubmissionPdfLimits:
    """The merged PDF of every hand-in: so that a notebook printing megabytes stays readable."""

    report_pages: int = 6
    cell_lines: int = 120
    notebook_lines: int = 2500
    figures: int = 40
    figure_pixels: int = 25_000_000


SUBMISSION_PDF = SubmissionPdfLimits()


# --- the gradebook file ------------------------------------------------------------------------


@dataclass(frozen=True)
class DatabaseTimes:
    """How a connection to the gradebook (opened at once by grade, the watch and the
    dashboard's threads) waits for the others."""

    # A writer's transaction is milliseconds; a two-core machine under load can queue many.
    busy_timeout_s: float = 60.0
    # Between tries of the switch to WAL, which SQLite refuses at once, not waiting, while
    # another connection holds the write lock (it is switching too).
    wal_retry_s: float = 0.02


DATABASE = DatabaseTimes()


# --- the dashboard --------------------------------------------------------------------------


@dataclass(frozen=True)
class WebLimits:
    """``grader serve``: what one request may carry, and the regrades it runs."""

    port: int = 8765
    body_bytes: int = 1 * MiB  # a rubric form or a JSON mark is a few kB; 1 MB is ample
    comment_chars: int = 10_000  # about two pages of feedback on one criterion
    fields: int = 500  # a rubric form has 4 fields per criterion
    token_chars: int = 200  # the access and CSRF tokens are 32 to 64 characters
    render_timeout_s: float = 60.0  # pdftoppm on one report
    regrades_at_once: int = 1  # a grading run takes a core and up to its memory limit
    regrades_waiting: int = 8  # queued or running, over all students
    # A regrade's time beyond its notebook's limit and its probe calls (see regrade_timeout):
    # starting the sandbox, scoring and writing.
    regrade_startup_s: float = 120.0


WEB = WebLimits()


def regrade_timeout_s(run: RunLimits, functions: int) -> float:
    """Seconds one regrade from the dashboard may take: the notebook's own limit, then one probe
    call per graded function and one more (each within the cell limit), and the start."""
    probes = (functions + 1) * run.cell_timeout
    return run.notebook_timeout + probes + WEB.regrade_startup_s


# --- similarity and the course --------------------------------------------------------------


@dataclass(frozen=True)
class SimilarityLimits:
    """``grader similarity``: what it reads, spreads over processes and shows."""

    parallel_from: int = 200  # hand-ins from which fingerprinting is spread over processes
    max_workers: int = 4
    pdf_threads: int = 4  # pdftotext processes at once
    pdf_timeout_s: float = 60.0  # pdftotext on one PDF
    max_read_bytes: int = 20 * MiB  # larger images and texts are compared by hash only
    max_pixels: int = 40_000_000  # larger images are compared by hash only
    min_file_bytes: int = 64  # smaller files (an empty __init__.py) prove nothing
    passage_chars: int = 600  # of a passage shown side by side
    max_matches: int = 8  # passages shown side by side per pair and kind
    near_misses: int = 10  # highest unflagged pairs listed, to show where the line falls


SIMILARITY = SimilarityLimits()


@dataclass(frozen=True)
class CourseDefaults:
    """The course commands' defaults."""

    projects: int = 2  # projects a bundle holds, unless course.toml says
    max_dataset_mb: float = 10.0  # of a bundle's data, unless course.toml says
    shown_errors: int = 20  # of a marks file's errors, listed before "and N more"
    error_chars: int = 300  # of a notebook's error, in a project's facts
    # Files a project's notebook may write (RunLimits.disk_bytes for its run): it works on its
    # dataset (up to max_dataset_mb handed in, often unpacked or converted) and saves trained
    # models and figures, where a graded notebook writes little; four times a graded run's.
    project_disk_bytes: int = 2 * GiB
    # Days after the feedback mail within which a reply to it is a regrade request, unless
    # course.toml's [regrade] window_days says; two weeks is the usual term policy.
    regrade_window_days: float = 14.0
    # Characters of a student's regrade request kept (the new text, quotes stripped): a
    # paragraph or two of reasons; a pasted notebook in the body is cut.
    regrade_request_chars: int = 4000
    # Seconds a reader of the gradebook waits while another command (the watch, a marker's
    # save) writes to it: a write is one short transaction, even on a busy machine.
    book_busy_s: float = 30.0


COURSE = CourseDefaults()


@dataclass(frozen=True)
class LtiLimits:
    """Talking to an LMS over LTI 1.3 (``grader lti``, ``roster --from-lti``, ``final --push
    lti``): the IMS Security Framework's client credentials, and how long to wait and retry."""

    key_bits: int = 2048  # the tool's RSA key: what Canvas and Moodle accept for RS256
    # The signed JWT that asks for a token: short-lived, so a copied one is soon worthless
    # (the Security Framework asks for minutes; Canvas refuses one over an hour).
    assertion_lifetime_s: int = 300
    # A token is taken for expired this long before the LMS says, so no request carries one
    # that expires on its way.
    token_margin_s: float = 60.0
    request_timeout_s: float = 60.0  # one HTTP request to the LMS
    # Tries of one request the LMS answers 429 or 5xx (too many requests, a restart), waiting
    # backoff_first_s, then twice as long each time, at most backoff_max_s (or Retry-After).
    attempts: int = 6
    backoff_first_s: float = 1.0
    backoff_max_s: float = 60.0
    page_size: int = 100  # members or line items asked for per page (the LMS may give fewer)
    max_pages: int = 1000  # pages followed by Link rel=next: a loop of links ends here
    comment_chars: int = 1000  # of the comment sent with a score (Canvas keeps it as text)
    answer_chars: int = 500  # of the LMS's answer kept in the push record and shown


LTI = LtiLimits()


@dataclass(frozen=True)
class WrittenLimits:
    """Written answers: the self-check reading them, and what the grader keeps for marking."""

    colab_wait_s: float = 10.0  # Colab hands the notebook to the kernel in well under a second
    answer_chars: int = 20_000  # of one answer's text kept for marking: about four pages
    output_bytes: int = 4 * MiB  # of one cell's saved outputs kept with an answer: a few figures
    shown_comments: int = 5  # most used comments listed per question
    busy_timeout_s: float = 30.0  # a writer waits this long for another's transaction


WRITTEN = WrittenLimits()


# --- every group, by name (listed by main, copied for the sandbox by grader.engine.sandbox_limits)

GROUPS: dict[str, object] = {
    "RUN": RUN,
    "ENGINE": ENGINE,
    "REPLIES": REPLIES,
    "WIRE": WIRE,
    "SANDBOX": SANDBOX,
    "FORBIDDEN": FORBIDDEN,
    "SHOWN": SHOWN,
    "PREPARATION": PREPARATION,
    "JSON_INPUT": JSON_INPUT,
    "GRADING": GRADING,
    "INTAKE": INTAKE,
    "FETCH": FETCH,
    "MAILBOX": MAILBOX,
    "DATABASE": DATABASE,
    "PDF": PDF,
    "REPORT": REPORT,
    "SUBMISSION_PDF": SUBMISSION_PDF,
    "WEB": WEB,
    "SIMILARITY": SIMILARITY,
    "COURSE": COURSE,
    "LTI": LTI,
    "WRITTEN": WRITTEN,
}


def main(argv: list[str] | None = None) -> int:
    """Print every limit; with ``--write-sandbox-copy`` (after editing this module, in a
    checkout) write the sandbox's copy too."""
    for name, group in GROUPS.items():
        for field, value in vars(group).items():
            print(f"{name}.{field} = {value!r}")
    if "--write-sandbox-copy" in (sys.argv[1:] if argv is None else argv):
        from grader.engine.sandbox_limits import write_sandbox_copy

        print(f"wrote {write_sandbox_copy()}", file=sys.stderr)
    return 0


if __name__ == "__main__":
    raise SystemExit(main())
