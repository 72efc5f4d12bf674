"""The third red team's attacks on the warm process (issue 25), each through ``grader grade``
with one worker in the second fence, and each followed by the honest sample on the same warm
process, which must keep full marks.

Attack notebooks are named ``a-...`` and the honest one ``z-honest``; with one worker they are
graded in the order given, the honest one last.
"""

from __future__ import annotations

import json
import re
import shutil
import time
from pathlib import Path

import numpy as np
import pytest
from attack_kit import CALLED_BY_PROBE, FULL, SAMPLE, attack, grade, marks

from grader.engine.gradersandbox import protocol, seal, wire
from grader.engine.run.cell_reply import cell_reply
from grader.engine.run.channel import Channel
from grader.engine.run.probes import _outcome
from grader.engine.run.transcript import Transcript
from grader.limits import REPLIES

pytestmark = [
    pytest.mark.slow,
    pytest.mark.skipif(not seal.FILTERS_CALLS, reason="the call filters are for x86-64"),
]
ONE_WORKER = ("--workers", "1")


def graded_after(tmp_path: Path, *attacks: Path, timeout: float = 900) -> dict[str, dict]:
    """Grade ``attacks`` then the honest sample on one warm process; the honest one must keep
    full marks."""
    honest = tmp_path / "in" / "z-honest.ipynb"
    shutil.copy(SAMPLE, honest)
    graded = grade(tmp_path, *attacks, honest, options=ONE_WORKER, timeout=timeout)
    assert marks(graded["z-honest"]) == FULL
    assert graded["z-honest"]["results"]["score"] == 100
    return graded


def said(graded: dict, pattern: str) -> list[str]:
    return re.findall(pattern, graded["feedback"])


def lstm_forward(before: str = "", each_step: str = "", after: str = "") -> str:
    """The sample's lstm_forward with lines (indented as they go) before its loop, at each
    step, and before it returns ``result``."""
    return f"""
def lstm_forward(x, h0, c0, params):
{before}
    h_t, c_t, h_seq, c_seq = h0, c0, [], []
    for x_t in x:
{each_step}
        h_t, c_t = lstm_cell(x_t, h_t, c_t, params)
        h_seq.append(h_t)
        c_seq.append(c_t)
    result = np.stack(h_seq), np.stack(c_seq)
{after}
    return result
"""


# Hole 1: the kernel's keyrings. A cell looks for a key an earlier submission planted, then
# plants one in the user's keyring and its session's; graded twice.
KEYS = r"""
import ctypes, os
libc = ctypes.CDLL(None, use_errno=True)
def key_call(number, *args):
    result = libc.syscall(number, *args)
    return result if result >= 0 else os.strerror(ctypes.get_errno())
for keyring in (-4, -3):  # KEY_SPEC_USER_KEYRING, KEY_SPEC_SESSION_KEYRING
    print('keys: found', key_call(250, 10, keyring, b'user', b'red-team-3', 0))  # KEYCTL_SEARCH
    print('keys: added', key_call(248, b'user', b'red-team-3', b'planted', 7, keyring))
print('keys: user keyring', key_call(250, 0, -4, 0))  # KEYCTL_GET_KEYRING_ID
"""


def test_no_kernel_key_can_be_read_or_left_for_the_next_submission(tmp_path):
    first = attack(tmp_path / "in" / "a-keys-1.ipynb", append=(KEYS,))
    second = attack(tmp_path / "in" / "a-keys-2.ipynb", append=(KEYS,))
    graded = graded_after(tmp_path, first, second)
    for student in ("a-keys-1", "a-keys-2"):
        seen = said(graded[student], r"keys: (\w+(?: keyring)?) ([^\n<]+)")
        assert len(seen) == 5, seen
        assert {outcome for _, outcome in seen} == {"Operation not permitted"}, seen
        assert marks(graded[student]) == FULL


