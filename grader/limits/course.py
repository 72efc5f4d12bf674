"""Around the grading: the gradebook file, the dashboard, similarity, the course commands,
the LMS and written answers."""

from __future__ import annotations

from dataclasses import dataclass

from grader.limits.run import RunLimits
from grader.limits.units import GiB, MiB


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

    port: int = 8765  # the dashboard's default: not Jupyter's 8888, which may be in use beside it
    body_bytes: int = 1 * MiB  # a rubric form or a JSON mark is a few kB; 1 MB is ample
    comment_chars: int = 10_000  # about two pages of feedback on one criterion
    fields: int = 500  # a rubric form has 4 fields per criterion
    token_chars: int = 200  # the access and CSRF tokens are 32 to 64 characters
    render_timeout_s: float = 60.0  # pdftoppm on one report
    report_pages: int = 6  # of a report shown to the marker: the paper has two, and references
    regrades_at_once: int = 1  # a grading run takes a core and up to its memory limit
    regrades_waiting: int = 8  # queued or running, over all students
    # A regrade's time beyond its notebook's limit and its probe calls (see regrade_timeout):
    # starting the sandbox, scoring and writing.
    regrade_startup_s: float = 120.0
    # Of one written answer shown at once: some twenty printed pages, so any honest answer (a
    # 60,000-character one too) is read whole on the question's page; a longer one is paged, so
    # the page stays light whatever one answer holds.
    answer_page_chars: int = 100_000
    formula_chars: int = 500  # of one formula set as an image: longer TeX is shown as TeX
    # Students on one page of the students list: a page stays a few tens of kB and quick to
    # read down with a screen reader; a class of thousands is searched or paged.
    students_per_page: int = 50
    # Students named in one list of the overview (missing, late, a mistake's): more are counted
    # ("and 270 more"), so the page stays light for a class of thousands.
    names_listed: int = 30
    search_chars: int = 100  # of a search of the students list: longer than any name or id
    # How long the overview's files stay unchanged before it is worked out ahead of the page
    # (overview_cache): longer than the gap between a grading run's writes.
    overview_settle_s: float = 3.0


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
    max_workers: int = 4  # fingerprinting processes at most, each holding a hand-in in memory
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
    # Address space a project notebook's process may map where its sandbox shows a GPU (in
    # place of RunLimits.address_space_share of its memory): CUDA reserves address space for
    # its unified memory, about the host's and the GPUs' memory together, and touches little
    # of it; under the usual limit cuInit fails as out of memory. What is used is still
    # counted (the cgroup, or the memory watch).
    project_gpu_address_space_bytes: int = 1024 * GiB
    # Days after the feedback mail within which a reply to it is a regrade request, unless
    # course.toml's [regrade] window_days says; two weeks is the usual term policy.
    regrade_window_days: float = 14.0
    # Characters of a student's regrade request kept (the new text, quotes stripped): a
    # paragraph or two of reasons; a pasted notebook in the body is cut.
    regrade_request_chars: int = 4000
    # Seconds a reader of the gradebook waits while another command (the watch, a marker's
    # save) writes to it: a write is one short transaction, even on a busy machine.
    book_busy_s: float = 30.0
    # Rosters a process keeps parsed, each by its file's digest (a dashboard asks for the
    # roster many times a request): one course's, or a few in a test run; each is a few MB at
    # most for a class of thousands.
    rosters_kept: int = 16


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
    # One HTTP request to the LMS: one that is up answers a score or a page in a second or two.
    # A request past it counts as not answered (a score's answer lost: read back, not resent).
    request_timeout_s: float = 20.0
    # A request still unanswered after this long says what the command waits for.
    slow_notice_s: float = 10.0
    # An LMS answering 429, a throttle's 403, 5xx, or not at all is tried again after
    # backoff_first_s, then twice as long each time (or its Retry-After, at most backoff_max_s),
    # at most `attempts` tries, and none started later than give_up_s - request_timeout_s after
    # the first failure the LMS has not recovered from (over every request of the command):
    # then the command stops with what is done and what is left (an outage ends in a minute).
    attempts: int = 6
    backoff_first_s: float = 1.0  # the first wait: an LMS's restart or rate window is seconds
    backoff_max_s: float = 30.0  # the longest pause: a throttle's window is seconds
    give_up_s: float = 60.0  # an LMS failing this long is down: stop, the rest next run
    # A score whose answer was lost twice (read back: not held, posted again) is left for the
    # next run rather than tried on an LMS that does not answer.
    lost_answers: int = 2
    page_size: int = 100  # members or line items asked for per page (the LMS may give fewer)
    max_pages: int = 1000  # pages followed by Link rel=next: a loop of links ends here
    comment_chars: int = 1000  # of the comment sent with a score (Canvas keeps it as text)
    answer_chars: int = 500  # of the LMS's answer kept in the push record and shown


LTI = LtiLimits()


@dataclass(frozen=True)
class WrittenLimits:
    """Written answers: the self-check reading them, and what the grader keeps for marking."""

    colab_wait_s: float = 10.0  # Colab hands the notebook to the kernel in well under a second
    # of one answer's text kept for marking: some 300 pages, far above any honest answer; a
    # longer one is kept cut, and the marker's page and the student's feedback say where
    answer_chars: int = 1_000_000
    attachment_bytes: int = 4 * MiB  # of the images pasted into one answer (base64)
    output_bytes: int = 4 * MiB  # of one cell's saved outputs kept with an answer: a few figures
    shown_comments: int = 5  # most used comments listed per question
    busy_timeout_s: float = 30.0  # a writer waits this long for another's transaction


WRITTEN = WrittenLimits()
