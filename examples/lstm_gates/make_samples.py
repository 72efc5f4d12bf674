"""Rebuild the sample submissions of the demo from the released LSTM-gates notebook.

    .venv/bin/python examples/lstm_gates/make_samples.py

Each sample is the release with its stubs filled from the instructor's solutions, then one
typical mistake made (or none, or the stubs left, or the file broken), so that the demo and the
end-to-end tests show what the grader does with each.
"""

from __future__ import annotations

import re
import sys
import tempfile
from pathlib import Path

import nbformat

from grader.assignment.releasing import release as release_notebook

HERE = Path(__file__).resolve().parent
ASSIGNMENT = HERE.parent.parent / "assignments" / "lstm_gates"
MARKER = re.compile(r"^\s*### (BEGIN|END) SOLUTION\n", re.MULTILINE)

# student -> (what the sample shows, {cell id: (solution text, mistaken text)})
SAMPLES = {
    "asha": ("every function right: full marks", {}),
    "bhavin": (
        "tanh instead of sigmoid in the forget gate",
        {"forget-gate": ("return sigmoid(xh @ W_f.T + b_f)", "return np.tanh(xh @ W_f.T + b_f)")},
    ),
    "chitra": (
        "h_t = o_t * C_t, without the tanh",
        {"hidden-state": ("return o_t * np.tanh(c_t)", "return o_t * c_t")},
    ),
}
UNTOUCHED = "dhaval"  # hands in the release as it came: every stub still raises
BROKEN = "esha"  # a download that broke off half-way: not valid JSON


def filled(release: nbformat.NotebookNode, mistakes: dict[str, tuple[str, str]]):
    """The release with every stub replaced by its solution, then ``mistakes`` made."""
    source = {c.id: c for c in nbformat.read(ASSIGNMENT / "source.ipynb", as_version=4).cells}
    nb = nbformat.from_dict(release)
    for cell in nb.cells:
        if "# YOUR CODE HERE" in cell.source:
            cell.source = MARKER.sub("", source[cell.id].source)
        if cell.id in mistakes:
            right, wrong = mistakes[cell.id]
            assert right in cell.source, f"{right!r} is not in cell {cell.id}"
            cell.source = cell.source.replace(right, wrong)
    return nb


def main() -> int:
    with tempfile.TemporaryDirectory() as tmp:
        release = nbformat.read(release_notebook(ASSIGNMENT, Path(tmp)), as_version=4)
    for student, (about, mistakes) in SAMPLES.items():
        nbformat.write(filled(release, mistakes), HERE / f"{student}.ipynb")
        print(f"{student}.ipynb: {about}")
    nbformat.write(release, HERE / f"{UNTOUCHED}.ipynb")
    print(f"{UNTOUCHED}.ipynb: the stubs untouched")
    text = nbformat.writes(filled(release, {}))
    (HERE / f"{BROKEN}.ipynb").write_text(text[: len(text) // 2])
    print(f"{BROKEN}.ipynb: cut off half-way (not JSON)")
    return 0


if __name__ == "__main__":
    sys.exit(main())
