"""The execution engine: runs a student's notebook behind the sandbox's walls, then calls its
functions on inputs the trusted side sends in.

:func:`run_submission` is the one entry point; :func:`warm_up` may start its warm process
ahead of the first run. A warm process inside the sandbox has imported the runtime once; each
submission is a child forked from it with fresh namespaces and limits of its own, whose cells
run in IPython's own shell (``!shell`` lines, ``%magics``, ``%%cell magics``, display and
errors as in Colab). After the cells, each graded function's calls run in a fresh process
forked from the state the cells left, and the values come back as plain arrays in a bounded
binary format. Nothing is compared or scored in here.

Four rooms, each a package whose ``__init__`` names its modules, each importing only those
below it:

``gradersandbox`` (the inside: the code that runs in the sandbox, standard library only);
``runtime`` (the runtime a notebook runs in, as the sandbox shows it, made once per runtime);
``walls`` (what keeps a submission in: namespaces, cgroups, memory counted without them);
``run`` (one submission's run: the warm process, its steps, its probe calls, its result).
"""

from __future__ import annotations

from grader.engine.run.hooks import NoHooks, OpenSession, RunHooks
from grader.engine.run.notebook import (
    NotANotebook,
    NotebookFile,
    read_code_cells,
    read_notebook_bytes,
    read_student_notebook,
)
from grader.engine.run.results import (
    CellError,
    PhaseTimes,
    ProbeCall,
    ProbeOutcome,
    RunLimits,
    RunResult,
)
from grader.engine.run.submission import (
    check_sandbox,
    fresh_run_problem,
    run_submission,
    warm_up,
)
from grader.engine.walls.bwrap import SandboxUnavailable

__all__ = [
    "CellError",
    "NoHooks",
    "NotANotebook",
    "NotebookFile",
    "OpenSession",
    "PhaseTimes",
    "ProbeCall",
    "ProbeOutcome",
    "RunHooks",
    "RunLimits",
    "RunResult",
    "SandboxUnavailable",
    "check_sandbox",
    "fresh_run_problem",
    "read_code_cells",
    "read_notebook_bytes",
    "read_student_notebook",
    "run_submission",
    "warm_up",
]
