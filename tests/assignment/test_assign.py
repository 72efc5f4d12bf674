"""`grader assign`: the config, the released notebook, its self-check, and bad input."""

from __future__ import annotations

import contextlib
import io
import json
import re
import shutil
from pathlib import Path

import nbformat
import numpy as np
import pytest
from nbclient import NotebookClient

import reference_lstm as ref
from grader import assignment as assign
from grader import cli
from grader.assignment import load_assignment, releasing
from grader.errors import UserError
from grader.scoring import Rules, score_case

ROOT = Path(__file__).resolve().parents[2]
ASSIGNMENT = ROOT / "assignments" / "lstm_gates"
SOURCE = ASSIGNMENT / "source.ipynb"
GRADED = (
    "forget_gate",
    "input_gate",
    "candidate_memory",
    "output_gate",
    "cell_state",
    "hidden_state",
    "lstm_cell",
    "lstm_forward",
)
MARKER = re.compile(r"^[ \t]*### (BEGIN|END) SOLUTION\n?", re.MULTILINE)


@pytest.fixture(scope="module")
def released(tmp_path_factory) -> Path:
    return releasing.release(ASSIGNMENT, tmp_path_factory.mktemp("release"))


@pytest.fixture(scope="module")
def release_nb(released) -> nbformat.NotebookNode:
    return nbformat.read(released, as_version=4)


@pytest.fixture
def assignment_copy(tmp_path) -> Path:
    """A scratch copy of the assignment folder, to break on purpose."""
    return Path(shutil.copytree(ASSIGNMENT, tmp_path / "lstm_gates"))


def edit_config(folder: Path, old: str, new: str) -> None:
    path = folder / assign.CONFIG_NAME
    text = path.read_text()
    assert old in text, old
    path.write_text(text.replace(old, new, 1))


def edit_source(folder: Path, cell_id: str, change) -> None:
    path = folder / "source.ipynb"
    nb = nbformat.read(path, as_version=4)
    cell = next(c for c in nb.cells if c.id == cell_id)
    cell.source = change(cell.source)
    nbformat.write(nb, path)


def solutions_filled(release_nb: nbformat.NotebookNode) -> nbformat.NotebookNode:
    """The released notebook with every stub replaced by the solution text of source.ipynb."""
    source = {c.id: c for c in nbformat.read(SOURCE, as_version=4).cells}
    filled = nbformat.from_dict(json.loads(json.dumps(release_nb)))
    for cell in filled.cells:
        if "# YOUR CODE HERE" in cell.source:
            cell.source = MARKER.sub("", source[cell.id].source)
    return filled


def run_in_kernel(nb: nbformat.NotebookNode) -> dict[str, str]:
    """Execute ``nb`` top to bottom in a real kernel; the printed text of each code cell by id.

    nbclient raises on the first cell that errors, so returning at all means none did.
    """
    NotebookClient(nb, timeout=120, kernel_name="python3").execute()
    return {
        cell.id: "".join(o.get("text", "") for o in cell.outputs)
        for cell in nb.cells
        if cell.cell_type == "code"
    }


def self_check(release_nb: nbformat.NotebookNode, functions: dict) -> str:
    """What ``check()`` prints for ``functions`` as a student's namespace, run in-process."""
    namespace = dict(functions)
    for cell in release_nb.cells:
        if cell.id in ("grader-fixtures", "grader-self-check"):
            exec(cell.source, namespace)
    out = io.StringIO()
    with contextlib.redirect_stdout(out):
        namespace["check"]()
    return out.getvalue()


# --- configuration ----------------------------------------------------------------------


def test_shipped_config():
    config = assign.load_config(ASSIGNMENT)
    assert [f.name for f in config.functions] == list(GRADED)
    assert config.cases["sizes"][0] == [1, 3, 2]
    assert config.max_score == 100
    assert config.source == SOURCE
    assert config.seed is None
    assert config.deadline.utcoffset().total_seconds() == 5.5 * 3600
    assert len(config.cases["sizes"]) >= config.cases_per_function
    assert len(config.cases["sequence_lengths"]) >= config.cases_per_function
    assert "reference_lstm" in config.forbidden_imports
    assert "torch.nn.LSTM" in config.forbidden_calls


