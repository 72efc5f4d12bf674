"""The system-call policy (``gradersandbox/call_policy.py``) and the programs libseccomp makes
from it, for x86-64 and aarch64 alike: every call of the kernel's table is declared (allowed,
or refused on purpose), a call declared nowhere is refused, and each program, run here by a
classic BPF interpreter over every call as the kernel would run it on either machine, answers
what the policy says, the same on both; libseccomp's own simulator (scmp_bpf_sim) answers each
program as that interpreter does.

The kernel's table: libseccomp's own (every number resolved on each architecture), and the
kernel's headers where they are installed (linux-libc-dev)."""

from __future__ import annotations

import os
import re
import shutil
import subprocess
from errno import ENOSYS, EPERM
from pathlib import Path

import bpf_sim_kit
import pytest
from classic_bpf import run, stacked

from grader.engine.gradersandbox import call_policy, filters, libseccomp
from grader.engine.gradersandbox.call_policy import ALLOWED, CELLS, PROBE, RUNNER, Refusal

pytestmark = pytest.mark.skipif(not filters.FILTERS_CALLS, reason=str(filters.WHY_NOT))

ARCHITECTURES = ("x86_64", "aarch64")
ALLOW = libseccomp.ALLOW
OWN_PID = 4242
X86_64_HEADER = Path("/usr/include/x86_64-linux-gnu/asm/unistd_64.h")
GENERIC_HEADER = Path("/usr/include/asm-generic/unistd.h")
# What arm64's own asm/unistd.h asks of the generic table (a 64-bit machine).
ARM64_WANTS = ("RENAMEAT", "NEW_STAT", "SET_GET_RLIMIT", "SYS_CLONE3", "MEMFD_SECRET")
# Argument sets each call is tried with: the bits and values the policy tests, and others.
ARGUMENTS = [
    (),
    *[(value,) for value in (0x10000, 0x20000, 0x7E020000, OWN_PID, OWN_PID + 1, -1, 1 << 32)],
    *[(0, value) for value in (0, 1, 2, 0o100, 0o1000, 0o2000, 0x40086602, 0x401C5820)],
    (0, 1 << 32 | 0x40086602),  # the kernel reads an ioctl's request as 32 bits
    (0, 1 << 32),
    *[(-100, 0, value) for value in (0o100, 0o2000, 0o4000)],
    (0, 4096, 3, 0x01),
    (0, 4096, 3, 0x22),
    (OWN_PID, OWN_PID, 9),
]
PLAIN = [(), (-1,)]  # for calls no refusal checks by argument


def outright(refusals: tuple[Refusal, ...]) -> set[str]:
    return {name for r in refusals if r.argument is None for name in r.calls.split()}


def named(refusals: tuple[Refusal, ...]) -> set[str]:
    return {name for r in refusals for name in r.calls.split()}


def header_table(arch: str) -> dict[int, str] | None:
    """The kernel headers' calls on ``arch`` (the generic table through the C preprocessor,
    with what arm64 asks of it); None where the headers are not installed."""
    if arch == "x86_64":
        if not X86_64_HEADER.exists():
            return None
        text = X86_64_HEADER.read_text()
        return {int(n): name for name, n in re.findall(r"#define __NR_(\w+)\s+(\d+)", text)}
    cpp = shutil.which("cpp")
    if cpp is None or not GENERIC_HEADER.exists():
        return None
    wants = [f"-D__ARCH_WANT_{want}" for want in ARM64_WANTS]
    done = subprocess.run(
        [cpp, "-dM", "-D__BITS_PER_LONG=64", *wants, str(GENERIC_HEADER)],
        capture_output=True,
        text=True,
        check=True,
    )
    macros = dict(re.findall(r"#define (\w+) (\S+)", done.stdout))

    def value(macro: str) -> int | None:
        while macro in macros:
            macro = macros[macro]
        return int(macro) if macro.isdigit() else None

    found = {}
    for macro in macros:
        name = macro.removeprefix("__NR_")
        if name != macro and name not in ("syscalls", "arch_specific_syscall"):
            number = value(macro)
            if number is not None:
                found[number] = name
    return found


