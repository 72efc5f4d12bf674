"""Mistakes no catalogue, corpus or hint of the product names (issue 49), written as students
write them into the released notebooks: each checked by the notebook's own self-check in a plain
kernel (the grader not importable, as in Colab) and graded by `grader grade`, and what each tool
says of the function with the bug put side by side.

Each :class:`Mistake` says where the bug is (``home``), the hint codes that name its cause
there (``causes``: none where nothing in the wrong values can show it; "wiring" where the
composite's traced calls show it, issue 66), and every function that
loses points with the codes a hint may carry there; any other code is a false hint. The
assignments' known mistakes must not explain any of them (a test checks that none matches).

Used by tests/scoring/test_uncatalogued_corpus.py and benchmarks/uncatalogued_table.py (which
also runs it on another checkout's code, for the before/after table).
"""

from __future__ import annotations

import json
import re
import subprocess
import sys
from dataclasses import dataclass, field
from pathlib import Path

import nbformat
from diagnosis_corpus import ASSIGNMENTS, Entry, filled
from selfcheck_agreement import FENCE, self_checks

from grader.scoring.shapes import GENERIC_HINTS

# Hints a composite may carry when a part is wrong: the part named, or its fallback.
THROUGH = {"wrong-part", "part-first"}
SEEN = GENERIC_HINTS["looks-further"].split("{", 1)[0]  # "Seen: ", the self-check's own words
CELL = "return f_t * c_prev + i_t * c_hat_t"
OUTPUT = "return sigmoid(xh @ W_o.T + b_o)"
FORGET = "return sigmoid(xh @ W_f.T + b_f)"
LOOP = "for x_t in x:"
BACKWARD_LOOP = "for t in reversed(range(len(x))):"
RNN_DZ = "dz = (dh_seq[t] + dh_next) * (1.0 - h_seq[t] ** 2)"
STEP = "return np.tanh(x_t @ W_xh.T + h_prev @ W_hh.T + b_h)"


@dataclass(frozen=True)
class Mistake:
    """A student's mistake: ``edits`` (cell id -> [(old, new)]) made in the solved release."""

    about: str
    assignment: str
    home: str
    edits: dict[str, list[tuple[str, str]]]
    causes: frozenset[str]
    lost: dict[str, set[str]] = field(default_factory=dict)

    def entry(self, name: str) -> Entry:
        return Entry(name, self.edits, self.lost, assignment=self.assignment)


def _gates(home: str, edits: dict, causes: set[str], about: str) -> Mistake:
    """A mistake of a gates part: the part and lstm_cell, lstm_forward lose points."""
    lost = {home: set(causes), "lstm_cell": THROUGH | causes, "lstm_forward": THROUGH | causes}
    return Mistake(about, "lstm_gates", home, edits, frozenset(causes), lost)


def _forward(edits: dict, causes: set[str], about: str) -> Mistake:
    lost = {"lstm_forward": set(causes)}
    return Mistake(about, "lstm_gates", "lstm_forward", edits, frozenset(causes), lost)


def _rnn(home: str, edits: dict, causes: set[str], about: str, after: tuple[str, ...]) -> Mistake:
    lost = {home: set(causes), **{f: THROUGH | causes for f in after}}
    return Mistake(about, "rnn_gradients", home, edits, frozenset(causes), lost)


def _backward(home: str, edits: dict, causes: set[str], about: str) -> Mistake:
    lost = {home: set(causes)}
    if home == "lstm_step_backward":
        lost["lstm_backward"] = THROUGH | causes
    return Mistake(about, "lstm_backward", home, edits, frozenset(causes), lost)


RNN_AFTER_STEP = ("rnn_forward", "rnn_backward", "gradient_norms")
RNN_AFTER_BACKWARD = ("gradient_norms",)

