"""The progress lines of a grading run: counts, and an ETA that leaves the start-up out."""

from __future__ import annotations

import io

from grader.gradebook import Row
from grader.run_report import Progress


def _row(student: str) -> Row:
    return Row(student, f"{student}.ipynb", "0" * 64, 1, "graded", None, 10.0, 10.0, False, {})


def test_the_eta_counts_from_the_first_result_not_from_the_start_up():
    stream = io.StringIO()
    progress = Progress(11, stream)
    progress.started -= 30.0  # a slow start-up: warm processes, reading the hand-ins
    progress.update(_row("ada"))
    progress.first -= 1.0  # then one submission a second
    progress.update(_row("bo"))
    first, second = stream.getvalue().splitlines()
    assert first.startswith("[1/11] ada: 10/10 graded (first after 30")
    assert second.startswith("[2/11] bo: 10/10 graded (ETA 9 s)"), second
