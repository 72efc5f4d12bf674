"""The feedback page and results.json, from scored results (no notebook runs here)."""

from __future__ import annotations

import ast
import html
import re
import shutil
import sys
from pathlib import Path

import numpy as np
import pytest

import reference_lstm as ref
from grader.assignment import load_assignment, returns
from grader.feedback import export, figure
from grader.feedback.rerun import rerun
from grader.scoring import Rules, close, score_function
from grader.scoring.values import HiddenCase, as_value, copy_args

ROOT = Path(__file__).resolve().parents[2]
ASSIGNMENT = load_assignment(ROOT / "assignments" / "lstm_gates")
BACKWARD = load_assignment(ROOT / "assignments" / "lstm_backward")
RULES = Rules.of(ASSIGNMENT)
CASES = ASSIGNMENT.hidden_cases(3)


def scored(name, answer):
    outcomes = []
    for case in CASES[name]:
        outcomes.append((answer(case), None))
    return score_function(name, 10, CASES[name], outcomes, RULES)


def graded(**functions):
    return export.GradedSubmission("s1", "LSTM gates", 3, "graded", None, functions)


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


def test_results_json_output_gives_what_to_fix_right_under_the_score():
    """Gradescope shows ``output`` as it is: the score, then per function that lost points its
    score and the page's words on what to fix, then the rest (issue 76)."""
    wrong = scored("cell_state", lambda case: case.expected + 1.0)
    document = export.results_json(
        export.GradedSubmission(
            "s1",
            "LSTM gates",
            3,
            "graded",
            None,
            {"forget_gate": scored("forget_gate", right), "cell_state": wrong},
            warnings=['Grader cell changed: the grader-owned "fixtures" cell was deleted'],
        )
    )
    lines = document["output"].splitlines()
    assert lines[0] == f"{document['score']:g} / 20 points."
    assert lines[1] == f"  cell_state: {wrong.score:g} / 10"
    assert lines[2] == f"    {document['extra_data']['fix']['cell_state']}" and len(lines[2]) > 10
    assert lines[3].startswith("Grader cell changed")
    assert "forget_gate" not in document["output"]  # full marks: nothing to fix


