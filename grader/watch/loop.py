"""``grader watch``: until stopped, fetch the new mail, collect it into the submissions folder,
turn each message into gradings and receipts, and hand what is due to the graders (in the
sandbox, with ``grader grade``'s own machinery, kept running between polls:
:mod:`grader.watch.grading`). The mailboxes are polled every ``--interval`` seconds, and at once
when a server offering IMAP IDLE says new mail came (:mod:`grader.intake.imap.idle`). Between
polls, each notebook's reply is queued as soon as it is graded and sent at once, so the first of
a burst hear back before the last is graded. Each step's result is in the gradebook before the
next starts (:mod:`grader.watch.state`); the log says when each hand-in was delivered, seen,
graded and sent."""

from __future__ import annotations

import email
import logging
import queue
import re
import threading
import time
from collections.abc import Sequence
from dataclasses import dataclass
from datetime import datetime, timedelta
from email.headerregistry import Address
from email.utils import parseaddr
from pathlib import Path

from grader.course.config import Course
from grader.course.rubric import load_projects
from grader.errors import UserError
from grader.feedback.fixes import fixes_in
from grader.gradebook.course_book import BOOK_NAME, CourseBook
from grader.gradebook.results import Row
from grader.intake.common import DEFAULT_LIMITS
from grader.intake.imap.idle import Idler
from grader.intake.imap.mailbox import MailboxUnavailable, MailboxUrl, Session
from grader.intake.inbox import received_items
from grader.intake.message.authresults import sender_warnings, unchecked_line
from grader.intake.message.received import Received, receive
from grader.intake.parcels import Settings
from grader.intake.run import collect_items
from grader.limits import COURSE, MAILBOX
from grader.mail import addresses, smtp
from grader.mail.composing import MAIL_POLICY
from grader.outputs.scores import for_people
from grader.watch import replies, requests
from grader.watch.grading import JobOutcome, WatchGraders
from grader.watch.handins import Context, Handled, Replaced, handle
from grader.watch.kinds import AboutAGrade, Automatic, kind_of
from grader.watch.staging import Staging
from grader.watch.state import Job, WatchBook, message_key, now


@dataclass(frozen=True)
class Options:
    mailboxes: tuple[MailboxUrl, ...]
    cafile: Path | None
    course: Course
    out: Path  # the course's graded folder: gradebook.sqlite, <assignment>/
    submissions: Path
    sender: Address
    server: smtp.Smtp
    interval: float = MAILBOX.watch_interval_s
    max_per_hour: int = MAILBOX.watch_max_per_hour
    workers: int = MAILBOX.watch_workers
    unsafe_no_sandbox: bool = False
    idle: bool = True  # wait on IMAP IDLE where the server offers it


# What the watch reports as it goes, each line timed (grader/logs.py): `grader watch -q` keeps
# the warnings and errors only, `--log-file` keeps a copy.
_LOG = logging.getLogger(__name__)


