"""Figures for the dashboard, drawn by matplotlib as inline SVG (no script, scales cleanly), each
with its figures in words: the text a screen reader reads, and anyone can check the bars by."""

from __future__ import annotations

import io
import re
import statistics
from collections.abc import Sequence

import matplotlib

matplotlib.use("Agg")
import matplotlib.pyplot as plt  # noqa: E402  (the backend must be chosen first)
from matplotlib.ticker import MaxNLocator  # noqa: E402

BINS = 10  # 0-10 %, 10-20 %, ..., 90-100 %
_BAR = "#3a6ea5"  # 5.2:1 on white: chart marks need 3:1 (WCAG 1.4.11)
_NOTE = "#5b6470"  # text on the plot: 5.9:1 on white


def _percents(fractions: Sequence[float]) -> list[float]:
    return [max(0.0, min(100.0, 100.0 * f)) for f in fractions]


def histogram_text(fractions: Sequence[float]) -> str:
    """The histogram's figures in one sentence: how many scores, their median and range, and
    the count in each non-empty bin, highest bin first."""
    percents = _percents(fractions)
    if not percents:
        return "No score yet: nothing graded or marked."
    width = 100 // BINS
    counts = [0] * BINS
    for p in percents:
        counts[min(int(p // width), BINS - 1)] += 1  # 100 % falls in the last bin
    bins = [
        f"{n} in {b * width}\u2013{(b + 1) * width} %"
        for b, n in reversed(list(enumerate(counts)))
        if n
    ]
    scored = "1 score" if len(percents) == 1 else f"{len(percents)} scores"
    return (
        f"{scored}, median {statistics.median(percents):.0f} %, from {min(percents):.0f} % "
        f"to {max(percents):.0f} %: {', '.join(bins)}."
    )


def score_histogram(fractions: Sequence[float]) -> str:
    """An SVG histogram of scores in percent, as wide as its container; an empty class gives an
    empty, labelled plot."""
    figure, axes = plt.subplots(figsize=(4.2, 2.1), dpi=96)
    try:
        percents = _percents(fractions)
        axes.hist(percents, bins=BINS, range=(0, 100), color=_BAR, edgecolor="white")
        axes.set_xlim(0, 100)
        axes.set_xlabel("score (%)", fontsize=8)
        axes.set_ylabel("students", fontsize=8)
        locator = axes.yaxis.get_major_locator()
        if isinstance(locator, MaxNLocator):  # a new plot's AutoLocator: whole numbers of students
            locator.set_params(integer=True)
        axes.tick_params(labelsize=7)
        axes.spines[["top", "right"]].set_visible(False)
        if not percents:
            axes.set_ylim(0, 1)
            axes.set_yticks([])
            axes.text(
                50,
                0.5,
                "nothing graded or marked yet",
                ha="center",
                va="center",
                color=_NOTE,
                fontsize=9,
            )
        figure.tight_layout()
        buffer = io.StringIO()
        figure.savefig(buffer, format="svg")
    finally:
        plt.close(figure)
    svg = buffer.getvalue()
    svg = svg[svg.index("<svg") :]  # drop the XML prologue: it is inlined in HTML
    # Scale with the card it sits in (the viewBox keeps the proportions); hidden from screen
    # readers, which read histogram_text beside it instead of the SVG's shapes.
    size = re.compile(r'<svg([^>]*?) width="[^"]+" height="[^"]+"')
    return size.sub(r'<svg\1 width="100%" aria-hidden="true" focusable="false"', svg, count=1)