def test_results_json_output_lists_the_cells_that_raised():
    document = export.results_json(
        export.GradedSubmission(
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


# --- the smallest failing case, to paste into a notebook -----------------------------------


def mistaken(function, code, assignment=ASSIGNMENT):
    (mistake,) = [m for m in assignment.mistakes if m.code == code and function in m.variants][:1]
    return mistake.variants[function]


def pasted(code: str, **functions) -> dict:
    """The namespace after running ``code`` as a student pastes it, ``functions`` defined."""
    namespace = dict(functions)
    exec(code, namespace)  # noqa: S102 - the grader's own text, checked to be plain Python
    return namespace


def leaves(value):
    if isinstance(value, dict):
        return [leaf for key in sorted(value) for leaf in leaves(value[key])]
    if isinstance(value, tuple | list):
        return [leaf for item in value for leaf in leaves(item)]
    return [np.asarray(value)]


def identical(a, b) -> bool:
    """The same structure, shapes, dtypes and every bit of every number."""
    pairs = list(zip(leaves(a), leaves(b), strict=True))
    return all(x.dtype == y.dtype and np.array_equal(x, y, equal_nan=True) for x, y in pairs)


def scored_with(assignment, name, answer, seed=3):
    cases = assignment.hidden_cases(seed)[name]
    outcomes = [(answer(case), None) for case in cases]
    return score_function(name, 10, cases, outcomes, Rules.of(assignment)), cases


@pytest.mark.parametrize(
    ("assignment", "function", "code"),
    [
        (ASSIGNMENT, "forget_gate", "tanh-for-sigmoid"),
        (ASSIGNMENT, "lstm_cell", "returns-c-h"),
        (BACKWARD, "lstm_step_backward", None),
    ],
    ids=["gate", "tuple-and-params-dict", "dict-of-gradients"],
)
def test_the_smallest_failing_case_pastes_back_exactly(assignment, function, code):
    """Run as pasted: the inputs are the case's to the last bit, under the function's own
    parameter names; the reference answers them with the expected value shown, and the
    student's function returns what the grader got."""
    reference = assignment.reference(function)
    if code is None:  # the gradient of the forget gate's weights a tenth too large

        def wrong(*args):
            grads = reference(*args)
            return {**grads, "W_f": grads["W_f"] * 1.1}
    else:
        wrong = mistaken(function, code, assignment)
    result, cases = scored_with(assignment, function, lambda c: as_value(wrong(*copy_args(c.args))))
    shown = rerun(result)
    assert shown is not None and shown.whole
    smallest = min(cases, key=lambda c: sum(a.size for a in leaves(c.args)))
    assert f"({smallest.label})" in shown.code
    parameters = assignment.parameters(function)
    assert f"yours = {function}({', '.join(parameters)})" in shown.code

    as_reference = pasted(shown.code, **{function: reference})
    assert identical(tuple(as_reference[p] for p in parameters), smallest.args)
    assert identical(as_reference["expected"], smallest.expected)
    assert identical(as_value(as_reference["yours"]), smallest.expected)
    as_student = pasted(shown.code, **{function: wrong})
    assert identical(as_student["returned"], as_value(as_student["yours"]))
    assert not close(as_student["returned"], smallest.expected, 1e-5, 1e-4)


def test_a_params_dict_is_a_dict_literal_and_the_tuple_is_named():
    result, _ = scored_with(ASSIGNMENT, "lstm_cell", lambda c: (c.expected[0] + 0.5, c.expected[1]))
    code = rerun(result).code
    assert "params = {\n    'W_f': np.array([[" in code
    assert "# The right answer (h, c):\nexpected = (\n    np.array(" in code


def test_a_case_raising_an_error_shows_the_error_and_nan_pastes_back():
    cases = ASSIGNMENT.hidden_cases(3)["cell_state"]
    outcomes = [(None, "ValueError: operands could not be broadcast\ntogether")] + [
        (np.full_like(c.expected, np.nan), None) for c in cases[1:]
    ]
    result = score_function("cell_state", 10, cases, outcomes, RULES)
    shown = rerun(result)
    assert "# Your cell_state raised ValueError: operands could not be broadcast together" in (
        shown.code
    )
    result = score_function("cell_state", 10, cases[1:], outcomes[1:], RULES)
    namespace = pasted(rerun(result).code, cell_state=ref.cell_state)
    assert np.isnan(namespace["returned"]).all()


def test_stubs_and_a_missing_notebook_show_no_case():
    cases = ASSIGNMENT.hidden_cases(3)["forget_gate"]
    for error in ("NotImplementedError: ", "not called: the kernel died", "timed out after 60 s"):
        result = score_function("forget_gate", 10, cases, [(None, error)] * len(cases), RULES)
        assert rerun(result) is None
        assert (
            "smallest failing case"
            not in export.results_json(graded(forget_gate=result))["tests"][0]["output"]
        )


def test_a_large_case_is_summarised_with_its_shapes_and_first_rows():
    rng = np.random.default_rng(0)
    big = [
        HiddenCase("forget_gate", "N=40, D=30, H=20", args, ref.forget_gate(*args))
        for args in [
            (
                rng.standard_normal((40, 30)),
                rng.standard_normal((40, 20)),
                rng.standard_normal((20, 50)),
                rng.standard_normal(20),
            )
        ]
    ]
    result = score_function("forget_gate", 10, big, [(big[0].expected + 1, None)], RULES)
    shown = rerun(result)
    assert not shown.whole
    assert "too large to show whole" in shown.code
    assert "# W_f: shape (20, 50), its first rows:" in shown.code
    assert "# returned: shape (40, 20), its first rows:" in shown.code
    assert len(shown.code.splitlines()) < 40
    page = export.feedback_html(graded(forget_gate=result))
    assert "too large to show whole" in page


def test_the_page_and_results_json_show_the_same_case():
    result, _ = scored_with(ASSIGNMENT, "forget_gate", lambda c: c.expected * 0.5)
    page = export.feedback_html(graded(forget_gate=result))
    output = export.results_json(graded(forget_gate=result))["tests"][0]["output"]
    code = rerun(result).code
    assert code in output
    shown = re.search(r"<pre[^>]*><code>(.*?)</code></pre>", page, re.DOTALL).group(1)
    assert html.unescape(shown) == code
    assert "paste this into a cell below your forget_gate" in page


# --- plotted values by name ------------------------------------------------------------------


def test_plotted_values_are_labelled_by_their_names():
    result, _ = scored_with(
        ASSIGNMENT, "lstm_cell", lambda c: (c.expected[0] * 0.5, c.expected[1] + 1)
    )
    drawn = figure.figure(result)
    assert drawn.names == ("h", "c")
    failing = next(c for c in result.cases if not c.passed)
    fig = figure.draw("lstm_cell", failing.label, figure.plotted(failing, result.output_names))
    legend = [text.get_text() for text in fig.axes[0].get_legend().get_texts()]
    assert legend == ["h", "c"]
    page = export.feedback_html(graded(lstm_cell=result))
    assert "value 1" not in page
    # What the figure shows in one sentence, as its text alternative (issue 76): which values
    # lie off the diagonal; its numbers in a table beside it (issue 54's figures, as rows).
    alt = html.unescape(re.search(r'<img alt="(.*?)"', page).group(1))
    assert alt.startswith("lstm_cell's returned values against the right ones on case N=")
    assert "numbers of h lie off it" in alt and "numbers of c lie off it" in alt
    assert "(the largest difference 1)" in alt  # c one too high
    table = re.search(r'<table class="numbers">(.*?)</table>', page, re.DOTALL).group(1)
    rows = re.findall(r'<th scope="row">(\w+)</th>((?:<td>.*?</td>)+)', table)
    assert [name for name, _ in rows] == ["h", "c"]
    cells = dict((name, re.findall(r"<td>(.*?)</td>", found)) for name, found in rows)
    assert cells["c"][-1] == "1" and cells["c"][0] == cells["c"][1]  # every number off


def test_a_dict_of_gradients_is_plotted_by_its_keys():
    def wrong(case):
        grads = dict(case.expected)
        return {**grads, "W_f": grads["W_f"] * 1.1, "b_o": grads["b_o"] - 0.1}

    result, _ = scored_with(BACKWARD, "lstm_step_backward", wrong)
    assert {"W_f", "b_o"} <= set(figure.figure(result).names)


def test_names_come_from_the_source_notebook_without_output_names(tmp_path):
    folder = Path(shutil.copytree(ASSIGNMENT.config.directory, tmp_path / "lstm_gates"))
    grading = folder / "grading.py"
    text = grading.read_text()
    grading.write_text(re.sub(r"\nOUTPUT_NAMES = .*\n", "\n", text))
    copy = load_assignment(folder)
    assert not hasattr(copy.grading, "OUTPUT_NAMES")
    assert dict(copy.output_names) == {
        "lstm_cell": ("h_t", "c_t"),
        "lstm_forward": ("h_seq", "c_seq"),
    }
    result, _ = scored_with(copy, "lstm_forward", lambda c: (c.expected[0], c.expected[1] * 2))
    assert figure.figure(result).names == ("h_seq", "c_seq")
    assert (
        "c_seq: largest error"
        in export.results_json(graded(lstm_forward=result))["tests"][0]["output"]
    )


@pytest.mark.parametrize(
    ("function", "names"),
    [
        ('def f(x):\n    """Returns (N, H)."""\n    return x @ x.T\n', ()),
        ('def f(x):\n    """Returns (a, b)."""\n    return x[0], x[1]\n', ("a", "b")),
        ("def f(x):\n    a, b = x\n    return a, b\n", ("a", "b")),
        ('def f(x):\n    """Returns (a, b, c)."""\n    return x[0], x[1]\n', ()),
        ("def f(x):\n    def g():\n        return 1, 2\n    return x\n", ()),
        ("def f(x):\n    return x[0], x[1]\n", ()),
    ],
)
def test_returned_names_only_for_a_tuple_that_something_names(function, names):
    assert returns.returned_names(ast.parse(function).body[0]) == names


GRADIENTS = load_assignment(ROOT / "assignments" / "rnn_gradients")
SHAPES_ERROR = "ValueError: shapes (3,5) and (4,5) not aligned: 5 (dim 1) != 4 (dim 0)"


def test_a_function_that_raised_in_some_cases_says_so_never_largest_error_0():
    """Issue 89: rnn_backward raised a ValueError in 3 of its 4 cases and kept a quarter of its
    45 points: its detail says it raised, in those cases, never "largest error 0" (from the
    one case it got right) beside the points it lost."""
    cases = GRADIENTS.hidden_cases(3)["rnn_backward"][:4]
    outcomes = [(right(cases[0]), None)] + [(None, SHAPES_ERROR)] * 3
    result = score_function("rnn_backward", 45, cases, outcomes, Rules.of(GRADIENTS))
    assert result.score == 11.25 and result.max_error == 0.0
    page = html.unescape(export.feedback_html(graded(rnn_backward=result)))
    assert "largest error 0" not in page and "(largest error" not in page
    assert "<code>rnn_backward</code>: its cases, its hints (raised an error in 3 of 4 cases)" in (
        page
    )
    labels = [case.label for case in cases[1:]]
    assert f'{"; ".join(labels)}: <span class="failed">0%: {SHAPES_ERROR}</span>' in page
    assert f'{cases[0].label}: <span class="passed">passed</span>' in page


def test_raised_timed_out_and_wrong_cases_are_each_told():
    """One case raised, one ran past its time limit, one came back wrong, one right: each kind
    is said, the largest error only of the case that returned a wrong value."""
    cases = CASES["forget_gate"][:4]
    outcomes = [
        (None, "ZeroDivisionError: division by zero"),
        (None, "timed out after 60 s"),
        (cases[2].expected + 0.5, None),
        (right(cases[3]), None),
    ]
    result = score_function("forget_gate", 10, cases, outcomes, RULES)
    assert export.error_words(result) == (
        "raised an error in 1 of 4 cases, returned nothing in 1 of 4 cases, largest error 0.5 in"
        " the others"
    )
    stub = [(None, "NotImplementedError: ")] * len(cases)
    result = score_function("forget_gate", 10, cases, stub, RULES)
    assert export.error_words(result) == "returned nothing"  # a stub: every case alike
    raising = [(None, "ValueError: shapes (2,3) and (4,) not aligned")] * len(cases)
    result = score_function("forget_gate", 10, cases, raising, RULES)
    assert export.error_words(result) == "raised an error in every case"
    wrong = [(case.expected + 0.25, None) for case in cases]
    result = score_function("forget_gate", 10, cases, wrong, RULES)
    assert export.error_words(result) == "largest error 0.25"


def test_a_page_for_all_names_no_values_and_a_per_student_page_names_them_whatever_the_score():
    full = scored("forget_gate", right)
    page = export.feedback_html(graded(forget_gate=full))
    assert "With your" not in page
    for result in (full, scored("forget_gate", lambda case: case.expected + 1)):
        own = export.GradedSubmission(
            "s1", "LSTM gates", 3, "graded", None, {"forget_gate": result},
            values={"b_f": 0.63, "c0": 1.1},
        )  # fmt: skip
        assert "With your b_f = 0.63, c0 = 1.1: " in export.feedback_html(own)