def test_tolerance_accepts_float32_answers():
    """The reference computed in float32 passes every hidden case of the shipped config."""
    assignment = load_assignment(ASSIGNMENT)
    rules = Rules.of(assignment)
    for name, function_cases in assignment.hidden_cases(7).items():
        for case in function_cases:
            args32 = tuple(
                {k: v.astype(np.float32) for k, v in a.items()}
                if isinstance(a, dict)
                else a.astype(np.float32)
                for a in case.args
            )
            got = getattr(ref, name)(*args32)
            assert score_case(case, got, None, rules).passed, name


@pytest.mark.parametrize(
    ("old", "new", "expected"),
    [
        ("rtol = 1e-4", "rtol = 1e-4\ntolerance = 1", 'unknown key "tolerance" in [grading]'),
        ("atol = 1e-5", "atl = 1e-5", 'unknown key "atl" in [grading]; did you mean "atol"?'),
        ("[forbidden]", "[forbiden]", "unknown table [forbiden]"),
        ('title = "LSTM gates from scratch"\n', "", 'missing key "title" in [assignment]'),
        ("cases_per_function = 4", 'cases_per_function = "4"', "must be a int, not string"),
        ("+05:30", "", "needs a time and a UTC offset"),
        ('seed = "per-submission"', f"seed = {assign.PUBLIC_SEED}", "the seed of the public"),
        ("points = 10", "points = 0", "must be positive"),
    ],
)
def test_config_errors_name_the_file_and_the_key(assignment_copy, old, new, expected):
    edit_config(assignment_copy, old, new)
    with pytest.raises(UserError) as error:
        assign.load_config(assignment_copy)
    assert str(assignment_copy / "assignment.toml") in str(error.value)
    assert expected in str(error.value)


@pytest.mark.parametrize(
    ("old", "new", "expected"),
    [
        ('name = "lstm_cell"', 'name = "lstm_step"', 'cannot test a function named "lstm_step"'),
        ('name = "lstm_cell"', 'name = "lstm cell"', "is not a Python function name"),
    ],
)
def test_function_names_are_checked_against_the_grading_module(assignment_copy, old, new, expected):
    edit_config(assignment_copy, old, new)
    with pytest.raises(UserError) as error:
        load_assignment(assignment_copy)
    assert str(assignment_copy / "assignment.toml") in str(error.value)
    assert expected in str(error.value)


def test_config_that_is_not_toml(assignment_copy):
    edit_config(assignment_copy, "atol = 1e-5", "atol = = 1")
    with pytest.raises(UserError, match="is not valid TOML.*line"):
        assign.load_config(assignment_copy)


# --- the released notebook ----------------------------------------------------------------


def test_release_is_a_clean_colab_notebook(released, release_nb):
    assert released.name == "lstm_gates.ipynb"
    nbformat.validate(release_nb)
    assert release_nb.nbformat == 4
    assert release_nb.metadata.kernelspec.name == "python3"
    assert release_nb.metadata.language_info.name == "python"
    code = [c for c in release_nb.cells if c.cell_type == "code"]
    assert all(c.outputs == [] and c.execution_count is None for c in code)
    ids = [c.id for c in release_nb.cells]
    for name in GRADED:
        (cell,) = [c for c in code if f"def {name}(" in c.source]
        assert "    # YOUR CODE HERE\n    raise NotImplementedError()" in cell.source
        assert release_nb.cells[ids.index(cell.id) + 1].source == f'check("{name}")'
    assert release_nb.cells[-1].source == "check()"
    # The self-check comes before the first function that uses it.
    assert ids.index("grader-self-check") < ids.index("forget-gate")


def test_release_holds_no_solution_and_no_reference(released):
    text = released.read_text()
    source = nbformat.read(SOURCE, as_version=4)
    solution_lines = set()
    for cell in source.cells:
        for region in re.findall(r"### BEGIN SOLUTION\n(.*?)### END SOLUTION", cell.source, re.S):
            solution_lines |= {line.strip() for line in region.splitlines() if line.strip()}
    assert len(solution_lines) > 15
    leaked = [line for line in solution_lines if json.dumps(line)[1:-1] in text]
    assert leaked == []
    for trace in ("reference_lstm", "BEGIN SOLUTION", "END SOLUTION", "import grader"):
        assert trace not in text


