"""The platforms' results files, made from the grader's own ``results.json`` for the hand-in
(:func:`grader.feedback.export.results_json`: the feedback page's words per function and its
summary), never worded again here: Gradescope's schema as it renders it, PrairieLearn's.

A hand-in the grader could not read is a clear score 0 on Gradescope (a test per function would
only repeat it) and not gradable on PrairieLearn (no attempt used); a fault of the grader says
so, and that the instructor's log has the cause."""

from __future__ import annotations

import json
from collections.abc import Mapping
from typing import Any

# Gradescope renders "text" as it is, in a fixed-width block: the smallest failing case is code
# to paste, whose indentation "simple_format" or Markdown would lose.
_TEXT = "text"
GRADER_FAULT = (
    "The autograder itself could not grade this submission: the 0 shown is not your score, and "
    "not your mistake. Your instructor sees why in the autograder's log: tell them, or submit "
    "again later."
)


def gradescope(document: Mapping[str, Any], seconds: float) -> dict[str, Any]:
    """The grader's results for one graded hand-in as Gradescope shows it."""
    tests = [{**test, "output_format": _TEXT, "name_format": _TEXT} for test in document["tests"]]
    extra = {k: v for k, v in document.get("extra_data", {}).items() if k != "seed"}
    return {
        "score": document["score"],
        "execution_time": round(seconds, 2),
        "output": document["output"],
        "output_format": _TEXT,
        "test_output_format": _TEXT,
        "test_name_format": _TEXT,
        "stdout_visibility": "hidden",
        "visibility": "visible",
        "tests": tests,
        "extra_data": extra,
    }


def gradescope_refused(why: str, seconds: float) -> dict[str, Any]:
    """Score 0 for a hand-in that could not be graded, saying why."""
    return {
        "score": 0.0,
        "execution_time": round(seconds, 2),
        "output": why,
        "output_format": _TEXT,
        "stdout_visibility": "hidden",
        "visibility": "visible",
        "tests": [],
    }


def prairielearn(document: Mapping[str, Any]) -> dict[str, Any]:
    """The grader's results for one graded hand-in as PrairieLearn shows it: the score a
    fraction, every test with its points."""
    tests = [
        {
            "name": test["name"],
            "points": test["score"],
            "max_points": test["max_score"],
            "output": test.get("output", ""),
        }
        for test in document["tests"]
    ]
    most = sum(test["max_points"] for test in tests)
    fraction = document["score"] / most if most else 0.0
    return {
        "gradable": True,
        "score": min(max(fraction, 0.0), 1.0),
        "message": document["output"],
        "output": document["output"],
        "tests": tests,
    }


def prairielearn_refused(why: str) -> dict[str, Any]:
    """A hand-in that is not a notebook, or the grader's own failure: not gradable, so no
    attempt is used."""
    return {"gradable": False, "score": 0.0, "format_errors": [why], "message": why, "tests": []}


UNSTARTED = (
    "The autograder could not start, so this submission was not graded: it is not your "
    "mistake. Tell your instructor; its log says why."
)


def unstarted(platform: str) -> str:
    """The results a run writes when the grader cannot start at all (a broken build)."""
    if platform == "gradescope":
        return json.dumps(gradescope_refused(UNSTARTED, 0.0), indent=1)
    return json.dumps(prairielearn_refused(UNSTARTED), indent=1)
