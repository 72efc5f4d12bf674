"""What a grading run shows: progress with counts and an ETA while it runs, and a plain-text
table of the rows at the end."""

from __future__ import annotations

import math
import statistics
import sys
import time
from collections.abc import Sequence

from grader.course.config import DEFAULT_DECIMALS
from grader.gradebook.results import GRADER_ERROR, Row
from grader.outputs.scores import for_people


class GradingProgress:
    """A bar with counts and ETA on a terminal; one plain line per submission otherwise."""

    def __init__(self, total: int, stream=sys.stderr, *, decimals: int = DEFAULT_DECIMALS):
        self.total, self.done, self.stream = total, 0, stream
        self.decimals = decimals  # the course's, for the scores
        self.started = self.first = time.monotonic()
        self.bar = None
        if stream.isatty():
            from tqdm import tqdm

            self.bar = tqdm(total=total, unit="submission", file=stream)

    def update(self, row: Row) -> None:
        self.done += 1
        if self.bar is not None:
            self.bar.set_postfix_str(f"{row.student}: {_score(row, self.decimals)}")
            self.bar.update(1)
            return
        now = time.monotonic()
        if self.done == 1:  # the start-up (warm processes, reading hand-ins) is behind us
            self.first = now
            when = f"first after {now - self.started:.1f} s"
        else:
            eta = (now - self.first) / (self.done - 1) * (self.total - self.done)
            when = f"ETA {eta:.0f} s"
        print(
            f"[{self.done}/{self.total}] {row.student}: {_score(row, self.decimals)} {row.status}"
            f" ({when})",
            file=self.stream,
            flush=True,
        )

    def close(self) -> None:
        if self.bar is not None:
            self.bar.close()


def summary_table(
    rows: Sequence[Row], functions: Sequence[str], decimals: int = DEFAULT_DECIMALS
) -> str:
    """A plain-text table of the run: one line per student, scores to ``decimals``."""
    short = [f[:12] for f in functions]
    header = ["student", "score", "status", *short]
    lines = [
        [
            r.student,
            _score(r, decimals),
            r.status,
            *(
                for_people(r.functions.get(f, 0), decimals) if r.status != GRADER_ERROR else "-"
                for f in functions
            ),
        ]
        for r in rows
    ]
    widths = [max(len(str(x)) for x in column) for column in zip(header, *lines, strict=True)]
    render = [
        "  ".join(str(x).ljust(w) for x, w in zip(line, widths, strict=True))
        for line in [header, *lines]
    ]
    return "\n".join(render)


def phases_line(rows: Sequence[Row]) -> str:
    """Where the time of grading went: each phase's median over the timed rows, and the
    slowest submission with its longest phase; then each phase's total and 90th percentile
    ("" when no row was timed)."""
    timed = [r for r in rows if r.phases]
    if not timed:
        return ""
    phases = list(dict.fromkeys(phase for r in timed for phase in r.phases))
    medians = ", ".join(
        f"{phase} {statistics.median(r.phases.get(phase, 0.0) for r in timed):.2f} s"
        for phase in phases
    )
    slowest = max(timed, key=lambda r: sum(r.phases.values()))
    longest = max(slowest.phases, key=lambda phase: slowest.phases[phase])
    # A median hides a phase that only some hand-ins need (the diagnosis of the ones with a
    # mistake, their figures): the totals and the 90th percentile show what it costs.
    spent = {phase: sorted(r.phases.get(phase, 0.0) for r in timed) for phase in phases}
    totals = ", ".join(f"{phase} {sum(values):.1f} s" for phase, values in spent.items())
    tail = ", ".join(f"{phase} {_percentile(values, 0.9):.2f} s" for phase, values in spent.items())
    return (
        f"time per submission, median of {len(timed)}: {medians}; slowest: {slowest.student}, "
        f"{sum(slowest.phases.values()):.1f} s ({longest} {slowest.phases[longest]:.1f} s)\n"
        f"time in all: {totals}; 90th percentile per submission: {tail}"
    )


def _percentile(ordered: Sequence[float], share: float) -> float:
    """The nearest-rank percentile of values in order: the smallest with ``share`` of them at
    or below it."""
    return ordered[max(0, math.ceil(share * len(ordered)) - 1)]


def _score(row: Row, decimals: int) -> str:
    """``score/max``; a submission the grader failed on has none."""
    most = for_people(row.max_score, decimals)
    scored = for_people(row.score, decimals)
    return f"{scored}/{most}" if row.status != GRADER_ERROR else f"-/{most}"
