"""The Gradescope autograder, exported by ``grader autograder`` and run as Gradescope runs it
(tests/kits/platform_harness: ``setup.sh`` once as root, then each submission in a fresh
container as root, 768 MB and half a CPU), under a seccomp filter like Docker's default profile,
where no namespace can be made: the scores are ``grader grade``'s for the same student and
notebook, the results are Gradescope's schema, and the classic exploits of an autograder fail.
The image is built once for the module, from a local index of this environment's packages; its
course is a copy of the shipped one whose cells may run 15 s, not 60 s: a cell that never ends
(the fork bomb) waits the limit out, and the tests check that it holds, not how long it is."""

from __future__ import annotations

import json
import subprocess
import sys
import zipfile
from pathlib import Path

import pytest
from platform_course import (
    NEEDS_ROOT,
    at_once,
    copied_course,
    example,
    export,
    grader_index,
    with_cell,
    with_cell_timeout,
)
from platform_harness import GradescopeHarness, gradescope_metadata, validate_gradescope_results
from sandbox_fence import FENCE

from grader.grading.command import grade
from grader.limits import PLATFORMS

pytestmark = [NEEDS_ROOT, pytest.mark.slow]

ASSIGNMENT = "lstm_gates"
ASHA = gradescope_metadata(email="asha.rao@example.edu", name="Asha Rao", sid="")
BHAVIN = gradescope_metadata(email="nobody@example.org", name="Bhavin Patel", sid="bhavin")
HIDDEN = "Instructor-only grading of the LSTM gates"  # grading.py's first words
CHEAT = 1000.0  # the score every exploit tries to write


# The right notebooks' cells each take under half a second on a loaded core: 30 times that.
CELL_TIMEOUT_S = 15


@pytest.fixture(scope="module")
def course(tmp_path_factory) -> Path:
    """A copy of the shipped course, its lstm_gates' cells limited to CELL_TIMEOUT_S."""
    copied = copied_course(tmp_path_factory.mktemp("course"))
    return with_cell_timeout(copied, ASSIGNMENT, CELL_TIMEOUT_S)


@pytest.fixture(scope="module")
def autograder(course, tmp_path_factory) -> Path:
    folder = tmp_path_factory.mktemp("gradescope")
    return export(course, ASSIGNMENT, "gradescope", folder / "autograder.zip")


@pytest.fixture(scope="module")
def harness(autograder, tmp_path_factory) -> GradescopeHarness:
    built = GradescopeHarness(
        autograder,
        tmp_path_factory.mktemp("harness"),
        docker_default_seccomp=True,
        pip_index=grader_index(),
    )
    build = built.build()
    assert build.returncode == 0, build.stdout[-3000:] + build.stderr[-3000:]
    return built


def submitted(harness: GradescopeHarness, notebook: bytes, metadata=ASHA, name="lstm_gates.ipynb"):
    """One submission's run: it exits 0 and writes results in Gradescope's schema."""
    run = harness.submit({name: notebook}, metadata)
    assert run.returncode == 0, run.stdout[-3000:] + run.stderr[-3000:]
    assert run.results is not None, run.results_error
    validate_gradescope_results(run.results)
    return run


def graded_here(course: Path, notebook: bytes, student: str, tmp_path: Path) -> dict:
    """``grader grade``'s results.json for ``student``'s ``notebook``, on this machine, as the
    instructor runs it (the cases drawn for the student from the course's secret)."""
    (tmp_path / student).mkdir()
    (tmp_path / student / "lstm_gates.ipynb").write_bytes(notebook)
    out = tmp_path / "graded"
    grade([tmp_path / student], course.parent / ASSIGNMENT, out)
    return json.loads((out / student / "results.json").read_text())


