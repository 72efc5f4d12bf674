"""A seal that fails because of what the cells did is the submission's doing, scored as it
earned with the reason, never the grader's ``error`` (issue 35): the cells may use up the open
files, or install a system-call filter of their own that refuses what the seal needs. Told by
cause: a fresh run of the grader's own notebook is sealed, so the sandbox works."""

from __future__ import annotations

import functools
import time

import pytest
from attack_kit import attack, grade

from grader.engine import fresh_run_problem
from grader.engine.gradersandbox import seal
from grader.engine.run import seal_blame
from grader.engine.run.results import RunLimits
from grader.engine.run.seal_blame import blame_the_seal
from grader.engine.run.steps import Run

pytestmark = pytest.mark.slow

# Every descriptor taken, then two given back: enough for the probe's pipes to arrive, not for
# the seal's own files.
USE_UP_FILES = (
    "import os\nKEPT = []\ntry:\n    while True:\n"
    "        KEPT.append(os.open('/dev/null', os.O_RDONLY))\n"
    "except OSError as error:\n    print('files used up:', error)\n"
    "for fd in KEPT[-2:]:\n    os.close(fd)\n"
)


def _filter_refusing(*numbers: int) -> str:
    """A cell installing a seccomp filter of the student's own: ``numbers`` get EPERM."""
    steps = ["(0x20, 0, 0, 0)"]  # load the call's number
    for number in numbers:
        steps += [f"(0x15, 0, 1, {number})", "(0x06, 0, 0, 0x00050001)"]  # EPERM
    steps += ["(0x06, 0, 0, 0x7FFF0000)"]  # allow the rest
    return (
        "import ctypes\n"
        "class Step(ctypes.Structure):\n"
        "    _fields_ = [('code', ctypes.c_ushort), ('jt', ctypes.c_ubyte),"
        " ('jf', ctypes.c_ubyte), ('k', ctypes.c_uint32)]\n"
        "class Program(ctypes.Structure):\n"
        "    _fields_ = [('len', ctypes.c_ushort), ('filter', ctypes.POINTER(Step))]\n"
        f"steps = (Step * {len(steps)})(*[Step(*s) for s in [{', '.join(steps)}]])\n"
        "libc = ctypes.CDLL(None, use_errno=True)\n"
        "libc.prctl(38, 1, 0, 0, 0)\n"
        f"program = Program({len(steps)}, steps)\n"
        "print('own filter:', libc.prctl(22, 2, ctypes.byref(program), 0, 0), ctypes.get_errno())\n"
    )


SECCOMP, DUP2, DUP3 = 317, 33, 292  # x86-64
LEFT_OPEN = "import os\nLEFT_OPEN = os.pipe()  # the seal gives each probe /dev/null instead\n"


@pytest.mark.skipif(not seal.FILTERS_CALLS, reason="the filters are x86-64's")
def test_a_seal_the_cells_broke_is_the_submissions_not_the_graders(tmp_path):
    notebooks = [
        attack(tmp_path / "in" / "files.ipynb", append=(USE_UP_FILES,)),
        attack(tmp_path / "in" / "nofilter.ipynb", append=(_filter_refusing(SECCOMP),)),
        attack(tmp_path / "in" / "nodup.ipynb", append=(LEFT_OPEN, _filter_refusing(DUP2, DUP3))),
    ]
    graded = grade(tmp_path, *notebooks)
    causes = {
        "files": "Too many open files",
        "nofilter": "[Errno 1]",
        "nodup": "[Errno 1]",
    }
    for student, said in causes.items():
        row = graded[student]["row"]
        assert row["status"] == "crashed", (student, row["reason"])
        assert said in row["reason"] and "what the cells did caused it" in row["reason"]
        assert float(row["score"]) == 0.0
    assert "the cells left too many files open" in graded["files"]["row"]["reason"]
    assert "system-call filter of their own" in graded["nodup"]["row"]["reason"]


def test_a_seal_a_fresh_run_cannot_make_either_is_the_graders_fault():
    """When the grader's own notebook fails too (here: too little memory to start Python),
    the refused seal stays the grader's fault."""
    limits = RunLimits(memory_bytes=1024 * 1024)
    run = Run(limits, None, time.monotonic(), None)
    try:
        run.seal_refused("the probe process did not start: [Errno 1] Operation not permitted")
        blame_the_seal(run, functools.partial(fresh_run_problem, limits))
    finally:
        run.close()
    assert run.grader_fault is not None
    assert run.grader_fault.startswith("the probe process did not start: [Errno 1]")
    assert "a fresh trial run failed too" in run.grader_fault


def test_the_fresh_run_not_sealed_either_is_the_graders_fault_without_another_run():
    """The fresh run's own seal failing ends the blame there: no run after run."""
    limits = RunLimits()
    run = Run(limits, None, time.monotonic(), None)
    seal_blame._trying.fresh_run = True  # as while the fresh run is made
    try:
        run.seal_refused("the probe process did not start: [Errno 1] seccomp filter")
        blame_the_seal(run, functools.partial(fresh_run_problem, limits))
    finally:
        seal_blame._trying.fresh_run = False
        run.close()
    assert run.grader_fault == "the probe process did not start: [Errno 1] seccomp filter"
