"""The progress lines of a grading run: counts, and an ETA that leaves the start-up out."""

from __future__ import annotations

import io
from dataclasses import replace

from grader.gradebook.results import Row
from grader.grading.summary import GradingProgress, phases_line


def _row(student: str) -> Row:
    return Row(student, f"{student}.ipynb", "0" * 64, 1, "graded", None, 10.0, 10.0, False, {})


def test_the_eta_counts_from_the_first_result_not_from_the_start_up():
    stream = io.StringIO()
    progress = GradingProgress(11, stream)
    progress.started -= 30.0  # a slow start-up: warm processes, reading the hand-ins
    progress.update(_row("ada"))
    progress.first -= 1.0  # then one submission a second
    progress.update(_row("bo"))
    first, second = stream.getvalue().splitlines()
    assert first.startswith("[1/11] ada: 10/10 graded (first after 30")
    assert second.startswith("[2/11] bo: 10/10 graded (ETA 9 s)"), second


def test_the_phases_line_says_each_phases_median_and_the_slowest_submission():
    def timed(student: str, cells: float) -> Row:
        phases = {"start": 0.4, "cells": cells, "probes": 1.0, "diagnosis": 0.2, "files": 0.1}
        return replace(_row(student), phases=phases)

    rows = [timed("ada", 2.0), timed("bo", 30.0), timed("cy", 3.0), _row("dee")]  # dee: old row
    assert phases_line(rows) == (
        "time per submission, median of 3: start 0.40 s, cells 3.00 s, probes 1.00 s, "
        "diagnosis 0.20 s, files 0.10 s; slowest: bo, 31.7 s (cells 30.0 s)\n"
        "time in all: start 1.2 s, cells 35.0 s, probes 3.0 s, diagnosis 0.6 s, files 0.3 s; "
        "90th percentile per submission: start 0.40 s, cells 30.00 s, probes 1.00 s, "
        "diagnosis 0.20 s, files 0.10 s"
    )
    assert phases_line([_row("dee")]) == ""


def test_a_cost_only_the_hand_ins_with_a_mistake_have_is_not_hidden_by_the_median():
    """Issue 67: "diagnosis 0.01 s" (the median) hid 0.87 s a hand-in with a mistake."""
    rows = [
        replace(_row(f"s{n}"), phases={"cells": 0.1, "diagnosis": 0.87 if n < 4 else 0.01})
        for n in range(10)
    ]
    line = phases_line(rows)
    assert "median of 10: cells 0.10 s, diagnosis 0.01 s" in line
    assert "time in all: cells 1.0 s, diagnosis 3.5 s" in line
    assert "90th percentile per submission: cells 0.10 s, diagnosis 0.87 s" in line
