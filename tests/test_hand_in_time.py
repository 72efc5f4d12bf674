"""A hand-in time is a value: a time, or unknown with the LMS's verdict. It reads what earlier
builds wrote in a manifest's slot (``"at"``, ``null`` when unknown, and ``"late_verdict"``) and
writes it back the same; it is late, within the grace period or on time by its deadline, and an
unknown one is late exactly where the LMS said so."""

from __future__ import annotations

from datetime import UTC, datetime, timedelta

from hypothesis import given
from hypothesis import strategies as st

from grader.hand_in_time import UNKNOWN, HandInTime

moments = st.datetimes(
    min_value=datetime(2020, 1, 1), max_value=datetime(2030, 1, 1), timezones=st.just(UTC)
)
verdicts = st.sampled_from(["", "Canvas's LATE mark"])
times = st.one_of(
    moments.map(lambda m: HandInTime(m.isoformat(timespec="seconds"))),
    verdicts.map(lambda v: HandInTime("", v)),
)


def test_an_earlier_builds_slot_reads_as_it_was_written():
    canvas = {"at": None, "late_verdict": "Canvas's LATE mark", "source": "x.zip", "path": "a"}
    assert HandInTime.of_record(canvas) == HandInTime("", "Canvas's LATE mark")
    mail = {"at": "2026-12-01T10:00:00+05:30", "source": "inbox.mbox:3"}
    assert HandInTime.of_record(mail) == HandInTime("2026-12-01T10:00:00+05:30")
    assert HandInTime.of_record({"at": None}) == UNKNOWN
    assert HandInTime.of_record(canvas).record() == {k: canvas[k] for k in ("at", "late_verdict")}
    assert HandInTime.of_record(mail).record() == {"at": mail["at"]}  # no verdict key added


@given(times)
def test_what_is_recorded_reads_back_the_same(time):
    assert HandInTime.of_record(time.record()) == time


@given(times, moments, st.integers(0, 72))
def test_late_within_grace_or_on_time(time, deadline, hours):
    grace = timedelta(hours=hours)
    standing = time.standing(deadline, grace)
    moment = time.moment()
    if moment is None:  # how late is not known: late where the LMS said so, whatever the day
        assert standing == ("late" if time.late_verdict else "")
    elif moment <= deadline:
        assert standing == ""
    else:
        assert standing == ("grace" if moment <= deadline + grace else "late")
    assert time.standing(None, grace) in ("", "late")  # no deadline: only the LMS's word


@given(times, times)
def test_an_unknown_time_gives_way_and_sorts_last(held, newer):
    if held.moment() is None or newer.moment() is None:
        assert held.gives_way_to(newer)  # an LMS's current hand-in: the newer one wins
    else:
        assert held.gives_way_to(newer) == (held.moment() <= newer.moment())
    if held.moment() is not None and newer.moment() is None:
        assert held.order() < newer.order()
