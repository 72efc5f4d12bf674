"""lstm_gates with a pool: each student draws 2 of the 4 gates (10 points each) and answers the
cell and hidden state (15 each) too; lstm_cell and lstm_forward, which call every gate, and the
experiment that calls them are left out. For tests/variants/ and tests/web/."""

from __future__ import annotations

import re
from pathlib import Path

import nbformat

GATES = ("forget_gate", "input_gate", "candidate_memory", "output_gate")
POOL = """
[[pools]]
name = "gates"
draw = 2
functions = ["forget_gate", "input_gate", "candidate_memory", "output_gate"]
"""
LEFT_OUT = ("lstm-cell-text", "lstm-cell", "lstm-forward-text", "lstm-forward")
LEFT_OUT += ("experiment-text", "experiment")
# Appended to grading.py: the known mistakes and parts of the functions still graded only.
GRADING_WITHOUT_COMPOSITES = """

import dataclasses as _dataclasses

_LEFT_OUT = ("lstm_cell", "lstm_forward")
MISTAKES = tuple(
    _dataclasses.replace(m, variants={k: v for k, v in m.variants.items() if k not in _LEFT_OUT})
    for m in MISTAKES
    if set(m.variants) - set(_LEFT_OUT)
)
REFERENCE = {k: v for k, v in REFERENCE.items() if k not in _LEFT_OUT}
PARTS = {}
COMPOSITION = {}
"""
MARKER = re.compile(r"^[ \t]*### (BEGIN|END) SOLUTION\n?", re.MULTILINE)


def with_pool(assignment: Path, pool: str = POOL) -> None:
    """``pool`` added to lstm_gates' assignment.toml, its composite functions left out."""
    toml = assignment / "assignment.toml"
    text = toml.read_text(encoding="utf-8")
    for composite in ("lstm_cell", "lstm_forward"):
        text = re.sub(rf'\[\[functions\]\]\nname = "{composite}"\npoints = \d+\n+', "", text)
    toml.write_text(text + pool, encoding="utf-8")
    grading = assignment / "grading.py"
    grading.write_text(grading.read_text(encoding="utf-8") + GRADING_WITHOUT_COMPOSITES)
    source = assignment / "source.ipynb"
    notebook = nbformat.read(source, as_version=4)
    notebook.cells = [c for c in notebook.cells if c.get("id") not in LEFT_OUT]
    nbformat.write(notebook, source)


def answered(notebook: nbformat.NotebookNode, source: Path) -> nbformat.NotebookNode:
    """The released notebook with every stub replaced by the source's solution."""
    solutions = {c.id: c.source for c in nbformat.read(source, as_version=4).cells}
    for cell in notebook.cells:
        if "# YOUR CODE HERE" in cell.source:
            cell.source = MARKER.sub("", solutions[cell.id])
    return notebook
