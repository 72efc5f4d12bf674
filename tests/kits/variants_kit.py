"""rnn_gradients with per-student variants: three parameters declared in its assignment.toml and
used in a question's text and a constants cell; for tests/variants/ and the release benchmark."""

from __future__ import annotations

from pathlib import Path

import nbformat

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


def with_variants(assignment: Path, variants: str = VARIANTS, question: str = QUESTION) -> None:
    """``variants`` added to the assignment's toml, ``question`` and the constants cell put in
    its source notebook after the setup cell."""
    toml = assignment / "assignment.toml"
    toml.write_text(toml.read_text(encoding="utf-8") + variants, encoding="utf-8")
    source = assignment / "source.ipynb"
    notebook = nbformat.read(source, as_version=4)
    at = next(i for i, c in enumerate(notebook.cells) if c.get("id") == "setup") + 1
    notebook.cells[at:at] = [
        nbformat.v4.new_markdown_cell(question, id="your-numbers"),
        nbformat.v4.new_code_cell(CONSTANTS, id="constants"),
    ]
    nbformat.write(notebook, source)
