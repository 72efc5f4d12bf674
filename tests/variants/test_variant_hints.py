"""Hints on each student's own values: an assignment released per student whose reference is
the source notebook's solution (no ``REFERENCE``), which reads the student's DECAY. A catalogued
mistake planted in a student's notebook is named as it is on the class-wide release, the part
that is wrong is named first, never a composite that is right, and a right notebook gets no hint;
graded through `grader grade` in the pid fence."""

from __future__ import annotations

import json
from pathlib import Path

import nbformat
import pytest
from variant_hints_kit import FORGETS_STATE, RUN_WITHOUT_DECAY, answered, write_assignment
from variants_kit import grade_inbox, roster

from grader.cli import main

CLASS_WIDE_DECAY = 0.2  # [variants.decay]'s low end: the class-wide notebook's value
PLANTED = {
    "right": {},
    "step": {"leak_step": FORGETS_STATE},
    "run": {"leak_run": RUN_WITHOUT_DECAY},
}
NOT_ON_ROSTER = {"right": "Z900", "step": "Z901", "run": "Z902"}  # graded on class-wide values


def hints(out: Path, student: str) -> dict[str, tuple[float, list[str]]]:
    """Each graded function's score and hints ("Hint [code]: ..." lines) in the student's
    results.json (the rest of its feedback states the student's own expected values)."""
    data = json.loads((out / student / "results.json").read_text(encoding="utf-8"))
    return {
        t["name"]: (
            t["score"],
            [line for line in t["output"].splitlines() if line.startswith("Hint [")],
        )
        for t in data["tests"]
    }


@pytest.fixture(scope="module")
def graded(tmp_path_factory) -> tuple[Path, dict[str, str], dict[str, float]]:
    """A `grader init` course of six students, ``leaky`` released per student and class-wide.
    Three students whose decay is not the class-wide one hand in their own notebook: right,
    with a known mistake in the step, with a composite that drops the decay on its own; three
    hand-ins from outside the roster, graded on the class-wide values, do the same on the
    class-wide notebook. The graded folder, who handed in what, and each student's decay."""
    root = tmp_path_factory.mktemp("hints")
    course = root / "course"
    assert main(["init", str(course)]) == 0
    (course / "roster.csv").write_text(roster(6), encoding="utf-8")
    assignment = write_assignment(course / "assignments" / "leaky")
    assert main(["assign", str(assignment), "--per-student", "--out", str(root / "own")]) == 0
    assert main(["assign", str(assignment), "--out", str(root / "class")]) == 0
    record = json.loads((course / "variants" / "leaky.json").read_text(encoding="utf-8"))
    decay = {s: float(r["values"]["decay"]) for s, r in record["students"].items()}
    own = [s for s in sorted(decay) if decay[s] != CLASS_WIDE_DECAY][: len(PLANTED)]
    students = dict(zip(PLANTED, own, strict=True))
    inbox = root / "inbox"
    inbox.mkdir()
    for kind, planted in PLANTED.items():
        mine = root / "own" / "leaky" / f"{students[kind]}_leaky.ipynb"
        class_wide = root / "class" / "leaky.ipynb"
        for release, student in ((mine, students[kind]), (class_wide, NOT_ON_ROSTER[kind])):
            notebook = answered(nbformat.read(release, as_version=4), planted)
            nbformat.write(notebook, inbox / f"{student}.ipynb")
    out = root / "graded"
    grade_inbox(assignment, inbox, out, seed=7)
    return out, students, decay


def test_a_right_notebook_on_its_own_decay_gets_full_marks_and_no_hint(graded):
    out, students, _ = graded
    for student in (students["right"], NOT_ON_ROSTER["right"]):
        assert hints(out, student) == {"leak_step": (10, []), "leak_run": (10, [])}


def test_a_known_mistake_in_a_part_is_named_as_on_the_class_wide_release(graded):
    """The step returns x alone: the step's hint names the mistake, and the run, which is
    right, is sent to the step first, never told it has a mistake of its own, in the words
    the class-wide hand-in reads."""
    out, students, decay = graded
    assert decay[students["step"]] != CLASS_WIDE_DECAY
    mine = hints(out, students["step"])
    assert mine["leak_step"] == (
        0,
        [
            "Hint [forgets-state]: leak_step matches a step that returns x alone: the state"
            " carries DECAY * h over."
        ],
    )
    score, said = mine["leak_run"]
    assert score == 0
    assert (
        "Hint [wrong-part]: leak_run fails where leak_step is wrong: fix that first, then"
        " check leak_run again." in said
    )
    assert not any("[composition]" in line for line in said), said
    assert mine == hints(out, NOT_ON_ROSTER["step"])


def test_a_composites_own_mistake_blames_no_part_that_is_right(graded):
    """The run adds without the decay, the step is right: the run's hint names its mistake
    and never sends the student to the step, as on the class-wide release."""
    out, students, _ = graded
    mine = hints(out, students["run"])
    assert mine == {
        "leak_step": (10, []),
        "leak_run": (
            0,
            [
                "Hint [no-decay]: leak_run matches h + x: the state is scaled by your DECAY"
                " before x is added."
            ],
        ),
    }
    assert mine == hints(out, NOT_ON_ROSTER["run"])
