"""`grader assign` on source notebooks written the way nbgrader writes them (its cell metadata,
schema 3, hidden tests, mark schemes, answer cells marked by metadata alone): nothing of the
instructor's reaches the release; and `grader assign --from-nbgrader` starts a folder."""

from __future__ import annotations

import json
import textwrap
from pathlib import Path

import nbformat
import pytest

from grader import assignment as assign
from grader import cli
from grader.assignment import releasing
from grader.errors import UserError

# Every string here is the instructor's: none may appear anywhere in a release.
SECRETS = (
    "np.exp(-np.abs(z))",  # the solution inside markers
    "assert np.allclose(sigmoid(np.array([40.0])), 1.0)",  # a hidden test
    "HIDDEN TESTS",
    "1 mark for a stable formula",  # the mark scheme
    "MARK SCHEME",
    "saturates because the derivative vanishes",  # a markdown answer cell
    "plt.plot(zs, sigmoid(zs))",  # a code answer cell
    "nbgrader",  # the cells' metadata
    "checksum-of-the-solution",
)
GRADING = """
import numpy as np

from grader.assignment import Case


def make_cases(function, rng, settings):
    count = settings["count"]
    return [Case(f"z ({k + 1}, 3)", (rng.uniform(-5, 5, (k + 1, 3)),)) for k in range(count)]
"""


def _marks(grade_id: str, **flags) -> dict:
    """A cell's metadata as nbgrader's create_assignment writes it (schema 3)."""
    marks = {"grade": False, "grade_id": grade_id, "locked": False, "schema_version": 3}
    marks.update(solution=False, task=False)
    marks.update(flags)
    if marks["grade"] or marks["task"]:
        marks.setdefault("points", 1)
    if marks["locked"] or marks["grade"]:
        marks["checksum"] = "checksum-of-the-solution"
    return {"nbgrader": marks}


def _code(text: str, grade_id: str | None = None, **flags):
    cell = nbformat.v4.new_code_cell(textwrap.dedent(text).strip("\n"))
    if grade_id:
        cell.metadata = _marks(grade_id, **flags)
    return cell


def _markdown(text: str, grade_id: str | None = None, **flags):
    cell = nbformat.v4.new_markdown_cell(textwrap.dedent(text).strip("\n"))
    if grade_id:
        cell.metadata = _marks(grade_id, **flags)
    return cell


def nbgrader_source() -> nbformat.NotebookNode:
    """A source notebook as an nbgrader instructor writes it."""
    cells = [
        _markdown("# The logistic sigmoid\n\nRead the notes first.", "intro", locked=True),
        _code("import numpy as np\nimport matplotlib.pyplot as plt", "imports", locked=True),
        _markdown(
            """
            Write a stable sigmoid.

            === BEGIN MARK SCHEME ===
            - 1 mark for a stable formula
            === END MARK SCHEME ===
            """,
            "task-stable",
            task=True,
        ),
        _code(
            '''
            def sigmoid(z):
                """1 / (1 + exp(-z)), element-wise."""
                print("something")
                ### BEGIN SOLUTION
                e = np.exp(-np.abs(z))
                return np.where(z >= 0, 1.0 / (1.0 + e), e / (1.0 + e))
                ### END SOLUTION
            ''',
            "sigmoid",
            solution=True,
        ),
        _code(
            """
            assert np.allclose(sigmoid(np.array([0.0])), 0.5)
            ### BEGIN HIDDEN TESTS
            assert np.allclose(sigmoid(np.array([40.0])), 1.0)
            ### END HIDDEN TESTS
            """,
            "test-sigmoid",
            grade=True,
            points=2,
        ),
        _markdown("Why does a sigmoid unit learn slowly for large |z|?"),
        _markdown(
            "It saturates because the derivative vanishes there.",
            "why-slow",
            solution=True,
            grade=True,
        ),
        _code(
            "zs = np.linspace(-6, 6, 50)\nplt.plot(zs, sigmoid(zs))",
            "plot",
            solution=True,
        ),
    ]
    notebook = nbformat.v4.new_notebook(cells=cells)
    notebook.metadata = {
        "kernelspec": {"display_name": "Python 3", "language": "python", "name": "python3"},
        "language_info": {"name": "python"},
    }
    return notebook


def make_folder(folder: Path, notebook: nbformat.NotebookNode) -> Path:
    folder.mkdir(parents=True, exist_ok=True)
    nbformat.write(notebook, folder / "source.ipynb")
    (folder / "grading.py").write_text(GRADING)
    (folder / "assignment.toml").write_text(
        textwrap.dedent(
            """
            [assignment]
            name = "sigmoid"
            title = "The logistic sigmoid"
            source = "source.ipynb"

            [grading]
            atol = 1e-6
            rtol = 1e-5
            cases_per_function = 3
            seed = "per-submission"
            cell_timeout = 30
            notebook_timeout = 120
            memory_mb = 1024

            [cases]

            [[functions]]
            name = "sigmoid"
            points = 10

            [forbidden]
            imports = []
            """
        )
    )
    return folder


def cell_with(notebook: nbformat.NotebookNode, text: str) -> nbformat.NotebookNode:
    return next(c for c in notebook.cells if text in c.source)