def test_release_is_deterministic(released, tmp_path):
    again = releasing.release(ASSIGNMENT, tmp_path)
    assert again.read_bytes() == released.read_bytes()
    in_memory = releasing.released_notebook(load_assignment(ASSIGNMENT))
    assert assign.owned_checksums(in_memory) == assign.owned_checksums(
        nbformat.read(released, as_version=4)
    )


def test_public_cases_are_compact_and_distinct_from_grading(release_nb):
    (fixtures,) = [c for c in release_nb.cells if c.id == "grader-fixtures"]
    # every known mistake's outputs included (the six swapped-weights cells among them)
    assert len(fixtures.source) < 32_000
    namespace: dict = {}
    exec(fixtures.source, namespace)
    for cell in release_nb.cells:
        if cell.id == "grader-self-check":
            exec(cell.source, namespace)
    from grader.scoring import selfcheck

    cases = selfcheck._load_cases(namespace["PUBLIC_CASES"])
    assert list(cases) == list(GRADED)
    args = cases["forget_gate"][0][0]
    assert [a.shape for a in args] == [(2, 3), (2, 4), (4, 7), (4,)]
    hidden = load_assignment(ASSIGNMENT).cases(assign.PUBLIC_SEED + 1, public=True)
    assert not np.allclose(hidden["forget_gate"][0].args[0], args[0])


# --- the self-check, in-process -------------------------------------------------------------


def test_self_check_passes_the_reference_in_float64_and_float32(release_nb):
    functions = {name: getattr(ref, name) for name in GRADED}
    assert "8 of 8 functions pass" in self_check(release_nb, functions)

    def in_float32(function):
        def run(*args):
            args = [
                {k: v.astype(np.float32) for k, v in a.items()}
                if isinstance(a, dict)
                else a.astype(np.float32)
                for a in args
            ]
            return function(*args)

        return run

    float32 = {name: in_float32(getattr(ref, name)) for name in GRADED}
    assert "8 of 8 functions pass" in self_check(release_nb, float32)


@pytest.mark.parametrize(
    ("name", "code", "expected"),
    [
        ("forget_gate", "tanh-for-sigmoid", "forget_gate matches tanh"),
        ("candidate_memory", "sigmoid-for-tanh", "candidate_memory matches sigmoid"),
        ("input_gate", "concat-order", "the notes concatenate the input first"),
        ("output_gate", "missing-bias", "without its bias"),
        ("cell_state", "forget-on-candidate", "the forget gate belongs on the old"),
        ("hidden_state", "o-times-C", "squash the cell state first"),
        ("lstm_cell", "returns-c-h", "return (h, c)"),
        ("lstm_forward", "state-not-carried", "carry h_t and c_t"),
    ],
)
def test_self_check_names_known_mistakes(release_nb, name, code, expected):
    mistakes = load_assignment(ASSIGNMENT).mistakes
    (mistake,) = [m for m in mistakes if m.code == code and name in m.variants][:1]
    functions = {n: getattr(ref, n) for n in GRADED}
    functions[name] = mistake.variants[name]
    printed = self_check(release_nb, functions)
    line = next(line for line in printed.splitlines() if line.startswith(f"{name}:"))
    assert line.startswith(f"{name}: FAIL - largest error")
    assert expected in line


def test_self_check_explains_shapes_and_errors(release_nb):
    functions = {n: getattr(ref, n) for n in GRADED}
    functions["forget_gate"] = lambda x, h, W, b: ref.forget_gate(x, h, W, b).T
    functions["input_gate"] = lambda x, h, W, b: ref.sigmoid(W @ np.concatenate([x, h], 1) + b)
    functions["cell_state"] = lambda c, f, i, g: None
    functions["lstm_forward"] = lambda x, h0, c0, p: tuple(
        s[-1] for s in ref.lstm_forward(x, h0, c0, p)
    )
    printed = self_check(release_nb, functions)
    assert (
        "forget_gate: FAIL - returned shape (4, 2), expected (2, 4). Hint: is W transposed?"
        in printed
    )
    assert "input_gate: ERROR - ValueError: matmul" in printed
    assert "compute [x_t, h_prev] @ W.T" in printed
    assert "cell_state: FAIL - returned None: did you forget `return`?" in printed
    assert "not only the last" in printed
    assert "Traceback" not in printed


