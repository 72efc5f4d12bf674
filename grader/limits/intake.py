"""Grading around the run, and what comes in: a submission's scan and feedback, JSON as read,
archives, fetched links and the mailbox."""

from __future__ import annotations

from dataclasses import dataclass

from grader.limits.units import KiB, MiB


@dataclass(frozen=True)
class GradingLimits:
    """What ``grader grade`` reads and shows of one submission."""

    scanned_files: int = 200  # files of a submission's folder scanned for forbidden code
    # Free space a run needs in the temporary folder (a warm process's files are 1.5 MB) and
    # in the output folder (one submission's feedback and gradebook rows: well under 1 MB).
    free_bytes: int = 16 * MiB
    scanned_file_bytes: int = 1_000_000  # larger files are not scanned
    session_rounds: int = 10  # rounds of probe sessions one diagnosis may open
    # `grader grade` without --workers starts one grader per this many hand-ins (at most one
    # per core). The graders share one warm process, so a second one costs no warm start of its
    # own; but a run of a few hand-ins is mostly that warm start and the trial notebook, which
    # the graders wait for together: on lstm_gates, three hand-ins took as long with two graders
    # as with one (6.6 to 8.6 s), and eight 6.6 to 8.8 s with two against 9.0 to 9.9 s.
    hand_ins_per_grader: int = 4
    # For the Dask scheduler at --dask ADDRESS to answer, and then for a worker to have joined it.
    dask_connect_s: float = 10
    # What an LSTM course's notebooks import (an experiment beside torch.nn.LSTM, a project):
    # imported by every warm process ahead, unless the assignment forbids importing it
    # (grader.grading.steps.modules_ahead). A submission could not load torch's CUDA
    # build on its own: it maps about 3 GB beyond the run's address-space limit (what the warm
    # process mapped is not counted, RunLimits.memory_bytes).
    warm_imports: tuple[str, ...] = ("torch",)
    feedback_output_chars: int = 20_000  # of the notebook's own output, folded in the feedback
    public_cases: int = 2  # public cases per function in the released notebook
    cases_kept: int = 4  # seeds whose cases a process keeps
    # A numeric answer is a number or a short list of them: a longer value is no answer.
    answer_numbers: int = 16
    # Sets of values whose answers (the source's solution run on them) a process keeps: a class
    # draws from a few hundred; each costs one run of the source notebook's answer cells.
    answer_values_kept: int = 1024
    # The paste-ready failing case is printed whole only when it is small enough to paste;
    # any case, whole or summarised, is cut to these in the feedback.
    rerun_lines: int = 200
    rerun_bytes: int = 32 * KiB  # a page or two of pasted code, as rerun_lines
    # Anything of the student's quoted in feedback, results.json or the dashboard (a
    # fingerprint from the notebook's metadata, a constant's value): enough to recognise it.
    quoted_chars: int = 120
    # One note of the feedback (a variant's, a grader cell's, a forbidden shortcut's): a few
    # sentences, whatever it quotes.
    note_chars: int = 1000
    # A hand-in replaced while it is graded (collect or watch beside grade) is graded again,
    # this many times in all.
    grade_again: int = 3
    # collect swaps a student's folder by two renames: one missing between them is looked for
    # again after this long, longer at each try.
    settle_s: float = 0.2


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

    # Files of one zip, or attachments of one message: a bundle holds a handful of files.
    max_members: int = 500
    max_member_bytes: int = 100 * MiB  # one unpacked file: ten times a bundle's largest dataset
    max_total_bytes: int = 200 * MiB  # a zip unpacked, or a message's attachments together
    max_ratio: float = 100.0  # unpacked to packed size of one member: past it, a zip bomb
    # Small members may compress far better than max_ratio (a CSV of zeros) without harm.
    ratio_floor_bytes: int = 1 * MiB
    max_message_bytes: int = 300 * MiB  # one email read from a mailbox: attachments and all
    max_attachment_bytes: int = 100 * MiB  # one attachment, decoded: a bundle's zip and data
    # An LMS's download of one assignment (grader collect ARCHIVE): a file or a few per
    # attempt of each student; a class of a thousand with ten attempts each stays far below.
    max_archive_entries: int = 50_000
    max_manifest_bytes: int = 1 * MiB  # a bundle's manifest.json is a few kB of names and hashes
    # One notebook, however it comes in (a path given to `grader grade`, a hand-in folder, a
    # link fetched): one with its outputs is a few MB; reading one costs about 3 times its size.
    max_notebook_bytes: int = 50 * MiB
    # The merged PDF typesets each student's part (about 70 ms): a class from this size on is
    # spread over processes (a pool costs about a second to start).
    pdf_parallel_from: int = 100
    pdf_workers: int = 4  # typesetting processes at most, each holding one student's PDF
    # Header lines kept parsed for their next read (grader.intake.message.header_policy): the
    # short, repeated ones (Content-Type, From, Subject), a few per message.
    parsed_headers_kept: int = 4096
    # A header line longer than RFC 5322's limit is parsed at each read, not kept: no large
    # value outlives its message.
    parsed_header_chars: int = 998


INTAKE = IntakeLimits()


@dataclass(frozen=True)
class LinkFetching:
    """Fetching a notebook behind a Colab, Drive or GitHub link (``grader collect``)."""

    timeout_s: float = 30.0  # per attempt
    attempts: int = 3  # a link that fails thrice is reported, not tried forever
    backoff_s: float = 2.0  # before the second attempt, doubled after each
    max_bytes: int = INTAKE.max_notebook_bytes  # a notebook with its outputs


FETCH = LinkFetching()


@dataclass(frozen=True)
class SenderChecks:
    """Checking a hand-in's DKIM signatures where no trusted server's results are in the mail
    (a Takeout, a folder of .eml): one DNS look-up of the signer's key per signer and run."""

    dns_timeout_s: float = 5.0  # one key's look-up; dkimpy's own default
    # Signatures checked per message: the sender's domain and its provider sign; a message
    # with dozens is crafted to cost look-ups.
    max_signatures: int = 3


SENDER_CHECKS = SenderChecks()


@dataclass(frozen=True)
class MailboxDefaults:
    """Reading hand-ins from IMAP, and ``grader watch`` answering them."""

    imap_port: int = 993  # IMAP over TLS
    fetch_batch: int = 25  # messages per UID FETCH: few round trips, bounded memory
    watch_interval_s: float = 5.0  # between polls of the mailboxes
    # IMAP IDLE (RFC 2177), where the server offers it: the server tells the watch of new
    # mail at once. IDLE is ended and started again every idle_renew_s (servers end it after
    # 29 minutes, Gmail sooner, and a silent connection may be long dead behind a NAT); a
    # server owes each answer within idle_answer_s; a dropped IDLE connection is opened again
    # after idle_retry_s, doubled after each failure up to idle_retry_max_s (polling meanwhile).
    idle_renew_s: float = 9 * 60.0
    idle_answer_s: float = 30.0  # a server that says nothing longer is taken as gone
    idle_retry_s: float = 1.0  # a dropped IDLE connection: the first wait before opening again
    idle_retry_max_s: float = 60.0  # ... doubled each time, up to this
    # While notebooks are being graded the watch waits on them in slices this long, so a bell
    # (new mail, heard in IDLE) rung meanwhile is heard this soon.
    bell_heard_within_s: float = 0.2
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
