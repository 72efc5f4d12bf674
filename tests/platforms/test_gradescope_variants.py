"""Per-student values on Gradescope: rnn_gradients released per student (tests/kits/
variants_kit.py), exported and built in the platform harness under Docker's default seccomp
profile; the submitter named in submission_metadata.json is graded on their own values and
cases, as ``grader grade`` grades the same notebook for them from the roster."""

from __future__ import annotations

import contextlib
import io
import json
from pathlib import Path

import nbformat
import pytest
from platform_course import NEEDS_ROOT, at_once, export, grader_index
from platform_harness import GradescopeHarness, gradescope_metadata, validate_gradescope_results
from variants_kit import answered, roster, with_variants

from grader.cli import main
from grader.grading.command import grade

pytestmark = [NEEDS_ROOT, pytest.mark.slow]

ASSIGNMENT = "rnn_gradients"
# The course's secret, fixed: it draws each student's values. With a random one, S001's and
# S002's values now and then had the same answer (close values of W_rec take as many steps
# for the gradient to vanish: 0.51 to 0.53 take 11), and S002's notebook then had every mark
# as S001's. This one draws W_rec 0.78 for S001 (28 steps) and 0.95 for S002 (135 steps).
SECRET = b"gradescope: the submitter's own values, not a classmate's"


@pytest.fixture(scope="module")
def course(tmp_path_factory) -> Path:
    """A `grader init` course of three students, rnn_gradients released to each: course.toml."""
    folder = tmp_path_factory.mktemp("variants") / "course"
    with contextlib.redirect_stdout(io.StringIO()):
        assert main(["init", str(folder)]) == 0
        (folder / "roster.csv").write_text(roster(3), encoding="utf-8")
        (folder / "variants").mkdir(exist_ok=True)
        (folder / "variants" / "secret.key").write_bytes(SECRET)
        assignment = folder / "assignments" / ASSIGNMENT
        with_variants(assignment)
        release = folder.parent / "release"
        assert main(["assign", str(assignment), "--per-student", "--out", str(release)]) == 0
    return folder / "course.toml"


def own_notebook(course: Path, student: str) -> bytes:
    """``student``'s released notebook, answered right for their own values."""
    released = course.parent.parent / "release" / ASSIGNMENT / f"{student}_{ASSIGNMENT}.ipynb"
    source = course.parent / "assignments" / ASSIGNMENT / "source.ipynb"
    notebook = answered(nbformat.read(released, as_version=4), source)
    return nbformat.writes(notebook).encode()


@pytest.fixture(scope="module")
def harness(course, tmp_path_factory) -> GradescopeHarness:
    folder = tmp_path_factory.mktemp("gradescope")
    made = export(course, ASSIGNMENT, "gradescope", folder / "autograder.zip")
    built = GradescopeHarness(
        made, folder / "harness", docker_default_seccomp=True, pip_index=grader_index()
    )
    build = built.build()
    assert build.returncode == 0, build.stdout[-3000:] + build.stderr[-3000:]
    return built


def graded_here(course: Path, notebook: bytes, student: str, tmp_path: Path) -> dict:
    """``grader grade``'s results.json for ``student``'s hand-in of ``notebook``, as the
    instructor runs it (the cases drawn for the student from the course's secret)."""
    (tmp_path / student).mkdir()
    (tmp_path / student / f"{ASSIGNMENT}.ipynb").write_bytes(notebook)
    assignment = course.parent / "assignments" / ASSIGNMENT
    grade([tmp_path / student], assignment, tmp_path / "out")
    return json.loads((tmp_path / "out" / student / "results.json").read_text())


@pytest.mark.parametrize("notebook_of", ["S001", "S002"])
def test_the_submitter_is_graded_on_their_own_values(harness, course, tmp_path, notebook_of):
    notebook = own_notebook(course, notebook_of)
    metadata = gradescope_metadata(email="s1@example.edu", name="Student 1", sid="")
    run, here = at_once(
        lambda: harness.submit({f"{ASSIGNMENT}.ipynb": notebook}, metadata),
        lambda: graded_here(course, notebook, "S001", tmp_path),
    )
    assert run.returncode == 0 and run.results is not None, run.stdout[-3000:]
    validate_gradescope_results(run.results)
    assert run.results["score"] == here["score"]
    assert run.results["output"] == here["output"]
    assert [t["output"] for t in run.results["tests"]] == [t["output"] for t in here["tests"]]
    full = sum(t["max_score"] for t in run.results["tests"])
    # their own notebook has every mark; another's values are not theirs
    assert (run.results["score"] == full) == (notebook_of == "S001")