MISTAKES: dict[str, Mistake] = {
    "clipped-cell-state": _gates(
        "cell_state",
        {"cell-state": [(CELL, "return np.clip(f_t * c_prev + i_t * c_hat_t, -1.0, 1.0)")]},
        {"capped"},
        "C_t clipped to [-1, 1]",
    ),
    "tanh-cell-state": _gates(
        "cell_state",
        {"cell-state": [(CELL, "return np.tanh(f_t * c_prev + i_t * c_hat_t)")]},
        {"capped"},
        "C_t squashed by a tanh the notes do not have",
    ),
    "negated-cell-state": _gates(
        "cell_state",
        {"cell-state": [(CELL, "return -(f_t * c_prev + i_t * c_hat_t)")]},
        {"sign-flipped"},
        "C_t with its sign flipped",
    ),
    "output-gate-untransposed": _gates(
        "output_gate",
        {"output-gate": [(OUTPUT, "return sigmoid(xh @ W_o + b_o)")]},
        {"W-orientation"},
        "W_o not transposed in the output gate (a matmul error)",
    ),
    "forget-gate-doubled-bias": _gates(
        "forget_gate",
        {"forget-gate": [(FORGET, "return sigmoid(xh @ W_f.T + 2 * b_f)")]},
        set(),
        "the forget gate's bias added twice (nothing in the values shows where)",
    ),
    "forward-skips-first-step": _forward(
        {"lstm-forward": [(LOOP, "for x_t in x[1:]:")]},
        {"missing-step"},
        "lstm_forward's loop starts at the second step",
    ),
    "forward-stops-early": _forward(
        {"lstm-forward": [(LOOP, "for t in range(len(x) - 1):\n        x_t = x[t]")]},
        {"missing-step"},
        "lstm_forward's loop stops one step early",
    ),
    "forward-h-from-c": _forward(
        {
            "lstm-forward": [
                (
                    "h_t, c_t = lstm_cell(x_t, h_t, c_t, params)",
                    "h_t, c_t = lstm_cell(x_t, h_t, c_t, params)\n"
                    "        h_seq.append(h_t)\n"
                    "        h_t = np.tanh(c_t)",
                ),
                ("        h_seq.append(h_t)\n        c_seq", "        c_seq"),
            ]
        },
        {"not-carried", "wiring"},  # the traced calls: lstm_cell given tanh(C) as h_prev
        "lstm_forward carries tanh(C_t) as the next h",
    ),
    "rnn-step-untransposed-square": _rnn(
        "rnn_step",
        {"rnn-step": [(STEP, "return np.tanh(x_t @ W_xh + h_prev @ W_hh.T + b_h)")]},
        {"W-orientation"},
        "W_xh not transposed (runs where D == H, a matmul error elsewhere)",
        RNN_AFTER_STEP,
    ),
    "rnn-step-relu-after-tanh": _rnn(
        "rnn_step",
        {
            "rnn-step": [
                (STEP, "return np.maximum(np.tanh(x_t @ W_xh.T + h_prev @ W_hh.T + b_h), 0)")
            ]
        },
        {"relu-cut"},
        "a ReLU after the tanh",
        RNN_AFTER_STEP,
    ),
    "rnn-forward-skips-last": _rnn(
        "rnn_forward",
        {"rnn-forward": [(LOOP, "for x_t in x[:-1]:")]},
        {"missing-step"},
        "rnn_forward's loop misses the last step",
        ("rnn_backward", "gradient_norms"),
    ),
    "rnn-forward-carries-input": _rnn(
        "rnn_forward",
        {
            "rnn-forward": [
                (
                    'h_t = rnn_step(x_t, h_t, params["W_xh"], params["W_hh"], params["b_h"])',
                    'h_t = rnn_step(x_t, h_t, params["W_xh"], params["W_hh"], params["b_h"])\n'
                    "        h_seq.append(h_t)\n"
                    "        h_t = 0.5 * h_t",
                ),
                ("        h_seq.append(h_t)\n    return", "    return"),
            ]
        },
        {"not-carried", "wiring"},  # the traced calls: the state carried halved
        "rnn_forward carries half the state to the next step",
        ("rnn_backward", "gradient_norms"),
    ),
    "rnn-backward-stops-early": _rnn(
        "rnn_backward",
        {"rnn-backward": [(BACKWARD_LOOP, "for t in reversed(range(1, len(x))):")]},
        {"loop-misses-step"},
        "rnn_backward's loop stops before step 0",
        RNN_AFTER_BACKWARD,
    ),
    "rnn-backward-derivative-sign": _rnn(
        "rnn_backward",
        {"rnn-backward": [(RNN_DZ, "dz = (dh_seq[t] + dh_next) * (h_seq[t] ** 2 - 1.0)")]},
        set(),
        "tanh's derivative written h**2 - 1 (the flipped sign compounds over the steps: no"
        " pattern shows it)",
        RNN_AFTER_BACKWARD,
    ),
    "rnn-backward-h-prev-wraps": _rnn(
        "rnn_backward",
        {
            "rnn-backward": [
                ("h_prev = h_seq[t - 1] if t > 0 else h0", "h_prev = h_seq[t - 1]"),
            ]
        },
        {"some-outputs-wrong"},
        "h_prev at step 0 read from h_seq[-1], the last step",
        (),
    ),
    "norms-without-sqrt": _rnn(
        "gradient_norms",
        {
            "gradient-norms": [
                ("return np.sqrt(np.sum(dx**2, axis=(1, 2)))", "return np.sum(dx**2, axis=(1, 2))")
            ]
        },
        {"squared"},
        "the norm without its square root",
        (),
    ),
    "lstm-db-mean": _backward(
        "lstm_step_backward",
        {
            "lstm-step-backward": [
                (
                    'grads["b_" + gate] = dz_gate.sum(axis=0)',
                    'grads["b_" + gate] = dz_gate.mean(axis=0)',
                )
            ]
        },
        {"mean-for-sum"},
        "the biases' gradients averaged over the batch",
    ),
    "lstm-dc-without-o": _backward(
        "lstm_step_backward",
        {
            "lstm-step-backward": [
                (
                    "dc = dc_t + dh_t * o * (1.0 - tanh_c**2)",
                    "dc = dc_t + dh_t * (1.0 - tanh_c**2)",
                )
            ]
        },
        {"some-outputs-wrong"},
        "dC_t through h_t without the output gate",
    ),
    "lstm-do-negated": _backward(
        "lstm_step_backward",
        {"lstm-step-backward": [("do = dh_t * tanh_c", "do = -dh_t * tanh_c")]},
        {"some-outputs-wrong"},
        "the output gate's gradient negated",
    ),
    "lstm-backward-stops-early": _backward(
        "lstm_backward",
        {"lstm-backward": [(BACKWARD_LOOP, "for t in reversed(range(1, len(x))):")]},
        {"loop-misses-step"},
        "lstm_backward's loop stops before step 0",
    ),
    # issue 76: the carried gradient named, not only where the values go wrong
    "lstm-backward-dh-not-passed": _backward(
        "lstm_backward",
        {"lstm-backward": [("dh_seq[t] + dh_next, dc_next", "dh_seq[t], dc_next")]},
        {"wiring"},  # the traced calls: dh_seq[t] alone where the notes add the h_prev sent back
        "lstm_backward drops the gradient sent back to h from the next step",
    ),
    "rnn-backward-carried-clipped": _rnn(
        "rnn_backward",
        {
            "rnn-backward": [
                (
                    'dh_next = dz @ params["W_hh"]',
                    'dh_next = np.clip(dz @ params["W_hh"], -1.0, 1.0)',
                )
            ]
        },
        {"carried-clipped"},
        "rnn_backward clips the gradient it carries back to step t - 1 to [-1, 1] (issue 76)",
        RNN_AFTER_BACKWARD,
    ),
    "lstm-step-split-at-H": _backward(
        "lstm_step_backward",
        {"lstm-step-backward": [("D = x_t.shape[1]", "D = h_prev.shape[1]")]},
        set(),
        "dxh split at H instead of D (a wrong shape where D != H)",
    ),
}


