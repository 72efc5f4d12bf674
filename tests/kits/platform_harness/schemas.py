"""The platforms' results.json schemas, as ../shared/platforms/AUTOGRADERS.md documents them
(Gradescope's ``docs/specs.md``; PrairieLearn's ``docs/externalGrading.md`` and its grader host).
Each validator raises AssertionError naming the field and what is wrong with it."""

from __future__ import annotations

import json
import math

FORMATS = ("text", "html", "simple_format", "md", "ansi")
VISIBILITIES = ("hidden", "after_due_date", "after_published", "visible")
GRADESCOPE_TOP = {
    "score": "number",
    "execution_time": "number or numeric string",  # gradescope-utils writes a string
    "output": "string",
    "output_format": FORMATS,
    "test_output_format": FORMATS,
    "test_name_format": FORMATS,
    "visibility": VISIBILITIES,
    "stdout_visibility": VISIBILITIES,
    "extra_data": "object",
    "tests": "list",
    "leaderboard": "list",
}
GRADESCOPE_TEST = {
    "score": "number",
    "max_score": "number",
    "status": ("passed", "failed"),  # an explicit null is an error on Gradescope
    "name": "string",
    "name_format": FORMATS,
    "number": "string",
    "output": "string",
    "output_format": FORMATS,
    "tags": "list of strings",
    "visibility": VISIBILITIES,
    "extra_data": "object",
}
LEADERBOARD_ENTRY = {"name": "string", "value": "number or string", "order": ("asc", "desc")}
PRAIRIELEARN_TEST = {
    "name": "string",
    "description": "string",
    "points": "number",
    "max_points": "number",
    "message": "string",
    "output": "string",
    "images": "list",
}
PRAIRIELEARN_MOST_BYTES = 2**20  # the grader host refuses a larger results.json


def _is_number(value: object) -> bool:
    return isinstance(value, int | float) and not isinstance(value, bool) and math.isfinite(value)


def _fits(value: object, kind: str | tuple[str, ...]) -> bool:
    if isinstance(kind, tuple):
        return value in kind
    return {
        "number": _is_number(value),
        "string": isinstance(value, str),
        "object": isinstance(value, dict),
        "list": isinstance(value, list),
        "list of strings": isinstance(value, list) and all(isinstance(v, str) for v in value),
        "number or string": _is_number(value) or isinstance(value, str),
        "number or numeric string": _is_number(value) or _numeric(value),
    }[kind]


def _numeric(value: object) -> bool:
    try:
        return isinstance(value, str) and math.isfinite(float(value))
    except ValueError:
        return False


def _check_fields(where: str, data: object, fields: dict, *, closed: bool) -> None:
    assert isinstance(data, dict), f"{where} must be an object, not {type(data).__name__}"
    for key, value in data.items():
        if key not in fields:
            assert not closed, f"{where} has {key!r}, not a documented field ({sorted(fields)})"
            continue
        kind = fields[key]
        expected = f"one of {list(kind)}" if isinstance(kind, tuple) else f"a {kind}"
        assert _fits(value, kind), f"{where}.{key} must be {expected}, not {value!r:.80}"


def validate_gradescope_results(results: dict) -> None:
    """Raise AssertionError naming what in ``results`` Gradescope's schema does not allow."""
    _check_fields("results", results, GRADESCOPE_TOP, closed=True)
    tests = results.get("tests", [])
    for number, test in enumerate(tests):
        _check_fields(f"results.tests[{number}]", test, GRADESCOPE_TEST, closed=True)
        if "max_score" in test:
            assert test["max_score"] >= 0, f"results.tests[{number}].max_score is negative"
    scored = any("score" in test for test in tests)
    assert "score" in results or scored, (
        "results needs a top-level score, or tests that carry scores (Gradescope's 'score is "
        "required if the tests carry no scores')"
    )
    for number, entry in enumerate(results.get("leaderboard", [])):
        _check_fields(f"results.leaderboard[{number}]", entry, LEADERBOARD_ENTRY, closed=True)
        assert {"name", "value"} <= set(entry), f"results.leaderboard[{number}] needs name, value"


def validate_prairielearn_results(results: dict) -> None:
    """Raise AssertionError naming what in ``results`` PrairieLearn's schema does not allow
    (other keys are allowed, as PrairieLearn allows them); every test must carry ``points``
    and ``max_points``, as PrairieLearn shows per-test points only then."""
    assert isinstance(results, dict), f"results must be an object, not {type(results).__name__}"
    size = len(json.dumps(results).encode())
    assert size <= PRAIRIELEARN_MOST_BYTES, f"results is {size} bytes, over PrairieLearn's 1 MB"
    gradable = results.get("gradable", True)
    assert isinstance(gradable, bool), f"results.gradable must be true or false, not {gradable!r}"
    score = results.get("score")
    if gradable:
        assert _is_number(score), f"results.score must be a number for a gradable one: {score!r}"
    if score is not None:
        assert _is_number(score) and 0 <= score <= 1, f"results.score must be in [0, 1]: {score!r}"
    if "succeeded" in results:
        assert isinstance(results["succeeded"], bool), "results.succeeded must be true or false"
    for key in ("message", "output"):
        if key in results:
            assert isinstance(results[key], str), f"results.{key} must be a string"
    errors = results.get("format_errors", [])
    assert isinstance(errors, str) or _fits(errors, "list of strings"), (
        "results.format_errors must be a string or a list of strings"
    )
    _check_images("results.images", results.get("images", []))
    tests = results.get("tests", [])
    assert isinstance(tests, list), f"results.tests must be a list, not {type(tests).__name__}"
    for number, test in enumerate(tests):
        where = f"results.tests[{number}]"
        _check_fields(where, test, PRAIRIELEARN_TEST, closed=False)
        assert "points" in test and "max_points" in test, (
            f"{where} lacks points or max_points (PrairieLearn then shows no test's points)"
        )
        assert 0 <= test["points"] <= max(test["max_points"], 0), (
            f"{where}.points {test['points']} is not within [0, max_points {test['max_points']}]"
        )
        _check_images(f"{where}.images", test.get("images", []))


def _check_images(where: str, images: object) -> None:
    assert isinstance(images, list), f"{where} must be a list"
    for number, image in enumerate(images):
        if isinstance(image, dict):
            assert isinstance(image.get("url"), str), f"{where}[{number}] needs a url string"
            assert isinstance(image.get("label", ""), str), f"{where}[{number}].label: a string"
        else:
            assert isinstance(image, str), f"{where}[{number}] must be {{label, url}} or a url"
