"""Figures for the dashboard, drawn by matplotlib as inline SVG (no script, scales cleanly)."""

from __future__ import annotations

import io
import re
from collections.abc import Sequence

import matplotlib

matplotlib.use("Agg")
import matplotlib.pyplot as plt  # noqa: E402  (the backend must be chosen first)
from matplotlib.ticker import MaxNLocator  # noqa: E402

BINS = 10  # 0-10 %, 10-20 %, ..., 90-100 %
_BAR = "#3a6ea5"


def score_histogram(fractions: Sequence[float]) -> str:
    """An SVG histogram of scores in percent, as wide as its container; an empty class gives an
    empty, labelled plot."""
    figure, axes = plt.subplots(figsize=(4.2, 2.1), dpi=96)
    try:
        percents = [max(0.0, min(100.0, 100.0 * f)) for f in fractions]
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
                color="#777",
                fontsize=9,
            )
        figure.tight_layout()
        buffer = io.StringIO()
        figure.savefig(buffer, format="svg")
    finally:
        plt.close(figure)
    svg = buffer.getvalue()
    svg = svg[svg.index("<svg") :]  # drop the XML prologue: it is inlined in HTML
    # Scale with the card it sits in (the viewBox keeps the proportions).
    size = re.compile(r'<svg([^>]*?) width="[^"]+" height="[^"]+"')
    return size.sub(r'<svg\1 width="100%"', svg, count=1)
