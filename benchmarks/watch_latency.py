"""Time from a hand-in's delivery to its feedback reply, with ``grader watch`` on real servers.

    .venv/bin/python benchmarks/watch_latency.py [--students N] [--interval S] [--workers W]
        [--log FILE]

(issue 30's burst at the deadline: ``--students 200 --workers 2``; ``--log`` keeps the
watch's log, with the time of each step.)

Starts Dovecot (the tests' loopback mailbox, TLS) and aiosmtpd, a course with N students, and
``grader watch`` on them (in the tests' pid fence, grading in the sandbox). Then delivers one
lstm_gates notebook per student at once (a burst at the deadline; N=1 is a single hand-in) and
prints the delivery-to-reply latency (median, 95th percentile) and the throughput.
"""

from __future__ import annotations

import argparse
import os
import shutil
import statistics
import subprocess
import sys
import tempfile
import time
from datetime import UTC, datetime
from pathlib import Path

ROOT = Path(__file__).resolve().parent.parent
sys.path.insert(0, str(ROOT / "tests" / "kits"))

from imap_kit import HAND_INS, Dovecot  # noqa: E402
from imap_kit import PASSWORD as IMAP_PASSWORD  # noqa: E402
from mailkit import gmail  # noqa: E402
from sandbox_fence import FENCE  # noqa: E402
from smtp_kit import PASSWORD, SENDER, USER, Mailbox, make_certificate, start  # noqa: E402

EXAMPLES = sorted((ROOT / "examples" / "lstm_gates").glob("*.ipynb"))


class TimedMailbox(Mailbox):
    """The SMTP side, noting when each reply arrived."""

    def __init__(self) -> None:
        super().__init__()
        self.arrived: dict[str, float] = {}

    async def handle_DATA(self, server, session, envelope):  # noqa: ANN001
        for address in envelope.rcpt_tos:
            self.arrived.setdefault(address, time.monotonic())
        return await super().handle_DATA(server, session, envelope)


def course_folder(folder: Path, students: int) -> Path:
    assignments = folder / "assignments"
    shutil.copytree(ROOT / "assignments" / "projects", assignments / "projects")
    shutil.copytree(ROOT / "assignments" / "lstm_gates", assignments / "lstm_gates")
    text = (ROOT / "assignments" / "course.toml").read_text(encoding="utf-8")
    (assignments / "course.toml").write_text(
        text.replace("../examples/course/roster.csv", "roster.csv"), encoding="utf-8"
    )
    rows = [f"s{n:03d},Student {n},s{n:03d}@example.edu,student" for n in range(students)]
    (assignments / "roster.csv").write_text("id,name,email,role\n" + "\n".join(rows) + "\n")
    return assignments / "course.toml"


def main() -> int:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--students", type=int, default=1)
    parser.add_argument("--interval", type=float, default=5.0)
    parser.add_argument("--workers", type=int, default=1)
    parser.add_argument("--log", type=Path, help="keep the watch's log (times of each step) here")
    options = parser.parse_args()
    work = Path(tempfile.mkdtemp(prefix="grader-watch-bench-"))
    course = course_folder(work, options.students)
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
    ]
    environment = {
        **os.environ,
        "GRADER_IMAP_PASSWORD": IMAP_PASSWORD,
        "GRADER_SMTP_USER": USER,
        "GRADER_SMTP_PASSWORD": PASSWORD,
    }
    log = (work / "watch.log").open("w")
    watch = subprocess.Popen(command, env=environment, stdout=log, stderr=log)
    try:
        while "watching" not in (work / "watch.log").read_text():
            time.sleep(0.2)
        time.sleep(options.interval)  # the first poll (and the sandbox's first use) is done
        delivered = {}
        for n in range(options.students):
            hand_in = gmail(
                f"Student {n} <s{n:03d}@example.edu>",
                datetime.now(UTC),
                "Assignment 1",
                "My notebook.",
                attachments=[("lstm_gates.ipynb", EXAMPLES[n % len(EXAMPLES)].read_bytes())],
            )
            imap.deliver(hand_in.as_bytes())
            delivered[f"s{n:03d}@example.edu"] = time.monotonic()
        while len(mailbox.arrived) < options.students:
            if watch.poll() is not None:
                raise SystemExit(f"the watch stopped: see {work / 'watch.log'}")
            time.sleep(0.1)
    finally:
        watch.kill()
        watch.wait()
        controller.stop()
        imap.remove()
    latencies = sorted(mailbox.arrived[a] - delivered[a] for a in delivered)
    span = max(mailbox.arrived.values()) - min(delivered.values())
    p95 = latencies[min(len(latencies) - 1, round(0.95 * (len(latencies) - 1)))]
    print(
        f"{options.students} hand-in(s), interval {options.interval:g} s, "
        f"{options.workers} worker(s): delivery to reply median "
        f"{statistics.median(latencies):.1f} s, p95 {p95:.1f} s; all answered in {span:.1f} s "
        f"({options.students / span * 60:.1f} per minute)"
    )
    if options.log:
        shutil.copyfile(work / "watch.log", options.log)
    shutil.rmtree(work, ignore_errors=True)
    return 0


if __name__ == "__main__":
    sys.exit(main())
