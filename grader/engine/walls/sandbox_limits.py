"""The sandbox's copy of :mod:`grader.limits`: which of its values the sandbox's own code reads,
and the text of ``gradersandbox/limits.py`` that holds them as plain constants (the sandbox
imports only the standard library, from a read-only copy, so it cannot import grader.limits).
``python -m grader.engine.walls.sandbox_limits`` writes it (in a checkout, after editing a limit it
names); tests/test_limits.py fails when it is stale. The engine writes its own copy so that
grader.limits imports nothing of the engine."""

from __future__ import annotations

import sys
from pathlib import Path

from grader.limits import GROUPS

SANDBOX_COPY = Path(__file__).parents[1] / "gradersandbox" / "limits.py"
# Name in the sandbox's copy -> (group, field): every value the sandbox's own code reads.
SANDBOX_NAMES = {
    "WIRE_MAX_DEPTH": ("WIRE", "max_depth"),
    "WIRE_MAX_DIMENSIONS": ("WIRE", "max_dimensions"),
    "WIRE_MAX_ITEMS": ("WIRE", "max_items"),
    "ORDER_BYTES": ("SANDBOX", "order_bytes"),
    "CALL_BYTES": ("SANDBOX", "call_bytes"),
    "ERROR_CHARS": ("SANDBOX", "error_chars"),
    "FORK_ATTEMPTS": ("SANDBOX", "fork_attempts"),
    "SHARED_CELLS_BYTES": ("SANDBOX", "shared_cells_bytes"),
    "REQUEST_BYTES": ("SANDBOX", "request_bytes"),
    "REQUEST_FDS": ("SANDBOX", "request_fds"),
    "USER_NAMESPACES": ("SANDBOX", "user_namespaces"),
    "HUGE_PAGES_FROM_FORK": ("SANDBOX", "huge_pages_from_fork"),
    "TRACE_CALLS": ("SANDBOX", "trace_calls"),
    "FORBIDDEN_MAX_NAMES": ("FORBIDDEN", "max_names"),
    "READ_NUMBERS": ("SANDBOX", "read_numbers"),
    "GPU_PLACES": ("SANDBOX", "gpu_places"),
}


def sandbox_copy_text() -> str:
    """The text of ``gradersandbox/limits.py``: the values above, as plain constants."""
    lines = [
        '"""The sandbox\'s limits, generated from grader.limits by `python -m',
        "grader.engine.walls.sandbox_limits`: do not edit. The sandbox imports only the standard",
        "library, so it reads them here; tests/test_limits.py fails when this copy is not what",
        'grader.engine.walls.sandbox_limits generates."""',
        "",
    ]
    for name, (group, field) in SANDBOX_NAMES.items():
        value = getattr(GROUPS[group], field)
        lines.append(f"{name} = {value!r}  # grader.limits.{group}.{field}")
    return "\n".join(lines) + "\n"


def write_sandbox_copy() -> Path:
    """Write the sandbox's copy (in a checkout, after editing grader.limits); its path."""
    SANDBOX_COPY.write_text(sandbox_copy_text())
    return SANDBOX_COPY


if __name__ == "__main__":
    print(f"wrote {write_sandbox_copy()}", file=sys.stderr)
