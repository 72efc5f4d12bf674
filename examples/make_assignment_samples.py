"""Rebuild the sample submissions of an assignment from its released notebook.

    .venv/bin/python examples/make_assignment_samples.py rnn_gradients
    .venv/bin/python examples/make_assignment_samples.py lstm_backward --from-source

writes ``examples/<assignment>/<student>.ipynb``: the release with its stubs filled from the
instructor's solutions, then one typical mistake made (or none, or the stubs left), so that the
demo and the tests show what the grader does with each. ``--from-source`` builds them from
``source.ipynb`` itself (solution markers removed, or regions replaced by the release's stub)
for when ``grader assign`` cannot release the folder yet; such samples lack the release's
grader-owned self-check cells.
"""

from __future__ import annotations

import argparse
import re
import sys
import tempfile
from pathlib import Path

import nbformat

HERE = Path(__file__).resolve().parent
ASSIGNMENTS = HERE.parent / "assignments"
MARKER = re.compile(r"^[ \t]*### (BEGIN|END) SOLUTION[ \t]*(\n|\Z)", re.MULTILINE)
REGION = re.compile(r"^( *)### BEGIN SOLUTION\n.*?^ *### END SOLUTION\n?", re.MULTILINE | re.DOTALL)
UNTOUCHED = "dhaval"  # hands in the release as it came: every stub still raises

# assignment -> student -> (the hint code the sample shows, or "" for full marks,
#                           {cell id: [(solution text, mistaken text), ...]})
SAMPLES = {
    "rnn_gradients": {
        "asha": ("", {}),
        "bhavin": (
            "missing-tanh-derivative",
            {
                "rnn-backward": [
                    (
                        "dz = (dh_seq[t] + dh_next) * (1.0 - h_seq[t] ** 2)",
                        "dz = dh_seq[t] + dh_next",
                    )
                ]
            },
        ),
        "chitra": (
            "W_hh-transposed-backward",
            {
                "rnn-backward": [
                    ('dh_next = dz @ params["W_hh"]', 'dh_next = dz @ params["W_hh"].T')
                ],
                # and a step short on the numeric answer: half its points (a partial rule)
                "steps-to-vanish": [
                    (
                        "steps_to_vanish = int(np.argmax(relative < 1e-3))",
                        "steps_to_vanish = int(np.argmax(relative < 1e-3)) - 1",
                    )
                ],
            },
        ),
        "esha": (
            "gradient-not-accumulated",
            {
                "rnn-backward": [
                    (
                        "dz = (dh_seq[t] + dh_next) * (1.0 - h_seq[t] ** 2)",
                        "dz = dh_seq[t] * (1.0 - h_seq[t] ** 2)",
                    )
                ]
            },
        ),
    },
    "lstm_backward": {
        "asha": ("", {}),
        "bhavin": (
            "sigmoid-derivative-as-s",
            {
                "lstm-step-backward": [
                    ('"f": df * f * (1.0 - f),', '"f": df * f,'),
                    ('"i": di * i * (1.0 - i),', '"i": di * i,'),
                    ('"o": do * o * (1.0 - o),', '"o": do * o,'),
                ]
            },
        ),
        "chitra": (
            "tanh-derivative-forgotten",
            {
                "lstm-step-backward": [
                    ("dc = dc_t + dh_t * o * (1.0 - tanh_c**2)", "dc = dc_t + dh_t * o")
                ]
            },
        ),
        "esha": (
            "dW-not-summed-over-time",
            {"lstm-backward": [("grads[key] += step[key]", "grads[key] = step[key]")]},
        ),
    },
}


# assignment -> student -> {written question id: the answer the sample gives}: a good one, a
# half-right one, a wrong one, so the demo marks a spread.
WRITTEN = {
    "rnn_gradients": {
        "asha": {
            "why-vanish": "Each step of BPTT multiplies the gradient by $W_{hh}^T$ (times the tanh"
            " derivative $1 - h_t^2 \\le 1$), so after $T$ steps it scales like $w_{rec}^T$:"
            " $0.9^{59}$ is tiny, $1.1^{59}$ is huge. The LSTM's cell state is multiplied by the"
            " forget gate $f_t$ instead, which stays close to 1, so its gradient survives."
        },
        "bhavin": {
            "why-vanish": "Because $w_{rec}^T$ goes to 0 when $w_{rec} < 1$ and to infinity when"
            " $w_{rec} > 1$."
        },
        "chitra": {"why-vanish": "The learning rate is too small for long sequences."},
    }
}


def stubbed(source: nbformat.NotebookNode) -> nbformat.NotebookNode:
    """``source`` with every solution region replaced by the release's stub."""
    nb = nbformat.from_dict(source)
    for cell in nb.cells:
        if cell.cell_type == "code":
            cell.source = REGION.sub(
                lambda m: f"{m[1]}# YOUR CODE HERE\n{m[1]}raise NotImplementedError()\n",
                cell.source,
            ).rstrip("\n")
            cell.outputs, cell.execution_count = [], None
    return nb


def filled(release, source, mistakes: dict[str, list[tuple[str, str]]], answers=None):
    """The release with every stub replaced by its solution, then ``mistakes`` made, and the
    written ``answers`` (question id -> text) given."""
    solutions = {c.id: c for c in source.cells}
    nb = nbformat.from_dict(release)
    for cell in nb.cells:
        if cell.get("id", "").removeprefix("written-") in (answers or {}):
            cell.source = answers[cell.id.removeprefix("written-")]
        if "# YOUR CODE HERE" in cell.source:
            cell.source = MARKER.sub("", solutions[cell.id].source).rstrip("\n")
        for right, wrong in mistakes.get(cell.id, []):
            assert right in cell.source, f"{right!r} is not in cell {cell.id}"
            cell.source = cell.source.replace(right, wrong)
    return nb


def release_of(name: str, from_source: bool) -> nbformat.NotebookNode:
    source = nbformat.read(ASSIGNMENTS / name / "source.ipynb", as_version=4)
    if from_source:
        return stubbed(source)
    from grader.assignment.releasing import release

    with tempfile.TemporaryDirectory() as tmp:
        return nbformat.read(release(ASSIGNMENTS / name, Path(tmp)), as_version=4)


def main(argv: list[str] | None = None) -> int:
    parser = argparse.ArgumentParser(description=__doc__.split("\n\n")[0])
    parser.add_argument("assignment", choices=sorted(SAMPLES))
    parser.add_argument("--from-source", action="store_true", help="stub source.ipynb directly")
    args = parser.parse_args(argv)
    source = nbformat.read(ASSIGNMENTS / args.assignment / "source.ipynb", as_version=4)
    release = release_of(args.assignment, args.from_source)
    out = HERE / args.assignment
    out.mkdir(exist_ok=True)
    for student, (code, mistakes) in SAMPLES[args.assignment].items():
        answers = WRITTEN.get(args.assignment, {}).get(student)
        nbformat.write(filled(release, source, mistakes, answers), out / f"{student}.ipynb")
        print(f"{out / student}.ipynb: {code or 'every function right'}")
    nbformat.write(release, out / f"{UNTOUCHED}.ipynb")
    print(f"{out / UNTOUCHED}.ipynb: the stubs untouched")
    if args.from_source:
        print(
            "built from source.ipynb: no self-check cells; rebuild from the release when it works"
        )
    return 0


if __name__ == "__main__":
    sys.exit(main())
