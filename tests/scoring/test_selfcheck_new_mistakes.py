"""The mistakes no tool named before, named by the self-check with the grader's words: a bias
reshaped to a column (H, 1), and, in the backward assignment, which gradients are wrong; an
input the answer ignores and an error whose line tells its cause (a broadcast after
squeeze()), where the two tools said different things before issue 66."""

from __future__ import annotations

import contextlib
import importlib.util
import io
from pathlib import Path

import nbformat
import numpy as np

import reference_lstm as ref
from grader.assignment import load_assignment
from grader.assignment.releasing import release
from grader.grading import probing
from grader.scoring import Rules, score_function
from grader.scoring.calls import Answer, Call
from grader.scoring.diagnose import diagnose
from grader.scoring.values import as_value, copy_args

ASSIGNMENTS = Path(__file__).resolve().parents[2] / "assignments"


def _check_line(
    tmp_path: Path, name: str, functions: dict, function: str, namespace: dict | None = None
) -> str:
    """What check() prints for ``function`` in the release of ``name``, ``functions`` being
    the student's namespace (``namespace``, filled, where given)."""
    notebook = nbformat.read(release(ASSIGNMENTS / name, tmp_path), as_version=4)
    namespace = {} if namespace is None else namespace
    namespace.update(functions)
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


def _outcome(function, args: tuple) -> tuple[object, str | None]:
    try:
        return as_value(function(*copy_args(args))), None
    except Exception as error:  # noqa: BLE001 - the grader sees the error's text
        return None, f"{type(error).__name__}: {error}"


def test_an_input_the_answer_ignores_is_named_by_both(tmp_path):
    def hidden_state(o_t, c_t):
        return np.tanh(c_t)

    line = _check_line(tmp_path, "lstm_gates", {"hidden_state": hidden_state}, "hidden_state")
    assignment = load_assignment(ASSIGNMENTS / "lstm_gates")
    rules = Rules.of(assignment)
    cases = {"hidden_state": assignment.hidden_cases(7)["hidden_state"]}
    outcomes = {"hidden_state": [_outcome(hidden_state, c.args) for c in cases["hidden_state"]]}
    results = {
        "hidden_state": score_function(
            "hidden_state", 10, cases["hidden_state"], outcomes["hidden_state"], rules
        )
    }

    def call_batch(calls: list[Call]) -> list[Answer]:
        return [Answer(*_outcome(hidden_state, call.args)) for call in calls]

    known = probing.known(assignment)
    hints = diagnose(results, cases, outcomes, known, rules, call_batch).hints["hidden_state"]
    assert list(hints) == ["ignores-input"]
    assert line.endswith(f"Hint: {hints['ignores-input']}")
    assert "o_t" in hints["ignores-input"]


def test_a_broadcast_after_squeeze_is_named_with_its_line_by_both(tmp_path):
    """The student's code in a file of its own, so that its frames have their lines, as a
    notebook cell's have in a kernel; the self-check's and the grader's texts of the error
    (its line quoted the same way) read by each tool's code."""
    source = tmp_path / "student_backward.py"
    source.write_text(
        "import numpy as np\n\n\n"
        "def bias_gradient_summed(dz_steps):\n"
        "    db_h = np.zeros(dz_steps.shape[-1])\n"
        "    for dz in dz_steps:\n"
        "        db_h += dz.squeeze()\n"
        "    return db_h\n"
    )
    spec = importlib.util.spec_from_file_location("student_backward", source)
    module = importlib.util.module_from_spec(spec)
    spec.loader.exec_module(module)
    namespace: dict = {}
    _check_line(tmp_path, "rnn_gradients", {}, "rnn_backward", namespace)  # its own code
    try:
        module.bias_gradient_summed(np.ones((2, 3, 4)))
    except ValueError as error:
        described = namespace["_describe"](error)
    said = namespace["error_code"](described)
    assert "`db_h += dz.squeeze()`" in described
    grader_message = (
        "ValueError: non-broadcastable output operand with shape (4,) doesn't match the"
        " broadcast shape (3,4) (in rnn_backward, cell 9, line 12: `db_h += dz.squeeze()`)"
    )
    assignment = load_assignment(ASSIGNMENTS / "rnn_gradients")
    case = assignment.hidden_cases(7)["rnn_backward"][0]
    graded = score_function(
        "rnn_backward", 10, [case], [(None, grader_message)], Rules.of(assignment)
    )
    assert said == "squeeze-broadcast"
    assert list(graded.hint_messages) == ["squeeze-broadcast"]
    assert "squeeze()" in graded.hint_messages["squeeze-broadcast"]


