"""Numeric answers on each student's own values (issue 55): rnn_gradients' ``steps_to_vanish``
([[answers]]) and its gradient_norms case on the student's W_rec, released per student from a
`grader init` course, graded in the sandbox against the values of the student each hand-in is
attributed to; hostile answers score 0 with their reason; bad [[answers]] get one line at
`grader assign`."""

from __future__ import annotations

import json
import math
import re
import shutil
import subprocess
import sys
from pathlib import Path

import nbformat
import pytest
from sandbox_fence import FENCE
from variants_kit import answered, roster, without_variants

from grader.cli import main

ROOT = Path(__file__).resolve().parents[2]
CLASS = 30
SWAPPED = ("S030", "S031")  # two more students, who hand in each other's notebook
ANSWER = "steps_to_vanish"


def steps_below(w_rec: float, threshold: float = 1e-3) -> int:
    """The question worked out by hand: the first k with w_rec^k below the threshold."""
    k = 0
    while w_rec**k >= threshold:
        k += 1
    return k


def grade(assignment: Path, notebooks: list[Path], out: Path) -> None:
    """`grader grade` in the sandbox, behind the tests' fence."""
    done = subprocess.run(
        [*FENCE, sys.executable, "-m", "grader.cli", "grade", "--seed", "5"]
        + ["--assignment", str(assignment), "--out", str(out), *map(str, notebooks)],
        capture_output=True,
        text=True,
        timeout=1800,
        check=False,
    )
    assert done.returncode == 0, done.stderr[-3000:]


def results(out: Path, student: str) -> tuple[dict, dict]:
    """The student's results.json, and its test of the numeric answer."""
    data = json.loads((out / student / "results.json").read_text())
    return data, next(t for t in data["tests"] if t["name"] == ANSWER)


@pytest.fixture(scope="module")
def graded(tmp_path_factory) -> tuple[Path, Path, dict]:
    """A `grader init` course of 32 students, rnn_gradients released per student (its shipped
    [variants]: W_rec), each notebook answered right for its own values; 30 hand in their own,
    the last two each other's. Graded once; the course, the graded folder and the record."""
    root = tmp_path_factory.mktemp("answers")
    course = root / "lstm-course"
    assert main(["init", str(course)]) == 0
    (course / "roster.csv").write_text(roster(CLASS + len(SWAPPED)), encoding="utf-8")
    assignment = course / "assignments" / "rnn_gradients"
    assert main(["assign", str(assignment), "--per-student", "--out", str(root / "r")]) == 0
    record = json.loads((course / "variants" / "rnn_gradients.json").read_text())
    inbox = root / "inbox"
    inbox.mkdir()
    owner = {f"S{n:03d}": f"S{n:03d}" for n in range(CLASS)}
    owner.update({SWAPPED[0]: SWAPPED[1], SWAPPED[1]: SWAPPED[0]})
    for student, released_to in owner.items():
        release = root / "r" / "rnn_gradients" / f"{released_to}_rnn_gradients.ipynb"
        notebook = answered(nbformat.read(release, as_version=4), assignment / "source.ipynb")
        nbformat.write(notebook, inbox / f"{student}.ipynb")
    grade(assignment, sorted(inbox.iterdir()), root / "graded")
    return course, root / "graded", record


def test_a_class_answering_right_on_its_own_values_gets_full_marks(graded):
    course, out, record = graded
    own_values = {record["students"][f"S{n:03d}"]["values"]["W_rec"] for n in range(CLASS)}
    assert len(own_values) == CLASS  # every student their own recurrent weight
    for number in range(CLASS):
        student = f"S{number:03d}"
        data, answer = results(out, student)
        w_rec = record["students"][student]["values"]["W_rec"]
        assert data["score"] == 100, (student, data["output"], answer["output"])
        assert answer["score"] == 10 and answer["output"] == f"with your W_rec = {w_rec}: passed"
        assert "Variant" not in data["output"] and "Grader cell changed" not in data["output"]
        # nothing to fix, and still the page states the values it was graded on (issue 89)
        page = (out / student / "feedback.html").read_text(encoding="utf-8")
        assert "What to fix" not in page
        assert f"With your W_rec = {w_rec}: this assignment is your own" in page
        # the graded function's case on the student's own W_rec (make_cases took the values)
        norms = next(t for t in data["tests"] if t["name"] == "gradient_norms")
        assert norms["score"] == 15
    rows = (out / "grades.csv").read_text().splitlines()
    assert rows[0].startswith("student,score,max_score,status,late,rnn_step,") and ANSWER in rows[0]


def test_the_self_check_is_built_on_each_students_values(graded, tmp_path):
    """The public cases of gradient_norms hold the student's W_rec: two students' self-check
    fixtures (the public cases and their expected values) differ."""
    course, _, record = graded
    fixtures = set()
    release = course.parent / "r" / "rnn_gradients"
    for student in ("S000", "S001"):
        notebook = nbformat.read(release / f"{student}_rnn_gradients.ipynb", as_version=4)
        cell = next(c for c in notebook.cells if c.metadata.get("grader", {}).get("owned"))
        fixtures.add(cell.source)
    assert len(fixtures) == 2


