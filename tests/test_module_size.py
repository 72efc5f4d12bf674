"""One small module per job: a module of grader/ past 400 lines holds more than one (split it by
job, as grader/limits/ and grader/bundle/ are)."""

from __future__ import annotations

from pathlib import Path

GRADER = Path(__file__).resolve().parents[1] / "grader"
MOST_LINES = 400


def test_no_module_of_the_grader_is_over_400_lines():
    long = [
        f"{path.relative_to(GRADER.parent)}: {lines} lines"
        for path in sorted(GRADER.rglob("*.py"))
        if (lines := len(path.read_text().splitlines())) > MOST_LINES
    ]
    assert not long, f"modules over {MOST_LINES} lines (split each by job):\n" + "\n".join(long)
