"""One submission's grading step by step (:mod:`grader.grading.steps`,
:mod:`grader.grading.probing`): the notebook read once for the run, the scan and the checks;
diagnosis's extra calls in the engine's probe sessions, a repeated call in the process of the call
before it.

The notebooks here are the tests' own and harmless, so they run in the test process (each in a
real sandboxed kernel), as in engine/run/test_run_submission.py.
"""

from __future__ import annotations

import threading
from dataclasses import replace
from pathlib import Path

import numpy as np
from sandbox_fence import write_notebook

from grader.assignment import load_config
from grader.engine import NoHooks, NotebookFile, ProbeCall, RunLimits, run_submission
from grader.grading.probing import call_in_sessions
from grader.grading.steps import modules_ahead
from grader.scoring.calls import Call

ASSIGNMENTS = Path(__file__).resolve().parents[2] / "assignments"
FAST = RunLimits(cell_timeout=20, notebook_timeout=120, probe_timeout=5)


def test_a_notebook_file_is_read_once_per_version_by_everyone_who_asks(tmp_path):
    path = write_notebook(tmp_path / "nb.ipynb", "x = 1", "# md notes", "def f(x):\n    return x")
    handed_in = NotebookFile(path)
    seen = []
    readers = [threading.Thread(target=lambda: seen.append(handed_in.read())) for _ in range(8)]
    for reader in readers:
        reader.start()
    for reader in readers:
        reader.join()
    assert all(notebook is seen[0] for notebook in seen)
    assert handed_in.code_cells() == [(0, "x = 1"), (2, "def f(x):\n    return x")]

    write_notebook(path, "y = 2")  # the student handed in again: a new version of the file
    assert handed_in.read() is not seen[0]
    assert handed_in.code_cells() == [(0, "y = 2")]
    assert NotebookFile(path).read() is not handed_in.read()  # another owner reads its own


def test_a_repeated_call_runs_in_the_session_of_the_call_before_it(tmp_path):
    notebook = write_notebook(
        tmp_path / "nb.ipynb",
        "import os\nimport numpy as np\ncalls = []",
        "def count(x):\n    calls.append(1)\n    return np.array([float(len(calls)), os.getpid()])",
    )
    args = (np.ones(1),)
    batch = [
        Call("count", args),
        Call("count", args, repeat=True),
        Call("count", args),  # the same arguments, but not a repeat: a fresh process
        Call("count", args, repeat=True),
        Call("count", args, repeat=True),
    ]

    class Diagnose(NoHooks):
        def on_probes_complete(self, probes, open_session):
            self.answers = call_in_sessions(open_session, batch)

    hooks = Diagnose()
    result = run_submission(notebook, [ProbeCall("count", args)], FAST, hooks=hooks)
    assert result.status == "completed", result.reason
    counts = [answer.value[0] for answer in hooks.answers]
    pids = [answer.value[1] for answer in hooks.answers]
    assert counts == [1.0, 2.0, 1.0, 2.0, 3.0]
    assert pids[0] == pids[1] != pids[2] == pids[3] == pids[4]
    assert all(answer.notes is not None and answer.error is None for answer in hooks.answers)


def test_each_graders_warm_process_imports_torch_unless_the_assignment_forbids_it():
    """lstm_gates' notebook runs its LSTM beside torch.nn.LSTM and forbids torch's LSTMs (the
    run-time watch needs torch loaded before any cell); rnn_gradients and lstm_backward forbid
    importing torch: their graders never load it. An assignment that forbids importing torch
    but watches its calls still has it ahead."""
    ahead = {
        name: modules_ahead(load_config(ASSIGNMENTS / name))
        for name in ("lstm_gates", "rnn_gradients", "lstm_backward")
    }
    assert ahead == {"lstm_gates": ("torch",), "rnn_gradients": (), "lstm_backward": ()}
    both = replace(
        load_config(ASSIGNMENTS / "lstm_backward"), forbidden_calls=("torch.nn.LSTMCell",)
    )
    assert modules_ahead(both) == ("torch",)
