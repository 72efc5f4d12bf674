"""Collect throughput against plain mail parsing, measured in the same run.

    .venv/bin/python benchmarks/collect_throughput.py [--students N]

Builds a Gmail Takeout mbox of N students who each hand in the notebooks at 19:00, the reports
at 19:40 and the same files again the next morning, then times ``grader collect`` on it (a first
run, and a second run that finds everything already collected) against the baseline of parsing
every message and decoding every attachment with Python's ``email`` package and nothing else.
Prints seconds per email for each and their ratio; the merged PDF is timed apart.
"""

from __future__ import annotations

import argparse
import email
import email.policy
import mailbox
import sys
import tempfile
import time
from datetime import datetime, timedelta, timezone
from pathlib import Path

ROOT = Path(__file__).resolve().parent.parent
sys.path.insert(0, str(ROOT / "tests" / "kits"))

from mailkit import gmail, notebook, takeout_mbox, titled_report  # noqa: E402

from grader import intake  # noqa: E402
from grader.intake import merged_pdf  # noqa: E402

IST = timezone(timedelta(hours=5, minutes=30))
DEADLINE = datetime(2023, 1, 15, 23, 59, tzinfo=IST)


def inbox(path: Path, students: int) -> Path:
    nb1, nb2 = notebook("# Project 1: stock prices"), notebook("# Project 2: reviews")
    r1, r2 = titled_report("Project 1: stock prices"), titled_report("Project 2: reviews")
    day = datetime(2023, 1, 15, 19, tzinfo=IST)
    messages = []
    for number in range(students):
        who = f"Student {number} <s{number:04d}@example.edu>"
        notebooks = [("p1_lstm.ipynb", nb1), ("p2_lstm.ipynb", nb2)]
        reports = [("report_a.pdf", r2), ("report_b.pdf", r1)]
        messages += [
            gmail(who, day, "LSTM projects", "notebooks", attachments=notebooks),
            gmail(who, day + timedelta(minutes=40), "Re: LSTM", "reports", attachments=reports),
            gmail(who, day + timedelta(hours=14), "Re: LSTM", "again", attachments=notebooks),
        ]
    return takeout_mbox(path, messages)


def plain_parsing(mbox: Path) -> float:
    """Seconds to parse every message and decode every attachment, nothing more."""
    started = time.perf_counter()
    for message in mailbox.mbox(mbox, create=False):
        parsed = email.message_from_bytes(message.as_bytes(), policy=email.policy.default)
        for part in parsed.iter_attachments():
            part.get_content()
    return time.perf_counter() - started


def main() -> int:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--students", type=int, default=40)
    args = parser.parse_args()
    with tempfile.TemporaryDirectory(prefix="collect-bench-") as folder:
        mbox = inbox(Path(folder) / "Takeout.mbox", args.students)
        emails = 3 * args.students
        baseline = plain_parsing(mbox)
        pdf_seconds = 0.0
        write_merged_pdf = merged_pdf.write_merged_pdf

        def timed_pdf(*pdf_args, **kwargs):
            nonlocal pdf_seconds
            started = time.perf_counter()
            result = write_merged_pdf(*pdf_args, **kwargs)
            pdf_seconds += time.perf_counter() - started
            return result

        # collect imports it as it writes the PDF: the timed one is what it finds
        merged_pdf.write_merged_pdf = timed_pdf
        timings = []
        for _ in range(2):
            pdf_seconds = 0.0
            started = time.perf_counter()
            intake.collect(mbox, Path(folder) / "out", DEADLINE)
            timings.append((time.perf_counter() - started - pdf_seconds, pdf_seconds))
    print(f"{emails} emails from {args.students} students")
    print(f"plain parsing:             {baseline / emails * 1000:7.1f} ms per email")
    for label, (seconds, pdf) in zip(
        ("collect, first run:", "collect, run again:"), timings, strict=True
    ):
        print(
            f"{label:26} {seconds / emails * 1000:7.1f} ms per email "
            f"({seconds / baseline:.1f} x plain parsing), merged PDF {pdf:.1f} s"
        )
    return 0


if __name__ == "__main__":
    sys.exit(main())