def test_a_swapped_pair_is_flagged_and_its_answers_scored_on_the_submitters_values(graded):
    course, out, record = graded
    for student, released_to in (SWAPPED, SWAPPED[::-1]):
        data, answer = results(out, student)
        mine = record["students"][student]["values"]["W_rec"]
        theirs = record["students"][released_to]["values"]["W_rec"]
        assert (
            f"Variant of another student: this notebook was released to {released_to}, and is"
            f" handed in by {student}; {student}'s own values (W_rec = {mine})" in data["output"]
        )
        assert "Grader cell changed" not in data["output"]
        right, given = steps_below(mine), steps_below(theirs)
        # assignment.toml's partial credit: a step short, or a step off (rounding), earns half
        expected = 10 if right == given else 5 if abs(right - given) == 1 else 0
        assert answer["score"] == expected, answer["output"]
        if right != given:
            assert (
                f"With your W_rec = {mine}, the gradient falls below 1e-3 of the last step's"
                f" after {right} steps; you answered {given}." in answer["output"]
            )
        functions = [t for t in data["tests"] if t["name"] != ANSWER]
        assert all(t["score"] == t["max_score"] for t in functions), data["output"]
        page = (out / student / "feedback.html").read_text(encoding="utf-8")
        assert f"With your W_rec = {mine}:" in page and f"W_rec = {theirs}:" not in page


HOSTILE = {
    "text": 'steps_to_vanish = "66"',
    "function": "def steps_to_vanish():\n    return 66",
    "dict": 'steps_to_vanish = {"steps": 66}',
    "lying-float": (
        "class Sixty:\n    def __float__(self):\n        raise SystemExit('no')\n"
        "steps_to_vanish = Sixty()"
    ),
    "too-many": "steps_to_vanish = list(range(1000))",
    "nan": "steps_to_vanish = float('nan')",
    "inf": "steps_to_vanish = math.inf",
    "ten-million": "steps_to_vanish = [66.0] * 10**7",  # ran past the probe's 10 s to be read
    "unset": "pass",
    "tuple": "steps_to_vanish = (66,)",
    "rounding": "steps_to_vanish = math.log(1e-3) / math.log(W_REC)",
    "one-short": "steps_to_vanish = 65",
}


def test_hostile_answers_score_zero_with_their_reason_without_variants(tmp_path):
    """rnn_gradients without [variants] (W_rec fixed at 0.9: 66 steps): what the notebook sets
    is read back as numbers or refused with its reason, a 0 and never a grader error; the
    partial rules give half the points with their own words."""
    assignment = Path(shutil.copytree(ROOT / "assignments" / "rnn_gradients", tmp_path / "rnn"))
    toml = assignment / "assignment.toml"
    toml.write_text(without_variants(toml.read_text()))
    source = assignment / "source.ipynb"
    source.write_text(source.read_text().replace("{{W_rec}}", "0.9"))
    out = tmp_path / "release"
    assert main(["assign", str(assignment), "--out", str(out)]) == 0
    release = nbformat.read(out / "rnn_gradients.ipynb", as_version=4)
    assert "variant" not in release.metadata.grader
    inbox = tmp_path / "inbox"
    inbox.mkdir()
    for name, code in {"right": None, **HOSTILE}.items():
        notebook = answered(nbformat.from_dict(release), source)
        cell = next(c for c in notebook.cells if c.id == "steps-to-vanish")
        if code is not None:
            cell.source = f"import math\n{code}"
        nbformat.write(notebook, inbox / f"{name}.ipynb")
    grade(assignment, sorted(inbox.iterdir()), tmp_path / "graded")
    told = "The gradient falls below 1e-3 of the last step's after 66 steps"
    said = {}
    for name in ("right", *HOSTILE):
        data, answer = results(tmp_path / "graded", name)
        assert data["extra_data"]["status"] == "graded", data["output"]
        said[name] = (answer["score"], answer["output"])
    assert said["right"] == (10, "the answer: passed")
    assert said["tuple"][0] == 10
    reasons = {
        "text": "steps_to_vanish is text, not a number",
        "function": "steps_to_vanish could not be read as a number: TypeError",
        "dict": "steps_to_vanish is not a number",
        "lying-float": "steps_to_vanish could not be read as a number",
        "too-many": "steps_to_vanish holds 1000 numbers where the answer is a number",
        "unset": "Your notebook does not set steps_to_vanish",
        "ten-million": "too many numbers: steps_to_vanish holds 10000000 or more, where the"
        " grader reads at most 4096",
    }
    for name, reason in reasons.items():
        score, output = said[name]
        assert score == 0 and reason in output and told in output, (name, output)
    assert said["nan"][0] == 0 and "you answered nan." in said["nan"][1]
    assert "steps_to_vanish is nan (not a number): a 0/0, inf - inf" in said["nan"][1]
    assert said["inf"][0] == 0 and "steps_to_vanish is infinite: an overflow" in said["inf"][1]
    assert said["rounding"][0] == 5 and "Right method, wrong rounding" in said["rounding"][1]
    assert (
        said["one-short"][0] == 5
        and "Right method, one step short: 65 steps back" in (said["one-short"][1])
    )