@pytest.mark.parametrize("arch", ARCHITECTURES)
def test_every_call_of_the_kernels_table_is_allowed_or_refused_on_purpose(arch):
    declared = set(ALLOWED) | outright(CELLS)
    table = libseccomp.table(arch)
    assert len(table) > 250
    names = set(table.values())
    headers = header_table(arch)  # linux-libc-dev and cpp: on every Debian with a compiler
    if headers is not None:
        assert len(headers) > 250
        # libseccomp's table and the kernel's agree where both know a number
        both = set(table) & set(headers)
        assert len(both) > 0.95 * len(headers)
        assert {n: table[n] for n in both} == {n: headers[n] for n in both}
        names |= set(headers.values())
    undeclared = sorted(names - declared)
    assert not undeclared, f"calls of {arch}'s table the policy neither allows nor refuses"


def test_the_policy_says_one_thing_of_each_call():
    assert len(ALLOWED) == len(set(ALLOWED))
    assert not set(ALLOWED) & outright(CELLS), "allowed and refused from the first cell"
    later = named(RUNNER[len(CELLS) :]) | named(PROBE)
    assert later <= set(ALLOWED), "a later step refuses what was never allowed"
    by_argument = {r for r in (*RUNNER, *PROBE) if r.argument is not None}
    assert named(tuple(by_argument)) <= set(ALLOWED)
    assert all(r.test in call_policy.TESTS for r in (*RUNNER, *PROBE) if r.argument is not None)


def steps(arch: str) -> dict[str, tuple[bytes, ...]]:
    """Each step's programs for ``arch``, stacked as the sandbox loads them."""
    cells = filters.programs(CELLS, arch, True)
    runner = cells + filters.programs(RUNNER, arch, True)
    return {
        "cells": cells,
        "runner": runner,
        "probe": runner + filters.programs(PROBE, arch, False, OWN_PID),
    }


POLICY = {"cells": CELLS, "runner": RUNNER, "probe": RUNNER + PROBE}


def meant(step: str, name: str, arguments: tuple[int, ...]) -> int:
    """What the policy says of ``name`` with ``arguments`` at ``step``, read from it here."""
    padded = [a & (1 << 64) - 1 for a in (*arguments, 0, 0, 0, 0, 0, 0)]
    for refusal in POLICY[step]:
        if name not in refusal.calls.split():
            continue
        if refusal.argument is None:
            return libseccomp.errno_action(refusal.error)
        argument, value = padded[refusal.argument], refusal.value
        if {
            "any of": argument & value != 0,
            "none of": argument & value == 0,
            "equals": argument & 0xFFFFFFFF == value,
            "is not": argument != value,
            "is not own pid": argument != OWN_PID,
        }[refusal.test]:
            return libseccomp.errno_action(refusal.error)
    return ALLOW if name in ALLOWED else libseccomp.errno_action(call_policy.UNDECLARED)


@pytest.fixture(scope="module")
def answers() -> dict[str, dict[tuple[str, str, tuple[int, ...]], int]]:
    """Each architecture's programs' answer for every call of its table, step and argument
    set, by call name."""
    checked_by_argument = {
        name for r in POLICY["probe"] if r.argument is not None for name in r.calls.split()
    }
    found: dict[str, dict] = {}
    for arch in ARCHITECTURES:
        table, made = libseccomp.table(arch), steps(arch)
        found[arch] = {
            (step, name, arguments): stacked(programs, arch, number, arguments)
            for step, programs in made.items()
            for number, name in table.items()
            for arguments in (ARGUMENTS if name in checked_by_argument else PLAIN)
        }
    return found


@pytest.mark.parametrize("arch", ARCHITECTURES)
def test_each_program_answers_what_the_policy_says(answers, arch):
    wrong = {
        key: (hex(got), hex(meant(*key)))
        for key, got in answers[arch].items()
        if got != meant(*key)
    }
    assert not wrong, f"{len(wrong)} answers unlike the policy's, e.g. {list(wrong.items())[:5]}"
    kinds = {answer for answer in answers[arch].values()}
    assert kinds >= {ALLOW, libseccomp.errno_action(EPERM), libseccomp.errno_action(ENOSYS)}


