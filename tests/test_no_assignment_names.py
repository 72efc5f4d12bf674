"""``grader/`` knows no assignment: no function an assignment grades is named anywhere in the
framework's text (code, messages, docstrings, comments); an example in a message is taken from
the assignment at hand."""

from __future__ import annotations

import re
import tomllib
from pathlib import Path

REPO = Path(__file__).resolve().parents[1]


def graded_functions() -> set[str]:
    """The names of the functions every assignment under assignments/ grades."""
    names = set()
    for path in sorted((REPO / "assignments").glob("*/assignment.toml")):
        config = tomllib.loads(path.read_text())
        names |= {function["name"] for function in config.get("functions", [])}
    return names


def test_the_framework_names_no_function_of_any_assignment():
    names = graded_functions()
    assert {"lstm_cell", "rnn_forward", "forget_gate"} <= names  # the scan reads them all
    word = re.compile(r"\b(" + "|".join(map(re.escape, sorted(names))) + r")\b")
    found = [
        f"{path.relative_to(REPO)}:{number}: {line.strip()}"
        for path in sorted((REPO / "grader").rglob("*.py"))
        for number, line in enumerate(path.read_text().splitlines(), 1)
        if word.search(line)
    ]
    assert not found, "assignment function names in grader/:\n" + "\n".join(found)
