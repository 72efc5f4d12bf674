"""The late policy at its edges: exactly at the deadline, inside the grace period, one second
past it, whole and part days, the cap, and no credit after N days."""

from __future__ import annotations

from datetime import UTC, datetime, timedelta, timezone

import pytest

from grader.course.late import LatePolicy, apply, days_late

IST = timezone(timedelta(hours=5, minutes=30))
DEADLINE = datetime(2027, 2, 12, 23, 59, tzinfo=IST)
POLICY = LatePolicy(
    grace=timedelta(hours=2), penalty_per_day=10, max_penalty=50, no_credit_after_days=7
)


def at(**late_by) -> datetime:
    return DEADLINE + timedelta(**late_by)


def test_exactly_at_the_deadline_is_on_time():
    result = apply(POLICY, DEADLINE, DEADLINE)
    assert (result.factor, result.late, result.why) == (1.0, False, "on time")


def test_the_same_instant_in_another_time_zone_is_on_time():
    assert apply(POLICY, DEADLINE.astimezone(UTC), DEADLINE).late is False


def test_inside_the_grace_period_costs_nothing_but_says_so():
    result = apply(POLICY, at(hours=1, minutes=30), DEADLINE)
    assert result.factor == 1.0 and result.late
    assert "1 h 30 min late, within the 2 h grace period" == result.why


def test_at_the_end_of_the_grace_period_is_still_free():
    assert apply(POLICY, at(hours=2), DEADLINE).factor == 1.0


def test_just_past_the_grace_period_counts_one_day_from_the_deadline():
    result = apply(POLICY, at(hours=2, seconds=1), DEADLINE)
    assert result.factor == pytest.approx(0.9)
    assert "(1 day): -10%" in result.why


def test_part_days_count_as_days():
    assert days_late(at(days=1), DEADLINE) == 1
    assert days_late(at(days=1, seconds=1), DEADLINE) == 2
    assert apply(POLICY, at(days=2, hours=3), DEADLINE).factor == pytest.approx(0.7)


def test_the_penalty_stops_at_the_cap():
    result = apply(POLICY, at(days=6, hours=1), DEADLINE)  # 7 days: 70% -> capped at 50%
    assert result.factor == pytest.approx(0.5)
    assert "-50% (the cap)" in result.why


def test_exactly_n_days_late_still_gets_credit_and_later_gets_none():
    assert apply(POLICY, at(days=7), DEADLINE).factor == pytest.approx(0.5)
    result = apply(POLICY, at(days=7, seconds=1), DEADLINE)
    assert result.factor == 0.0
    assert "more than 7 days: no credit" in result.why


def test_no_deadline_or_no_time_means_no_penalty():
    assert apply(POLICY, None, DEADLINE).factor == 1.0
    assert apply(POLICY, at(days=3), None).factor == 1.0


def test_without_grace_one_second_late_is_a_day():
    strict = LatePolicy(penalty_per_day=25)
    assert apply(strict, at(seconds=1), DEADLINE).factor == pytest.approx(0.75)
