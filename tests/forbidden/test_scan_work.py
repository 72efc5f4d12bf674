"""The forbidden-shortcut scan does no work twice that it can keep (issue 50: the scan was most
of what the grader's own process spent on a submission): a class's large grader-owned cell,
read afresh from every notebook, is collected once per process; where a notebook hides code
is looked for only when a graded function has no readable definition, the one use of it."""

from __future__ import annotations

import sys
from collections.abc import Callable

from scan_kit import CONFIG

from grader.forbidden import REVIEW, forbidden_shortcuts

GRADED = "def forget_gate(x_t, h_prev, W_f, b_f):\n    return helper_1(x_t)\n"


def _scan(cells: list[str], graded: list[str]) -> dict[str, list[str]]:
    return forbidden_shortcuts(
        list(enumerate(cells)), graded, CONFIG.forbidden_imports, CONFIG.forbidden_calls
    )


def _calls_of(name: str, work: Callable[[], object]) -> int:
    """How many times ``work`` calls a function called ``name``."""
    calls = 0

    def count(frame, event, arg):
        nonlocal calls
        calls += event == "call" and frame.f_code.co_name == name

    sys.setprofile(count)
    try:
        work()
    finally:
        sys.setprofile(None)
    return calls


def test_a_large_cell_every_notebook_shares_is_collected_once_per_process():
    # Under the cache's size limit as text, over it as a tree (like the self-check cell)
    shared = "".join(f"def helper_{i}(x):\n    return x + {i}\n" for i in range(1500))
    first = _scan([shared, GRADED], ["forget_gate"])
    again = shared.encode().decode()  # the next notebook's copy, read from its own file
    assert again is not shared
    assert _calls_of("_collect", lambda: _scan([again, GRADED], ["forget_gate"])) == 0
    assert _scan([again, GRADED], ["forget_gate"]) == first


def test_hidden_code_is_looked_for_only_for_a_graded_function_no_cell_defines():
    cells = [
        "import numpy as np\nexec('def input_gate(): pass')\n",
        "def helper_1(x):\n    return x\n",
    ]
    defined = cells + [GRADED]
    assert _calls_of("_hidden_code", lambda: _scan(defined, ["forget_gate"])) == 0
    assert _scan(defined, ["forget_gate"]) == {}
    missing = _scan(defined, ["forget_gate", "input_gate"])
    assert missing[REVIEW] == [
        "no cell defines input_gate where the scan can read it, but cell 0, line 2 runs code"
        " made while it runs: review how input_gate is made"
    ]
