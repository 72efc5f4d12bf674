"""The platform harness's results validators follow the platforms' documented schemas
(../shared/platforms/AUTOGRADERS.md): whatever the schema allows passes, and each thing it does
not allow is refused with the field named."""

from __future__ import annotations

import copy

import pytest
from hypothesis import given
from hypothesis import strategies as st
from platform_harness import validate_gradescope_results, validate_prairielearn_results
from platform_harness.schemas import FORMATS, VISIBILITIES

points = st.floats(0, 1000, allow_nan=False) | st.integers(0, 1000)
text = st.text(max_size=40)


def _optional(**fields):
    return st.fixed_dictionaries({}, optional=fields)


gradescope_test = _optional(
    score=points,
    max_score=points,
    status=st.sampled_from(("passed", "failed")),
    name=text,
    name_format=st.sampled_from(FORMATS),
    number=st.from_regex(r"\A[0-9]{1,2}(\.[0-9]{1,2})?\Z"),
    output=text,
    output_format=st.sampled_from(FORMATS),
    tags=st.lists(text, max_size=3),
    visibility=st.sampled_from(VISIBILITIES),
    extra_data=st.dictionaries(text, text, max_size=2),
)
gradescope_results = st.tuples(
    _optional(
        execution_time=points | points.map(lambda seconds: f"{seconds:0.2f}"),
        output=text,
        output_format=st.sampled_from(FORMATS),
        test_output_format=st.sampled_from(FORMATS),
        test_name_format=st.sampled_from(FORMATS),
        visibility=st.sampled_from(VISIBILITIES),
        stdout_visibility=st.sampled_from(VISIBILITIES),
        extra_data=st.dictionaries(text, text, max_size=2),
        leaderboard=st.lists(
            st.fixed_dictionaries(
                {"name": text, "value": points | text},
                optional={"order": st.sampled_from(("asc", "desc"))},
            ),
            max_size=3,
        ),
    ),
    points,
    st.lists(gradescope_test, max_size=4),
).map(lambda made: {**made[0], "score": made[1], "tests": made[2]})

prairielearn_test = st.tuples(points, points).flatmap(
    lambda pair: st.fixed_dictionaries(
        {"points": st.just(min(pair)), "max_points": st.just(max(pair))},
        optional={"name": text, "description": text, "message": text, "output": text},
    )
)
prairielearn_results = st.fixed_dictionaries(
    {"score": st.floats(0, 1), "tests": st.lists(prairielearn_test, max_size=4)},
    optional={
        "gradable": st.just(True),
        "message": text,
        "output": text,
        "succeeded": st.booleans(),
        "images": st.lists(st.fixed_dictionaries({"label": text, "url": text}), max_size=2),
        "course_extra": st.integers(),  # PrairieLearn allows keys of the course's own
    },
)


@given(gradescope_results)
def test_what_gradescopes_schema_allows_passes(results):
    validate_gradescope_results(results)


@given(prairielearn_results)
def test_what_prairielearns_schema_allows_passes(results):
    validate_prairielearn_results(results)


def test_gradescope_results_with_only_test_scores_or_only_a_score_pass():
    validate_gradescope_results({"tests": [{"score": 1, "max_score": 2}]})
    validate_gradescope_results({"score": 3})
    validate_gradescope_results({"score": 0, "tests": [{"status": "passed", "name": "public"}]})


def test_an_ungradable_prairielearn_result_needs_no_score():
    validate_prairielearn_results({"gradable": False, "format_errors": ["not a notebook"]})
    validate_prairielearn_results({"gradable": False, "score": None, "format_errors": "empty"})


GOOD_GRADESCOPE = {
    "score": 2.0,
    "output": "summary",
    "output_format": "md",
    "visibility": "visible",
    "tests": [{"name": "lstm_step", "score": 2.0, "max_score": 3.0, "output": "hint"}],
}


