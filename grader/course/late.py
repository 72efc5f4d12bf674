"""The late policy: how much of a component's score a late hand-in keeps, and why.

Pure functions of the submission time, the deadline and the policy of ``course.toml``:

* on time (at the deadline exactly, or before it): no penalty;
* within the grace period after the deadline: no penalty, and the note says so (shown as
  "grace", never as "late");
* later: ``penalty_per_day`` percent for each day or part of a day after the deadline
  (the grace period forgives, it does not shift the count), at most ``max_penalty`` percent;
* more than ``no_credit_after_days`` days after the deadline (when set): no credit.
"""

from __future__ import annotations

import math
from dataclasses import dataclass
from datetime import datetime, timedelta

DAY = timedelta(days=1)


@dataclass(frozen=True)
class LatePolicy:
    grace: timedelta = timedelta(0)
    penalty_per_day: float = 0.0  # percent of the component's score
    max_penalty: float = 100.0  # percent
    no_credit_after_days: float | None = None


@dataclass(frozen=True)
class Lateness:
    """What the policy does to one hand-in: keep ``factor`` of the score, ``why`` in words."""

    factor: float
    why: str
    late: bool
    within_grace: bool = False  # after the deadline but within the grace period: no penalty

    @property
    def penalty_percent(self) -> float:
        return round((1.0 - self.factor) * 100.0, 6)


ON_TIME = Lateness(1.0, "on time", False)


def days_late(submitted: datetime, deadline: datetime) -> int:
    """Whole days late, a part of a day counting as a day; 0 at or before the deadline."""
    late_by = submitted - deadline
    if late_by <= timedelta(0):
        return 0
    return math.ceil(late_by / DAY)


def apply(policy: LatePolicy, submitted: datetime | None, deadline: datetime | None) -> Lateness:
    """The penalty for a hand-in at ``submitted`` against ``deadline`` (None: no deadline or no
    known time, so no penalty)."""
    if submitted is None or deadline is None or submitted <= deadline:
        return ON_TIME
    late_by = submitted - deadline
    shown = _duration(late_by)
    if late_by <= policy.grace:
        return Lateness(
            1.0, f"{shown} late, within the {_duration(policy.grace)} grace period", True, True
        )
    limit = policy.no_credit_after_days
    if limit is not None and late_by > limit * DAY:
        return Lateness(0.0, f"{shown} late, more than {limit:g} days: no credit", True)
    days = days_late(submitted, deadline)
    penalty = min(days * policy.penalty_per_day, policy.max_penalty)
    capped = " (the cap)" if days * policy.penalty_per_day > policy.max_penalty else ""
    day_word = "day" if days == 1 else "days"
    return Lateness(
        1.0 - penalty / 100.0,
        f"{shown} late ({days} {day_word}): -{penalty:g}%{capped}",
        True,
    )


def _duration(span: timedelta) -> str:
    minutes = round(span.total_seconds() / 60)
    days, minutes = divmod(minutes, 24 * 60)
    hours, minutes = divmod(minutes, 60)
    parts = [f"{days} d"] if days else []
    parts += [f"{hours} h"] if hours else []
    parts += [f"{minutes} min"] if minutes or not parts else []
    return " ".join(parts)