class MailboxLoop:
    def __init__(self, options: Options):
        self.options = options
        course = options.course
        self.book = WatchBook(options.out / BOOK_NAME)
        owners = {url.user.lower() for url in options.mailboxes} | {
            options.sender.addr_spec.lower()
        }
        projects = load_projects(course.projects_dir) if course.projects else None
        self.context = Context(course, course.roster(), projects, options.sender, frozenset(owners))
        self.sessions: dict[MailboxUrl, Session] = {}
        self.bell = threading.Event()  # rung by an IDLE connection: new mail, poll now
        # What the idlers' threads said, for the gradebook's log (its connection is this
        # thread's): written at the next cycle.
        self.idle_said: queue.SimpleQueue[tuple[str, str]] = queue.SimpleQueue()
        self.idlers = [
            Idler(url, options.cafile, self.bell, self._idle_log) for url in options.mailboxes
        ]
        # The threads of the messages whose gradings are queued or out: their replies need
        # not read the message again (after a restart they do: the message is stored).
        self.threads: dict[str, replies.Thread] = {}
        # What each message's hand-in replaced, as collect placed it: its answers say so.
        self.replaced: dict[str, list[Replaced]] = {}
        self.said_unchecked = False  # that the course checks no sender: said once a run
        self.staging = Staging(options.out)
        for stale in self.staging.removed:
            self.log(f"removed {stale}, the staging folder of a watch that was killed")
        self.graders = WatchGraders(
            course,
            options.out,
            options.workers,
            options.unsafe_no_sandbox,
            self.log,
            self.staging.folder("graders-"),
            options.submissions,
        )

    def log(self, text: str, level: str = "info") -> None:
        _LOG.log(logging.getLevelName(level.upper()), text)
        self.book.log(level, text)

    def _idle_log(self, text: str, level: str) -> None:
        """An idler's word: on the terminal at once, in the gradebook's log at the next cycle."""
        _LOG.log(logging.getLevelName(level.upper()), text)
        self.idle_said.put((level, text))

    def run(self, once: bool = False) -> None:
        try:
            if not once:  # the graders of the next deadline, ready before its first hand-in
                self.graders.start()
            self.log(f"watching {', '.join(map(str, self.options.mailboxes))}")
            while True:
                self.bell.clear()  # a message that comes during the cycle rings it again
                self.cycle()
                # IDLE listens once a poll has logged in: a login refused (a wrong password)
                # then ends the watch with the poll's one line, and no IDLE thread says it
                # goes on polling as the command stops.
                for idler in self.idlers if not once and self.options.idle else ():
                    if idler.ident is None:  # not started yet
                        idler.start()
                if once:
                    while self.graders.busy():
                        self.answer(self.options.interval)
                    return
                until = time.monotonic() + self.options.interval
                while (left := until - time.monotonic()) > 0 and not self.bell.is_set():
                    self.answer(left)
        finally:
            for idler in self.idlers:
                if idler.is_alive():
                    idler.stop()
            for session in self.sessions.values():
                session.close()
            self.graders.close()
            self.staging.close()
            self.book.close()

    def cycle(self) -> None:
        while not self.idle_said.empty():
            level, text = self.idle_said.get()
            self.book.log(level, text)
        for url in self.options.mailboxes:
            try:
                self.poll(url)
            except MailboxUnavailable as error:
                self.sessions.pop(url, None)
                self.log(f"{url}: {error}; trying again in {self.options.interval:g} s", "error")
        while self.handle_messages():
            self.grade_due()  # the graders start on the first part of a burst
            self.answer(0)
        self.grade_due()
        self.queue_request_answers()
        self.send_replies()

    def queue_request_answers(self) -> None:
        """The regrade requests' acknowledgements and the markers' decisions, into the outbox
        (once each: their digests name the request and the kind of answer)."""
        due = requests.answers_due(self.options.course, self.options.out, self.options.sender)
        if due:
            self.book.queue([reply for _, _, reply in due])
            requests.note_queued(self.options.out, [(number, column) for number, column, _ in due])

    def answer(self, within: float) -> None:
        """Take the notebooks graded meanwhile (waiting up to ``within`` seconds for the
        first, or less if the bell may ring), queue their replies and send them; wait for the
        bell if nothing is being graded."""
        if not self.graders.busy():
            self.bell.wait(within)
            return
        graded = self.graders.finished(min(within, MAILBOX.bell_heard_within_s))
        for outcome in graded:
            self._answer(outcome)
        if graded:
            self.send_replies()

    def poll(self, url: MailboxUrl) -> None:
        session = self.sessions.get(url)
        if session is None:
            session = self.sessions[url] = Session(url, self.options.cafile)
        else:
            session.refresh()
        after = self.book.fetched.last_uid(url, session.uidvalidity)
        new = 0
        for uid, raw, delivered in session.fetch(session.new_uids(after)):
            stored = self.book.store(url, session.uidvalidity, uid, raw)
            new += stored
            if stored and delivered:
                key = message_key(url, session.uidvalidity, uid)
                self.log(f"{key}: seen, delivered {_ago(delivered)}")
        self.book.note_poll()
        if new:
            self.log(f"{url}: {new} new message(s)")

    def handle_messages(self) -> bool:
        """Collect and handle the next part of the messages not handled yet; False if none.
        Each is parsed once, and collect and the reading of its kind read that."""
        pending = self.book.pending_messages(MAILBOX.watch_messages_at_once)
        if not pending:
            return False
        messages = [(key, receive(raw, DEFAULT_LIMITS)) for key, raw in pending]
        self._collect(messages)
        for key, received in messages:
            handled = self.handle(key, received)
            if handled.jobs:
                self.threads[key] = replies.Thread.of(key, received)
            self.book.finish_message(key, handled.outcome, handled.jobs, handled.replies)
            self.log(f"{key}: {handled.outcome}")
        return True

    def handle(self, key: str, received: Received) -> Handled:
        """One message, read once into what it is, handed to the one part for that kind."""
        kind = kind_of(received, self.context, self.options.out)
        replaced = self.replaced.pop(key, [])
        if isinstance(kind, Automatic):
            return Handled("automatic mail (auto-reply, bounce or list): no reply", [], [])
        if isinstance(kind, AboutAGrade):
            return requests.answer(key, received, self.context, kind.taken)
        handled = handle(key, received, self.context, kind.note, replaced)
        if kind.reply_to_feedback and (handled.jobs or handled.replies):
            handled.outcome += " (a reply to the feedback, taken as a hand-in)"
        return handled

    def _collect(self, messages: list[tuple[str, Received]]) -> None:
        """The new messages into the submissions folder, as ``grader collect`` puts them (each
        named as a file of its folder and UID, a later one of the same name in its place)."""
        assignments = [c.id for c in self.options.course.components if c.kind == "auto"]
        settings = Settings(
            DEFAULT_LIMITS,
            self.context.roster,
            COURSE.projects,
            (),
            assignments,
            self.options.course.trusted_authserv_id,
        )
        named = {_file_name(key): received for key, received in messages}
        try:
            summary = collect_items(
                received_items(named, settings),
                settings,
                self.options.submissions,
                merged_pdf=False,
            )
        except UserError as error:
            self.log(f"collect: {error}", "error")
            return
        course = self.options.course.path
        if summary.receiving_server and not self.said_unchecked:  # once a run
            self.said_unchecked = True
            self.log(f"WARNING: {unchecked_line(summary.receiving_server, course)}", "error")
        for line in sender_warnings("", summary.failed_senders, course):  # each such hand-in
            self.log(f"WARNING: {line}", "error")
        keys = {_file_name(key): key for key, _ in messages}
        for _, source, what, _, at, flag in summary.replaced:  # told in the message's answers
            self.replaced.setdefault(keys[source], []).append(Replaced(what, at, flag))
        self.log(
            f"collected {summary.items} message(s) into {self.options.submissions}: "
            f"{len(summary.placed)} changed a hand-in"
        )

    def grade_due(self) -> None:
        """Hand each due notebook to the graders, one at a time per student and assignment
        (a later hand-in waits for the one being graded)."""
        running = self.graders.jobs()
        ids = {job.id for job in running}
        busy = {(job.student, job.assignment) for job in running}
        handed = 0
        for job in self.book.due_jobs():
            if job.id in ids or (job.student, job.assignment) in busy:
                continue
            if self._under_cap(job):
                self.graders.submit(job)
                busy.add((job.student, job.assignment))
                handed += 1
        if handed:
            self.log(f"grading {handed} notebook(s), {len(running)} already being graded")
        wanted = self.book.queued_keys() | {job.message_key for job in self.graders.in_hand()}
        self.threads = {key: t for key, t in self.threads.items() if key in wanted}

    def _under_cap(self, job: Job) -> bool:
        since = now() - timedelta(hours=1)
        done = self.book.gradings_since(job.student, job.assignment, since)
        if len(done) < self.options.max_per_hour:
            return True
        at = datetime.fromisoformat(done[0]) + timedelta(hours=1)
        course = self.options.course
        title, _ = _title_and_deadline(course, job.assignment, job.student)
        text = replies.capped_text(title, len(done), self.options.max_per_hour, at, course.title)
        answer = self._reply(job, f"capped:{job.id}", replies.noted(job.note, text))
        self.book.defer(job, at, [answer])
        self.log(f"{job.student} {job.assignment}: over {self.options.max_per_hour}/hour, at {at}")
        return False

    def _reply(
        self, job: Job, kind: str, text: str, attachments: Sequence[tuple[str, bytes]] = ()
    ) -> replies.Reply:
        thread = self.threads.get(job.message_key)
        if thread is None:  # handled before a restart
            thread = replies.Thread.read(job.message_key, self.book.message(job.message_key))
        name, address = parseaddr(job.address)
        recipient = addresses.recipient(name, address)
        return replies.reply(
            self.options.sender, job.student, recipient, thread, kind, text, attachments
        )

    def _answer(self, outcome: JobOutcome) -> None:
        """One notebook back from the graders: its reply queued with its job marked graded, or,
        when the grader itself failed, no reply and the reason logged."""
        job, row, course = outcome.job, outcome.row, self.options.course
        if row is None:
            self.book.failed(job)
            self.log(f"{job.student} {job.assignment}: the grader failed: {outcome.fault}", "error")
            return
        title, deadline = _title_and_deadline(course, job.assignment, job.student)
        folder = self.options.out / job.assignment / job.student
        fixes = fixes_in(folder / "results.json")
        text = replies.noted(
            job.note,
            replies.feedback_text(title, row, deadline, course.title, fixes, course.decimals),
        )
        page = folder / "feedback.html"
        files = [(f"{job.assignment}-feedback.html", page.read_bytes())] if page.is_file() else []
        self.book.graded(job, [self._reply(job, f"feedback:{job.id}", text, files)])
        self.log(f"{job.student} {job.assignment}: {_score(row, course.decimals)}")

    def send_replies(self) -> None:
        unsent = self.book.unsent()
        if not unsent:
            return
        outgoing = [
            smtp.Outgoing(
                student,
                [recipient],
                email.message_from_bytes(message, policy=MAIL_POLICY),
                digest,
            )
            for digest, student, recipient, message in unsent
        ]
        try:
            with CourseBook(self.options.out / BOOK_NAME) as book:
                smtp.send(outgoing, self.options.server, book)
                sent = [m.digest for m in outgoing if book.was_sent(m.student, m.digest)]
        except UserError as error:
            self.log(f"sending replies: {error}; trying again next round", "error")
            return
        self.book.mark_sent(sent)
        to = sorted({m.student for m in outgoing if m.digest in sent})
        self.log(f"sent {len(sent)} repl{'y' if len(sent) == 1 else 'ies'}: {', '.join(to)}")


def _ago(delivered: datetime) -> str:
    """When a message reached the mailbox, and how long before now (the server's clock)."""
    lag = (datetime.now(delivered.tzinfo) - delivered).total_seconds()
    return f"{delivered.astimezone().isoformat(' ', 'seconds')} ({max(lag, 0):.1f} s ago)"


def _file_name(key: str) -> str:
    """A message's key as the name collect lists it by: folder and UID."""
    return re.sub(r"[^A-Za-z0-9.=;-]+", "_", key.split("/", 3)[-1]) + ".eml"


def _title_and_deadline(
    course: Course, assignment: str, student: str
) -> tuple[str, datetime | None]:
    """An assignment's title and the student's deadline (an extension counts); its id and none
    if course.toml no longer lists it (it was edited while the watch had its hand-ins queued)."""
    component = course.component(assignment)
    if component is None:
        return assignment, None
    return component.title, course.deadline_for(component, student)


def _score(row: Row, decimals: int) -> str:
    if row.status != "graded":
        return row.status
    return f"{for_people(row.score, decimals)}/{for_people(row.max_score, decimals)}"
