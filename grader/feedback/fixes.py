"""What to fix: per function that lost points, the one or two sentences a student reads first.
:func:`what_to_fix` composes them once, from the function's result: the feedback page's top
shows them, ``results.json`` keeps them as data (``extra_data.fix``), and the mails (``grader
mail``, the watch's reply) read them back from there with :func:`fixes_in`, so every place
says the same words."""

from __future__ import annotations

from collections.abc import Mapping, Sequence
from dataclasses import dataclass
from pathlib import Path

from grader.course.config import DEFAULT_DECIMALS
from grader.feedback.results_file import read_results_json
from grader.outputs.scores import for_people
from grader.scoring import FunctionResult


def forbidden_note(result: FunctionResult) -> str:
    """What a forbidden shortcut means for the student and what to do; "" without one. Its
    cases are not shown: values the shortcut computed earn nothing, "passed" beside a 0 would
    only puzzle."""
    if not result.forbidden:
        return ""
    name = result.name
    return (
        f"{name} scores 0 whatever its values: it uses a shortcut this assignment forbids, so"
        f" it does not show that you can compute {name} yourself. Write {name} in numpy,"
        f" without the shortcut (the notes' equations, step by step), check it with"
        f' check("{name}"), and hand in again.'
    )


def what_to_fix(result: FunctionResult) -> str:
    """The first words on a function that lost points: what its forbidden shortcut means, else
    its first hint, else what its first failing case says; "" for one with full marks."""
    if result.passed:
        return ""
    if result.forbidden:
        return forbidden_note(result)
    if result.hints:
        return result.hint_messages[result.hints[0]]
    failed = next((case for case in result.cases if not case.passed), None)
    return "" if failed is None else f"{failed.label}: {failed.message}"


@dataclass(frozen=True)
class Fix:
    """One function that lost points, as ``results.json`` keeps it."""

    function: str
    score: float
    points: float
    words: str  # what_to_fix's


def fixes_of(functions: Mapping[str, FunctionResult]) -> list[Fix]:
    """The functions that lost points and have words on what to fix, in the page's order."""
    found = [Fix(name, r.score, r.points, what_to_fix(r)) for name, r in functions.items()]
    return [fix for fix in found if fix.words]


def fixes_in(results: Path) -> list[Fix]:
    """The functions that lost points, in the page's order, with their words, read from
    ``results.json`` (its tests and ``extra_data.fix``; a file written before ``fix`` was kept
    gives each function's first hint); [] where the file is missing or not the grader's;
    UserError for one a newer grader wrote."""
    try:
        document = read_results_json(results)
        extra = document["extra_data"]
        said = extra.get("fix")
        if not isinstance(said, dict):
            hints = extra.get("hints") or {}
            said = {name: str(found[0]["message"]) for name, found in hints.items() if found}
        return [
            Fix(
                test["name"],
                float(test["score"]),
                float(test["max_score"]),
                str(said[test["name"]]),
            )
            for test in document.get("tests", [])
            if test.get("status") != "passed" and said.get(test["name"])
        ]
    except (OSError, ValueError, KeyError, TypeError, IndexError, AttributeError):
        return []


def fix_lines(fixes: Sequence[Fix], decimals: int = DEFAULT_DECIMALS) -> list[str]:
    """The mail's lines: per function, ``name: score / points`` then its words, indented."""
    lines = []
    for fix in fixes:
        score, points = for_people(fix.score, decimals), for_people(fix.points, decimals)
        lines += [f"  {fix.function}: {score} / {points}", f"    {fix.words}"]
    return lines