@pytest.mark.parametrize(("student", "metadata"), [("asha", ASHA), ("bhavin", BHAVIN)])
def test_the_scores_and_words_are_grader_grades(harness, course, tmp_path, student, metadata):
    notebook = example(ASSIGNMENT, student)
    run, here = at_once(
        lambda: submitted(harness, notebook, metadata),
        lambda: graded_here(course, notebook, student, tmp_path),
    )
    assert run.results["score"] == here["score"]
    assert [(t["name"], t["score"], t["max_score"], t["output"]) for t in run.results["tests"]] == [
        (t["name"], t["score"], t["max_score"], t["output"]) for t in here["tests"]
    ]
    assert run.results["output"] == here["output"]
    assert f"grading {ASSIGNMENT} for {student}" in run.stdout  # by email, else by sid


def test_the_log_says_which_walls_were_raised_and_which_the_container_refused(harness):
    run = submitted(harness, example(ASSIGNMENT, "asha"))
    assert "not allowed by the container: namespaces" in run.stdout
    assert "raised: the student's code runs as uid" in run.stdout
    assert "raised: seccomp" in run.stdout
    assert "trial notebook checked at the build" in run.stdout  # setup.sh's, not again
    assert "sandbox checked with a trial notebook" not in run.stderr
    assert run.results["score"] == 100
    assert run.peak_memory_bytes is None or run.peak_memory_bytes < 768 * 2**20


def test_a_submission_that_is_no_notebook_scores_0_saying_why(harness):
    run = submitted(harness, b"not a notebook {", name="lstm_gates.ipynb")
    assert run.results["score"] == 0
    assert run.results["output"]
    nothing = submitted(harness, b"print('hello')\n", name="answers.py")
    assert nothing.results["score"] == 0
    assert "notebook" in nothing.results["output"]


RESULTS = "/autograder/results/results.json"
WRITES_RESULTS = f"""
import atexit, os, time
cheat = '{{"score": {CHEAT}, "output": "cheated"}}'
def write():
    try:
        with open({RESULTS!r}, "w") as file:
            file.write(cheat)
    except OSError as error:
        print("could not write:", error)
write()
atexit.register(write)
if os.fork() == 0:
    os.setsid()
    if os.fork() == 0:
        for _ in range(600):
            write()
            time.sleep(0.1)
    os._exit(0)
"""


def test_results_json_is_the_graders_whatever_the_student_writes_and_when(harness):
    run = submitted(harness, with_cell(example(ASSIGNMENT, "asha"), WRITES_RESULTS))
    assert run.results["score"] == 100
    assert "cheated" not in json.dumps(run.results)


READS_TESTS = f"""
import glob
for path in glob.glob("/autograder/source/**/*", recursive=True) + ["/autograder/run_autograder"]:
    try:
        print(open(path).read())
    except OSError as error:
        print(path, error)
try:
    with open("/autograder/run_autograder", "a") as script:
        script.write("\\necho '{{\\"score\\": {CHEAT}}}' > {RESULTS}\\n")
except OSError as error:
    print("could not edit:", error)
raise RuntimeError(open("/autograder/source/course/lstm_gates/grading.py").read()[:300])
"""


def test_the_hidden_cases_and_the_grader_are_out_of_the_students_reach(harness):
    run = submitted(harness, with_cell(example(ASSIGNMENT, "asha"), READS_TESTS))
    assert HIDDEN not in json.dumps(run.results) and HIDDEN not in run.stdout
    assert run.results["score"] == 100
    edited = run.root / "autograder" / "run_autograder"  # the run's changes to the image
    assert not edited.exists() or str(CHEAT) not in edited.read_text()


KILLS = """
import os, signal
os.kill(-1, signal.SIGKILL)  # every process this user may signal
"""


def test_killing_every_process_in_reach_leaves_the_grader_to_say_so(harness):
    run = submitted(harness, with_cell(example(ASSIGNMENT, "asha"), KILLS))
    assert run.results["score"] <= 100
    assert "score" in run.stdout