def test_self_check_of_a_stub_called_by_a_finished_function(release_nb):
    student: dict = {}
    exec(
        "def forget_gate(x_t, h_prev, W_f, b_f):\n"
        "    # YOUR CODE HERE\n"
        "    raise NotImplementedError()\n"
        "def lstm_cell(x_t, h_prev, c_prev, params):\n"
        "    return forget_gate(x_t, h_prev, params['W_f'], params['b_f']), c_prev\n",
        student,
    )
    functions = {n: getattr(ref, n) for n in GRADED}
    functions.update(forget_gate=student["forget_gate"], lstm_cell=student["lstm_cell"])
    printed = self_check(release_nb, functions)
    assert "forget_gate: NOT IMPLEMENTED YET - replace `raise NotImplementedError()`" in printed
    assert (
        "lstm_cell: NOT READY - it calls forget_gate, which still raises NotImplementedError."
        in printed
    )


# --- the released notebook in a real kernel ------------------------------------------------


@pytest.mark.slow
def test_untouched_release_runs_top_to_bottom_and_says_not_implemented(release_nb):
    printed = run_in_kernel(nbformat.from_dict(json.loads(json.dumps(release_nb))))
    for name in GRADED:
        assert printed[f"grader-check-{name}"] == (
            f"{name}: NOT IMPLEMENTED YET - replace `raise NotImplementedError()` with your code\n"
        )
    assert "0 of 8 functions pass" in printed["grader-check-all"]
    assert "Finish lstm_forward" in printed["experiment"]


@pytest.mark.slow
def test_release_filled_with_the_solutions_passes_every_self_check(release_nb):
    printed = run_in_kernel(solutions_filled(release_nb))
    for name in GRADED:
        assert printed[f"grader-check-{name}"].startswith(f"{name}: PASS (2 public cases")
    assert "8 of 8 functions pass" in printed["grader-check-all"]
    differences = re.findall(r"largest difference in .*?:\s+(\S+)", printed["experiment"])
    assert len(differences) == 2
    assert all(float(d) < 1e-5 for d in differences)  # torch.nn.LSTM agrees


# --- grader-owned cells ------------------------------------------------------------------


def test_owned_cells_carry_their_checksums(release_nb):
    checksums = assign.owned_checksums(release_nb)
    assert set(checksums) == set(assign.OWNED_ROLES)
    assert assign.owned_cell_problems(release_nb) == []
    assert assign.owned_cell_problems(solutions_filled(release_nb), checksums) == []


def test_owned_cell_edited_or_deleted_is_reported(release_nb):
    checksums = assign.owned_checksums(release_nb)
    edited = solutions_filled(release_nb)
    (fixtures,) = [c for c in edited.cells if c.id == "grader-fixtures"]
    fixtures.source = fixtures.source.replace('"""\n', '"""\nAAAA', 1)
    problems = assign.owned_cell_problems(edited)
    assert len(problems) == 1 and 'the grader-owned "fixtures" cell' in problems[0]
    assert "was edited" in problems[0]

    deleted = solutions_filled(release_nb)
    deleted.cells = [c for c in deleted.cells if c.id != "grader-self-check"]
    assert assign.owned_cell_problems(deleted) == ['the grader-owned "self-check" cell was deleted']

    # An editor that drops cell metadata: found by its first lines, checked against the release.
    stripped = solutions_filled(release_nb)
    (check_cell,) = [c for c in stripped.cells if c.id == "grader-self-check"]
    check_cell.metadata = {}
    assert assign.owned_cell_problems(stripped, checksums) == []
    check_cell.source = check_cell.source.replace("atol=1e-05", "atol=1.0")
    assert "was edited" in assign.owned_cell_problems(stripped, checksums)[0]

    foreign = nbformat.v4.new_notebook(cells=[nbformat.v4.new_code_cell("x = 1")])
    assert "not started from the released one" in assign.owned_cell_problems(foreign)[0]


# --- bad source notebooks -----------------------------------------------------------------


