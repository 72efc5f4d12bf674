"""A name has one meaning (issue 41): the classes that had two or three (the mailbox loop and the
sandbox's forbidden-call watch both ``Watch``; three ``Progress``; the watch's ``Graded`` and
``Graders`` beside grading's) are each defined once in ``grader/``."""

from __future__ import annotations

import ast
from collections import defaultdict
from pathlib import Path

GRADER = Path(__file__).resolve().parent.parent / "grader"


def classes() -> dict[str, list[str]]:
    """Every class name of ``grader/`` (a leading ``_`` aside), with where it is defined."""
    found: dict[str, list[str]] = defaultdict(list)
    for path in sorted(GRADER.rglob("*.py")):
        for node in ast.walk(ast.parse(path.read_text(encoding="utf-8"))):
            if isinstance(node, ast.ClassDef):
                found[node.name.lstrip("_")].append(str(path.relative_to(GRADER)))
    return found


def test_the_names_that_had_two_meanings_have_one() -> None:
    found = classes()
    for name in ("Watch", "Progress", "Graded", "Graders"):
        assert len(found.get(name, [])) <= 1, (name, found[name])


def test_the_watch_and_the_progress_reports_say_what_they_are() -> None:
    found = classes()
    assert found["MailboxLoop"] == ["watch/loop.py"]
    assert found["Watch"] == ["engine/gradersandbox/watch.py"]  # the forbidden-call watch
    assert found["JobOutcome"] == ["watch/grading.py"]
    assert found["WatchGraders"] == ["watch/grading.py"]
    assert found["SearchProgress"] == ["similarity/search.py"]
    assert found["GradingProgress"] == ["grading/summary.py"]
    assert found["ChecksProgress"] == ["grading/project_schedule.py"]
