"""The run-time record of forbidden shortcuts (issue 17, hole 5's last sentence).

The fenced tests grade hostile notebooks with ``grader grade`` (all of them in one run, kept
for the module): a shortcut the static scan cannot read costs its function the points; a
correct notebook, or one that uses the forbidden class outside graded calls, loses nothing; a
notebook that switches the watch off gets a note for the instructor; a forged record is the
failure of the call it answers. The others check the pieces in this process: the watch
itself, the trusted side's reading of a record, and how the findings are merged.
"""

from __future__ import annotations

import base64
import json
import re
import shutil
import sys
import threading
from pathlib import Path

import pytest
from attack_kit import CALLED_BY_PROBE, FULL, attack, grade, marks

from grader.assignment import load_config
from grader.engine.gradersandbox import wire
from grader.engine.gradersandbox.watch import Watch
from grader.engine.run.probes import _outcome
from grader.engine.run.results import ProbeOutcome
from grader.errors import UserError
from grader.forbidden import REVIEW
from grader.forbidden.runtime import with_runtime

ASSIGNMENT = Path(__file__).resolve().parents[2] / "assignments" / "lstm_gates"
WATCHED = ("torch.nn.LSTM", "torch.nn.LSTMCell", "nn.LSTM", "nn.LSTMCell")
RUNTIME = "seen at run time during the call of"

# lstm_cell by torch's LSTMCell, its name spelt in hex: right values, and no name the scan reads.
HIDDEN_CELL = """\
import torch


def lstm_cell(x_t, h_prev, c_prev, params):
    D = x_t.shape[1]
    gates = "ifco"
    cell = getattr(torch.nn, bytes.fromhex("4c53544d43656c6c").decode())(D, h_prev.shape[1])
    cell = cell.double()
    with torch.no_grad():
        weights = [params["W_" + g] for g in gates]
        cell.weight_ih.copy_(torch.from_numpy(np.concatenate([w[:, :D] for w in weights])))
        cell.weight_hh.copy_(torch.from_numpy(np.concatenate([w[:, D:] for w in weights])))
        cell.bias_ih.copy_(torch.from_numpy(np.concatenate([params["b_" + g] for g in gates])))
        cell.bias_hh.zero_()
        h_t, c_t = cell(torch.from_numpy(x_t), (torch.from_numpy(h_prev), torch.from_numpy(c_prev)))
    return h_t.numpy(), c_t.numpy()
"""
# The same, by the real class kept before its name was rebound to a class that is not it.
REBOUND_CELL = (
    "import torch\n\n"
    'name = bytes.fromhex("4c53544d43656c6c").decode()\n'
    "kept = getattr(torch.nn, name)\n"
    "setattr(torch.nn, name, type(name, (), {}))\n\n\n"
) + HIDDEN_CELL.replace('getattr(torch.nn, bytes.fromhex("4c53544d43656c6c").decode())', "kept")
# The same, written plainly: the scan names it (with its line), the record adds nothing.
PLAIN_CELL = HIDDEN_CELL.replace(
    'getattr(torch.nn, bytes.fromhex("4c53544d43656c6c").decode())', "torch.nn.LSTMCell"
)
# lstm_forward by torch.nn.LSTMs made in a cell (one per size of the hidden cases), by code the
# scan sees only as base64 text: the graded call only sets their weights and calls them.
MADE_BY_EXEC = base64.b64encode(
    b"import torch\nmaker = getattr(torch.nn, 'LST' + 'M')\n"
    b"made = {(D, H): maker(D, H).double() for D, H in [(3, 2), (5, 3), (8, 6), (4, 10)]}\n"
    b"def step_by_torch(x, h0, c0, params):\n"
    b"    D, H = x.shape[2], h0.shape[1]\n"
    b"    lstm = made[D, H]\n"
    b"    with torch.no_grad():\n"
    b"        for part, cut in (('ih', slice(None, D)), ('hh', slice(D, None))):\n"
    b"            stacked = np.concatenate([params['W_' + g][:, cut] for g in 'ifco'])\n"
    b"            getattr(lstm, 'weight_' + part + '_l0').copy_(torch.from_numpy(stacked))\n"
    b"        biases = np.concatenate([params['b_' + g] for g in 'ifco'])\n"
    b"        lstm.bias_ih_l0.copy_(torch.from_numpy(biases))\n"
    b"        lstm.bias_hh_l0.zero_()\n"
    b"    return lstm\n"
).decode()
HIDDEN_FORWARD = f"""\
import base64

exec(base64.b64decode("{MADE_BY_EXEC}").decode())


def lstm_forward(x, h0, c0, params):
    lstm = step_by_torch(x, h0, c0, params)
    h, c = torch.from_numpy(h0)[None], torch.from_numpy(c0)[None]
    h_seq, c_seq = [], []
    with torch.no_grad():
        for x_t in x:
            _, (h, c) = lstm(torch.from_numpy(x_t)[None], (h, c))
            h_seq.append(h[0].numpy())
            c_seq.append(c[0].numpy())
    return np.stack(h_seq), np.stack(c_seq)
"""
# Every forbidden class, made and used in cells: none of it during a graded call.
OUTSIDE = """\
import torch

cell = torch.nn.LSTMCell(3, 2)
h, c = cell(torch.zeros(1, 3))
print("outside:", tuple(h.shape), type(torch.nn.LSTM(3, 2)).__name__)
check("lstm_cell")
"""
REMOVES = """\
import sys


def hidden_state(o_t, c_t):
    sys.setprofile(None)
    return o_t * np.tanh(c_t)
"""
REPLACES = """\
import sys


def cell_state(c_prev, f_t, i_t, c_hat_t):
    sys.setprofile(lambda frame, event, arg: None)
    return f_t * c_prev + i_t * c_hat_t
"""
# A reply forged with the probe's own wire module, claiming a use the grader never asked for.
FORGED = f"""\
import sys


def output_gate(x_t, h_prev, W_o, b_o):
    if {CALLED_BY_PROBE}:
        w = next(m for n, m in sys.modules.items() if n.endswith("gradersandbox.wire"))
        value = w.Array("d", (1,), bytes(8))
        record = ([("calls", "os.system"), ("steals", "torch.nn.LSTM")], None)
        for fd in range(3, 64):
            try:
                w.write_all(fd, w.frame(ord("v"), ("one", value, False, [], record)))
            except OSError:
                pass
    return sigmoid(np.concatenate([x_t, h_prev], axis=1) @ W_o.T + b_o)
"""


