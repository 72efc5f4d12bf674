"""Every budget of the trusted side counts everything a reply holds, not only its numbers
(issue 35): a dict key of 15 MB, 60,000 empty arrays in one reply, many replies of many small
arrays; and what goes into files is bounded (messages name a few keys, the paste-ready case
is printed whole only when small)."""

from __future__ import annotations

import time

import numpy as np

from grader.engine.gradersandbox import protocol, wire
from grader.engine.run.probes import _outcome, _size
from grader.engine.run.results import RunLimits
from grader.engine.run.steps import Run
from grader.feedback.rerun import rerun
from grader.limits import GRADING, REPLIES
from grader.scoring import CaseResult, FunctionResult
from grader.scoring.returned import describe

EMPTY = wire.Array("d", (0,), b"")
ONE = wire.Array("d", (1,), np.ones(1).tobytes())


def _reply(shape: str, arrays) -> wire.Frame:
    """A probe's reply as it arrives: framed, then read back by the grader's reader."""
    reader = wire.Reader(REPLIES.reply_bytes)
    reader.feed(protocol.frame(protocol.CallValue(shape, arrays, False, [], ([], None))))
    frame = reader.next()
    assert frame is not None
    return frame


def test_a_dict_reply_with_a_huge_key_is_refused_with_its_reason():
    outcome = _outcome(_reply("dict", {"k" * 15_000_000: ONE}), "")
    assert outcome.value is None
    assert outcome.error is not None and len(outcome.error) < 500
    assert "a dict key of 15000000 characters" in outcome.error


def test_a_reply_of_sixty_thousand_empty_arrays_is_refused_with_its_reason():
    outcome = _outcome(_reply("several", [EMPTY] * 60_000), "")
    assert outcome.value is None
    assert f"60000 arrays in one value, more than the {REPLIES.arrays_per_reply}" in (
        outcome.error or ""
    )
    many = _outcome(_reply("dict", {f"k{i}": EMPTY for i in range(60_000)}), "")
    assert many.value is None and "60000 arrays" in (many.error or "")


def test_empty_arrays_count_toward_what_a_run_keeps():
    """Replies of the most arrays a reply may hold, empty: once they pass the run's budget,
    their values are refused."""
    run = Run(RunLimits(), None, time.monotonic(), None)
    try:
        kept = refused = 0
        for _ in range(2 * REPLIES.kept_bytes // (REPLIES.arrays_per_reply * REPLIES.object_bytes)):
            outcome = _outcome(_reply("several", [EMPTY] * REPLIES.arrays_per_reply), "")
            outcome = run.keep(outcome, _size(outcome.value))
            kept += outcome.value is not None
            refused += outcome.value is None
    finally:
        run.close()
    assert kept and refused
    assert kept * REPLIES.arrays_per_reply * REPLIES.object_bytes <= REPLIES.kept_bytes


def test_a_message_names_at_most_a_few_keys_each_cut_short():
    said = describe({f"{'x' * 1000}{i}": 0 for i in range(10_000)})
    assert said.endswith(f"and {10_000 - REPLIES.named_keys} more")
    assert len(said) < (REPLIES.key_chars + 5) * (REPLIES.named_keys + 2)


def _failing(got: object) -> FunctionResult:
    case = CaseResult(
        "case 1", 0.0, 1.0, "wrong", expected=np.zeros(3), got=got, args=(np.ones(3),)
    )
    return FunctionResult("f", 10.0, (case,), parameters=("x",))


def test_the_paste_ready_case_is_printed_whole_only_when_small():
    many = tuple(np.zeros(0) for _ in range(60_000))
    shown = rerun(_failing(many))
    assert shown is not None and not shown.whole
    assert shown.code.count("\n") < GRADING.rerun_lines
    assert len(shown.code.encode()) <= GRADING.rerun_bytes
    assert "more lines, too many to show" in shown.code
    small = rerun(_failing(np.ones(3)))
    assert small is not None and small.whole
