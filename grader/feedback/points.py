"""Scores as a person reads them: rounded to two decimals, no trailing zeros ("12.73", "10.9",
"100"). Where a machine reads a score (``results.json``'s numbers, the LMS files) it stays
exact: this is for pages, mail, progress lines and the words around them."""

from __future__ import annotations

DECIMALS = 2  # a person reads 12.73 of 12.7272727...


def for_people(value: float, decimals: int = DECIMALS) -> str:
    """``value`` rounded to ``decimals`` for a person: "12.73", "10.9", "100", "0"."""
    text = f"{value:.{decimals}f}"
    if "." in text:
        text = text.rstrip("0").rstrip(".")
    return "0" if text in ("-0", "") else text