def build(
    releases: dict[str, nbformat.NotebookNode],
    out: Path,
    mistakes: dict[str, Mistake] | None = None,
) -> dict[str, Path]:
    """Each mistake's notebook, ``out/<assignment>/<name>.ipynb``, from the release."""
    paths = {}
    for name, mistake in (mistakes or MISTAKES).items():
        folder = out / mistake.assignment
        folder.mkdir(parents=True, exist_ok=True)
        paths[name] = folder / f"{name}.ipynb"
        nbformat.write(filled(releases[mistake.assignment], mistake.entry(name)), paths[name])
    return paths


def self_checked(paths: dict[str, Path]) -> dict[str, dict[str, str]]:
    """Every notebook's self-check lines by function, in two shared kernels."""
    return dict(zip(paths, self_checks(list(paths.values())), strict=True))


def grade(
    paths: dict[str, Path], out: Path, code: Path, mistakes: dict[str, Mistake] | None = None
) -> Path:
    """Grade every notebook with the grader of the checkout ``code``, one `grader grade` run
    per assignment, behind the pid fence, on one grader (as :func:`selfcheck_agreement.graded`:
    `make test` keeps both cores busy, and a second grader costs CPU; 49 s of CPU for the test
    file on one, 52 s on two)."""
    mistakes = mistakes or MISTAKES
    for assignment in sorted({m.assignment for m in mistakes.values()}):
        notebooks = sorted(str(p) for n, p in paths.items() if mistakes[n].assignment == assignment)
        command = [sys.executable, "-m", "grader.cli", "grade", "--assignment"]
        command += [str(ASSIGNMENTS / assignment), "--out", str(out / assignment), "--seed", "7"]
        command += ["--workers", "1", *notebooks]
        done = subprocess.run(
            [*FENCE, *command], capture_output=True, text=True, cwd=code, check=False
        )
        if done.returncode not in (0, 1):
            raise AssertionError(f"grader grade failed ({done.returncode}):\n{done.stderr[-3000:]}")
    return out


