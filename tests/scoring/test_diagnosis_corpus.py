"""The diagnosis over a corpus of notebooks built from the release (tests/kits/diagnosis_corpus.py),
graded in one `grader grade` run in the sandbox behind the pid fence: every mark as expected,
every function that lost points named by a right hint, and no hint on a correct function."""

from __future__ import annotations

import json
import sys
from pathlib import Path

import pytest

sys.path.insert(0, str(Path(__file__).resolve().parents[2] / "benchmarks"))

from diagnosis_corpus import CORRECT, entries, tally  # noqa: E402

pytestmark = pytest.mark.slow


@pytest.fixture(scope="module")
def corpus(tmp_path_factory):
    from diagnosis_tally import grade_corpus  # benchmarks/diagnosis_tally.py

    # One grader: `make test` keeps both cores busy, where a second grader costs CPU and saves
    # no time (31 s of CPU for this file on one, 35 s on two).
    return grade_corpus(tmp_path_factory.mktemp("corpus"), workers=1)


COMPOSITES = ("lstm_cell", "lstm_forward", "rnn_forward", "rnn_backward", "gradient_norms")


def test_every_composite_has_a_mistake_of_its_own_beside_a_wrong_part():
    both = {
        function
        for entry in entries().values()
        for function, codes in entry.lost.items()
        if "composition" in codes and len(entry.lost) > 1 and "wrong-part" not in codes
    }
    assert set(COMPOSITES) | {"lstm_backward"} <= both


def test_reshape_for_transpose_in_every_gate_and_the_rnn_step():
    reshaped = {
        function
        for entry in entries().values()
        for function, codes in entry.lost.items()
        if codes & {"reshape-for-transpose", "product-reshaped"} and "wrong-part" not in codes
    }
    gates = {"forget_gate", "input_gate", "candidate_memory", "output_gate"}
    assert gates | {"rnn_step"} <= reshaped


def test_the_corpus_covers_every_mistake_class_and_unusual_styles():
    codes = {
        code for entry in entries().values() for codes in entry.lost.values() for code in codes
    }
    behaviour = {"out-of-range", "clipped", "relu-cut", "permuted", "ignores-input"}
    calls = {"nondeterministic", "aliased", "wrong-part", "composition"}
    sequence = {"c-not-carried", "h-not-carried", "returns-c-h", "last-step-only"}
    assert behaviour | calls | sequence <= codes
    assert len(CORRECT) >= 6


def test_marks_hints_and_no_false_hint(corpus):
    entries, graded = corpus
    result = tally(entries, graded)
    assert result.wrong_marks == []
    assert result.unnamed == []
    assert result.false_hints == []
    assert result.named == result.buggy == len(entries) - len(CORRECT)


def test_a_composite_with_a_mistake_of_its_own_is_told_both(corpus):
    """The issue's notebook: a tanh output gate, and lstm_forward restarting every step from
    h0 and c0. Fixing lstm_cell would not fix lstm_forward, so both are named."""
    _, graded = corpus
    folder = graded / "lstm_gates" / "tanh-output-and-restart"
    tests = {
        t["name"]: t["output"] for t in json.loads((folder / "results.json").read_text())["tests"]
    }
    assert "only because" not in tests["lstm_forward"]
    assert (
        "besides lstm_cell, which is wrong on its own, lstm_forward has a mistake of its own"
        in tests["lstm_forward"]
    )
    assert (
        "lstm_cell fails where output_gate is wrong: fix that first, then check lstm_cell again"
        in tests["lstm_cell"]
    )


def test_mutation_blamed_where_it_happens_and_no_advice_that_changes_nothing(corpus):
    """cell_state doing c_prev *= f_t loses its own points, its callers are sent to it; an
    lstm_forward stacking the last state T times is never told to .copy() it."""
    entries, graded = corpus

    def tests(name: str) -> dict:
        folder = graded / entries[name].assignment / name
        document = json.loads((folder / "results.json").read_text())
        return {t["name"]: t for t in document["tests"]}

    in_place = tests("in-place-cell")
    assert in_place["cell_state"]["score"] == 0
    assert "cell_state changes its input c_prev in place" in in_place["cell_state"]["output"]
    assert "in place" not in in_place["lstm_forward"]["output"].split("\n")[0]
    assert "lstm_forward fails where lstm_cell is wrong" in in_place["lstm_forward"]["output"]
    stacked = tests("stack-repeated")["lstm_forward"]["output"]
    assert "copy" not in stacked and "each step its own array" in stacked
    swapped = tests("gate-weights-swapped")["lstm_cell"]["output"]
    assert (
        "lstm_cell gives forget_gate W_i, b_i and input_gate W_f, b_f, each the other's" in swapped
    )
    assert "the cell update matches" not in swapped
    backward = tests("forget-gradient-from-candidate")["lstm_step_backward"]["output"]
    assert "W_f, b_f, x_t and h_prev are wrong and the rest right" in backward


def test_correct_styles_get_full_marks(corpus):
    entries, graded = corpus
    for name in CORRECT:
        document = json.loads((graded / "lstm_gates" / name / "results.json").read_text())
        assert document["score"] == 100, name
        assert "Hint" not in json.dumps(document["tests"]), name


def test_blame_names_the_part_and_never_a_part_that_passed(corpus):
    _, graded = corpus
    tests = {
        t["name"]: t["output"]
        for t in json.loads((graded / "lstm_gates/tanh-forget/results.json").read_text())["tests"]
    }
    assert (
        "lstm_cell fails where forget_gate is wrong: fix that first, then check lstm_cell again"
        in tests["lstm_cell"]
    )
    for gate in ("input_gate", "candidate_memory", "output_gate"):
        assert gate not in tests["lstm_cell"] and gate not in tests["lstm_forward"]