# Hole 2: what the next submission sees of the network. The first leaves a connection in
# TIME_WAIT on the loopback; each looks for connections it did not make.
NETWORK = r"""
import socket
def connections():
    tables = [open(f'/proc/net/{name}').read().splitlines()[1:] for name in ('tcp', 'tcp6')]
    return sum(map(len, tables))
print('network: found', connections(), 'connections')
server = socket.socket()
server.bind(('127.0.0.1', 0))
server.listen()
client = socket.create_connection(server.getsockname())
peer, _ = server.accept()
client.close()  # the side that closes first keeps the TIME_WAIT
peer.close()
server.close()
"""


def test_the_next_submission_sees_no_connection_of_the_previous_one(tmp_path):
    first = attack(tmp_path / "in" / "a-network-1.ipynb", append=(NETWORK,))
    second = attack(tmp_path / "in" / "a-network-2.ipynb", append=(NETWORK,))
    graded = graded_after(tmp_path, first, second)
    for student in ("a-network-1", "a-network-2"):
        assert said(graded[student], r"network: found (\d+) connections") == ["0"]
        assert marks(graded[student]) == FULL


# Hole 3: lstm_forward's call before its largest (T=8, about 7 KB of arguments) shrinks its
# request pipe to 4096 bytes, answers the call itself, then stops its own process: the next
# request cannot be written whole.
STALL = "import fcntl, os, signal, sys\n" + lstm_forward(
    before="    frame = sys._getframe(1)",
    after="""\
    if frame.f_code.co_name == '_call' and len(x) == 5:
        serve = frame.f_back
        down, up, probe = serve.f_locals['down'], serve.f_locals['up'], frame.f_globals
        fcntl.fcntl(down, 1031, 4096)  # F_SETPIPE_SZ
        reply = probe['_encode_result'](result, 1 << 22) + ([], ([], None))
        probe['wire'].send(up, 'v', reply)
        os.kill(os.getpid(), signal.SIGSTOP)""",
)


def test_a_probe_that_stops_reading_costs_only_its_own_cases(tmp_path):
    stalls = attack(tmp_path / "in" / "a-stall.ipynb", {"lstm_forward": STALL})
    graded = graded_after(tmp_path, stalls, timeout=400)["a-stall"]
    got = marks(graded)
    assert {name: got[name] for name in FULL if name != "lstm_forward"} == {
        name: points for name, points in FULL.items() if name != "lstm_forward"
    }
    assert got["lstm_forward"] < FULL["lstm_forward"]


# Hole 4: an honest lstm_forward that prints a lot at every step.
CHATTY = lstm_forward(each_step="        print('step', x_t.shape, '.' * 20000)")


def test_a_function_that_prints_much_keeps_its_marks(tmp_path):
    chatty = attack(tmp_path / "in" / "a-chatty.ipynb", {"lstm_forward": CHATTY})
    graded = graded_after(tmp_path, chatty)["a-chatty"]
    assert marks(graded) == FULL
    assert "timed out" not in json.dumps(graded["results"])


# Hole 5: a forged reply whose `mutated` index is far out of range, and a cell raising a huge
# message.
FORGED = """
import os, sys
def forget_gate(x_t, h_prev, W_f, b_f):
    frame = sys._getframe(1)
    if frame.f_code.co_name == '_call':
        up, probe = frame.f_back.f_locals['up'], frame.f_globals
        reply = probe['_encode_result'](np.zeros((len(x_t), len(b_f))), 1 << 22)
        probe['wire'].send(up, 'v', reply + ([-1000, 7, 7], ([], None)))
        os._exit(0)
    return sigmoid(np.concatenate([x_t, h_prev], axis=1) @ W_f.T + b_f)
"""
HUGE_ERROR = "raise ValueError('x' * 15_000_000)"


def test_forged_indices_and_huge_messages_cost_only_what_they_touch(tmp_path):
    forged = attack(tmp_path / "in" / "a-forged.ipynb", {"forget_gate": FORGED}, (HUGE_ERROR,))
    graded = graded_after(tmp_path, forged)["a-forged"]
    assert graded["results"]["extra_data"]["status"] == "graded"
    got = marks(graded)
    assert got["forget_gate"] == 0
    assert {name: got[name] for name in FULL if name != "forget_gate"} == {
        name: points for name, points in FULL.items() if name != "forget_gate"
    }
    assert "x" * 501 not in json.dumps(graded["results"])