@pytest.mark.parametrize(
    "change, named",
    [
        (lambda r: r.pop("score") and r["tests"][0].pop("score"), "top-level score"),
        (lambda r: r.update(score="2"), "results.score"),
        (lambda r: r.update(score=True), "results.score"),
        (lambda r: r.update(score=float("nan")), "results.score"),
        (lambda r: r.update(max_score=3), "'max_score'"),
        (lambda r: r.update(output=["a"]), "results.output"),
        (lambda r: r.update(output_format="markdown"), "results.output_format"),
        (lambda r: r.update(visibility="after_grading"), "results.visibility"),
        (lambda r: r.update(stdout_visibility="public"), "results.stdout_visibility"),
        (lambda r: r.update(execution_time="fast"), "results.execution_time"),
        (lambda r: r.update(tests={"a": 1}), "results.tests"),
        (lambda r: r["tests"][0].update(status=None), "results.tests[0].status"),
        (lambda r: r["tests"][0].update(status="partial"), "results.tests[0].status"),
        (lambda r: r["tests"][0].update(max_points=3), "results.tests[0] has 'max_points'"),
        (lambda r: r["tests"][0].update(max_score=-1), "results.tests[0].max_score"),
        (lambda r: r["tests"][0].update(number=1.1), "results.tests[0].number"),
        (lambda r: r["tests"][0].update(tags="a"), "results.tests[0].tags"),
        (lambda r: r["tests"][0].update(output_format="rtf"), "results.tests[0].output_format"),
        (lambda r: r.update(leaderboard=[{"name": "x", "order": "up"}]), "leaderboard[0]"),
        (lambda r: r.update(leaderboard=[{"name": "x"}]), "leaderboard[0] needs"),
    ],
)
def test_what_gradescopes_schema_does_not_allow_is_refused_with_the_field_named(change, named):
    results = copy.deepcopy(GOOD_GRADESCOPE)
    change(results)
    with pytest.raises(AssertionError, match=named.replace("[", r"\[").replace("]", r"\]")):
        validate_gradescope_results(results)


GOOD_PRAIRIELEARN = {
    "gradable": True,
    "score": 0.5,
    "message": "summary",
    "tests": [{"name": "lstm_step", "points": 1, "max_points": 2, "message": "hint"}],
}


@pytest.mark.parametrize(
    "change, named",
    [
        (lambda r: r.pop("score"), "results.score must be a number"),
        (lambda r: r.update(score=2), r"results.score must be in \[0, 1\]"),
        (lambda r: r.update(score=-0.1), r"results.score must be in \[0, 1\]"),
        (lambda r: r.update(score="0.5"), "results.score"),
        (lambda r: r.update(gradable="no"), "results.gradable"),
        (lambda r: r.update(succeeded="yes"), "results.succeeded"),
        (lambda r: r.update(message=3), "results.message"),
        (lambda r: r.update(format_errors={"a": 1}), "results.format_errors"),
        (lambda r: r.update(images=[{"label": "x"}]), r"results.images\[0\] needs a url"),
        (lambda r: r.update(tests={}), "results.tests must be a list"),
        (lambda r: r["tests"][0].pop("points"), r"results.tests\[0\] lacks points"),
        (lambda r: r["tests"][0].pop("max_points"), r"results.tests\[0\] lacks points"),
        (lambda r: r["tests"][0].update(points=3), r"results.tests\[0\].points 3 is not within"),
        (lambda r: r["tests"][0].update(points="1"), r"results.tests\[0\].points"),
        (lambda r: r["tests"][0].update(name=5), r"results.tests\[0\].name"),
        (lambda r: r.update(output="x" * 2**20), "over PrairieLearn's 1 MB"),
    ],
)
def test_what_prairielearns_schema_does_not_allow_is_refused_with_the_field_named(change, named):
    results = copy.deepcopy(GOOD_PRAIRIELEARN)
    change(results)
    with pytest.raises(AssertionError, match=named):
        validate_prairielearn_results(results)
