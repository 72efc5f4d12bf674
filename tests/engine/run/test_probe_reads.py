"""A reply is taken in one read after one wait (issue 50): the sandbox writes a frame's header
and body together, so the grader reads them together, not the header, a wait, then the body;
a probe call costs the grader one wake-up, not two. The notebook is the test's own and
harmless: it runs in the test process, in a real sandboxed kernel."""

from __future__ import annotations

import numpy as np
from sandbox_fence import write_notebook

from grader.engine import ProbeCall, RunLimits, run_submission
from grader.engine.run.channel import Channel

CALLS = 30


def test_each_probe_reply_costs_the_grader_one_wait(tmp_path, monkeypatch):
    notebook = write_notebook(tmp_path / "nb.ipynb", "def double(x):\n    return 2 * x\n")
    waits = 0
    wait = Channel.wait

    def counted(self, *args, **kwargs):
        nonlocal waits
        waits += 1
        return wait(self, *args, **kwargs)

    monkeypatch.setattr(Channel, "wait", counted)
    calls = [ProbeCall("double", (np.full((2, 3), float(i)),)) for i in range(CALLS)]
    result = run_submission(notebook, calls, RunLimits(cell_timeout=20, notebook_timeout=120))
    assert [p.value.tolist() for p in result.probes] == [[[2.0 * i] * 3] * 2 for i in range(CALLS)]
    # one per reply, and one for the probe process's hello (two each before: header, body)
    assert waits <= CALLS + 2