@pytest.mark.parametrize(
    "bomb",
    [
        "hog = []\nwhile True:\n    hog.append(bytearray(64 * 2**20))",
        "import os\nwhile True:\n    try:\n        os.fork()\n    except OSError:\n        pass",
    ],
    ids=["memory", "fork"],
)
def test_a_bomb_is_stopped_and_the_rest_still_graded(harness, bomb):
    run = submitted(harness, with_cell(example(ASSIGNMENT, "asha"), bomb))
    assert run.results["tests"], run.results["output"]
    assert not run.timed_out
    assert "score" in run.stdout.splitlines()[-1]  # the grader's last word: it survived


# A graded function that takes memory until refused, every page of it touched.
HOGS = """
def lstm_forward(*args, **kwargs):
    hog = []
    while True:
        hog.append(b"x" * (64 * 2**20))
"""


def test_a_memory_bomb_costs_its_function_with_the_pages_words_and_the_grader_survives(
    harness, course, tmp_path
):
    """At Gradescope's 768 MB the student's limit is what the container leaves the grader,
    not the assignment's 2048 MB: the bomb meets it, never the container's OOM killer."""
    notebook = with_cell(example(ASSIGNMENT, "asha"), HOGS)
    run = submitted(harness, notebook)
    assert harness.limits.memory_bytes == 768 * 2**20
    student_mib = (768 * 2**20 - PLATFORMS.grader_memory_bytes) // 2**20
    assert f"the student's processes may hold {student_mib} MiB together" in run.stdout
    (hog,) = [t for t in run.results["tests"] if t["name"] == "lstm_forward"]
    # the page's words for a function refused memory: its MemoryError, where it was raised
    assert hog["score"] == 0 and "raised MemoryError" in hog["output"], hog["output"]
    assert all(t["score"] == t["max_score"] for t in run.results["tests"] if t is not hog)
    assert run.stdout.splitlines()[-1].startswith("score ")  # the grader wrote the results
    assert run.peak_memory_bytes is None or run.peak_memory_bytes < 768 * 2**20


LOOPS = """
def lstm_forward(*args, **kwargs):
    while True:
        pass
"""


def test_an_infinite_loop_costs_its_function_with_the_pages_words(harness, course, tmp_path):
    notebook = with_cell(example(ASSIGNMENT, "asha"), LOOPS)
    # each call of lstm_forward waits out its time limit, on the platform and here alike
    run, here = at_once(
        lambda: submitted(harness, notebook),
        lambda: graded_here(course, notebook, "asha", tmp_path),
    )
    (looped,) = [t for t in run.results["tests"] if t["name"] == "lstm_forward"]
    assert looped["score"] == 0 and "timed out" in looped["output"]
    assert all(t["score"] == t["max_score"] for t in run.results["tests"] if t is not looped)
    assert [t["output"] for t in run.results["tests"]] == [t["output"] for t in here["tests"]]


def test_where_namespaces_can_be_made_the_sandbox_walls_the_notebook(autograder, course, tmp_path):
    """The run itself, on this machine (the harness's chroot allows no user namespace): the
    same scores, behind the sandbox's namespaces."""
    root = tmp_path / "autograder"
    (root / "submission").mkdir(parents=True)
    with zipfile.ZipFile(autograder) as archive:
        archive.extractall(root / "source")
    (root / "submission" / "lstm_gates.ipynb").write_bytes(example(ASSIGNMENT, "bhavin"))
    (root / "submission_metadata.json").write_text(json.dumps(BHAVIN))
    inside = [sys.executable, "-m", "grader.platforms.inside", "gradescope", str(root)]
    done = subprocess.run([*FENCE, *inside], capture_output=True, text=True, timeout=900)
    assert done.returncode == 0, done.stdout[-3000:] + done.stderr[-3000:]
    assert "raised: the sandbox's namespaces" in done.stdout
    results = json.loads((root / "results" / "results.json").read_text())
    validate_gradescope_results(results)
    here = graded_here(course, example(ASSIGNMENT, "bhavin"), "bhavin", tmp_path)
    assert results["score"] == here["score"]
