"""The feedback page and results.json, from scored results (no notebook runs here)."""

from __future__ import annotations

import sys
from pathlib import Path

import numpy as np

from grader import export
from grader.assignment import load_assignment
from grader.scoring import Rules, score_function

ROOT = Path(__file__).resolve().parent.parent
ASSIGNMENT = load_assignment(ROOT / "assignments" / "lstm_gates")
RULES = Rules.of(ASSIGNMENT)
CASES = ASSIGNMENT.hidden_cases(3)


def scored(name, answer):
    outcomes = []
    for case in CASES[name]:
        outcomes.append((answer(case), None))
    return score_function(name, 10, CASES[name], outcomes, RULES)


def graded(**functions):
    return export.Graded("s1", "LSTM gates", 3, "graded", None, functions)


def right(case):
    return case.expected


def test_full_marks_page_has_no_figure_and_loads_no_plotting():
    sys.modules.pop("matplotlib.pyplot", None)
    page = export.feedback_html(graded(forget_gate=scored("forget_gate", right)))
    assert "data:image/png" not in page and "matplotlib.pyplot" not in sys.modules
    assert ">passed<" in page


def test_partial_credit_reads_partial_and_the_figure_shows_a_failing_case():
    def half(case):
        return case.expected if case.args[0].shape[0] < 4 else case.expected + 0.1

    result = scored("forget_gate", half)
    assert 0 < result.score < 10
    page = export.feedback_html(graded(forget_gate=result))
    assert ">partial<" in page and "not yet" not in page
    assert "data:image/png" in page


def test_huge_and_nan_values_do_not_break_the_page():
    def hostile(case):
        value = np.full_like(case.expected, 1e308)
        value.flat[0] = -1e308
        value.flat[-1] = np.nan
        return value

    results = {
        "forget_gate": scored("forget_gate", hostile),
        "input_gate": scored("input_gate", lambda c: np.full_like(c.expected, np.nan)),
        "cell_state": scored("cell_state", right),
    }
    page = export.feedback_html(graded(**results))
    assert "NaN or inf" in page
    document = export.results_json(graded(**results))
    assert document["score"] == 10


def test_wrong_shape_says_the_shapes_and_draws_nothing():
    result = scored("cell_state", lambda case: case.expected.T)
    page = export.feedback_html(graded(cell_state=result))
    assert "data:image/png" not in page
    assert "expected (4, 3)" in page or "expected (3, 6)" in page


def test_case_labels_name_only_what_the_function_takes():
    assert all("|z|" not in c.label and "D=" not in c.label for c in CASES["cell_state"])
    assert any("large |z|" in c.label for c in CASES["forget_gate"])


def test_results_json_output_lists_the_cells_that_raised():
    document = export.results_json(
        export.Graded(
            "s1",
            "LSTM gates",
            3,
            "timeout",
            "the notebook ran past its time limit of 600 s",
            {"cell_state": scored("cell_state", right)},
            cell_errors=[
                "cell 7, line 3: TypeError: 'int' object is not callable",
                "cell 9, line 2: interrupted: it ran past the time limit of a cell",
            ],
            warnings=['Grader cell changed: the grader-owned "fixtures" cell was deleted'],
        )
    )
    output = document["output"]
    assert "time limit of 600 s" in output
    assert "cell 7, line 3: TypeError: 'int' object is not callable" in output
    assert "cell 9, line 2: interrupted" in output
    assert "Grader cell changed" in output