@pytest.fixture(scope="module")
def graded(tmp_path_factory):
    """Every notebook below graded in one ``grader grade`` run."""
    tmp_path = tmp_path_factory.mktemp("runtime")
    folder = tmp_path / "in"
    notebooks = [
        attack(folder / "hidden.ipynb", {"lstm_cell": HIDDEN_CELL, "lstm_forward": HIDDEN_FORWARD}),
        attack(folder / "clean.ipynb", append=(OUTSIDE,)),
        attack(folder / "unwatched.ipynb", {"hidden_state": REMOVES, "cell_state": REPLACES}),
        attack(folder / "forged.ipynb", {"output_gate": FORGED}),
        attack(folder / "rebound.ipynb", {"lstm_cell": REBOUND_CELL}),
        attack(folder / "plain.ipynb", {"lstm_cell": PLAIN_CELL}),
    ]
    return grade(tmp_path, *notebooks)


def outputs(graded: dict) -> dict[str, str]:
    return {test["name"]: test["output"] for test in graded["results"]["tests"]}


@pytest.mark.slow
def test_a_shortcut_hidden_from_the_scan_is_seen_when_the_graded_call_makes_it(graded):
    hidden = graded["hidden"]
    assert hidden["row"]["status"] == "graded"
    got = marks(hidden)
    assert got["lstm_cell"] == 0 and got["lstm_forward"] == 0
    rest = {k: v for k, v in FULL.items() if k not in ("lstm_cell", "lstm_forward")}
    assert {k: got[k] for k in rest} == rest
    said = outputs(hidden)
    assert (
        "Forbidden shortcut: constructs and calls torch.nn.LSTMCell: seen at run time during "
        "the call of lstm_cell" in said["lstm_cell"]
    )
    # The LSTM was made in a cell: the graded call only called it.
    assert (
        "Forbidden shortcut: calls torch.nn.LSTM: seen at run time during the call of "
        "lstm_forward" in said["lstm_forward"]
    )
    assert "constructs and calls torch.nn.LSTM:" not in said["lstm_forward"]
    # The values were right: only the record took the points.
    assert said["lstm_cell"].endswith(": passed") and said["lstm_forward"].endswith(": passed")
    # The scan could not read either name, so it sent them for review and found no use.
    summary = hidden["results"]["output"]
    assert "For the instructor to review" in summary
    assert "inside lstm_cell (cell" not in said["lstm_cell"]


@pytest.mark.slow
def test_rebinding_the_forbidden_name_does_not_hide_the_class_it_named(graded):
    rebound = graded["rebound"]
    got = marks(rebound)
    assert got["lstm_cell"] == 0 and got["lstm_forward"] == 0 and got["cell_state"] == 15
    assert f"constructs and calls torch.nn.LSTMCell: {RUNTIME} lstm_cell" in json.dumps(
        rebound["results"]
    )


