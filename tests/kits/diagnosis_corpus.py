"""A corpus of student notebooks, built from the releases of the three assignments (the LSTM
gates here, rnn_gradients and lstm_backward in diagnosis_corpus_more.py): one or two mistakes
each (a notebook per mistake class the diagnosis knows, and a composite with a mistake of its
own beside a wrong part, for every composite), and correct notebooks in unusual styles. Each
entry says which functions lose points and which hint codes may name the mistake there; a hint
anywhere else is a false hint.

Used by tests/scoring/test_diagnosis_corpus.py and benchmarks/diagnosis_tally.py.
"""

from __future__ import annotations

import json
import re
from dataclasses import dataclass, field
from pathlib import Path

import nbformat

ROOT = Path(__file__).resolve().parents[2]
ASSIGNMENTS = ROOT / "assignments"
ASSIGNMENT = ASSIGNMENTS / "lstm_gates"  # the assignment of the entries without one
MARKER = re.compile(r"^[ \t]*### (BEGIN|END) SOLUTION\n", re.MULTILINE)
COMPOSITES = ("lstm_cell", "lstm_forward")


@dataclass(frozen=True)
class Entry:
    """A notebook: ``edits`` replace text in the filled cells (cell id -> [(old, new)]);
    ``lost`` maps each function that loses points to the hint codes that name its mistake."""

    about: str
    edits: dict[str, list[tuple[str, str]]] = field(default_factory=dict)
    lost: dict[str, set[str]] = field(default_factory=dict)
    assignment: str = "lstm_gates"


def _through_composites(part: str, codes: set[str]) -> dict[str, set[str]]:
    """A part's mistake, costing the part and both composites (blamed on the part)."""
    return {part: codes, **{c: {"wrong-part"} | codes for c in COMPOSITES}}


def _gate(cell: str, old: str, new: str) -> dict[str, list[tuple[str, str]]]:
    return {cell: [(old, new)]}


FORGET = "return sigmoid(xh @ W_f.T + b_f)"
INPUT = "return sigmoid(xh @ W_i.T + b_i)"
CANDIDATE = "return np.tanh(xh @ W_c.T + b_c)"
OUTPUT = "return sigmoid(xh @ W_o.T + b_o)"
CELL = "return f_t * c_prev + i_t * c_hat_t"
HIDDEN = "return o_t * np.tanh(c_t)"
FORWARD_STACK = "return np.stack(h_seq), np.stack(c_seq)"

