"""``make demo``'s course is this term's: its hand-ins, made the day it runs, are on time."""

from __future__ import annotations

from datetime import UTC, datetime
from pathlib import Path

from grader import demo
from grader.course.config import load_course

ROOT = Path(__file__).resolve().parents[1]


def test_the_demo_course_has_this_terms_deadlines_spaced_as_shipped(tmp_path):
    shipped = [c.deadline for c in load_course(ROOT / "assignments" / "course.toml").components]
    made = [c.deadline for c in load_course(demo.make_course(tmp_path) / "course.toml").components]
    assert None not in made and None not in shipped
    assert min(made) >= datetime.now(UTC) + demo.FIRST_DEADLINE_AHEAD  # today's hand-ins: on time
    assert min(made) <= max(min(shipped), datetime.now(UTC) + demo.FIRST_DEADLINE_AHEAD * 2)
    assert [d - made[0] for d in made] == [d - shipped[0] for d in shipped]
    assert {(d.weekday(), d.timetz()) for d in made} == {(d.weekday(), d.timetz()) for d in shipped}
