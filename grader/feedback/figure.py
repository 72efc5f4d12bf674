"""The plot of a function that lost points: expected against returned values on the failing case
with the largest error, each returned value labelled by its name (``h``, ``c``, ``dW_f``)."""

from __future__ import annotations

import base64
import io
from dataclasses import dataclass

import numpy as np

from grader.scoring import CaseResult, FunctionResult
from grader.scoring.returned import align

# Values beyond this are drawn at the edge of the plot: a returned 1e308 must not break it.
PLOT_LIMIT = 1e6


def plotted(
    case: CaseResult, names: tuple[str, ...] = ()
) -> list[tuple[str, np.ndarray, np.ndarray]]:
    """The (name, expected, returned) values of a failing case that can be drawn; ``names``
    those of a returned tuple's values ("value 1", ... without them)."""
    pairs, problem = align(case.got, case.expected, names)
    if problem:
        return []
    drawn = []
    for name, got, expected in pairs:
        if not isinstance(got, np.ndarray) or not isinstance(expected, np.ndarray):
            continue  # a str is told in words, not drawn
        if got.shape != expected.shape:
            continue
        got, expected = np.ravel(got).astype(np.float64), np.ravel(expected)
        finite = np.isfinite(got) & np.isfinite(expected)
        if finite.any():
            limit = PLOT_LIMIT
            drawn.append((name, expected[finite], np.clip(got[finite], -limit, limit)))
    return drawn


@dataclass(frozen=True)
class Row:
    """One plotted value's numbers, for the table beside the plot (for a screen reader, and
    for anyone who wants them): how many, their ranges, how many lie off the diagonal."""

    name: str
    count: int
    off: int  # numbers beyond the tolerance: off the diagonal
    expected: tuple[float, float]
    returned: tuple[float, float]
    largest: float  # the largest difference


@dataclass(frozen=True)
class Figure:
    """A drawn plot: the PNG in base64, the names of the values it shows, what it shows in one
    sentence (which values lie off the diagonal), and its numbers as rows of a table."""

    png: str
    names: tuple[str, ...]
    words: str
    rows: tuple[Row, ...] = ()


def _rows(
    drawn: list[tuple[str, np.ndarray, np.ndarray]], tolerance: tuple[float, float] | None
) -> tuple[Row, ...]:
    atol, rtol = tolerance or (0.0, 0.0)
    rows = []
    for name, expected, got in drawn:
        gap = np.abs(got - expected)
        rows.append(
            Row(
                name or "the value",
                int(expected.size),
                int(np.sum(gap > atol + rtol * np.abs(expected))),
                (float(expected.min()), float(expected.max())),
                (float(got.min()), float(got.max())),
                float(gap.max()),
            )
        )
    return tuple(rows)


def _in_words(function: str, label: str, rows: tuple[Row, ...]) -> str:
    """What the figure shows, in one sentence: which values lie off the diagonal."""
    off = [row for row in rows if row.off]
    on = [row.name for row in rows if not row.off]
    said = "; ".join(
        f"{row.off} of {row.count} numbers of {row.name} lie off it (the largest difference"
        f" {row.largest:.3g})"
        for row in off
    )
    rest = f"; those of {', '.join(on)} lie on it" if on and off else ""
    return (
        f"{function}'s returned values against the right ones on case {label}, where right"
        f" values lie on the diagonal: {said or 'every number lies on it'}{rest}."
    )


def figure(result: FunctionResult) -> Figure | None:
    """The plot for a function that lost points (None when no failing case has values of the
    expected shape: the case lines say the shapes)."""
    failing = [
        c
        for c in result.cases
        if not c.passed and c.got is not None and plotted(c, result.output_names)
    ]
    if not failing:
        return None
    shown = max(failing, key=lambda c: -1.0 if c.max_error is None else c.max_error)
    drawn = plotted(shown, result.output_names)
    buffer = io.BytesIO()
    draw(result.name, shown.label, drawn).savefig(buffer, format="png")
    rows = _rows(drawn, result.tolerance)
    return Figure(
        base64.b64encode(buffer.getvalue()).decode("ascii"),
        tuple(n for n, _, _ in drawn),
        _in_words(result.name, shown.label, rows),
        rows,
    )


def draw(function: str, label: str, drawn: list[tuple[str, np.ndarray, np.ndarray]]):
    """The matplotlib figure of ``drawn`` (name, expected, returned), a legend naming each value
    when there are several.

    Laid out by fixed margins, not ``tight_layout`` (which draws the figure once more to measure
    it: two thirds again of a figure's cost, and a hand-in with a mistake has a figure per
    function that lost points); tick labels are kept short enough for them (a scale beyond
    ``_PLAIN_TICKS`` is written once beside the axis, as 1e6)."""
    import matplotlib
    from matplotlib.figure import Figure as PlotFigure

    with matplotlib.rc_context({"axes.formatter.limits": _PLAIN_TICKS}):
        fig = PlotFigure(figsize=(3.6, 3.0), dpi=90)
        ax = fig.add_subplot()
        for name, expected, got in drawn:
            ax.scatter(expected, got, s=10, alpha=0.7, label=name or None)
        values = np.concatenate([expected for _, expected, _ in drawn])
        low, high = float(values.min()), float(values.max())
        ax.plot([low, high], [low, high], color="grey", linewidth=1, linestyle="--")
        ax.set_xlabel("expected (reference)")
        ax.set_ylabel("returned (yours)")
        ax.set_title(f"{function}: {label}", fontsize=8)
        if len(drawn) > 1:
            ax.legend(fontsize=7)
        fig.subplots_adjust(**_MARGINS)
    return fig


# Room for tick labels of up to six characters (-0.025, 1000.5) and the axis labels, as
# fractions of the figure; _PLAIN_TICKS keeps every label that short.
_MARGINS = {"left": 0.23, "right": 0.96, "bottom": 0.16, "top": 0.86}
_PLAIN_TICKS = (-3, 4)  # powers of ten written out in tick labels; beyond, one scale factor