_HINT = re.compile(r"^Hint \[([\w-]+)\]: (.*)$", re.MULTILINE)


@dataclass(frozen=True)
class Told:
    """What both tools told of one mistake."""

    name: str
    self_check: str  # the self-check's hint for the home function ("" when none)
    grader_code: str  # the grader's first hint for it
    grader_words: str
    same_words: bool
    cause_named: bool
    false_hints: tuple[str, ...]  # "function [code]" of every hint not expected there
    named: bool  # the home function loses points in both tools


def _fallback(function: str, mistake: Mistake) -> set[str]:
    """Hints that name no mistake, only what is true of the function with the bug: no pattern,
    its parts right (the composition), which of its values are wrong."""
    if function != mistake.home:
        return set()
    return {"no-pattern", "composition", "some-outputs-wrong"}


def told(
    name: str, lines: dict[str, str], results: Path, mistakes: dict[str, Mistake] | None = None
) -> Told:
    mistake = (mistakes or MISTAKES)[name]
    tests = json.loads(results.read_text())["tests"]
    hints = {t["name"]: _HINT.findall(t["output"]) for t in tests}
    lost = {t["name"] for t in tests if t["score"] < t["max_score"]}
    line = lines.get(mistake.home, "")
    said = line.split(" Hint: ", 1)[1] if " Hint: " in line else ""
    # the self-check's own sentence after a hint that names no cause (what its public cases
    # showed, and that the grader looks further) is no word of a different cause
    alike = said.split(f" {SEEN}", 1)[0]
    code, words = (hints.get(mistake.home) or [("", "")])[0]
    false = tuple(
        f"{function} [{c}]"
        for function, found in hints.items()
        for c, _ in found
        if c not in mistake.lost.get(function, set()) | _fallback(function, mistake)
    )
    return Told(
        name,
        said,
        code,
        words,
        alike == words,
        code in mistake.causes and alike == words,
        false,
        mistake.home in lost and not line.startswith(f"{mistake.home}: PASS"),
    )


def run(work: Path, code: Path, mistakes: dict[str, Mistake] | None = None) -> list[Told]:
    """Build the corpus (``mistakes``, this file's unless given) from ``code``'s release,
    self-check and grade it; what was told."""
    from grader.assignment.releasing import release

    mistakes = mistakes or MISTAKES
    releases = {
        name: nbformat.read(release(ASSIGNMENTS / name, work / "release"), as_version=4)
        for name in sorted({m.assignment for m in mistakes.values()})
    }
    paths = build(releases, work / "corpus", mistakes)
    lines = self_checked(paths)
    (work / "self-check.json").write_text(json.dumps(lines, indent=1))
    graded = grade(paths, work / "graded", code, mistakes)
    return [
        told(
            name,
            lines[name],
            graded / mistakes[name].assignment / name / "results.json",
            mistakes,
        )
        for name in mistakes
    ]


def table(rows: list[Told]) -> str:
    """The Markdown table: mistake, self-check words, grader words, cause named."""
    out = ["| mistake | self-check says | grader says | same words | cause named | false hints |"]
    out.append("|---|---|---|---|---|---|")
    for row in rows:
        grader = f"[{row.grader_code}] {row.grader_words}" if row.grader_code else "(no hint)"
        out.append(
            f"| {row.name} | {row.self_check or '(no hint)'} | {grader} | "
            f"{'yes' if row.same_words else 'no'} | {'yes' if row.cause_named else 'no'} | "
            f"{', '.join(row.false_hints) or '-'} |"
        )
    same = sum(r.same_words for r in rows)
    causes = sum(r.cause_named for r in rows)
    false = sum(bool(r.false_hints) for r in rows)
    out.append(
        f"\n{len(rows)} mistakes: same words {same}, cause named {causes}, "
        f"with a false hint {false}, home named {sum(r.named for r in rows)}"
    )
    return "\n".join(out)
