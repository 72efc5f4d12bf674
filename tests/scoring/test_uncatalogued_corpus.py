"""Mistakes nobody catalogued (tests/kits/uncatalogued_corpus.py), each in the released notebook,
checked by the notebook's self-check in a plain kernel (no grader) and graded by `grader grade`:
the function with the bug loses points in both, both say the same words, the cause is named for
all but a few, and no hint names a mistake the student did not make.

The wiring mistakes of issue 66 (tests/kits/wiring_corpus.py, held apart: tuned on nothing,
judged on their own) are built, self-checked and graded in the same run, which costs one
release, one pair of kernels and one `grader grade` per assignment for both: a composite whose
parts are right but put together wrong loses points in both tools, the grader names the cause
from the traced calls for all but one at most, the self-check says the very same sentence, and
no hint is false."""

from __future__ import annotations

from pathlib import Path

import pytest
from uncatalogued_corpus import MISTAKES, run, table
from wiring_corpus import WIRING

import reference_lstm

pytestmark = pytest.mark.slow
CODE = Path(__file__).resolve().parents[2]


@pytest.fixture(scope="module")
def both(tmp_path_factory):
    rows = run(tmp_path_factory.mktemp("uncatalogued"), CODE, {**MISTAKES, **WIRING})
    print(table([row for row in rows if row.name in MISTAKES]))
    print(table([row for row in rows if row.name in WIRING]))
    return {row.name: row for row in rows}


@pytest.fixture(scope="module")
def told(both):
    return {name: row for name, row in both.items() if name in MISTAKES}


@pytest.fixture(scope="module")
def wired(both):
    return {name: row for name, row in both.items() if name in WIRING}


def test_the_corpus_is_large_and_spans_the_three_assignments():
    assert len(MISTAKES) >= 20
    assert {m.assignment for m in MISTAKES.values()} == {
        "lstm_gates",
        "rnn_gradients",
        "lstm_backward",
    }
    assert reference_lstm  # the reference the cases are made from


def test_the_function_with_the_bug_is_named_by_both_tools(told):
    assert [name for name, row in told.items() if not row.named] == []


def test_both_tools_say_the_same_words(told):
    differing = [
        f"{n}: {r.self_check!r} / {r.grader_words!r}" for n, r in told.items() if not r.same_words
    ]
    assert differing == [], "\n".join(differing)


def test_the_cause_is_named_for_at_least_eighteen(told):
    named = [name for name, row in told.items() if row.cause_named]
    expected = [name for name, m in MISTAKES.items() if m.causes]
    assert len(named) >= 18
    assert sorted(named) == sorted(expected)


def test_no_hint_names_a_mistake_the_student_did_not_make(told):
    assert {name: row.false_hints for name, row in told.items() if row.false_hints} == {}


def test_the_wiring_corpus_holds_every_kind_of_mistake_in_the_three_assignments():
    assert len(WIRING) >= 12
    assert {m.assignment for m in WIRING.values()} == {
        "lstm_gates",
        "rnn_gradients",
        "lstm_backward",
    }


def test_the_miswired_composite_loses_points_in_both_tools(wired):
    assert [name for name, row in wired.items() if not row.named] == []


def test_the_grader_names_the_cause_at_the_function_for_all_but_one_at_most(wired):
    traced = [name for name, row in wired.items() if row.grader_code == "wiring"]
    assert len(traced) >= max(11, len(WIRING) - 1), [
        f"{n}: [{r.grader_code}] {r.grader_words}" for n, r in wired.items() if n not in traced
    ]
    assert [name for name, row in wired.items() if not row.cause_named] == []


def test_both_tools_say_the_same_wiring_sentence(wired):
    differing = [
        f"{n}: {r.self_check!r} / {r.grader_words!r}" for n, r in wired.items() if not r.same_words
    ]
    assert differing == [], "\n".join(differing)


def test_the_sentences_name_what_the_notes_give(wired):
    words = {name: row.grader_words for name, row in wired.items()}
    assert words["cell-input-gate-given-b_f"] == (
        "lstm_cell calls input_gate with b_f where the notes give b_i."
    )
    assert words["cell-h-without-output-gate"] == "lstm_cell never uses output_gate's result."
    assert "clipped to [-1, 1]: the notes carry it whole" in words["forward-c-clipped"]


def test_no_wiring_hint_names_a_mistake_the_student_did_not_make(wired):
    assert {name: row.false_hints for name, row in wired.items() if row.false_hints} == {}
