"""Run a student's notebook in the sandbox and call its functions: the engine's public API.

The engine itself is :mod:`grader.engine`; this module keeps the names callers import.
"""

from grader.engine import (
    CellError,
    Limits,
    NotANotebook,
    ProbeCall,
    ProbeOutcome,
    RunResult,
    SandboxUnavailable,
    check_sandbox,
    read_code_cells,
    run_submission,
)

__all__ = [
    "CellError",
    "Limits",
    "NotANotebook",
    "ProbeCall",
    "ProbeOutcome",
    "RunResult",
    "SandboxUnavailable",
    "check_sandbox",
    "read_code_cells",
    "run_submission",
]