BUGGY: dict[str, Entry] = {
    "tanh-forget": Entry(
        "tanh in the forget gate",
        _gate("forget-gate", FORGET, "return np.tanh(xh @ W_f.T + b_f)"),
        _through_composites("forget_gate", {"tanh-for-sigmoid"}),
    ),
    "concat-input": Entry(
        "[h, x] in the input gate",
        _gate(
            "input-gate",
            "xh = np.concatenate([x_t, h_prev], axis=1)",
            "xh = np.concatenate([h_prev, x_t], axis=1)",
        ),
        _through_composites("input_gate", {"concat-order"}),
    ),
    "no-bias-output": Entry(
        "the output gate without its bias",
        _gate("output-gate", OUTPUT, "return sigmoid(xh @ W_o.T)"),
        _through_composites("output_gate", {"missing-bias"}),
    ),
    "o-times-c": Entry(
        "h = o * C",
        _gate("hidden-state", HIDDEN, "return o_t * c_t"),
        _through_composites("hidden_state", {"o-times-C"}),
    ),
    "forget-on-candidate": Entry(
        "the forget gate on the candidate",
        _gate("cell-state", CELL, "return f_t * c_hat_t + i_t * c_prev"),
        _through_composites("cell_state", {"forget-on-candidate"}),
    ),
    "w-untransposed": Entry(
        "W not transposed (a matmul error)",
        _gate("forget-gate", FORGET, "return sigmoid(xh @ W_f + b_f)"),
        _through_composites("forget_gate", {"W-orientation"}),
    ),
    "transposed-candidate": Entry(
        "the candidate computed as (H, N)",
        _gate("candidate-memory", CANDIDATE, "return np.tanh(W_c @ xh.T + b_c[:, None])"),
        _through_composites("candidate_memory", {"transposed-output"}),
    ),
    "linear-input-gate": Entry(
        "a linear input gate: values leave (0, 1)",
        _gate("input-gate", INPUT, "return 0.5 + 0.5 * (xh @ W_i.T + b_i)"),
        _through_composites("input_gate", {"out-of-range"}),
    ),
    "hard-sigmoid-output": Entry(
        "a clipped linear output gate",
        _gate("output-gate", OUTPUT, "return np.clip(0.5 + 0.25 * (xh @ W_o.T + b_o), 0, 1)"),
        _through_composites("output_gate", {"clipped"}),
    ),
    "relu-candidate": Entry(
        "the candidate cut at 0",
        _gate("candidate-memory", CANDIDATE, "return np.maximum(np.tanh(xh @ W_c.T + b_c), 0)"),
        _through_composites("candidate_memory", {"relu-cut"}),
    ),
    "output-ignores-h": Entry(
        "the output gate reads x_t only",
        _gate(
            "output-gate",
            OUTPUT,
            "return sigmoid(x_t @ W_o[:, : x_t.shape[1]].T + b_o)",
        ),
        _through_composites("output_gate", {"ignores-input"}),
    ),
    "random-input-gate": Entry(
        "noise in the input gate",
        _gate(
            "input-gate",
            INPUT,
            "return sigmoid(xh @ W_i.T + b_i) * np.random.uniform(0.9, 1, (1,))",
        ),
        _through_composites("input_gate", {"nondeterministic"}),
    ),
    "reshape-forward": Entry(
        "h_seq reshaped from (N, T, H) where a transpose was meant",
        _gate(
            "lstm-forward",
            FORWARD_STACK,
            "T, N, H = len(h_seq), *h_seq[0].shape\n"
            "    return (np.stack(h_seq, axis=1).reshape(T, N, H),"
            " np.stack(c_seq, axis=1).reshape(T, N, H))",
        ),
        {"lstm_forward": {"permuted"}},
    ),
    "in-place-cell": Entry(
        "C_t updated in place: cell_state changes c_prev, every step of c_seq is one array",
        _gate(
            "cell-state",
            CELL,
            "c_prev *= f_t\n    c_prev += i_t * c_hat_t\n    return c_prev",
        ),
        {
            "cell_state": {"mutates-input"},
            "lstm_cell": {"wrong-part"},
            "lstm_forward": {"wrong-part"},
        },
    ),
    "c-not-carried": Entry(
        "the cell state restarts from c0 every step",
        _gate(
            "lstm-forward",
            "h_t, c_t = lstm_cell(x_t, h_t, c_t, params)",
            "h_t, c_t = lstm_cell(x_t, h_t, c0, params)",
        ),
        {"lstm_forward": {"c-not-carried"}},
    ),
    "h-not-carried": Entry(
        "the hidden state restarts from h0 every step",
        _gate(
            "lstm-forward",
            "h_t, c_t = lstm_cell(x_t, h_t, c_t, params)",
            "h_t, c_t = lstm_cell(x_t, h0, c_t, params)",
        ),
        {"lstm_forward": {"h-not-carried", "ignores-input"}},
    ),
    "returns-c-h": Entry(
        "lstm_cell returns (c, h)",
        _gate("lstm-cell", "return h_t, c_t", "return c_t, h_t"),
        {"lstm_cell": {"returns-c-h"}, "lstm_forward": {"returns-c-h", "wrong-part"}},
    ),
    "last-step-only": Entry(
        "lstm_forward returns the last step only",
        _gate("lstm-forward", FORWARD_STACK, "return h_t, c_t"),
        {"lstm_forward": {"last-step-only"}},
    ),
    "h0-included": Entry(
        "h0 and c0 stored as the first step",
        _gate(
            "lstm-forward",
            "h_seq, c_seq = [], []",
            "h_seq, c_seq = [h0], [c0]",
        ),
        {"lstm_forward": {"initial-state-included"}},
    ),
    "batch-major": Entry(
        "lstm_forward stacks along axis 1",
        _gate(
            "lstm-forward",
            FORWARD_STACK,
            "return np.stack(h_seq, axis=1), np.stack(c_seq, axis=1)",
        ),
        {"lstm_forward": {"batch-major"}},
    ),
    "wrong-weights-in-cell": Entry(
        "lstm_cell passes W_i to the forget gate",
        _gate(
            "lstm-cell",
            'f_t = forget_gate(x_t, h_prev, params["W_f"], params["b_f"])',
            'f_t = forget_gate(x_t, h_prev, params["W_i"], params["b_i"])',
        ),
        # the traced calls name it (issue 66): "lstm_cell calls forget_gate with W_i where the
        # notes give W_f"
        {"lstm_cell": {"wiring"}, "lstm_forward": {"wrong-part"}},
    ),
    "torch-mixed": Entry(
        "a gate returns a torch tensor that lstm_cell multiplies with numpy arrays",
        _gate(
            "forget-gate",
            FORGET,
            "import torch\n    return torch.sigmoid(torch.from_numpy(xh @ W_f.T + b_f))",
        ),
        {"lstm_cell": {"composition"}, "lstm_forward": {"wrong-part"}},
    ),
    "two-mistakes": Entry(
        "tanh in the forget gate and h = o * C",
        {
            "forget-gate": [(FORGET, "return np.tanh(xh @ W_f.T + b_f)")],
            "hidden-state": [(HIDDEN, "return o_t * c_t")],
        },
        {
            "forget_gate": {"tanh-for-sigmoid"},
            "hidden_state": {"o-times-C"},
            "lstm_cell": {"wrong-part", "tanh-for-sigmoid", "o-times-C"},
            "lstm_forward": {"wrong-part", "tanh-for-sigmoid", "o-times-C"},
        },
    ),
}

