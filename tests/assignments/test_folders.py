"""What every assignment folder written against the package API (CONTRACTS.md A) passes: its
cases, its mistakes, its composites, its toml and source notebook, the notebook's solutions run
in a real kernel, and its sample submissions. The numerics of each assignment (references
against torch autograd and finite differences) are in tests/assignments/test_<name>.py."""

from __future__ import annotations

import assignment_kit as kit
import numpy as np
import pytest

FOLDERS = ["rnn_gradients", "lstm_backward"]
FUNCTIONS = [(name, f) for name in FOLDERS for f in kit.function_names(name)]


@pytest.mark.parametrize("name, function", FUNCTIONS)
def test_cases_are_reproducible_from_the_seed(name, function):
    kit.check_cases_reproducible(name, function)


@pytest.mark.parametrize("name", FOLDERS)
def test_more_cases_than_sizes_take_the_sizes_in_turn(name):
    grading = kit.load_grading(name)
    function = next(iter(grading.REFERENCE))
    settings = kit.case_settings(name, count=6)
    cases = grading.make_cases(function, np.random.default_rng(0), settings)
    assert [c.label for c in cases[4:]] == [c.label for c in cases[:2]]


@pytest.mark.parametrize("name", FOLDERS)
def test_make_cases_names_what_it_grades(name):
    grading = kit.load_grading(name)
    with pytest.raises(ValueError, match=next(iter(grading.REFERENCE))):
        grading.make_cases("sigmoid", np.random.default_rng(0), kit.case_settings(name))


@pytest.mark.parametrize("name, function", FUNCTIONS)
def test_correct_answers_in_float32_pass_the_tolerance(name, function):
    """A right answer computed in float32 (a student's np.float32 arrays) still passes, and no
    known mistake's hint fires on it."""
    grading = kit.load_grading(name)
    mistakes = [m for m in grading.MISTAKES if function in m.variants]
    for case in kit.cases_for(name, function, 11):
        single = grading.REFERENCE[function](*(kit.as_float32(arg) for arg in case.args))
        assert kit.close(single, grading.REFERENCE[function](*case.args)), case.label
        hints = [m.code for m in mistakes if kit.close(single, m.variants[function](*case.args))]
        reference_like = [
            m.code
            for m in mistakes
            if kit.close(m.variants[function](*case.args), grading.REFERENCE[function](*case.args))
        ]
        assert set(hints) <= set(reference_like), case.label


@pytest.mark.parametrize("name", FOLDERS)
@pytest.mark.parametrize("seed", [0, 1, 2])
def test_no_two_mistakes_look_alike(name, seed):
    assert kit.confusable_mistakes(name, seed) == []


@pytest.mark.parametrize("name", FOLDERS)
@pytest.mark.parametrize("seed", [1, 2])
def test_mistakes_show_on_other_seeds_as_on_seed_0(name, seed):
    """Where a mistake cannot show depends on the sizes, not on the draw."""
    assert kit.indistinguishable_cases(name, seed) == kit.indistinguishable_cases(name, 0)


@pytest.mark.parametrize("name", FOLDERS)
def test_mistakes_are_listed_and_named(name):
    kit.check_mistakes_listed(name)


@pytest.mark.parametrize("name", FOLDERS)
def test_composites_over_their_parts(name):
    kit.check_composition(name)


@pytest.mark.parametrize("name", FOLDERS)
def test_toml_and_source_notebook(name):
    kit.check_folder(name)


@pytest.mark.slow
@pytest.mark.parametrize("name", FOLDERS)
def test_source_notebook_solutions_are_the_reference(name):
    """The instructor's solutions, run in a real kernel, give REFERENCE's values; the notebook
    runs from top to bottom, and its gradient check finds the solutions right."""
    printed = kit.check_solutions_are_reference(name)
    check = printed["gradient-check"].splitlines()
    errors = [float(line.split(":")[-1]) for line in check if "largest difference" in line]
    assert len(errors) >= 5 and max(errors) < 1e-6
    assert "steps back" in printed["experiment"]


@pytest.mark.parametrize("name", FOLDERS)
def test_samples_are_built_from_todays_source(name):
    kit.check_samples_are_current(name)


@pytest.mark.slow
@pytest.mark.parametrize("name", FOLDERS)
def test_samples_show_their_mistakes(name):
    kit.check_samples_show_their_mistakes(name)
