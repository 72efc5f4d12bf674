"""Cells every submission shares (an assignment's grader-owned cells): the warm process runs
them once, and a submission gets what they defined where they stand, exactly as if they had
run there; whatever would make that differ runs the cell as usual.

The notebooks are the tests' own and harmless, so they run in the test process (each in a real
sandbox), as in engine/run/test_run_submission.py.
"""

from __future__ import annotations

import ast

import pytest
from sandbox_fence import write_notebook

from grader.engine import RunLimits, run_submission
from grader.engine.gradersandbox.shared import _reads_while_running

FAST = RunLimits(cell_timeout=20, notebook_timeout=120, probe_timeout=5)
SCALE = "SCALE = 2"
TOKEN = "import random\nTOKEN = (random.random(), SCALE)"
CALLER = "def twice():\n    return 2 * helper()"


def _printed(tmp_path, name: str, *cells: str, shared=(SCALE, TOKEN, CALLER)) -> str:
    notebook = write_notebook(tmp_path / f"{name}.ipynb", *cells)
    result = run_submission(notebook, [], FAST, shared_cells=shared)
    assert result.status == "completed", result.reason
    assert not result.cell_errors, result.cell_errors
    return result.output


@pytest.mark.slow
def test_a_shared_cell_runs_once_for_every_submission_and_defines_its_names_where_it_stands(
    tmp_path,
):
    show = "print(TOKEN, SCALE)"
    first = _printed(tmp_path, "a", SCALE, TOKEN, show)
    second = _printed(tmp_path, "b", "TOKEN = 'mine'", SCALE, TOKEN, show)
    # One random draw, in the warm process: every submission sees the very same one, and the
    # student's earlier TOKEN is replaced, as running the cell there would have done.
    assert first == second
    assert first.strip().endswith(", 2) 2")
    # Run a second time, the cell makes a draw of its own, as it would.
    again = _printed(tmp_path, "d", SCALE, TOKEN, show, TOKEN, show).splitlines()
    assert again[0] == first.strip() and again[1] != again[0]
    # Before the shared cell stands, its names are not defined yet.
    early = _printed(tmp_path, "c", "print('TOKEN' in globals())", SCALE, TOKEN)
    assert early.strip() == "False"


@pytest.mark.slow
def test_a_shared_cell_runs_itself_when_what_it_reads_was_changed_before_it(tmp_path):
    shared_run = _printed(tmp_path, "a", SCALE, TOKEN, "print(TOKEN)")
    changed = _printed(tmp_path, "b", SCALE, "SCALE = 3", TOKEN, "print(TOKEN)")
    assert changed.strip().endswith(", 3)")
    assert changed != shared_run.replace(", 2)", ", 3)")  # a draw of its own


@pytest.mark.slow
def test_functions_of_a_shared_cell_see_the_submissions_own_names(tmp_path):
    output = _printed(tmp_path, "a", CALLER, "def helper():\n    return 21", "print(twice())")
    assert output.strip() == "42"


@pytest.mark.slow
def test_a_shared_cell_that_prints_or_fails_runs_in_each_submission(tmp_path):
    said = "print('hello from the grader cell')"
    shown = "X = 41\nX + 1"  # a notebook shows the value of a last expression
    output = _printed(tmp_path, "a", said, shown, shared=(said, shown))
    assert output.split() == ["hello", "from", "the", "grader", "cell", "42"]
    failing = "raise ValueError('no data here')"
    notebook = write_notebook(tmp_path / "b.ipynb", failing, "print('went on')")
    result = run_submission(notebook, [], FAST, shared_cells=(failing,))
    assert [e.ename for e in result.cell_errors] == ["ValueError"]
    assert "ValueError: no data here" in result.output
    assert result.output.strip().endswith("went on")


def test_what_a_cell_reads_while_it_runs_is_found_in_the_order_python_runs_it():
    source = (
        "import re\n"
        "x = x + 1\n"
        "total = [i * z for i in range(3)]\n"
        "class A(Base):\n    k = K\n    def method(self):\n        return LATER\n"
        "@decorate(D)\ndef f(a=DEFAULT):\n    return ALSO_LATER\n"
        "n += 1\n"
        "for j in J:\n    print(j, re)\n"
    )
    ast.parse(source)
    assert _reads_while_running(source) == {
        "x",
        "z",
        "range",
        "Base",
        "K",
        "decorate",
        "D",
        "DEFAULT",
        "n",
        "J",
        "print",
    }
    assert _reads_while_running("def broken(:\n") is None