@pytest.mark.slow
def test_a_shortcut_the_scan_names_is_reported_once_with_its_line(graded):
    said = outputs(graded["plain"])
    assert marks(graded["plain"])["lstm_cell"] == 0
    assert "Forbidden shortcut: calls torch.nn.LSTMCell" in said["lstm_cell"]
    assert "(cell " in said["lstm_cell"] and "line " in said["lstm_cell"]
    assert RUNTIME not in said["lstm_cell"] and RUNTIME not in said["lstm_forward"]
    assert said["lstm_cell"].count("Forbidden shortcut") == 1


@pytest.mark.slow
def test_a_correct_notebook_and_uses_outside_graded_calls_cost_nothing(graded):
    clean = graded["clean"]
    assert "outside: (1, 2) LSTM" in clean["feedback"]
    assert marks(clean) == FULL
    text = json.dumps(clean["results"])
    assert RUNTIME not in text and "run-time watch" not in text


@pytest.mark.slow
def test_switching_the_watch_off_is_a_note_for_the_instructor_and_costs_nothing(graded):
    unwatched = graded["unwatched"]
    assert marks(unwatched) == FULL
    summary = unwatched["results"]["output"]
    assert (
        "For the instructor to review: the call of hidden_state removed the grader's run-time "
        "watch for forbidden shortcuts" in summary
    )
    assert "the call of cell_state replaced the grader's run-time watch" in summary
    # lstm_cell calls both (cell_state first), lstm_forward calls lstm_cell: each function
    # is named once, not once per case, and the others are not named.
    assert "the call of lstm_cell removed" in summary and "lstm_forward removed" in summary
    assert summary.count("run-time watch") == 4


@pytest.mark.slow
def test_a_forged_record_is_the_failure_of_the_call_it_answers(graded):
    forged = graded["forged"]
    assert forged["row"]["status"] == "graded"
    got = marks(forged)
    assert got["output_gate"] < FULL["output_gate"]
    assert {k: v for k, v in got.items() if k != "output_gate"} == {
        k: v for k, v in FULL.items() if k != "output_gate"
    }
    said = outputs(forged)["output_gate"]
    assert "could not be read back (a reply of the wrong structure)" in said
    assert "os.system" not in json.dumps(forged["results"])


# --- the pieces, in this process -----------------------------------------------------------


def watched(call, names=WATCHED) -> Watch:
    watch = Watch(names)
    watch.start()
    try:
        call()
    finally:
        watch.stop()
    return watch


def test_the_watch_sees_a_class_made_or_used_through_any_name():
    torch = pytest.importorskip("torch")
    made = torch.nn.LSTMCell(3, 2)

    def by_hex_name():
        return getattr(torch.nn, bytes.fromhex("4c53544d43656c6c").decode())(3, 2)

    def subclass():
        class Mine(torch.nn.LSTMCell):
            pass

        return Mine(3, 2)

    def in_a_thread():
        thread = threading.Thread(target=lambda: torch.nn.LSTM(2, 2))
        thread.start()
        thread.join()

    cell, used = ("constructs", "torch.nn.LSTMCell"), ("calls", "torch.nn.LSTMCell")
    assert watched(by_hex_name).record() == ([cell], None)
    assert watched(subclass).record() == ([cell], None)
    assert watched(lambda: made(torch.zeros(1, 3))).record() == ([used], None)
    assert watched(in_a_thread).record() == ([("constructs", "torch.nn.LSTM")], None)
    assert watched(lambda: torch.zeros(3).tanh()).record() == ([], None)
    # A builtin is seen through its alias; a name whose module is not loaded is not imported.
    alias = len
    assert watched(lambda: alias([1]), ("builtins.len",)).record() == (
        [("calls", "builtins.len")],
        None,
    )
    assert "this" not in sys.modules
    assert watched(lambda: None, ("this.s",)).record() == ([], None)
    assert "this" not in sys.modules


def test_the_watch_says_how_it_was_lost_and_leaves_no_profiler_behind():
    pytest.importorskip("torch")
    assert watched(lambda: sys.setprofile(None)).record() == ([], "removed")
    assert watched(lambda: sys.setprofile(lambda *a: None)).record() == ([], "replaced")

    def off_and_on():
        hook = sys.getprofile()
        sys.setprofile(None)
        sys.setprofile(hook)

    assert watched(off_and_on).record() == ([], "changed")
    assert sys.getprofile() is None


def read(record, kind="v") -> ProbeOutcome:
    reader = wire.Reader(1 << 20)
    value = ("one", wire.Array("d", (1,), bytes(8)), False, [], record)
    reader.feed(wire.frame(ord(kind), ("ValueError: no", record) if kind == "e" else value))
    return _outcome(reader.next(), "", WATCHED)


