"""Mistakes nobody catalogued (tests/kits/uncatalogued_corpus.py), each in the released notebook,
checked by the notebook's self-check in a plain kernel (no grader) and graded by `grader grade`:
the function with the bug loses points in both, both say the same words, the cause is named for
all but a few, and no hint names a mistake the student did not make."""

from __future__ import annotations

from pathlib import Path

import pytest
from uncatalogued_corpus import MISTAKES, run, table

import reference_lstm

pytestmark = pytest.mark.slow
CODE = Path(__file__).resolve().parents[2]


@pytest.fixture(scope="module")
def told(tmp_path_factory):
    rows = run(tmp_path_factory.mktemp("uncatalogued"), CODE)
    print(table(rows))
    return {row.name: row for row in rows}


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
