"""Written answers in the source notebook (metadata ``grader.written``, or nbgrader's manually
graded answers and tasks): released as empty answer cells under their question, the model answer
and the mark scheme withheld, and the self-check says which are still empty."""

from __future__ import annotations

import contextlib
import io
import json
import textwrap
from pathlib import Path

import nbformat
import pytest
from nbgrader_examples import nbgrader_ps1

from grader import assignment as assign
from grader import cli
from grader.assignment import releasing, written
from grader.errors import UserError

MODEL_ANSWER = "the repeated product by W_rec shrinks geometrically"
SCHEME_WORDS = "says the gradient is a product of T factors"


@pytest.fixture(scope="module")
def ps1(tmp_path_factory) -> Path:
    return nbgrader_ps1(tmp_path_factory.mktemp("nbgrader"))


def test_nbgrader_ps1_problem2_imports_and_releases(ps1, tmp_path, capsys):
    """nbgrader's own example: two manually graded markdown answers (1 and 2 points), no
    function; today `--from-nbgrader` exits 2 on it."""
    out = tmp_path / "problem2"
    code = cli.main(["assign", "--from-nbgrader", str(ps1 / "problem2.ipynb"), "--out", str(out)])
    assert code == 0, capsys.readouterr().err
    said = capsys.readouterr().out
    assert "written answer part-a (1 points)" in said and "part-b (2 points)" in said
    assert cli.main(["assign", str(out), "--out", str(tmp_path / "release")]) == 0
    text = (tmp_path / "release" / "problem2.ipynb").read_text()
    assert "fibonnaci" not in text and "infinite recursion" not in text  # the model answers
    released = nbformat.read(tmp_path / "release" / "problem2.ipynb", as_version=4)
    answers = written.answer_cells(released)
    assert list(answers) == ["part-a", "part-b"]
    assert [c.metadata.grader.written.points for c in answers.values()] == [1, 2]
    assert all(
        c.cell_type == "markdown" and c.source == "YOUR ANSWER HERE" for c in answers.values()
    )
    # each answer cell sits right under its question
    sources = [c.source for c in released.cells]
    part_b = sources.index(answers["part-b"].source, sources.index("YOUR ANSWER HERE") + 1)
    assert "For what inputs will this function not behave as expected" in sources[part_b - 1]


def test_nbgrader_ps1_problem1_starts_a_folder(ps1, tmp_path):
    out = tmp_path / "problem1"
    assert (
        cli.main(["assign", "--from-nbgrader", str(ps1 / "problem1.ipynb"), "--out", str(out)]) == 0
    )
    config = assign.load_config(out)
    assert {f.name for f in config.functions} == {"squares", "sum_of_squares"}


def _source(tmp_path: Path, scheme: list, points: float = 3) -> Path:
    """A written-answers-only assignment: one markdown answer, one code answer."""
    folder = tmp_path / "why"
    folder.mkdir()
    cells = [
        nbformat.v4.new_markdown_cell("# Why RNNs forget"),
        nbformat.v4.new_markdown_cell("Why does the gradient vanish when W_rec < 1?"),
        nbformat.v4.new_markdown_cell(MODEL_ANSWER),
        nbformat.v4.new_markdown_cell("Plot the gradient's norm against the time step."),
        nbformat.v4.new_code_cell("import numpy as np\nprint(np.arange(3))"),
    ]
    cells[2].metadata = {
        "grader": {"written": {"id": "why-vanish", "points": points, "scheme": scheme}}
    }
    cells[4].metadata = {"grader": {"written": {"id": "plot-norm", "points": 1}}}
    nbformat.write(nbformat.v4.new_notebook(cells=cells), folder / "source.ipynb")
    (folder / "assignment.toml").write_text(
        textwrap.dedent(
            """
            [assignment]
            name = "why"
            title = "Why RNNs forget"
            source = "source.ipynb"

            [grading]
            atol = 1e-6
            rtol = 1e-5
            cases_per_function = 2
            seed = "per-submission"
            cell_timeout = 30
            notebook_timeout = 120
            memory_mb = 1024
            """
        )
    )
    (folder / "grading.py").write_text("def make_cases(function, rng, settings):\n    return []\n")
    return folder


SCHEME = [{"points": 2, "words": SCHEME_WORDS}, {"points": 1, "words": "names W_rec < 1"}]


def test_release_empties_written_answers_and_keeps_no_mark_scheme(tmp_path):
    released_path = releasing.release(_source(tmp_path, SCHEME), tmp_path / "release")
    text = released_path.read_text()
    for secret in (MODEL_ANSWER, SCHEME_WORDS, "names W_rec", "scheme", "print(np.arange(3))"):
        assert secret not in text, secret
    released = nbformat.read(released_path, as_version=4)
    answers = written.answer_cells(released)
    assert answers["why-vanish"].source == "YOUR ANSWER HERE"
    assert answers["plot-norm"].cell_type == "code"
    assert answers["plot-norm"].source == "# YOUR ANSWER HERE"
    assert dict(answers["why-vanish"].metadata.grader.written) == {"id": "why-vanish", "points": 3}


def test_self_check_lists_the_written_answers_still_empty(tmp_path, monkeypatch):
    released_path = releasing.release(_source(tmp_path, SCHEME), tmp_path / "release")
    notebook = nbformat.read(released_path, as_version=4)
    answers = written.answer_cells(notebook)
    answers["why-vanish"].source = "Because each step multiplies by W_rec, whose norm is < 1."
    student = tmp_path / "student.ipynb"
    nbformat.write(notebook, student)

    def check_output() -> str:
        namespace: dict = {"__name__": "__main__"}
        for cell in notebook.cells:
            if cell.cell_type == "code" and cell.metadata.get("grader", {}).get("owned"):
                exec(cell.source, namespace)
        printed = io.StringIO()
        with contextlib.redirect_stdout(printed):
            namespace["check"]()
        return printed.getvalue()

    monkeypatch.setenv("JPY_SESSION_NAME", str(student))
    said = check_output()
    assert "1 of 2 written answers filled in" in said
    assert "Still empty: plot-norm." in said
    monkeypatch.delenv("JPY_SESSION_NAME")
    assert "cannot read this notebook" in check_output()


@pytest.mark.parametrize(
    "change, expected",
    [
        (lambda m: m.update(points="two"), "points must be a number"),
        (lambda m: m.update(id="why vanish"), "needs an id of letters"),
        (lambda m: m.update(scheme=[{"points": 5, "words": "x"}]), "gives 5 points, more than"),
        (lambda m: m.update(scheme=[{"points": 1}]), "scheme entry 1 must be"),
        (lambda m: m.update(colour="red"), "unknown key 'colour'"),
    ],
)
def test_a_malformed_written_answer_is_named(tmp_path, change, expected):
    folder = _source(tmp_path, SCHEME)
    notebook = json.loads((folder / "source.ipynb").read_text())
    change(notebook["cells"][2]["metadata"]["grader"]["written"])
    (folder / "source.ipynb").write_text(json.dumps(notebook))
    with pytest.raises(UserError, match=expected) as error:
        releasing.release(folder, tmp_path / "release")
    assert "cell 3" in str(error.value)
