"""The sandbox's seccomp filters: the policy of :mod:`.call_policy`, made by libseccomp
(:mod:`.libseccomp`) for this machine's architecture when the warm process imports this, and
loaded at each of the policy's three steps (:func:`before_cells`, :data:`RUNNER`,
:func:`probe`).

Each step is two programs: which calls exist (every call the policy names is allowed or
refused; one it does not name gets ``ENOSYS``), and which uses of an allowed call are refused
(by its arguments). libseccomp lets an unconditional rule for a call outweigh a conditional
one, so the two cannot share a program. Filters stack: each step adds to the previous, none is
ever lifted. Where no program can be made (:data:`WHY_NOT`: libseccomp missing, an
architecture the policy was not written for), nothing is filtered; ``grader setup`` says so.

The probe process's program names its own pid, known only there: it is made once with two
stand-in pids, and the probe writes its own where the two differ, so that the probe process
(which runs after the notebook's cells) calls nothing of libseccomp's.
"""

from __future__ import annotations

import ctypes
import os

from . import call_policy, libseccomp
from .call_policy import ALLOWED, Refusal
from .libseccomp import MASKED_EQUAL, NOT_EQUAL, Comparison

__all__ = [
    "ARCHITECTURE",
    "FILTERS_CALLS",
    "RUNNER",
    "WHY_NOT",
    "before_cells",
    "install",
    "probe",
    "programs",
]

_LIBC = ctypes.CDLL(None, use_errno=True)
_prctl, _syscall, _get_errno = _LIBC.prctl, _LIBC.syscall, ctypes.get_errno
_byref, _cast, _void_p, _len, _OSError = ctypes.byref, ctypes.cast, ctypes.c_void_p, len, OSError
PR_SET_NO_NEW_PRIVS = 38
SECCOMP_SET_MODE_FILTER, SECCOMP_FILTER_FLAG_TSYNC = 1, 1
_LOW_HALF = 0xFFFFFFFF
_STAND_INS = (0x2AAAAAAA, 0x15555555)  # two pids for the probe's program, no bit in common


class _Instruction(ctypes.Structure):  # struct sock_filter
    _fields_ = [
        ("code", ctypes.c_ushort),
        ("jt", ctypes.c_ubyte),
        ("jf", ctypes.c_ubyte),
        ("k", ctypes.c_uint32),
    ]


class _Program(ctypes.Structure):  # struct sock_fprog
    _fields_ = [("len", ctypes.c_ushort), ("filter", ctypes.c_void_p)]


def programs(
    refusals: tuple[Refusal, ...], arch: str, allowlist: bool, own_pid: int = 0
) -> tuple[bytes, ...]:
    """The programs of one step of the policy for ``arch``: with ``allowlist``, first which
    calls exist (those ``ALLOWED`` and not refused outright here); then which uses are
    refused (a call refused outright is in it too where there is no allowlist)."""
    undeclared = libseccomp.errno_action(call_policy.UNDECLARED)
    made = []
    if allowlist:
        refused = [r for r in refusals if r.argument is None]
        outright = {name for r in refused for name in r.calls.split()}
        rules: list[libseccomp.Rule] = [
            (libseccomp.ALLOW, name, ()) for name in ALLOWED if name not in outright
        ]
        rules += _rules(refused, own_pid)
        made.append(libseccomp.compiled(arch, undeclared, rules))
    by_argument = [r for r in refusals if r.argument is not None or not allowlist]
    made.append(libseccomp.compiled(arch, libseccomp.ALLOW, _rules(by_argument, own_pid)))
    return tuple(made)


def _rules(refusals: list[Refusal], own_pid: int) -> list[libseccomp.Rule]:
    """libseccomp's rules for ``refusals``: one per call and set of conditions."""
    return [
        (libseccomp.errno_action(refusal.error), name, conditions)
        for refusal in refusals
        for name in refusal.calls.split()
        for conditions in _conditions(refusal, own_pid)
    ]


