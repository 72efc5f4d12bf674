"""libseccomp, the system library that makes seccomp filters, through ctypes: the few calls
that turn a declared policy (:mod:`.call_policy`) into a classic BPF program for one
architecture, and its table of system calls by name and number.

libseccomp 2 (``libseccomp.so.2``) is a system library on every distribution that has systemd
(Debian, Ubuntu, Fedora, RHEL, Arch, SUSE): nothing is installed for it, and the sandbox shows
``/usr``. Standard library only, as all of the sandbox's code: no Python binding (the official
one is not on PyPI) is needed for the dozen calls used here, all in libseccomp 2.5's stable
C interface.
"""

from __future__ import annotations

import ctypes
import os
from typing import NamedTuple

__all__ = [
    "Comparison",
    "Rule",
    "Unavailable",
    "architecture",
    "compiled",
    "errno_action",
    "number",
    "table",
    "version",
]

# enum scmp_compare
NOT_EQUAL, MASKED_EQUAL = 1, 7
ALLOW, KILL_PROCESS = 0x7FFF0000, 0x80000000
_ERRNO = 0x00050000
_ACT_BADARCH, _CTL_OPTIMIZE = 2, 8  # enum scmp_filter_attr
_BINARY_TREE = 2  # the calls sorted into a tree: a few jumps to any call, not one per rule
_MACHINES = ("x86_64", "aarch64")  # as Linux and libseccomp name them alike


class Unavailable(Exception):
    """No filter can be made here: libseccomp is missing, or does not know the architecture."""


class Comparison(NamedTuple):
    """One condition on a call's argument (libseccomp's ``struct scmp_arg_cmp``)."""

    argument: int
    operator: int  # NOT_EQUAL, MASKED_EQUAL
    value: int  # the mask, for MASKED_EQUAL
    masked: int = 0  # what the masked argument must equal


Rule = tuple[int, str, tuple[Comparison, ...]]  # action, call, conditions that must all hold


class _Condition(ctypes.Structure):  # struct scmp_arg_cmp
    _fields_ = [
        ("arg", ctypes.c_uint),
        ("op", ctypes.c_int),
        ("datum_a", ctypes.c_uint64),
        ("datum_b", ctypes.c_uint64),
    ]


class _Version(ctypes.Structure):  # struct scmp_version
    _fields_ = [("major", ctypes.c_uint), ("minor", ctypes.c_uint), ("micro", ctypes.c_uint)]


def _library() -> ctypes.CDLL | None:
    try:
        library = ctypes.CDLL("libseccomp.so.2", use_errno=True)
    except OSError:
        return None
    _declare(library)
    return library


def _declare(library: ctypes.CDLL) -> None:
    library.seccomp_version.restype = ctypes.POINTER(_Version)
    library.seccomp_init.restype = ctypes.c_void_p
    library.seccomp_init.argtypes = [ctypes.c_uint32]
    library.seccomp_release.argtypes = [ctypes.c_void_p]
    for function in (library.seccomp_arch_add, library.seccomp_arch_remove):
        function.argtypes = [ctypes.c_void_p, ctypes.c_uint32]
    library.seccomp_arch_native.restype = ctypes.c_uint32
    library.seccomp_arch_resolve_name.restype = ctypes.c_uint32
    library.seccomp_arch_resolve_name.argtypes = [ctypes.c_char_p]
    library.seccomp_attr_set.argtypes = [ctypes.c_void_p, ctypes.c_int, ctypes.c_uint32]
    library.seccomp_rule_add_array.argtypes = [
        ctypes.c_void_p,
        ctypes.c_uint32,
        ctypes.c_int,
        ctypes.c_uint,
        ctypes.POINTER(_Condition),
    ]
    library.seccomp_export_bpf.argtypes = [ctypes.c_void_p, ctypes.c_int]
    library.seccomp_syscall_resolve_name_arch.argtypes = [ctypes.c_uint32, ctypes.c_char_p]
    library.seccomp_syscall_resolve_num_arch.argtypes = [ctypes.c_uint32, ctypes.c_int]
    library.seccomp_syscall_resolve_num_arch.restype = ctypes.c_void_p  # malloc'd: freed


