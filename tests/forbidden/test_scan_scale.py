"""The forbidden-shortcut scan is linear in a cell's size, and its time is charged to a limit
(issue 35): a chain of 29,000 attribute accesses in one cell took 108 s, unbounded."""

from __future__ import annotations

import dataclasses
import sys

from scan_kit import scan

from grader.forbidden import REVIEW, reach
from grader.limits import FORBIDDEN


def _chain(links: int) -> str:
    header = "import numpy as np\ndef forget_gate(x_t, h_prev, W_f, b_f):\n"
    return f"{header}    return np{'.T' * links}\n"


def _steps(links: int) -> int:
    """Python function calls the scan of a chain of ``links`` makes: a measure of its work
    that a busy machine does not change."""
    return _calls(_chain(links))


def test_the_scan_of_a_long_attribute_chain_is_linear():
    small, twice = _steps(1000), _steps(2000)
    assert twice < 2.5 * small  # a quadratic scan makes four times the calls


def test_a_chain_of_29000_attributes_is_scanned_or_sent_for_review():
    found = scan(_chain(29_000))
    assert set(found) <= {REVIEW}
    for note in found.get(REVIEW, []):
        assert "review it by hand" in note


def test_a_scan_past_its_time_is_sent_for_review(monkeypatch):
    monkeypatch.setattr(reach, "FORBIDDEN", dataclasses.replace(FORBIDDEN, reach_s=-1.0))
    found = scan(_chain(10))
    assert (
        "the scan of forget_gate ran past -1 s, so it could not look at all forget_gate"
        " reaches; review it by hand"
    ) in found[REVIEW]


# Issue 51: one local name rebound 4,000 times (a 56 KB helper that never runs) took 41-79 s,
# the scan quadratic in the rebindings; a name's values are now merged once per scope.


def _rebound(times: int, line: str = "x = x + 1") -> str:
    body = f"    {line}\n" * times
    return (
        "import numpy as np\n"
        f"def helper(x):\n{body}    return x\n"
        "def forget_gate(x_t, h_prev, W_f, b_f):\n    return helper(x_t)\n"
    )


def _calls(code: str) -> int:
    """Python function calls the scan of ``code`` makes."""
    calls = 0

    def count(frame, event, arg):
        nonlocal calls
        calls += event == "call"

    sys.setprofile(count)
    try:
        scan(code)
    finally:
        sys.setprofile(None)
    return calls


def test_the_scan_of_a_name_rebound_thousands_of_times_is_linear():
    small, twice = _calls(_rebound(1000)), _calls(_rebound(2000))
    assert twice < 2.5 * small  # a quadratic scan makes four times the calls


def test_a_name_rebound_4000_times_is_scanned_and_found_clean():
    assert scan(_rebound(4000)) == {}
    assert scan(_rebound(4000, "x = x.T")) == {}  # was "nested too deeply to scan"


def test_a_forbidden_call_through_a_name_rebound_from_itself_is_found():
    found = scan(
        "import torch\n"
        "def forget_gate(x_t, h_prev, W_f, b_f):\n"
        "    x = torch\n" + "    x = x + 1\n" * 4000 + "    x = x.nn\n    x = x.LSTMCell\n"
        "    return x(3, 4)\n"
    )
    assert any(use.startswith("calls torch.nn.LSTMCell") for use in found["forget_gate"])


def test_a_name_made_from_itself_in_too_many_ways_is_sent_for_review():
    found = scan(
        "import torch\n"
        "def forget_gate(x_t, h_prev, W_f, b_f):\n"
        "    x = torch\n    x = x.a\n    x = x.b\n    return x\n"  # 2 ** parts paths
    )
    assert found == {
        REVIEW: [
            "forget_gate gives x values made from x itself in more ways than the scan follows,"
            " so it cannot tell all that it names; review it by hand"
        ]
    }


def test_a_megabyte_cell_of_pasted_data_is_scanned():
    data = "data = [" + ", ".join(f"{i / 7:.6f}" for i in range(110_000)) + "]\n"
    found = scan(
        "import torch\n" + data + "def forget_gate(x_t, h_prev, W_f, b_f):\n"
        "    return torch.nn.LSTMCell(3, 4)(x_t) + data[0]\n"
    )
    assert found["forget_gate"] == ["calls torch.nn.LSTMCell inside forget_gate (cell 0, line 4)"]
