"""No graded function's calls can leave anything for another function's calls (issue 17's
hole 2 through the channels a process shares: files, shared memory, descriptors, signals,
processes), and a submission that used up its processes still gets a fresh process per function.

The first test seals processes forked from pytest; the others grade attack notebooks through
``grader grade`` in the second fence (see ``attack_kit``)."""

from __future__ import annotations

import ctypes
import json
import mmap
import os
import re
import threading

import pytest
from attack_kit import CALLED_BY_PROBE, FULL, attack, grade, marks

from grader.engine.gradersandbox import seal
from grader.engine.run.probes import _outcome


def _in_child(work) -> dict:
    """What ``work(report, reporting)`` put in ``report``, run in a forked child that reports
    through the descriptor ``reporting``."""
    readable, writable = os.pipe()
    pid = os.fork()
    if pid == 0:
        report = {}
        try:
            work(report, writable)
        except BaseException as error:
            report["error"] = repr(error)
        os.write(writable, json.dumps(report).encode())
        os._exit(0)
    os.close(writable)
    os.waitpid(pid, 0)
    with os.fdopen(readable, "rb") as got:
        return json.loads(got.read())


def _attempt(report: dict, name: str, action) -> None:
    try:
        action()
        report[name] = "done"
    except OSError as error:
        report[name] = os.strerror(error.errno)


@pytest.mark.skipif(not seal.FILTERS_CALLS, reason="the call filter is for x86-64")
def test_a_sealed_probe_keeps_what_it_does_to_itself(tmp_path):
    shared = mmap.mmap(-1, 4096)  # as a cell maps memory other processes would see
    shared[:5] = b"cells"
    kept = os.open(__file__, os.O_RDONLY)  # a descriptor the cells left open
    to_a_daemon_r, to_a_daemon_w = os.pipe()

    def runner(report: dict, _) -> None:
        go = threading.Event()  # a thread the cells left running in the runner

        def left_running():
            go.wait()
            _attempt(report, "a thread of the runner writes", lambda: open(tmp_path / "t", "w"))

        thread = threading.Thread(target=left_running)
        thread.start()
        seal.before_probes()
        go.set()
        thread.join()

        def probe(inner: dict, reporting: int) -> None:
            seal.seal((reporting,))
            _attempt(inner, "write", lambda: open(tmp_path / "left", "w"))
            _attempt(inner, "mkdir", lambda: os.mkdir(tmp_path / "made"))
            _attempt(inner, "fork", os.fork)
            _attempt(inner, "signal the runner", lambda: os.kill(os.getppid(), 0))
            _attempt(inner, "signal itself", lambda: os.kill(os.getpid(), 0))
            _attempt(inner, "socket", lambda: __import__("socket").socket())
            _attempt(inner, "seek", lambda: os.lseek(kept, 7, os.SEEK_SET))
            _attempt(inner, "pipe out", lambda: os.write(to_a_daemon_w, b"secret"))
            shared[:5] = b"probe"
            thread = threading.Thread(target=inner.setdefault, args=("thread", "ran"))
            thread.start()
            thread.join()

        report["probe"] = _in_child(probe)
        report["next probe sees"] = _in_child(
            lambda inner, _: inner.update(shared=shared[:5].decode(), offset=os.lseek(kept, 0, 1))
        )

    report = _in_child(runner)
    assert report["a thread of the runner writes"] == "Read-only file system"
    assert report["probe"] == {
        "write": "Read-only file system",
        "mkdir": "Read-only file system",
        "fork": "Operation not permitted",
        "signal the runner": "Operation not permitted",
        "signal itself": "done",
        "socket": "Operation not permitted",
        "seek": "done",
        "pipe out": "done",  # into /dev/null
        "thread": "ran",
    }
    assert report["next probe sees"] == {"shared": "cells", "offset": 0}
    assert not (tmp_path / "left").exists() and not (tmp_path / "made").exists()
    os.set_blocking(to_a_daemon_r, False)
    with pytest.raises(BlockingIOError):
        os.read(to_a_daemon_r, 6)


NOBODY = 65534


def test_the_seal_works_for_a_normal_user_in_a_process_that_is_not_dumpable(tmp_path):
    """As the runner runs (not dumpable, so its /proc/self/mem belongs to root), as a user
    other than root: its shared memory still becomes its own, a file's beyond its end too."""
    short = tmp_path / "short"
    short.write_bytes(b"x" * 100)  # its page's last 3996 bytes are beyond the end of the file

    def runner(report: dict, _) -> None:
        with short.open("r+b") as file:
            beyond = mmap.mmap(file.fileno(), 100)
        anonymous = mmap.mmap(-1, 4096)
        anonymous[:5] = b"cells"
        if os.getuid() == 0:
            os.setgroups([])
            os.setgid(NOBODY)
            os.setuid(NOBODY)
        ctypes.CDLL(None).prctl(4, 0, 0, 0, 0)  # PR_SET_DUMPABLE: off, as in the sandbox
        seal.before_probes()
        report["left shared"] = [line for line in open("/proc/self/maps") if " rw-s " in line]
        report["kept"] = [anonymous[:5].decode(), beyond[:3].decode()]
        anonymous[:5] = b"probe"
        _attempt(report, "map shared memory", lambda: mmap.mmap(-1, 4096))

    report = _in_child(runner)
    assert report == {
        "left shared": [],
        "kept": ["cells", "xxx"],
        "map shared memory": "Operation not permitted" if seal.FILTERS_CALLS else "done",
    }


