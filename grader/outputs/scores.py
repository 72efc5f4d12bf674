"""Scores as a person reads them: rounded to the course's decimals (``[course] decimals``, 1 or
2; two unless it says), no trailing zeros ("12.73", "10.9", "100"). Where a machine reads a
score (``results.json``'s numbers, the LMS files) it stays exact: this is for pages, mail,
progress lines, printed tables and the words around them."""

from __future__ import annotations

import math
from decimal import ROUND_HALF_UP, Decimal

# The decimals a person reads when the course does not say ([course] decimals: 1 or 2).
DEFAULT_DECIMALS = 2


def for_people(value: float, decimals: int = DEFAULT_DECIMALS) -> str:
    """``value`` rounded to ``decimals`` for a person: "12.73", "10.9", "100", "0"; a half
    rounded up, as a person rounds (88.75 to one decimal is 88.8), from the value as it is
    written (its shortest repr), not from the binary fraction below it."""
    if not math.isfinite(value):  # no score is; said as Python says it rather than raise
        return repr(float(value))
    rounded = Decimal(repr(float(value))).quantize(Decimal(1).scaleb(-decimals), ROUND_HALF_UP)
    text = f"{rounded:f}"
    if "." in text:
        text = text.rstrip("0").rstrip(".")
    return "0" if text in ("-0", "") else text
