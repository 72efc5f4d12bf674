"""The students' page on the self-check says what a wrong part costs as the grader does it:
the functions built on it lose their points too (the diagnosis corpus grades such notebooks,
``tests/scoring/test_diagnosis_corpus.py``), and their feedback names the part to fix first in
the very words the page quotes."""

from __future__ import annotations

from pathlib import Path

from diagnosis_corpus import BUGGY, COMPOSITES

from grader.scoring import behaviour
from grader.scoring.shapes import GENERIC_HINTS

PAGE = Path(__file__).resolve().parents[2] / "docs" / "students" / "self-check.md"


def _page() -> str:
    return " ".join(PAGE.read_text().split())


def test_the_page_says_a_wrong_part_costs_the_functions_built_on_it():
    # what the corpus, graded for real, holds for a forget gate with tanh for sigmoid
    assert set(BUGGY["tanh-forget"].lost) == {"forget_gate", *COMPOSITES}
    page = _page()
    assert "one wrong part does not cost" not in page
    assert "with only `forget_gate` wrong, `lstm_cell` and `lstm_forward` score 0" in page
    assert "costs nothing to `cell_state`" in page
    assert "cell_state" not in BUGGY["tanh-forget"].lost


def test_the_page_quotes_the_feedback_as_the_grader_words_it():
    said = behaviour.part_first(GENERIC_HINTS, "lstm_cell", ["forget_gate"])
    assert f'"{said}"' in _page()