def test_release_of_an_nbgrader_notebook_carries_nothing_of_the_instructor(tmp_path):
    folder = make_folder(tmp_path / "sigmoid", nbgrader_source())
    released_path = releasing.release(folder, tmp_path / "release")
    text = released_path.read_text()
    for secret in SECRETS:
        assert secret not in text, secret
    released = nbformat.read(released_path, as_version=4)
    # the solution stubbed as nbgrader stubs it, the statement before the markers kept
    graded = cell_with(released, "def sigmoid(z):")
    assert graded.source.endswith(
        '    print("something")\n    # YOUR CODE HERE\n    raise NotImplementedError()'
    )
    # the visible test stays, the hidden one goes with its markers
    test = cell_with(released, "sigmoid(np.array([0.0]))")
    assert test.source == "assert np.allclose(sigmoid(np.array([0.0])), 0.5)"
    # the task keeps its question, not its mark scheme
    assert (
        cell_with(released, "Write a stable sigmoid.").source.strip() == "Write a stable sigmoid."
    )
    # answer cells marked by metadata alone: released as nbgrader releases them
    sources = [c.source for c in released.cells]
    assert "YOUR ANSWER HERE" in sources
    assert "# YOUR CODE HERE\nraise NotImplementedError()" in sources
    assert all("nbgrader" not in json.dumps(c.metadata) for c in released.cells)


def _edited(change) -> nbformat.NotebookNode:
    notebook = nbgrader_source()
    change(notebook)
    return notebook


def _test_cell(notebook) -> nbformat.NotebookNode:
    return cell_with(notebook, "BEGIN HIDDEN TESTS")


def _drop_end(notebook) -> None:
    cell = _test_cell(notebook)
    cell.source = cell.source.replace("### END HIDDEN TESTS", "")


def _nested(notebook) -> None:
    cell = _test_cell(notebook)
    cell.source = cell.source.replace(
        "### END HIDDEN TESTS", "### BEGIN HIDDEN TESTS\nassert True\n### END HIDDEN TESTS"
    )


def _open_mark_scheme(notebook) -> None:
    cell = cell_with(notebook, "MARK SCHEME")
    cell.source = cell.source.replace("=== END MARK SCHEME ===", "")


def _graded_in_answer_cell(notebook) -> None:
    cell = cell_with(notebook, "def sigmoid(z):")
    cell.source = "\n".join(line for line in cell.source.splitlines() if "SOLUTION" not in line)


def _marker_with_words(notebook) -> None:
    cell = cell_with(notebook, "plt.plot")
    cell.metadata = {}
    cell.source = f"### BEGIN SOLUTION (optional)\n{cell.source}\n### END SOLUTION (optional)"


@pytest.mark.parametrize(
    "change, expected",
    [
        (_drop_end, r"cell 5 \(code.*the hidden-test region opened on line 2 has no"),
        (_nested, r"cell 5 \(code.*line 4 opens a hidden-test region inside the one opened on"),
        (_open_mark_scheme, r"cell 3 \(markdown.*mark-scheme region opened on line 3 has no"),
        (_graded_in_answer_cell, r"cell 4 \(code.*nbgrader answer cell.*defines the graded"),
        (
            _marker_with_words,
            r"cell 8 \(code.*'### BEGIN SOLUTION \(optional\)' looks like an nbgrader marker",
        ),
    ],
)
def test_release_refuses_what_would_leak_with_the_cell_and_what_to_do(tmp_path, change, expected):
    folder = make_folder(tmp_path / "sigmoid", _edited(change))
    with pytest.raises(UserError, match=expected):
        releasing.release(folder, tmp_path / "release")
    assert not (tmp_path / "release").exists()


def test_from_nbgrader_writes_a_starting_folder(tmp_path, capsys):
    notebook = nbgrader_source()
    _graded_in_answer_cell(notebook)  # marked by metadata alone: markers are added
    path = tmp_path / "ps1.ipynb"
    nbformat.write(notebook, path)
    out = tmp_path / "ps1"
    code = cli.main(
        ["assign", "--from-nbgrader", str(path), "--out", str(out), "--functions", "sigmoid"]
    )
    assert code == 0
    assert "sigmoid (2 points)" in capsys.readouterr().out
    config = assign.load_config(out)
    assert [(f.name, f.points) for f in config.functions] == [("sigmoid", 2.0)]
    assert config.title == "The logistic sigmoid"
    grading = (out / "grading.py").read_text()
    assert "#   [hidden] assert np.allclose(sigmoid(np.array([40.0])), 1.0)" in grading
    assert "#   assert np.allclose(sigmoid(np.array([0.0])), 0.5)" in grading
    # the instructor writes the cases; the folder then releases with nothing of theirs in it
    (out / "grading.py").write_text(grading + GRADING)
    released = releasing.release(out, tmp_path / "release").read_text()
    for secret in SECRETS:
        assert secret not in released, secret
    assert "def sigmoid(z):" in released


def test_from_nbgrader_names_what_is_wrong(tmp_path):
    path = tmp_path / "ps1.ipynb"
    nbformat.write(nbgrader_source(), path)
    with pytest.raises(UserError, match="no code cell defines softmax"):
        cli_assign(path, tmp_path / "out", "softmax")
    (tmp_path / "full").mkdir()
    (tmp_path / "full" / "x").write_text("")
    with pytest.raises(UserError, match="is not empty"):
        cli_assign(path, tmp_path / "full", "sigmoid")


def cli_assign(path: Path, out: Path, functions: str) -> None:
    from grader.assignment import from_nbgrader

    from_nbgrader.write_folder(path, out, functions.split(","))