_LIBRARY = _library()
_free = ctypes.CDLL(None).free
_free.argtypes = [ctypes.c_void_p]


def _loaded() -> ctypes.CDLL:
    if _LIBRARY is None:
        raise Unavailable("libseccomp 2 (libseccomp.so.2) is not installed")
    return _LIBRARY


def version() -> str:
    """libseccomp's version, as ``2.5.4``."""
    found = _loaded().seccomp_version().contents
    return f"{found.major}.{found.minor}.{found.micro}"


def architecture(machine: str) -> str:
    """libseccomp's name for ``machine`` (as ``os.uname().machine`` says it), when it is one
    the grader's policy was written for and libseccomp knows."""
    if machine not in _MACHINES:
        known = " and ".join(_MACHINES)
        raise Unavailable(f"the grader's call policy is not written for {machine} (only {known})")
    if not _loaded().seccomp_arch_resolve_name(machine.encode()):
        raise Unavailable(f"libseccomp {version()} does not know {machine}")
    return machine


def _token(arch: str) -> int:
    return _loaded().seccomp_arch_resolve_name(arch.encode())


def number(name: str, arch: str) -> int | None:
    """The call ``name``'s number on ``arch``; None where ``arch`` has no such call, or this
    libseccomp does not know it yet."""
    found = _loaded().seccomp_syscall_resolve_name_arch(_token(arch), name.encode())
    return found if found >= 0 else None


def table(arch: str, highest: int = 1023) -> dict[int, str]:
    """libseccomp's table of ``arch``'s calls: number -> name, for numbers up to ``highest``."""
    library, token, found = _loaded(), _token(arch), {}
    for candidate in range(highest + 1):
        name = library.seccomp_syscall_resolve_num_arch(token, candidate)
        if name:
            found[candidate] = ctypes.string_at(name).decode()
            _free(name)
    return found


def errno_action(error: int) -> int:
    """The action that fails a call with ``error``."""
    return _ERRNO | error


def compiled(arch: str, default: int, rules: list[Rule]) -> bytes:
    """The classic BPF program (``struct sock_filter`` after another) of a filter for ``arch``
    alone: each rule is (action, call, conditions that must all hold); a call no rule matches
    gets ``default``; a call of another architecture (or x86-64's x32 calls) ends the process.
    A call ``arch`` does not have, or this libseccomp does not know, is left to ``default``."""
    library = _loaded()
    context = library.seccomp_init(default)
    if not context:
        raise Unavailable("libseccomp could not start a filter")
    try:
        _check(library.seccomp_attr_set(context, _ACT_BADARCH, KILL_PROCESS), "bad-arch action")
        library.seccomp_attr_set(context, _CTL_OPTIMIZE, _BINARY_TREE)  # before 2.5: a list
        token = _token(arch)
        native = library.seccomp_arch_native()
        if token != native:
            _check(library.seccomp_arch_add(context, token), f"architecture {arch}")
            _check(library.seccomp_arch_remove(context, native), "native architecture")
        for action, name, conditions in rules:
            # A rule names its call by this machine's number (a stand-in where this machine
            # has no such call): libseccomp translates it for the filter's architecture.
            call = library.seccomp_syscall_resolve_name_arch(native, name.encode())
            if number(name, arch) is None or action == default:
                continue
            array = (_Condition * max(len(conditions), 1))(
                *[_Condition(c.argument, c.operator, c.value, c.masked) for c in conditions]
            )
            _check(
                library.seccomp_rule_add_array(context, action, call, len(conditions), array),
                f"rule for {name}",
            )
        out = os.memfd_create("seccomp-program", os.MFD_CLOEXEC)  # no folder needed
        try:
            _check(library.seccomp_export_bpf(context, out), "export")
            return os.pread(out, os.fstat(out).st_size, 0)
        finally:
            os.close(out)
    finally:
        library.seccomp_release(context)


def _check(result: int, what: str) -> None:
    if result < 0:
        raise Unavailable(f"libseccomp: {what}: {os.strerror(-result)}")
