"""Time from a hand-in's delivery to its feedback reply, with ``grader watch`` on real servers.

    .venv/bin/python benchmarks/watch_latency.py [--singles K] [--students N] [--workers W]
        [--interval S] [--no-idle] [--log FILE]

(issue 50: ``--students 200 --workers 2``; ``--no-idle`` shows the polling alone; ``--log``
keeps the watch's log, with the time of each step.)

Starts Dovecot (the tests' loopback mailbox, TLS, with IMAP IDLE) and aiosmtpd, a course of
K + N students, and ``grader watch`` on them (in the tests' pid fence, grading in the sandbox).
Then delivers K single hand-ins, each once the one before was answered, and a burst of N at
once (a deadline), and prints, per single hand-in and for the burst, the time from delivery to
when the watch saw it, had it graded, sent the reply, and the reply reached the SMTP server
(the steps read from the watch's log). The baseline, in the same run: ``grader grade`` on the
burst's N notebooks with the same workers; the burst's ratio is its whole span (first delivery
to last reply) over that grading time.
"""

from __future__ import annotations

import argparse
import imaplib
import os
import re
import shutil
import statistics
import subprocess
import sys
import tempfile
import time
from dataclasses import dataclass
from datetime import UTC, datetime
from pathlib import Path

ROOT = Path(__file__).resolve().parent.parent
sys.path.insert(0, str(ROOT / "tests" / "kits"))

from imap_kit import HAND_INS, Dovecot, wire_name  # noqa: E402
from imap_kit import PASSWORD as IMAP_PASSWORD  # noqa: E402
from mailkit import gmail  # noqa: E402
from sandbox_fence import FENCE  # noqa: E402
from smtp_kit import PASSWORD, SENDER, USER, Mailbox, make_certificate, start  # noqa: E402

EXAMPLES = sorted((ROOT / "examples" / "lstm_gates").glob("*.ipynb"))
STEPS = ("seen", "graded", "sent", "reply")
_STAMP = r"^(\d{4}-\d\d-\d\d \d\d:\d\d:\d\d\.\d+[+-]\d\d:\d\d) "


class TimedMailbox(Mailbox):
    """The SMTP side, noting when each reply arrived."""

    def __init__(self) -> None:
        super().__init__()
        self.arrived: dict[str, float] = {}

    async def handle_DATA(self, server, session, envelope):  # noqa: ANN001
        for address in envelope.rcpt_tos:
            self.arrived.setdefault(address.split("@")[0], time.time())
        return await super().handle_DATA(server, session, envelope)


@dataclass
class Steps:
    """One hand-in's times (seconds since the epoch): delivered, then each of STEPS."""

    delivered: float
    seen: float | None = None
    graded: float | None = None
    sent: float | None = None
    reply: float | None = None

    def after(self, step: str) -> float:
        value = getattr(self, step)
        return float("nan") if value is None else value - self.delivered


def course_folder(folder: Path, students: int) -> Path:
    assignments = folder / "assignments"
    shutil.copytree(ROOT / "assignments" / "projects", assignments / "projects")
    shutil.copytree(ROOT / "assignments" / "lstm_gates", assignments / "lstm_gates")
    text = (ROOT / "assignments" / "course.toml").read_text(encoding="utf-8")
    (assignments / "course.toml").write_text(
        text.replace("../examples/course/roster.csv", "roster.csv"), encoding="utf-8"
    )
    rows = [f"{student(n)},Student {n},{student(n)}@example.edu,student" for n in range(students)]
    (assignments / "roster.csv").write_text("id,name,email,role\n" + "\n".join(rows) + "\n")
    return assignments / "course.toml"


def student(n: int) -> str:
    return f"s{n:03d}"


def notebook(n: int) -> bytes:
    return EXAMPLES[n % len(EXAMPLES)].read_bytes()


def read_steps(log: str, hand_ins: dict[str, Steps]) -> None:
    """Each hand-in's seen, graded and sent times, from the watch's log lines."""
    uid_of_student: dict[str, str] = {}
    seen_at: dict[str, float] = {}
    for line in log.splitlines():
        found = re.match(_STAMP + r"(.*)$", line)
        if not found:
            continue
        at, text = datetime.fromisoformat(found.group(1)).timestamp(), found.group(2)
        if seen := re.search(r";UID=(\d+): seen, delivered", text):
            seen_at[seen.group(1)] = at
        elif handled := re.search(r";UID=(\d+): (s\d+): lstm_gates: to grade", text):
            uid_of_student[handled.group(2)] = handled.group(1)
        elif graded := re.match(r"(s\d+) lstm_gates: ", text):
            if graded.group(1) in hand_ins:
                hand_ins[graded.group(1)].graded = at
        elif sent := re.match(r"sent \d+ repl(?:y|ies): (.*)$", text):
            for name in sent.group(1).split(", "):
                if name in hand_ins:
                    hand_ins[name].sent = at
    for name, uid in uid_of_student.items():
        if name in hand_ins:
            hand_ins[name].seen = seen_at.get(uid)


def deliver(client: imaplib.IMAP4_SSL, n: int) -> float:
    """Put student n's hand-in in the mailbox, as a delivery agent does; the time it landed
    (the APPEND's answer; the connection is kept, so no login is counted)."""
    hand_in = gmail(
        f"Student {n} <{student(n)}@example.edu>",
        datetime.now(UTC),
        "Assignment 1",
        "My notebook.",
        attachments=[("lstm_gates.ipynb", notebook(n))],
    )
    status, data = client.append(wire_name(HAND_INS), None, None, hand_in.as_bytes())
    if status != "OK":
        raise SystemExit(f"Dovecot refused the hand-in: {data}")
    return time.time()