# forget_gate's calls (the first made) try every channel, then compute the right gate;
# lstm_forward's (the last) look for what they left.
LEAVE = """
import mmap, os, signal, sys
SHARED = mmap.mmap(-1, 64)
open('/content/kept.txt', 'w').write('kept by the cells')
KEPT = os.open('/content/kept.txt', os.O_RDONLY)
SIGNALS = []
signal.signal(signal.SIGUSR1, lambda *_: SIGNALS.append(1))
def _try(name, action):
    try:
        action()
    except OSError as error:
        print(f'{name} refused: {error.strerror}')
def forget_gate(x_t, h_prev, W_f, b_f):
    if sys._getframe(1).f_code.co_name == '_call':  # in a probe, not in the cells' check
        _try('tmp', lambda: open('/tmp/left.txt', 'w').write('gates'))
        _try('content', lambda: open('/content/left.txt', 'w').write('gates'))
        _try('shm', lambda: open('/dev/shm/left', 'w').write('gates'))
        _try('signal', lambda: os.kill(os.getppid(), signal.SIGUSR1))
        _try('process', os.fork)
        SHARED[:5] = b'gates'
        os.lseek(KEPT, 3, os.SEEK_SET)
    return sigmoid(np.concatenate([x_t, h_prev], axis=1) @ W_f.T + b_f)
"""
LOOK = """
def lstm_forward(x, h0, c0, params):
    found = [path for path in ('/tmp/left.txt', '/content/left.txt', '/dev/shm/left')
             if os.path.exists(path)]
    found += ['shared memory'] if SHARED[:5] == b'gates' else []
    found += ['offset'] if os.lseek(KEPT, 0, os.SEEK_CUR) else []
    found += ['signal'] if SIGNALS else []
    print('lstm_forward found', found or 'nothing')
    h_t, c_t, h_seq, c_seq = h0, c0, [], []
    for x_t in x:
        h_t, c_t = lstm_cell(x_t, h_t, c_t, params)
        h_seq.append(h_t)
        c_seq.append(c_t)
    return np.stack(h_seq), np.stack(c_seq)
"""


def test_no_function_can_leave_anything_for_another_functions_calls(tmp_path):
    notebook = attack(tmp_path / "in" / "leave.ipynb", {"forget_gate": LEAVE, "lstm_forward": LOOK})
    graded = grade(tmp_path, notebook)["leave"]
    feedback = graded["feedback"]
    assert set(re.findall(r"lstm_forward found (.+)", feedback)) == {"nothing"}
    for channel in ("tmp", "content", "shm"):
        assert f"{channel} refused: Read-only file system" in feedback
    for channel in ("signal", "process"):
        assert f"{channel} refused: Operation not permitted" in feedback
    assert marks(graded) == FULL  # the attempts cost the right answers nothing


def test_used_up_processes_do_not_put_the_calls_in_one_process(tmp_path):
    """A notebook that uses up its processes before the calls: every function's calls were
    then answered by the runner itself, where cell_state's calls left what the next
    functions' calls read. Now the processes the cells left are ended instead."""
    memorise = {
        "cell_state": "import sys\nSEEN = []\n"
        "def cell_state(c_prev, f_t, i_t, c_hat_t):\n"
        f"    if {CALLED_BY_PROBE}:\n"
        "        SEEN.append(1)\n"
        "    return f_t * c_prev + i_t * c_hat_t\n",
        "hidden_state": "def hidden_state(o_t, c_t):\n"
        f"    if {CALLED_BY_PROBE}:\n"
        "        print('hidden_state sees', len(SEEN), 'calls of cell_state')\n"
        "    return o_t * np.tanh(c_t)\n",
    }
    spawn = (
        "import subprocess\nstarted = []\ntry:\n    while True:\n"
        "        started.append(subprocess.Popen(['sleep', '300']))\n"
        "except OSError:\n    print('the cells started', len(started), 'processes')\n"
    )
    notebook = attack(tmp_path / "in" / "spawn.ipynb", memorise, (spawn,))
    feedback = grade(tmp_path, notebook)["spawn"]["feedback"]
    assert int(re.search(r"the cells started (\d+) processes", feedback)[1]) > 200
    assert set(re.findall(r"hidden_state sees (\d+) calls", feedback)) == {"0"}


def test_a_call_the_seal_refused_says_why():
    error = "OSError: [Errno 30] Read-only file system: 'log.txt'"
    refused = _outcome(("e", (error, ([], None))), "")
    assert refused.error == (
        "OSError: [Errno 30] Read-only file system: 'log.txt' (a graded call may not write"
        " files, start processes or signal other processes: each function's calls run sealed"
        " off from the others)"
    )
    other = _outcome(("e", ("ValueError: shapes (2,3) and (4,) not aligned", ([], None))), "")
    assert other.error == "ValueError: shapes (2,3) and (4,) not aligned"