def _conditions(refusal: Refusal, own_pid: int) -> list[tuple[Comparison, ...]]:
    """The sets of conditions, any of which refuses the call (each set: all must hold)."""
    argument, value = refusal.argument, refusal.value
    if argument is None:
        return [()]
    match refusal.test:
        case "any of":
            bits = [1 << bit for bit in range(64) if value >> bit & 1]
            return [(Comparison(argument, MASKED_EQUAL, bit, bit),) for bit in bits]
        case "none of":
            return [(Comparison(argument, MASKED_EQUAL, value, 0),)]
        case "equals":
            return [(Comparison(argument, MASKED_EQUAL, _LOW_HALF, value),)]
        case "is not":
            return [(Comparison(argument, NOT_EQUAL, value),)]
        case "is not own pid":
            return [(Comparison(argument, NOT_EQUAL, own_pid),)]
    raise ValueError(f"{refusal.calls}: no test {refusal.test!r} (one of {call_policy.TESTS})")


def _loadable(program: bytes):
    """``program`` as an array of ``struct sock_filter``, as the kernel takes it."""
    return (_Instruction * (_len(program) // 8)).from_buffer_copy(program)


def _probe_template(arch: str) -> tuple[bytes, tuple[int, ...]]:
    """The probe's program, and the instructions where its own pid goes."""
    first, second = (programs(call_policy.PROBE, arch, False, pid)[0] for pid in _STAND_INS)
    if _len(first) != _len(second):
        raise libseccomp.Unavailable("the probe's program depends on its pid beyond its value")
    low, high = _loadable(first), _loadable(second)
    slots = tuple(i for i in range(_len(low)) if bytes(low[i]) != bytes(high[i]))
    if not slots or any((low[i].k, high[i].k) != _STAND_INS for i in slots):
        raise libseccomp.Unavailable("the probe's program holds its pid in an unknown form")
    return first, slots


def before_cells() -> None:
    """Filter the runner's calls before its first cell runs (see :mod:`.call_policy`)."""
    install(_CELLS)


def install(step) -> None:
    """Filter this process's calls through each program of ``step``, in every thread: one a
    cell left running is held to them too. Sets no_new_privs, which a filter needs, even
    where none is installed."""
    if _prctl(PR_SET_NO_NEW_PRIVS, 1, 0, 0, 0) != 0:
        raise _OSError(_get_errno(), "no_new_privs")
    if not FILTERS_CALLS:
        return
    for code in step:
        program = _Program(_len(code), _cast(code, _void_p))
        if _syscall(SECCOMP, SECCOMP_SET_MODE_FILTER, SECCOMP_FILTER_FLAG_TSYNC, _byref(program)):
            raise _OSError(_get_errno(), "seccomp filter")


def probe(own_pid: int):
    """A probe process's own filter: no new process, signals to ``own_pid`` only. Made in
    the probe process, so it uses no builtin a notebook could have replaced."""
    program = _copy(_PROBE)
    for slot in _PID_SLOTS:
        program[slot].k = own_pid
    return (program,)


try:
    _machine = libseccomp.architecture(os.uname().machine)
    _CELLS = tuple(_loadable(p) for p in programs(call_policy.CELLS, _machine, True))
    RUNNER = tuple(_loadable(p) for p in programs(call_policy.RUNNER, _machine, True))
    _template, _PID_SLOTS = _probe_template(_machine)
    _PROBE = _loadable(_template)
    _copy = type(_PROBE).from_buffer_copy
    SECCOMP = libseccomp.number("seccomp", _machine)
    ARCHITECTURE: str | None = _machine  # libseccomp's name of the filters' architecture
    WHY_NOT: str | None = None
except libseccomp.Unavailable as missing:
    ARCHITECTURE, WHY_NOT, _CELLS, RUNNER = None, str(missing), (), ()
FILTERS_CALLS = WHY_NOT is None
