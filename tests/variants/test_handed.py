"""Whose numbers a hand-in holds (issue 55): a student who copies a classmate's constants cell
into their own notebook keeps their own fingerprint, and is flagged by the numbers, both
students named; the grader-owned cells expected are those of the notebook handed in."""

from __future__ import annotations

import copy
from pathlib import Path

import nbformat
import pytest
from variants_kit import roster, with_variants

from grader.assignment.config import load_config
from grader.cli import main
from grader.variants import attribution, handed, numbers
from grader.variants.release import definition_of

# The course's secret, fixed: it draws each student's values. With a random one, about one run
# in a thousand drew S003 the class-wide values (W_rec 0.5, 10 steps, tanh), and a class-wide
# claim with S003's numbers was then rightly the class-wide notebook. This one draws S003
# W_rec 0.53, 10 steps, sigmoid.
SECRET = b"whose numbers: fixed draws"


@pytest.fixture(scope="module")
def course(tmp_path_factory) -> Path:
    folder = tmp_path_factory.mktemp("numbers") / "course"
    assert main(["init", str(folder)]) == 0
    (folder / "roster.csv").write_text(roster(5), encoding="utf-8")
    (folder / "variants").mkdir(exist_ok=True)
    (folder / "variants" / "secret.key").write_bytes(SECRET)
    assignment = folder / "assignments" / "rnn_gradients"
    with_variants(assignment)
    out = folder.parent / "release"
    assert main(["assign", str(assignment), "--per-student", "--out", str(out)]) == 0
    return folder


def released(course: Path, student: str) -> nbformat.NotebookNode:
    path = course.parent / "release" / "rnn_gradients" / f"{student}_rnn_gradients.ipynb"
    return nbformat.read(path, as_version=4)


def verdict_of(course: Path, student: str, notebook: nbformat.NotebookNode) -> handed.HandedVariant:
    config = load_config(course / "assignments" / "rnn_gradients")
    record = attribution.record_of(config.directory, config.name)
    assert record is not None
    return handed.handed_variant(config, record, student, notebook)


def constants(notebook: nbformat.NotebookNode) -> nbformat.NotebookNode:
    return next(c for c in notebook.cells if c.get("id") == "constants")


def test_a_classmates_constants_in_ones_own_notebook_are_flagged(course):
    own = released(course, "S000")
    found = verdict_of(course, "S000", own)
    assert found.verdict.flag == attribution.OWN and found.notes == []
    record = attribution.record_of(course / "assignments" / "rnn_gradients", "rnn_gradients")
    assert record is not None
    assert found.owned == record.students["S000"].owned

    copied = copy.deepcopy(own)
    constants(copied).source = constants(released(course, "S003")).source
    found = verdict_of(course, "S000", copied)
    assert found.verdict.flag == "another student's numbers: released to S003, handed in by S000"
    assert found.verdict.owner == "S003"
    assert "are the values released to S003, and it is handed in by S000" in found.notes[0]
    assert found.owned == record.students["S000"].owned  # their own cells, a classmate's numbers

    invented = copy.deepcopy(own)
    constants(invented).source = "W_REC = 0.123\nSTEPS = 7\nACTIVATION = 'tanh'"
    found = verdict_of(course, "S000", invented)
    assert found.verdict.flag == "numbers not their own"
    assert "are not the values released to S000" in found.notes[0]
    assert found.notes[0].startswith("Variant: the notebook's constants (W_rec = 0.123")


def test_another_students_notebook_expects_that_students_grader_cells(course):
    found = verdict_of(course, "S001", released(course, "S002"))
    assert found.verdict.flag == "another student's: released to S002, handed in by S001"
    record = attribution.record_of(course / "assignments" / "rnn_gradients", "rnn_gradients")
    assert record is not None and found.owned == record.students["S002"].owned


def test_a_class_wide_claim_is_checked_by_the_numbers_the_run_held(course):
    """A notebook saying it is the class-wide one is that only with the class-wide values; with
    a classmate's, the classmate is named (the metadata once skipped the numbers check)."""
    config = load_config(course / "assignments" / "rnn_gradients")
    record = attribution.record_of(config.directory, config.name)
    assert record is not None
    claimed = copy.deepcopy(released(course, "S001"))
    claimed.metadata["grader"]["variant"] = {"class_wide": True, "definition": "x"}
    constants = numbers.constants_of(config.source)

    def held(values: dict) -> dict:
        return {name: values[parameter] for name, parameter in constants.items()}

    class_wide = held(definition_of(config).class_wide())
    found = handed.handed_variant(config, record, "S000", claimed, class_wide)
    assert found.verdict.flag == attribution.CLASS_WIDE
    found = handed.handed_variant(config, record, "S000", claimed, held(record.of("S003").values))
    assert found.verdict.flag == "another student's numbers: released to S003, handed in by S000"
