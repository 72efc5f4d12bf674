"""The mistakes no tool named before, named by the self-check with the grader's words: a bias
reshaped to a column (H, 1), and, in the backward assignment, which gradients are wrong."""

from __future__ import annotations

import contextlib
import io
from pathlib import Path

import nbformat
import numpy as np

import reference_lstm as ref
from grader.assignment import load_assignment
from grader.assignment.releasing import release
from grader.scoring import Rules, score_function

ASSIGNMENTS = Path(__file__).resolve().parents[2] / "assignments"


def _check_line(tmp_path: Path, name: str, functions: dict, function: str) -> str:
    """What check() prints for ``function`` in the release of ``name``, ``functions`` being
    the student's namespace."""
    notebook = nbformat.read(release(ASSIGNMENTS / name, tmp_path), as_version=4)
    namespace = dict(functions)
    for cell in notebook.cells:
        if cell.get("id") in ("grader-fixtures", "grader-self-check"):
            exec(cell.source, namespace)
    out = io.StringIO()
    with contextlib.redirect_stdout(out):
        namespace["check"](function)
    return out.getvalue().strip()


def _graders_hint(name: str, function: str, student, case_index: int) -> dict[str, str]:
    assignment = load_assignment(ASSIGNMENTS / name)
    case = assignment.hidden_cases(7)[function][case_index]
    try:
        got, error = student(*case.args), None
    except Exception as raised:  # noqa: BLE001 - the grader sees the error's text
        got, error = None, f"{type(raised).__name__}: {raised}"
    graded = score_function(function, 1.0, [case], [(got, error)], Rules.of(assignment))
    return dict(graded.hint_messages)


def test_a_bias_reshaped_to_a_column_is_named_by_both(tmp_path):
    def forget_gate(x_t, h_prev, W_f, b_f):
        xh = np.concatenate([x_t, h_prev], axis=1)
        return ref.sigmoid(xh @ W_f.T + b_f.reshape(-1, 1))

    functions = {n: getattr(ref, n) for n in ("input_gate", "candidate_memory", "output_gate")}
    line = _check_line(
        tmp_path, "lstm_gates", {**functions, "forget_gate": forget_gate}, "forget_gate"
    )
    assert line.startswith("forget_gate: ERROR - ValueError: operands could not be broadcast")
    hints = _graders_hint("lstm_gates", "forget_gate", forget_gate, 1)
    assert list(hints) == ["bias-column"]
    assert line.endswith(f"Hint: {hints['bias-column']}")
    assert "(H, 1)" in hints["bias-column"]
    # with one example the column broadcasts to (H, H): the shape says it as well
    assert list(_graders_hint("lstm_gates", "forget_gate", forget_gate, 0)) == ["bias-column"]


def test_the_backward_self_check_names_the_wrong_gradients_as_the_grader_does(tmp_path):
    assignment = load_assignment(ASSIGNMENTS / "lstm_backward")
    reference = assignment.reference("lstm_step_backward")

    def lstm_step_backward(x_t, h_prev, c_prev, params, dh_t, dc_t):
        """The forget gate's gradient taken through c~ instead of C_prev."""
        grads = reference(x_t, h_prev, c_prev, params, dh_t, dc_t)
        wrong = reference(x_t, h_prev, c_prev + 0.5, params, dh_t, dc_t)
        grads = dict(grads)
        for key in ("W_f", "b_f"):
            grads[key] = wrong[key]
        grads["x_t"] = grads["x_t"] + 0.1
        grads["h_prev"] = grads["h_prev"] - 0.1
        return grads

    line = _check_line(
        tmp_path, "lstm_backward", {"lstm_step_backward": lstm_step_backward}, "lstm_step_backward"
    )
    hints = _graders_hint("lstm_backward", "lstm_step_backward", lstm_step_backward, 1)
    assert list(hints) == ["some-outputs-wrong"]
    words = hints["some-outputs-wrong"]
    assert words.startswith("lstm_step_backward's W_f, b_f, x_t and h_prev are wrong")
    assert line.endswith(f"Hint: {words}")


def test_a_dict_value_of_the_wrong_shape_is_named_by_its_key(tmp_path):
    assignment = load_assignment(ASSIGNMENTS / "lstm_backward")
    reference = assignment.reference("lstm_step_backward")

    def lstm_step_backward(x_t, h_prev, c_prev, params, dh_t, dc_t):
        grads = dict(reference(x_t, h_prev, c_prev, params, dh_t, dc_t))
        grads["x_t"] = grads["x_t"][:, :-2]  # two columns short
        return grads

    line = _check_line(
        tmp_path, "lstm_backward", {"lstm_step_backward": lstm_step_backward}, "lstm_step_backward"
    )
    assert line.startswith("lstm_step_backward: FAIL - returned shape ("), line
    assert " for x_t, expected (" in line.split(" Hint: ")[0]
    hints = _graders_hint("lstm_backward", "lstm_step_backward", lstm_step_backward, 1)
    assert line.endswith(f"Hint: {next(iter(hints.values()))}")