@pytest.mark.parametrize(
    ("toml", "source", "message"),
    [
        (
            ("steps_to_vanish", "steps_to_vansh"),
            None,
            r"\[\[answers\]\] or a partial rule names steps_to_vansh, but no code cell of"
            r" source.ipynb sets it; compute it in the source notebook",
        ),
        (
            ('value = "steps_still_above"', 'value = "steps_before"'),
            None,
            r"names steps_before, but no code cell of source.ipynb sets it",
        ),
        (
            None,
            (
                "    ### BEGIN SOLUTION\n    T, N",
                "    steps_to_vanish = 3\n    ### BEGIN SOLUTION\n    T, N",
            ),
            r"source.ipynb, cell 15 .*: it sets the answer steps_to_vanish outside a solution"
            r" region, so students would receive it answered",
        ),
        (
            (
                'credit = 0.5\nmessage = "Right method, one',
                'credit = 2\nmessage = "Right method, one',
            ),
            None,
            r"\[\[answers\]\] steps_to_vanish, partial #1: credit must be a share of the points"
            r" between 0 and 1",
        ),
        (
            ("after {expected} steps", "after {expected} steps for {w_rec}"),
            None,
            r"\{w_rec\} in .* is not a word the feedback fills in; use \{answered\}, \{expected\},"
            r" \{name\}, \{W_rec\}",
        ),
        (
            ('value = "steps_still_above"', 'value = "steps_still_above"\natol = 1'),
            None,
            r"partial #1: give either atol/rtol .* or value .*, one of the two",
        ),
        (
            ("[[answers]]\nname", "[[answers]]\nnaem"),
            None,
            r'answers #1: unknown key "naem"; did you mean "name"\?',
        ),
    ],
    ids=[
        "absent-answer",
        "absent-partial-value",
        "answered-outside-a-solution",
        "credit-above-1",
        "unknown-word",
        "rule-of-both-kinds",
        "misspelt-key",
    ],
)
def test_bad_answers_get_one_clear_line_at_grader_assign(tmp_path, capsys, toml, source, message):
    assignment = Path(shutil.copytree(ROOT / "assignments" / "rnn_gradients", tmp_path / "rnn"))
    for path, change in (
        (assignment / "assignment.toml", toml),
        (assignment / "source.ipynb", source),
    ):
        if change is not None:
            text = path.read_text()
            if path.suffix == ".ipynb":
                notebook = nbformat.reads(text, as_version=4)
                cell = next(c for c in notebook.cells if c.id == "steps-to-vanish")
                assert change[0] in cell.source
                cell.source = cell.source.replace(change[0], change[1])
                nbformat.write(notebook, path)
            else:
                assert change[0] in text, change[0]
                path.write_text(text.replace(change[0], change[1], 1))
    capsys.readouterr()
    code = main(["assign", str(assignment), "--out", str(tmp_path / "r")])
    err = capsys.readouterr().err
    assert code == 2, err
    assert re.search(message, err), err
    assert "Traceback" not in err and len(err.strip().splitlines()) == 1, err
    assert not (tmp_path / "r" / "rnn_gradients.ipynb").exists()


def test_steps_below_is_the_solutions_answer():
    """The hand-worked answer agrees with the source's solution run on the same values."""
    from grader.assignment import load_assignment
    from grader.assignment.answer_solutions import expected_answers

    config = load_assignment(ROOT / "assignments" / "rnn_gradients").config
    for w_rec in (0.5, 0.873, 0.95):
        expected = expected_answers(config, {"W_rec": w_rec})
        assert (
            float(expected[ANSWER])
            == steps_below(w_rec)
            == math.ceil(math.log(1e-3) / math.log(w_rec))
        )


def test_the_demo_shows_two_students_values_and_their_graded_answers(tmp_path, capsys):
    """`make demo`'s step 3b: asha answers on her own W_rec, bhavin hands in her notebook."""
    from grader import demo

    course = demo.make_course(tmp_path)
    demo.variants_demo(tmp_path, course)
    said = capsys.readouterr().out
    record = json.loads((course / "variants" / "rnn_gradients.json").read_text())
    asha, bhavin = (record["students"][s]["values"]["W_rec"] for s in ("asha", "bhavin"))
    assert f"asha: {asha}" in said and f"bhavin: {bhavin}" in said
    assert f"  asha (W_rec = {asha}): 100/100" in said
    assert f"steps_to_vanish 10/10: with your W_rec = {asha}: passed" in said
    assert f"  bhavin (W_rec = {bhavin}): " in said
    assert "this notebook was released to asha, and is handed in by bhavin" in said
    if steps_below(asha) != steps_below(bhavin):
        assert f"after {steps_below(bhavin)} steps; you answered {steps_below(asha)}." in said