def wait_for(condition, watch: subprocess.Popen, log: Path) -> None:  # noqa: ANN001
    while not condition():
        if watch.poll() is not None:
            raise SystemExit(f"the watch stopped: see {log}")
        time.sleep(0.05)


def grading_alone(work: Path, first: int, count: int, workers: int) -> float:
    """Seconds ``grader grade`` takes for the burst's notebooks, the same workers, in the
    same fence: the pure grading time the burst is measured against."""
    folder = work / "grade-alone"
    for n in range(first, first + count):
        (folder / student(n)).mkdir(parents=True)
        (folder / student(n) / "lstm_gates.ipynb").write_bytes(notebook(n))
    command = [*FENCE, sys.executable, "-m", "grader.cli", "grade"]
    command += ["--assignment", str(ROOT / "assignments" / "lstm_gates")]
    command += ["--out", str(work / "graded-alone"), "--workers", str(workers)]
    command += [str(p) for p in sorted(folder.iterdir())]
    started = time.perf_counter()
    done = subprocess.run(command, capture_output=True, text=True, cwd=work)
    took = time.perf_counter() - started
    if done.returncode != 0:
        raise SystemExit(f"grader grade failed:\n{done.stderr[-3000:]}")
    return took


def summary(label: str, steps: list[Steps]) -> str:
    parts = []
    for step in STEPS:
        values = sorted(s.after(step) for s in steps)
        p95 = values[min(len(values) - 1, round(0.95 * (len(values) - 1)))]
        parts.append(f"{step} {statistics.median(values):.2f}/{p95:.2f}")
        if len(values) == 1:
            parts[-1] = f"{step} {values[0]:.2f}"
    return f"{label}: delivery to " + ", ".join(parts) + " s"


def main() -> int:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--singles", type=int, default=5, help="hand-ins one at a time")
    parser.add_argument("--students", type=int, default=30, help="hand-ins in the burst")
    parser.add_argument("--interval", type=float, default=5.0, help="the watch's --interval")
    parser.add_argument("--workers", type=int, default=1)
    parser.add_argument("--no-idle", action="store_true", help="the watch polls only")
    parser.add_argument("--log", type=Path, help="keep the watch's log (times of each step) here")
    options = parser.parse_args()
    work = Path(tempfile.mkdtemp(prefix="grader-watch-bench-"))
    course = course_folder(work, options.singles + options.students)
    imap = Dovecot().start()
    imap.make_folders(HAND_INS)
    certificate = make_certificate(work)
    mailbox = TimedMailbox()
    controller = start(mailbox, certificate)
    command = [
        *FENCE,
        sys.executable,
        "-m",
        "grader.cli",
        "watch",
        imap.url,
        *("--from", SENDER, "--course", str(course), "--out", str(work / "graded")),
        *("--submissions", str(work / "submissions"), "--cafile", str(imap.cert)),
        *("--smtp-host", "127.0.0.1", "--smtp-port", str(controller.port)),
        *("--smtp-cafile", str(certificate[0]), "--interval", str(options.interval)),
        *("--workers", str(options.workers)),
        *(["--no-idle"] if options.no_idle else []),
    ]
    environment = {
        **os.environ,
        "GRADER_IMAP_PASSWORD": IMAP_PASSWORD,
        "GRADER_SMTP_USER": USER,
        "GRADER_SMTP_PASSWORD": PASSWORD,
    }
    log_path = work / "watch.log"
    log = log_path.open("w")
    watch = subprocess.Popen(command, env=environment, stdout=log, stderr=log)
    singles: dict[str, Steps] = {}
    burst: dict[str, Steps] = {}
    try:
        ready = "listening with IMAP IDLE" if not options.no_idle else "watching"
        wait_for(lambda: ready in log_path.read_text(), watch, log_path)
        client = imap.client()
        for n in range(options.singles):
            singles[student(n)] = Steps(deliver(client, n))
            wait_for(lambda: student(n) in mailbox.arrived, watch, log_path)  # noqa: B023
            time.sleep(0.5)  # the watch's word that it sent it is in the log
        for n in range(options.singles, options.singles + options.students):
            burst[student(n)] = Steps(deliver(client, n))
        wait_for(lambda: all(s in mailbox.arrived for s in burst), watch, log_path)
        client.logout()
        time.sleep(0.5)
    finally:
        watch.kill()
        watch.wait()
        controller.stop()
        imap.remove()
    said = log_path.read_text()
    for name, steps in (*singles.items(), *burst.items()):
        steps.reply = mailbox.arrived.get(name)
    read_steps(said, {**singles, **burst})
    alone = grading_alone(work, options.singles, options.students, options.workers) if burst else 0
    how = "polling only" if options.no_idle else "IMAP IDLE"
    print(
        f"grader watch, {how}, --interval {options.interval:g}, {options.workers} worker(s); "
        "seconds from delivery (median/p95)"
    )
    for name, steps in singles.items():
        print(summary(f"  single {name}", [steps]))
    if singles:
        median = statistics.median(s.after("reply") for s in singles.values())
        print(f"single hand-ins: delivery to reply, median {median:.2f} s (goal <= 2 s)")
    if burst:
        print(summary(f"  burst of {options.students}", list(burst.values())))
        span = max(s.reply or 0 for s in burst.values()) - min(s.delivered for s in burst.values())
        print(
            f"burst of {options.students}: all answered in {span:.1f} s; grader grade alone on "
            f"the same notebooks, {options.workers} worker(s): {alone:.1f} s; "
            f"ratio {span / alone:.2f} (goal <= 1.5)"
        )
    print(f"load average: {' '.join(f'{x:.2f}' for x in os.getloadavg())}")
    if options.log:
        shutil.copyfile(log_path, options.log)
    shutil.rmtree(work, ignore_errors=True)
    return 0


if __name__ == "__main__":
    sys.exit(main())