def test_the_trusted_side_reads_a_record_as_checked_data():
    fine = read(([("constructs", "torch.nn.LSTMCell"), ("calls", "torch.nn.LSTMCell")], None))
    assert fine.error is None
    assert fine.forbidden_seen == (
        ("constructs", "torch.nn.LSTMCell"),
        ("calls", "torch.nn.LSTMCell"),
    )
    failed = read(([("calls", "torch.nn.LSTM")], "removed"), kind="e")
    assert failed.error == "ValueError: no" and failed.watch_lost == "removed"
    assert failed.forbidden_seen == (("calls", "torch.nn.LSTM"),)
    wrong = [
        ([("calls", "os.system")], None),  # a name the grader did not ask for
        ([("steals", "torch.nn.LSTM")], None),
        ([("calls", "torch.nn.LSTM")] * 2, None),
        ([("calls", "torch.nn.LSTM", "x")], None),
        ([["calls", "torch.nn.LSTM"]], None),
        ([], "gone"),
        ([], None, None),
        [[], None],
        None,
        ([("calls", name) for name in WATCHED for _ in range(3)], None),
    ]
    for record in wrong:
        outcome = read(record)
        assert outcome.value is None, record
        assert "a reply of the wrong structure" in outcome.error
        assert outcome.forbidden_seen == () and outcome.watch_lost is None


def test_a_run_time_use_costs_the_function_once_and_a_lost_watch_is_reviewed():
    static = {
        "lstm_cell": ["calls torch.nn.LSTMCell inside lstm_cell (cell 7, line 2)"],
        REVIEW: ["something else; review it by hand"],
    }
    cell = ("constructs", "torch.nn.LSTMCell"), ("calls", "torch.nn.LSTMCell")
    outcomes = {
        "lstm_cell": [ProbeOutcome(None, None, forbidden_seen=cell)] * 2,
        "lstm_forward": [
            ProbeOutcome(None, None, forbidden_seen=(("calls", "torch.nn.LSTMCell"),)),
            ProbeOutcome(None, None, forbidden_seen=(("calls", "torch.nn.LSTM"),)),
        ],
        "hidden_state": [ProbeOutcome(None, None, watch_lost="removed")] * 4,
        "cell_state": [ProbeOutcome(None, None)],
    }
    found = with_runtime(static, outcomes)
    assert found["lstm_cell"] == static["lstm_cell"]  # the scan's message, naming the line
    assert found["lstm_forward"] == [
        f"calls torch.nn.LSTMCell: {RUNTIME} lstm_forward",
        f"calls torch.nn.LSTM: {RUNTIME} lstm_forward",
    ]
    assert "cell_state" not in found and "hidden_state" not in found
    assert found[REVIEW][0] == "something else; review it by hand"
    assert len(found[REVIEW]) == 2 and "the call of hidden_state removed" in found[REVIEW][1]
    # A scan finding of a longer name does not stand for this one.
    longer = {"lstm_forward": ["calls torch.nn.LSTMCell inside lstm_forward (cell 8, line 3)"]}
    only_lstm = {
        "lstm_forward": [ProbeOutcome(None, None, forbidden_seen=(("calls", "torch.nn.LSTM"),))]
    }
    assert with_runtime(longer, only_lstm)["lstm_forward"][1] == (
        f"calls torch.nn.LSTM: {RUNTIME} lstm_forward"
    )
    assert static["lstm_cell"] == ["calls torch.nn.LSTMCell inside lstm_cell (cell 7, line 2)"]
    assert len(static[REVIEW]) == 1


@pytest.mark.parametrize(
    "calls, said",
    [
        ('["torch.nn.LSTM Cell"]', "'torch.nn.LSTM Cell' is not a dotted name"),
        ('["torch..LSTM"]', "'torch..LSTM' is not a dotted name"),
        (str([f"m.f{n}" for n in range(65)]).replace("'", '"'), "lists 65 names; at most 64"),
    ],
)
def test_a_forbidden_name_the_probes_cannot_look_up_is_a_clear_error(tmp_path, calls, said):
    folder = tmp_path / "lstm_gates"
    shutil.copytree(ASSIGNMENT, folder)
    toml = folder / "assignment.toml"
    text = toml.read_text()
    toml.write_text(
        text.replace(
            text[text.index("calls = [", text.index("[forbidden]")) :], f"calls = {calls}\n"
        )
    )
    with pytest.raises(UserError, match=re.escape(said)) as error:
        load_config(folder)
    assert "forbidden.calls" in str(error.value) and "assignment.toml" in str(error.value)