# Correct notebooks in unusual styles: full marks, no hint anywhere.
CORRECT: dict[str, Entry] = {
    "loops-over-batch": Entry(
        "each gate computed row by row",
        {
            "forget-gate": [
                (
                    FORGET,
                    "rows = [sigmoid(W_f @ xh[n] + b_f) for n in range(xh.shape[0])]\n"
                    "    return np.array(rows)",
                )
            ]
        },
    ),
    "einsum": Entry(
        "gates with einsum",
        {
            "input-gate": [(INPUT, "return sigmoid(np.einsum('nk,hk->nh', xh, W_i) + b_i)")],
            "candidate-memory": [
                (CANDIDATE, "return np.tanh(np.einsum('nk,hk->nh', xh, W_c) + b_c)")
            ],
        },
    ),
    "class-cell": Entry(
        "the cell wrapped in a class, lstm_cell a bound method",
        {
            "lstm-cell": [
                (
                    "def lstm_cell(x_t, h_prev, c_prev, params):",
                    "class Cell:\n"
                    "    def step(self, x_t, h_prev, c_prev, params):\n"
                    "        return _lstm_cell(x_t, h_prev, c_prev, params)\n\n\n"
                    "def _lstm_cell(x_t, h_prev, c_prev, params):",
                ),
                ("    return h_t, c_t", "    return h_t, c_t\n\n\nlstm_cell = Cell().step"),
            ]
        },
    ),
    "torch-tensors": Entry(
        "the cell written in torch, returning tensors",
        {
            "lstm-cell": [
                (
                    '    f_t = forget_gate(x_t, h_prev, params["W_f"], params["b_f"])',
                    "    import torch\n\n"
                    "    p = {k: torch.as_tensor(np.asarray(v)) for k, v in params.items()}\n"
                    "    x, h, c = (torch.as_tensor(a) for a in [x_t, h_prev, c_prev])\n"
                    "    xh = torch.cat([x, h], dim=1)\n"
                    "    gate = {k: xh @ p['W_' + k].T + p['b_' + k] for k in 'fico'}\n"
                    "    s, tanh = torch.sigmoid, torch.tanh\n"
                    "    c_t = s(gate['f']) * c + s(gate['i']) * tanh(gate['c'])\n"
                    "    return s(gate['o']) * tanh(c_t), c_t\n"
                    '    f_t = forget_gate(x_t, h_prev, params["W_f"], params["b_f"])',
                )
            ]
        },
    ),
    "float32": Entry(
        "everything in float32",
        {
            "cell-state": [(CELL, "return (f_t * c_prev + i_t * c_hat_t).astype(np.float32)")],
            "hidden-state": [(HIDDEN, "return (o_t * np.tanh(c_t)).astype(np.float32)")],
        },
    ),
    "python-lists": Entry(
        "gates returned as nested Python lists",
        {"output-gate": [(OUTPUT, "return sigmoid(xh @ W_o.T + b_o).tolist()")]},
    ),
}


