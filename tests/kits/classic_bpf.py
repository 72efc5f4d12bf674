"""A classic BPF interpreter for seccomp programs, to check a filter made for any
architecture on this machine: what it answers for a call, as the kernel would run it over
``struct seccomp_data`` (little-endian, as on x86-64 and aarch64)."""

from __future__ import annotations

import functools
import struct

AUDIT_ARCH = {"x86_64": 0xC000003E, "aarch64": 0xC00000B7, "i386": 0x40000003}
_MASK = 0xFFFFFFFF


def instructions(program: bytes) -> list[tuple[int, int, int, int]]:
    """The program's instructions: (code, jump if true, jump if false, constant)."""
    return list(struct.iter_unpack("<HBBI", program))


@functools.cache  # the same program and call, in each step it is stacked in
def run(program: bytes, arch: str, call: int, arguments: tuple[int, ...] = ()) -> int:
    """The filter's answer (``SECCOMP_RET_*`` with its data) for ``call`` with ``arguments``
    (64-bit each, the rest 0) made on ``arch``."""
    padded = [argument & 0xFFFFFFFFFFFFFFFF for argument in (*arguments, 0, 0, 0, 0, 0, 0)][:6]
    data = struct.pack("<iIQ6Q", call, AUDIT_ARCH[arch], 0, *padded)
    steps = instructions(program)
    accumulator, scratch, at = 0, [0] * 16, 0
    while True:
        code, true, false, constant = steps[at]
        at += 1
        match code:
            case 0x00:  # ld #k
                accumulator = constant
            case 0x20:  # ld [k]
                (accumulator,) = struct.unpack_from("<I", data, constant)
            case 0x60:  # ld M[k]
                accumulator = scratch[constant]
            case 0x02:  # st M[k]
                scratch[constant] = accumulator
            case 0x54:  # and #k
                accumulator &= constant
            case 0x05:  # ja k
                at += constant
            case 0x15 | 0x25 | 0x35 | 0x45:  # jeq, jgt, jge, jset #k
                taken = {
                    0x15: accumulator == constant,
                    0x25: accumulator > constant,
                    0x35: accumulator >= constant,
                    0x45: bool(accumulator & constant),
                }[code]
                at += true if taken else false
            case 0x06:  # ret #k
                return constant
            case _:
                raise ValueError(f"instruction {code:#x} at {at - 1} is not one this reads")
        accumulator &= _MASK


def stacked(programs, arch: str, call: int, arguments: tuple[int, ...] = ()) -> int:
    """The answer of ``programs`` loaded one after another, as the kernel combines them: the
    most restrictive action wins, and between two alike the later-loaded program's data."""
    answer = None
    for program in reversed(programs):  # the kernel runs the latest first
        got = run(program, arch, call, arguments)
        if answer is None or _signed(got & 0xFFFF0000) < _signed(answer & 0xFFFF0000):
            answer = got
    assert answer is not None
    return answer


def _signed(action: int) -> int:
    return action - (1 << 32) if action & 0x80000000 else action