def test_a_clipped_carried_gradient_is_named_by_both(tmp_path):
    """rnn_backward clipping the gradient it carries back to step t - 1 to [-1, 1], as a
    student writes it (issue 76): before, the self-check said only that the parts are right
    and the grader named no cause; now both say, in the same words, that the state handed on
    (h0's gradient) is held in [-1, 1] while the steps are right where the loop starts, and
    that the carried gradient is clipped. The public cases show the two halves in different
    cases (one step: h0 held; five steps: the last step right), the hidden ones in one."""
    assignment = load_assignment(ASSIGNMENTS / "rnn_gradients")
    namespace = {n: assignment.reference(n) for n in ("rnn_step", "rnn_forward")}
    exec(  # as the student's cell defines it: rnn_forward looked up when called
        "import numpy as np\n"
        "def rnn_backward(x, h0, params, dh_seq):\n"
        "    h_seq = rnn_forward(x, h0, params)\n"
        "    grads = {key: np.zeros_like(value) for key, value in params.items()}\n"
        "    dx, dh_next = np.zeros_like(x), np.zeros_like(h0)\n"
        "    for t in reversed(range(len(x))):\n"
        "        h_prev = h_seq[t - 1] if t > 0 else h0\n"
        "        dz = (dh_seq[t] + dh_next) * (1.0 - h_seq[t] ** 2)\n"
        "        grads['W_xh'] += dz.T @ x[t]\n"
        "        grads['W_hh'] += dz.T @ h_prev\n"
        "        grads['b_h'] += dz.sum(axis=0)\n"
        "        dx[t] = dz @ params['W_xh']\n"
        "        dh_next = np.clip(dz @ params['W_hh'], -1.0, 1.0)\n"
        "    return {**grads, 'x': dx, 'h0': dh_next}\n",
        namespace,
    )
    student = namespace["rnn_backward"]
    line = _check_line(tmp_path, "rnn_gradients", dict(namespace), "rnn_backward", namespace)
    rules = Rules.of(assignment)
    for seed in (7, 8, 9):
        cases = assignment.hidden_cases(seed)["rnn_backward"]
        outcomes = [_outcome(student, case.args) for case in cases]
        graded = score_function("rnn_backward", 45, cases, outcomes, rules)
        assert list(graded.hint_messages) == ["carried-clipped"], graded.hint_messages
        words = graded.hint_messages["carried-clipped"]
        assert line.endswith(f"Hint: {words}"), line
    assert words.startswith("rnn_backward's h0 is held in [-1, 1]")
    assert "right at the last step of the loop" in words
    assert "carried from each step to the next (going backward, the gradient) clipped" in words


def test_a_clip_of_the_returned_gradient_alone_is_not_a_clipped_carry():
    """h0's gradient clipped only as it is returned, the loop carrying it whole: every step is
    right, so nothing shows a carried value clipped and no clip of a carry is named."""
    assignment = load_assignment(ASSIGNMENTS / "rnn_gradients")
    reference = assignment.reference("rnn_backward")

    def rnn_backward(x, h0, params, dh_seq):
        grads = dict(reference(x, h0, params, dh_seq))
        grads["h0"] = np.clip(grads["h0"], -1.0, 1.0)
        return grads

    cases = assignment.hidden_cases(7)["rnn_backward"]
    outcomes = [_outcome(rnn_backward, c.args) for c in cases]
    graded = score_function("rnn_backward", 45, cases, outcomes, Rules.of(assignment))
    assert not graded.passed
    assert "carried-clipped" not in graded.hint_messages, graded.hint_messages