def test_the_same_calls_are_refused_on_aarch64_as_on_x86_64(answers):
    common = {key for key in answers["aarch64"] if key in answers["x86_64"]}
    assert len({name for _, name, _ in common}) > 250
    differ = sorted(key for key in common if answers["aarch64"][key] != answers["x86_64"][key])
    assert not differ, differ[:10]


@pytest.mark.parametrize("arch", ARCHITECTURES)
def test_a_call_the_policy_does_not_name_is_refused_until_allowed(arch, monkeypatch):
    table, made = libseccomp.table(arch), steps(arch)
    unnamed = [n for n in range(1024) if n not in table]
    assert len(unnamed) > 500
    undeclared = libseccomp.errno_action(call_policy.UNDECLARED)
    for programs in made.values():
        assert {stacked(programs, arch, n) for n in unnamed} == {undeclared}
    read = libseccomp.number("read", arch)
    assert stacked(made["probe"], arch, read) == ALLOW
    assert run(filters.programs(CELLS, arch, True)[0], arch, read) == ALLOW
    monkeypatch.setattr(filters, "ALLOWED", [name for name in ALLOWED if name != "read"])
    assert run(filters.programs(CELLS, arch, True)[0], arch, read) == undeclared


@pytest.mark.parametrize("arch", ARCHITECTURES)
def test_another_architectures_calls_end_the_process(arch):
    other = "x86_64" if arch == "aarch64" else "aarch64"
    for programs in steps(arch).values():
        assert stacked(programs, other, 0) == libseccomp.KILL_PROCESS
        assert stacked(programs, "i386", 3) == libseccomp.KILL_PROCESS
    if arch == "x86_64":  # x32's calls: the same numbers with bit 30 set
        assert stacked(steps(arch)["cells"], arch, 0x40000000) == libseccomp.KILL_PROCESS


def test_the_machines_own_filter_is_the_policys():
    assert filters.ARCHITECTURE == libseccomp.architecture(os.uname().machine)
    made = steps(filters.ARCHITECTURE)
    assert tuple(map(bytes, filters.RUNNER)) == made["runner"][2:]
    assert bytes(filters.probe(OWN_PID)[0]) == made["probe"][-1]
    assert bytes(filters.probe(OWN_PID + 1)[0]) != made["probe"][-1]


@pytest.fixture(scope="module")
def simulator() -> Path:
    """libseccomp's own ``scmp_bpf_sim``, built from Debian's source of the installed
    libseccomp (bpf_sim_kit)."""
    try:
        return bpf_sim_kit.simulator()
    except bpf_sim_kit.NoSimulator as why:
        pytest.fail(f"libseccomp's simulator could not be built here: {why}")


@pytest.mark.parametrize("arch", ARCHITECTURES)
def test_libseccomps_own_simulator_answers_each_program_as_checked_here(simulator, arch, tmp_path):
    """Every program of every step, for aarch64 as for x86-64, run by libseccomp's own
    simulator over every call of the table (and the argument sets of the calls refused by an
    argument) answers what the interpreter behind the other tests answers: the aarch64
    filter refuses what the x86-64 one does by libseccomp's simulation, not only by ours."""
    table = libseccomp.table(arch)
    checked_by_argument = {
        name for r in POLICY["probe"] if r.argument is not None for name in r.calls.split()
    }
    programs = dict.fromkeys(program for made in steps(arch).values() for program in made)
    differ = []
    for number, program in enumerate(programs):
        path = tmp_path / f"{arch}-{number}.bpf"
        path.write_bytes(program)
        checks_arguments = libseccomp.ALLOW == run(program, arch, 10**6)  # no allowlist
        for call, name in table.items():
            sets = ARGUMENTS if checks_arguments and name in checked_by_argument else [()]
            for arguments in sets:
                said = bpf_sim_kit.simulated(simulator, path, arch, call, arguments)
                if said != run(program, arch, call, arguments):
                    differ.append((number, name, arguments, hex(said)))
    assert len(programs) >= 5
    assert not differ, differ[:10]