def test_the_trusted_side_cuts_and_caps_what_it_decodes():
    """At the decode boundary: a cell's error is cut before it is kept, an array is capped as
    float64 (bools would grow eightfold), an index must name an argument of the call, a frame
    of many tiny items is refused before they are made."""
    message = "x" * 15_000_000
    reply = cell_reply(("d", (3, "E" * 10**6, message, -5, [], -1)), 3)
    assert reply is not None
    ename, evalue, dropped, line = reply.ename, reply.evalue, reply.dropped, reply.line
    assert len(evalue) == 500 and len(ename) <= 100 and dropped == 0 and line is None
    bools = wire.Array("?", (REPLIES.result_bytes // 8 + 1,), bytes(REPLIES.result_bytes // 8 + 1))
    refused = _outcome(("v", ("one", bools, False, [], ([], None))), "", (), 1)
    assert refused.value is None and "more than" in refused.error
    kept = wire.Array("?", (REPLIES.result_bytes // 8,), bytes(REPLIES.result_bytes // 8))
    assert _outcome(("v", ("one", kept, False, [0], ([], None))), "", (), 1).error is None
    for mutated in ([-1000], [1], [0, 0], [[0]]):
        bad = _outcome(("v", ("one", kept, False, mutated, ([], None))), "", (), 1)
        assert bad.value is None and "wrong structure" in bad.error
    assert np.all(_outcome(("v", ("one", kept, False, [], ([], None))), "", (), 1).value == 0)
    with pytest.raises(wire.WireError, match="items in one frame"):  # 70 KB: a byte a None
        wire.decode(wire.encode([None] * 70_000))


# Hole 6: torch.nn.LSTMCell found without its name, then the run-time record silenced; and
# the kernels LSTMCell runs, called directly.
FIND_CELL = """
def lstm_cell(x_t, h_prev, c_prev, params):
    import sys, torch
    D, H = x_t.shape[1], h_prev.shape[1]
    w_ih = torch.from_numpy(np.concatenate([params['W_' + g][:, :D] for g in 'ifco']))
    w_hh = torch.from_numpy(np.concatenate([params['W_' + g][:, D:] for g in 'ifco']))
    b_ih = torch.from_numpy(np.concatenate([params['b_' + g] for g in 'ifco']))
    b_hh = torch.zeros_like(b_ih)
    x, state = torch.from_numpy(x_t), (torch.from_numpy(h_prev), torch.from_numpy(c_prev))
    with torch.no_grad():
        {call}
    return h.numpy(), c.numpy()
"""
FOUND = (
    "cell = [c for c in torch.nn.RNNCellBase.__subclasses__() if c.__name__ == 'LSTM' + 'Cell'][0]"
)
LOADED = (  # no name computed at run time: that alone is sent for review
    "layer = layer.double()\n"
    "        layer.weight_ih.copy_(w_ih)\n"
    "        layer.weight_hh.copy_(w_hh)\n"
    "        layer.bias_ih.copy_(b_ih)\n"
    "        layer.bias_hh.copy_(b_hh)"
)
MADE = f"{FOUND}\n        layer = cell(D, H)\n        {LOADED}\n        h, c = layer(x, state)"
SILENCERS = {  # label: (the call in lstm_cell, a top-level cell)
    "frames": (
        f"{MADE}\n        watching = sys._getframe(1).f_locals.get('watching')\n"
        "        if watching is not None: watching.seen.clear()",
        "",
    ),
    "modules": (
        MADE,
        "import sys\n"
        "for module in list(sys.modules.values()):\n"
        "    try:\n"
        "        if hasattr(module, 'Watch') and hasattr(module, 'remember'):\n"
        "            module.Watch.start = lambda self: None\n"
        "    except Exception:\n"
        "        pass",
    ),
    "fork hook": (
        MADE,
        "import os, sys\n"
        "def _quiet():\n"
        "    for module in list(sys.modules.values()):\n"
        "        try:\n"
        "            if hasattr(module, 'Watch') and hasattr(module, 'remember'):\n"
        "                module.Watch.start = lambda self: None\n"
        "        except Exception:\n"
        "            pass\n"
        "os.register_at_fork(after_in_child=_quiet)",
    ),
    "code copy": (  # no LSTMCell code of its own runs: a base class makes it, a copy calls it
        f"{FOUND}\n        import types\n"
        "        layer = torch.nn.RNNCellBase.__new__(cell)\n"
        "        torch.nn.RNNCellBase.__init__(layer, D, H, True, 4)\n"
        f"        {LOADED}\n"
        "        forward = types.FunctionType(cell.forward.__code__.replace(), "
        "cell.forward.__globals__)\n"
        "        h, c = forward(layer, x, state)",
        "",
    ),
    "aten": ("h, c = torch.ops.aten.lstm_cell(x, list(state), w_ih, w_hh, b_ih, b_hh)", ""),
}


def test_lstm_cell_found_without_its_name_is_seen_or_sent_for_review(tmp_path):
    notebooks = []
    for label, (call, top_level) in SILENCERS.items():
        source = FIND_CELL.replace("{call}", call)
        cells = (top_level,) if top_level else ()
        path = tmp_path / "in" / f"a-{label.replace(' ', '-')}.ipynb"
        notebooks.append(attack(path, {"lstm_cell": source}, cells))
    graded = graded_after(tmp_path, *notebooks)
    for label in SILENCERS:
        student = graded[f"a-{label.replace(' ', '-')}"]
        text = json.dumps(student["results"])
        lost = marks(student)["lstm_cell"] < FULL["lstm_cell"]
        reviewed = "For the instructor to review" in text and "lstm_cell" in text
        assert lost or reviewed, (label, student["results"])
        assert "For the instructor to review" in text or label == "aten", label
        if label in ("code copy", "aten"):  # the kernel itself is forbidden, and seen
            assert lost, (label, student["results"])


# Hole 7: a thread the cells left in the runner maps shared memory all the time; forget_gate's
# calls by the probe (the first) write into every mapping they inherit, lstm_forward's (the
# last) look.
MAPPER = r"""
import mmap, threading, time
MAPS = []
def _keep_mapping():
    while True:
        try:
            MAPS.append(mmap.mmap(-1, 64))
        except OSError:
            pass
        time.sleep(0.001)
threading.Thread(target=_keep_mapping, daemon=True).start()
time.sleep(0.05)
"""
WRITE = f"""
import sys
def forget_gate(x_t, h_prev, W_f, b_f):
    for shared in list(MAPS) if {CALLED_BY_PROBE} else ():
        shared[:6] = b'forget'
    return sigmoid(np.concatenate([x_t, h_prev], axis=1) @ W_f.T + b_f)
"""
LOOK = lstm_forward(
    before="""\
    seen = sum(shared[:6] == b'forget' for shared in list(MAPS))
    print('lstm_forward found', seen, 'of', len(MAPS))"""
)


def test_no_probe_shares_memory_a_runner_thread_mapped_after_the_seal(tmp_path):
    mapper = attack(
        tmp_path / "in" / "a-mapper.ipynb", {"forget_gate": WRITE, "lstm_forward": LOOK}, (MAPPER,)
    )
    graded = graded_after(tmp_path, mapper)["a-mapper"]
    found = said(graded, r"lstm_forward found (\d+) of (\d+)")
    assert found and {seen for seen, _ in found} == {"0"}, found
    assert all(int(count) > 0 for _, count in found)


def test_an_order_the_runner_does_not_read_times_out():
    """The orders' socket has a deadline like the probes' pipes: a runner that stops reading
    (a thread of its own stopped it) costs the submission its time, never the grader's."""
    channel = Channel(Transcript(1000), 1 << 20)
    try:
        with pytest.raises(TimeoutError):
            channel.send(protocol.RunCell(0, "x" * (8 << 20)), time.monotonic() + 0.2)
    finally:
        channel.close()
