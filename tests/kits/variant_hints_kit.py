"""A small assignment whose graded functions read a per-student value from the notebook: a
leaky accumulator, ``leak_step`` (DECAY * h + x, DECAY the student's own, from [variants]) and
``leak_run``, which is built from it. No ``REFERENCE``: the source notebook's solution is the
reference, so the right answers are the solution's on each student's DECAY. Its known mistakes
return the same wrong values whatever the DECAY, so they can be named on any student's
values. For tests/variants/test_variant_hints.py."""

from __future__ import annotations

import re
from pathlib import Path

import nbformat
from nbformat.v4 import new_code_cell, new_markdown_cell, new_notebook

TOML = """
[assignment]
name = "leaky"
title = "A leaky accumulator on your own decay"
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
name = "leak_step"
points = 10

[[functions]]
name = "leak_run"
points = 10

[forbidden]
imports = []

[variants.decay]
kind = "float"
min = 0.2
max = 0.9
digits = 2
"""
GRADING = """
import numpy as np

from grader.assignment import Case, Mistake


def make_cases(function, rng, settings):
    cases = []
    for _ in range(settings["count"]):
        n, h, t = (int(v) for v in rng.integers(2, 5, 3))
        if function == "leak_step":
            args = (rng.standard_normal((n, h)), rng.standard_normal((n, h)))
            cases.append(Case(f"h and x of shape ({n}, {h})", args))
        else:
            args = (rng.standard_normal((t, n, h)), rng.standard_normal((n, h)))
            cases.append(Case(f"xs of shape ({t}, {n}, {h})", args))
    return cases


def _compose_run(parts, xs, h0):
    states, h = [], h0
    for x in xs:
        h = parts["leak_step"](h, x)
        states.append(h)
    return np.stack(states)


MISTAKES = [
    Mistake(
        "forgets-state",
        "{function} matches a step that returns x alone: the state carries DECAY * h over.",
        {"leak_step": lambda h, x: np.array(x, dtype=float),
         "leak_run": lambda xs, h0: np.array(xs, dtype=float)},
    ),
    Mistake(
        "no-decay",
        "{function} matches h + x: the state is scaled by your DECAY before x is added.",
        {"leak_step": lambda h, x: h + x,
         "leak_run": lambda xs, h0: h0 + np.cumsum(xs, axis=0)},
    ),
]
PARTS = {"leak_run": ["leak_step"]}
COMPOSITION = {"leak_run": _compose_run}
"""
SETUP = "import numpy as np"
CONSTANTS = "DECAY = {{decay}}  # your own decay: keep it as it is"
STEP = '''def leak_step(h, x):
    """One step of the leaky accumulator: DECAY * h + x (h, x: (N, H))."""
    ### BEGIN SOLUTION
    return DECAY * h + x
    ### END SOLUTION'''
RUN = '''def leak_run(xs, h0):
    """Every state of leak_step over xs (T, N, H) from h0 (N, H): an array (T, N, H)."""
    ### BEGIN SOLUTION
    states, h = [], h0
    for x in xs:
        h = leak_step(h, x)
        states.append(h)
    return np.stack(states)
    ### END SOLUTION'''
# Bodies a student may write, each planted in place of a function's stub.
FORGETS_STATE = "    return x"
RUN_WITHOUT_DECAY = (
    "    states, h = [], h0\n    for x in xs:\n        h = h + x\n        states.append(h)\n"
    "    return np.stack(states)"
)
MARKER = re.compile(r"^[ \t]*### (BEGIN|END) SOLUTION\n?", re.MULTILINE)


def write_assignment(folder: Path) -> Path:
    """The assignment ``leaky`` in ``folder`` (made); the folder."""
    folder.mkdir(parents=True)
    (folder / "assignment.toml").write_text(TOML, encoding="utf-8")
    (folder / "grading.py").write_text(GRADING, encoding="utf-8")
    cells = [
        new_markdown_cell("# A leaky accumulator\n\nYour decay is {{decay}}.", id="title"),
        new_code_cell(SETUP, id="setup"),
        new_code_cell(CONSTANTS, id="constants"),
        new_code_cell(STEP, id="leak-step"),
        new_code_cell(RUN, id="leak-run"),
    ]
    nbformat.write(new_notebook(cells=cells), folder / "source.ipynb")
    return folder


def answered(
    notebook: nbformat.NotebookNode, planted: dict[str, str] | None = None
) -> nbformat.NotebookNode:
    """The released ``notebook`` answered: each function's stub replaced by the solution, or by
    the body ``planted`` gives for it (by the function's name)."""
    solutions = {"leak_step": STEP, "leak_run": RUN}
    for cell in notebook.cells:
        for name, solution in solutions.items():
            if cell.source.startswith(f"def {name}(") and "# YOUR CODE HERE" in cell.source:
                body = (planted or {}).get(name)
                cell.source = (
                    MARKER.sub("", solution)
                    if body is None
                    else solution.split("    ### BEGIN SOLUTION")[0] + body
                )
    return notebook
