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
    calls = 0

    def count(frame, event, arg):
        nonlocal calls
        calls += event == "call"

    sys.setprofile(count)
    try:
        scan(_chain(links))
    finally:
        sys.setprofile(None)
    return calls


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
