"""rnn_gradients with per-student variants: three parameters declared in its assignment.toml and
used in a question's text and a constants cell; for tests/variants/ and the release benchmark."""

from __future__ import annotations

import re
import subprocess
import sys
from pathlib import Path

import nbformat
from sandbox_fence import FENCE

VARIANTS = """
[variants.W_rec]
kind = "float"
min = 0.5
max = 0.99
digits = 2

[variants.steps]
kind = "int"
min = 10
max = 40
step = 5

[variants.activation]
kind = "choice"
choices = ["tanh", "relu", "sigmoid"]
"""
QUESTION = (
    "## Your numbers\n\nWith $W_{rec}$ = {{W_rec}}, after {{ steps }} steps of a"
    " {{activation}} RNN, how small is the gradient?"
)
CONSTANTS = "W_REC = {{W_rec}}\nSTEPS = {{steps}}\nACTIVATION = {{activation}}"


def roster(size: int, *, without_id: int | None = None) -> str:
    """roster.csv of ``size`` students S000, S001, ...; student ``without_id`` has no id."""
    rows = ["id,name,email,role"]
    for number in range(size):
        given = "" if number == without_id else f"S{number:03d}"
        rows.append(f"{given},Student {number},s{number}@example.edu,student")
    return "\n".join(rows) + "\n"


def without_variants(toml_text: str) -> str:
    """An assignment.toml's text without its own ``[variants.NAME]`` tables (rnn_gradients
    ships one, W_rec, which VARIANTS declares too)."""
    kept, inside = [], False
    for line in toml_text.splitlines(keepends=True):
        if line.startswith("["):
            inside = line.startswith("[variants")
        if not inside:
            kept.append(line)
    return "".join(kept)


def with_variants(assignment: Path, variants: str = VARIANTS, question: str = QUESTION) -> None:
    """``variants`` in place of the assignment's own [variants] in its toml, ``question`` and
    the constants cell put in its source notebook after the setup cell."""
    toml = assignment / "assignment.toml"
    text = without_variants(toml.read_text(encoding="utf-8"))
    toml.write_text(text + variants, encoding="utf-8")
    source = assignment / "source.ipynb"
    notebook = nbformat.read(source, as_version=4)
    at = next(i for i, c in enumerate(notebook.cells) if c.get("id") == "setup") + 1
    notebook.cells[at:at] = [
        nbformat.v4.new_markdown_cell(question, id="your-numbers"),
        nbformat.v4.new_code_cell(CONSTANTS, id="constants"),
    ]
    nbformat.write(notebook, source)


MARKER = re.compile(r"^[ \t]*### (BEGIN|END) SOLUTION\n?", re.MULTILINE)


def answered(notebook: nbformat.NotebookNode, source: Path) -> nbformat.NotebookNode:
    """The released notebook with every stub replaced by the source's solution (which reads
    the notebook's own values: the right answers for them)."""
    solutions = {c.id: c.source for c in nbformat.read(source, as_version=4).cells}
    for cell in notebook.cells:
        if "# YOUR CODE HERE" in cell.source:
            cell.source = MARKER.sub("", solutions[cell.id])
    return notebook


def grade_inbox(assignment: Path, inbox: Path, out: Path, seed: int | None = 5) -> str:
    """`grader grade` of every notebook in ``inbox`` into ``out``, in the sandbox behind the
    tests' fence (on ``seed``; None: as the instructor types it, without --seed); what it said
    on stderr."""
    done = subprocess.run(
        [*FENCE, sys.executable, "-m", "grader.cli", "grade"]
        + ([] if seed is None else ["--seed", str(seed)])
        + ["--assignment", str(assignment), "--out", str(out)]
        + sorted(str(p) for p in inbox.iterdir()),
        capture_output=True,
        text=True,
        timeout=900,
        check=False,
    )
    assert done.returncode == 0, done.stderr[-3000:]
    return done.stderr
