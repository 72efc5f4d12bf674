"""The PrairieLearn question, exported by ``grader autograder`` and run as PrairieLearn's grader
host runs it (tests/kits/platform_harness: the image built from the question's Dockerfile, its
one script run as root; then the entrypoint per submission, no network, the timeout info.json
gives): the score a fraction of ``grader grade``'s, every test with its points, an upload that
is no notebook not gradable."""

from __future__ import annotations

import json

import pytest
from platform_course import NEEDS_ROOT, example, export, grader_index
from platform_harness import PrairieLearnHarness, validate_prairielearn_results

from grader.limits import PLATFORMS
from grader.platforms.prairielearn_export import ENTRYPOINT

pytestmark = [NEEDS_ROOT, pytest.mark.slow]

ASSIGNMENT = "lstm_gates"


@pytest.fixture(scope="module")
def question(course, tmp_path_factory):
    return export(course, ASSIGNMENT, "prairielearn", tmp_path_factory.mktemp("pl") / "question")


@pytest.fixture(scope="module")
def harness(question, tmp_path_factory) -> PrairieLearnHarness:
    built = PrairieLearnHarness(
        question, tmp_path_factory.mktemp("harness"), pip_index=grader_index()
    )
    build = built.build()
    assert build.returncode == 0, build.stdout[-3000:] + build.stderr[-3000:]
    return built


def test_the_question_names_its_image_entrypoint_timeout_and_no_network(question):
    info = json.loads((question / "info.json").read_text())
    options = info["externalGradingOptions"]
    assert info["gradingMethod"] == "External"
    assert options["entrypoint"] == ENTRYPOINT
    assert 0 < options["timeout"] <= PLATFORMS.grading_most_s
    assert options["enableNetworking"] is False
    assert "serverFilesCourse" in options and options["image"]
    dockerfile = (question / "image" / "Dockerfile").read_text()
    runs = [line for line in dockerfile.splitlines() if line.startswith("RUN")]
    assert len(runs) == 1 and "build.sh" in runs[0]
    assert (question / "tests" / "course" / ASSIGNMENT / "grading.py").is_file()


def test_a_right_notebook_scores_1_with_every_tests_points(harness):
    run = harness.submit({"lstm_gates.ipynb": example(ASSIGNMENT, "asha")})
    assert run.returncode == 0, run.stdout[-3000:] + run.stderr[-3000:]
    assert run.results is not None, run.results_error
    validate_prairielearn_results(run.results)
    assert run.results["score"] == 1.0
    assert all(t["points"] == t["max_points"] > 0 for t in run.results["tests"])


def test_a_wrong_notebook_scores_its_fraction_with_the_pages_words(harness):
    run = harness.submit({"lstm_gates.ipynb": example(ASSIGNMENT, "bhavin")})
    assert run.results is not None, run.results_error
    validate_prairielearn_results(run.results)
    got = sum(t["points"] for t in run.results["tests"])
    most = sum(t["max_points"] for t in run.results["tests"])
    assert run.results["score"] == pytest.approx(got / most) and run.results["score"] < 1
    assert any(t["output"] for t in run.results["tests"] if t["points"] < t["max_points"])


def test_an_upload_that_is_no_notebook_is_not_gradable(harness):
    run = harness.submit({"lstm_gates.ipynb": b"{ broken"})
    assert run.results is not None, run.results_error
    validate_prairielearn_results(run.results)
    assert run.results["gradable"] is False and run.results["format_errors"]