def strip_markers(source: str) -> str:
    return MARKER.sub("", source)


@pytest.mark.parametrize(
    ("cell_id", "change", "expected"),
    [
        ("forget-gate", lambda s: s.replace("\n    ### END SOLUTION", ""), "has no matching"),
        ("cell-state", lambda s: s.replace("    ### BEGIN SOLUTION\n", ""), "has no ### BEGIN"),
        (
            "lstm-forward",
            lambda s: s.replace("def lstm_forward(", "def lstm_fwd("),
            "no code cell defines the graded function lstm_forward",
        ),
        (
            "hidden-state",
            lambda s: s.replace("def hidden_state(o_t, c_t)", "def hidden_state(o, c)"),
            "must take exactly (o_t, c_t)",
        ),
        ("input-gate", strip_markers, "input_gate has no solution region"),
        (
            "output-gate",
            lambda s: s.replace("return sigmoid(xh @ W_o.T + b_o)", "return np.tanh(xh @ W_o.T)"),
            "the solution of output_gate disagrees with reference_lstm",
        ),
        (
            "setup",
            lambda s: s + "\nfrom reference_lstm import sigmoid\n",
            "imports reference_lstm",
        ),
        (
            "lstm-cell",
            lambda s: s.replace(
                "    ### BEGIN SOLUTION\n", "    ### BEGIN SOLUTION\n    torch.nn.LSTM(2, 3)\n"
            ),
            "calls torch.nn.LSTM inside lstm_cell",
        ),
        (
            "two-memories",
            lambda s: s + "\n### BEGIN SOLUTION\nx\n### END SOLUTION",
            "code cells only",
        ),
        (
            "cell-state",
            lambda s: s.replace("return f_t * c_prev", "return f_t *** c_prev"),
            "line 7 is not valid Python",
        ),
    ],
)
def test_bad_source_names_the_file_and_the_cell(
    assignment_copy, tmp_path, cell_id, change, expected
):
    edit_source(assignment_copy, cell_id, change)
    with pytest.raises(UserError) as error:
        releasing.release(assignment_copy, tmp_path / "out")
    message = str(error.value)
    assert str(assignment_copy / "source.ipynb") in message
    assert expected in message
    if "no code cell defines" in message:  # the look-alike's cell is named instead
        assert "defines lstm_fwd: rename it to lstm_forward" in message
    assert re.search(r"cell \d+ \(\w+, starts", message)
    assert not (tmp_path / "out" / "lstm_gates.ipynb").exists()


def test_source_without_any_marker(assignment_copy, tmp_path):
    path = assignment_copy / "source.ipynb"
    nb = nbformat.read(path, as_version=4)
    for cell in nb.cells:
        cell.source = strip_markers(cell.source)
    nbformat.write(nb, path)
    with pytest.raises(UserError, match=r"source\.ipynb: no solution markers found"):
        releasing.release(assignment_copy, tmp_path)


def test_cli_prints_the_message_and_exits_2(assignment_copy, tmp_path, capsys):
    edit_config(assignment_copy, "memory_mb = 2048", "memory_mb = 2048\nmemroy = 1")
    assert cli.main(["assign", str(assignment_copy), "--out", str(tmp_path)]) == 2
    err = capsys.readouterr().err
    assert err.startswith("grader assign: ") and 'unknown key "memroy"' in err
    assert "Traceback" not in err


def test_readme_lists_every_hint_code():
    from grader.scoring.shapes import GENERIC_HINTS

    readme = (ASSIGNMENT / "README.md").read_text()
    codes = {m.code for m in load_assignment(ASSIGNMENT).mistakes} | set(GENERIC_HINTS)
    assert sorted(code for code in codes if f"| `{code}` |" not in readme) == []


def test_cli_releases(tmp_path, capsys):
    assert cli.main(["assign", str(ASSIGNMENT), "--out", str(tmp_path / "release")]) == 0
    assert (tmp_path / "release" / "lstm_gates.ipynb").is_file()
    assert "8 graded functions, 100 points" in capsys.readouterr().out