def filled(release: nbformat.NotebookNode, entry: Entry) -> nbformat.NotebookNode:
    """The release with every stub replaced by its solution, then ``entry``'s edits made."""
    source_path = ASSIGNMENTS / entry.assignment / "source.ipynb"
    source = {c.id: c for c in nbformat.read(source_path, as_version=4).cells}
    nb = nbformat.from_dict(json.loads(json.dumps(release)))
    for cell in nb.cells:
        if "# YOUR CODE HERE" in cell.source:
            cell.source = MARKER.sub("", source[cell.id].source)
        for old, new in entry.edits.get(cell.id, []):
            if old not in cell.source:
                raise ValueError(f"{old!r} is not in cell {cell.id}")
            cell.source = cell.source.replace(old, new, 1)
    return nb


def entries() -> dict[str, Entry]:
    """Every notebook of the corpus by name, over the three assignments."""
    from diagnosis_corpus_more import MORE

    return {**BUGGY, **MORE, **CORRECT}


def build(releases: dict[str, nbformat.NotebookNode], out: Path) -> dict[str, Entry]:
    """Write every corpus notebook as ``out/<assignment>/<name>.ipynb`` from the release of its
    assignment (``releases``); the entries by name."""
    every = entries()
    for name, entry in every.items():
        folder = out / entry.assignment
        folder.mkdir(parents=True, exist_ok=True)
        nbformat.write(filled(releases[entry.assignment], entry), folder / f"{name}.ipynb")
    return every


@dataclass
class Tally:
    """Over a graded corpus: buggy notebooks whose every lost function got a right hint,
    false hints (a hint on a function that kept its points, or a code not expected there), and
    marks that differ from the expected."""

    buggy: int = 0
    named: int = 0
    false_hints: list[str] = field(default_factory=list)
    wrong_marks: list[str] = field(default_factory=list)
    unnamed: list[str] = field(default_factory=list)


def tally(entries: dict[str, Entry], graded: Path) -> Tally:
    """Compare the graded corpus (``graded/<assignment>/<name>/results.json``) with the
    entries."""
    from grader.assignment import load_config

    result = Tally()
    for name, entry in entries.items():
        tests = json.loads((graded / entry.assignment / name / "results.json").read_text())
        # the graded functions only: a numeric answer ([[answers]]) computed with a wrong
        # function is wrong too, and has no diagnosis
        answers = {a.name for a in load_config(ASSIGNMENTS / entry.assignment).answers}
        tests = [t for t in tests["tests"] if t["name"] not in answers]
        hints = {
            t["name"]: set(re.findall(r"^Hint \[([\w-]+)\]", t["output"], re.M)) for t in tests
        }
        lost = {t["name"] for t in tests if t["score"] < t["max_score"]}
        if lost != set(entry.lost):
            result.wrong_marks.append(f"{name}: lost {sorted(lost)}, expected {sorted(entry.lost)}")
        if entry.lost:
            result.buggy += 1
            missing = [f for f in entry.lost if not hints.get(f, set()) & entry.lost[f]]
            if missing:
                result.unnamed.append(f"{name}: no right hint on {', '.join(missing)}")
            else:
                result.named += 1
        for function, codes in hints.items():
            for code in codes - entry.lost.get(function, set()):
                result.false_hints.append(f"{name}: {function} [{code}]")
    return result