def test_self_check_sends_a_composite_to_its_failing_part_in_the_graders_words(release_nb):
    """The grader's part-first hint, word for word: the self-check proves nothing, so it never
    says "only because"."""
    functions = {n: getattr(ref, n) for n in GRADED if n != "lstm_cell"}
    functions["forget_gate"] = lambda x, h, W, b: np.tanh(np.concatenate([x, h], 1) @ W.T + b)
    namespace = dict(functions)
    exec(solutions_source("lstm-cell"), namespace)
    printed = self_check(release_nb, namespace)
    line = next(line for line in printed.splitlines() if line.startswith("lstm_cell:"))
    words = (
        "lstm_cell fails where forget_gate is wrong: fix that first, then check lstm_cell again."
    )
    assert line.endswith(f"Hint: {words}")
    graders = diagnose_words("lstm_cell", ["forget_gate"])
    assert graders == words and "only because" not in line
    for gate in ("input_gate", "candidate_memory", "output_gate"):
        assert gate not in line


def diagnose_words(composite: str, parts: list[str]) -> str:
    """The grader's part-first hint for ``composite``: a proof that proved nothing."""
    from grader.scoring import FunctionResult, diagnose, proof
    from grader.scoring.hint_sheet import HintSheet

    rules = Rules.of(load_assignment(ASSIGNMENT))
    result = FunctionResult(composite, 10, (), ("wrong-part",), hint_messages={"wrong-part": "."})
    sheet = HintSheet({composite: result})
    diagnose._conclude(sheet, proof.Proof(composite, parts, [0]), parts, rules)
    assert sheet.codes(composite) == ("part-first",)
    return sheet.text(composite, "part-first")


@pytest.mark.parametrize(
    ("gate", "code"),
    [
        ("forget_gate", "reshape-for-transpose"),
        ("input_gate", "reshape-for-transpose"),
        ("candidate_memory", "product-reshaped"),
        ("output_gate", "product-reshaped"),
    ],
)
def test_self_check_names_reshape_for_transpose_as_the_grader_does(release_nb, gate, code):
    """The public cases carry the reshape mistakes' answers: the self-check names them with the
    same words as the grader's hint on the hidden cases."""
    assignment = load_assignment(ASSIGNMENT)
    weights = f"W_{gate.split('_')[0][0] if gate != 'candidate_memory' else 'c'}"
    activation = "np.tanh" if gate == "candidate_memory" else "sigmoid"
    product = (
        f"xh @ {weights}.reshape({weights}.shape[1], {weights}.shape[0])"
        if code == "reshape-for-transpose"
        else f"({weights} @ xh.T).reshape(xh.shape[0], {weights}.shape[0])"
    )
    student: dict = {}
    exec(
        f"import numpy as np\n{solutions_source('setup')}\n"
        f"def {gate}(x_t, h_prev, {weights}, b):\n"
        f"    xh = np.concatenate([x_t, h_prev], axis=1)\n"
        f"    return {activation}({product} + b)\n",
        student,
    )
    functions = {n: getattr(ref, n) for n in GRADED}
    functions[gate] = student[gate]
    line = next(
        line for line in self_check(release_nb, functions).splitlines() if line.startswith(gate)
    )
    case = assignment.hidden_cases(5)[gate][1]
    graded = score_case(case, student[gate](*case.args), None, Rules.of(assignment))
    assert list(graded.hints) == [code]
    assert line.endswith(f"Hint: {graded.hints[code]}")


def test_self_check_says_random_numbers_and_inputs_changed_in_place(release_nb):
    functions = {n: getattr(ref, n) for n in GRADED}

    def noisy(x, h, W, b):
        return ref.input_gate(x, h, W, b) * np.random.uniform(0.9, 1.0)

    def in_place(c_prev, f_t, i_t, c_hat_t):
        c_prev *= f_t
        c_prev += i_t * c_hat_t + 0.1
        return c_prev

    functions.update(input_gate=noisy, cell_state=in_place)
    printed = self_check(release_nb, functions)
    assert "input_gate returns different values for the same input" in printed
    assert "cell_state changes its input c_prev in place" in printed


def solutions_source(cell_id: str) -> str:
    """The solution of a source cell as plain Python (markers removed)."""
    cell = next(c for c in nbformat.read(SOURCE, as_version=4).cells if c.id == cell_id)
    return MARKER.sub("", cell.source)
