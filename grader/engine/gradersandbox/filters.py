"""The sandbox's seccomp filters: which system calls student code may make, in three steps.

- **From the first cell** (:func:`before_cells`), in the runner and all it forks: the calls a
  container runtime's default profile refuses (Docker's, and Podman's after it): kernel keys,
  new namespaces and mounts, kernel modules, clocks, swap, reboot, tracing other processes,
  bpf, perf, io_uring and userfaultfd. None of them is any use to a notebook, and the keys'
  and namespaces' state would outlive the submission.
- **From the runner's first probe process** (:data:`RUNNER`): also anything that leaves a
  trace another process could see (file changes, write opens, sockets, IPC, other processes'
  memory, priority and limits) and new shared memory (``mmap`` with ``MAP_SHARED``).
- **In each probe process** (:func:`probe`): no new process, signals to itself only.

Filters stack: each step adds to the previous, none is ever lifted. Linux x86-64 only
(:data:`FILTERS_CALLS`); elsewhere nothing is filtered.
"""

from __future__ import annotations

import ctypes
import os
from errno import ENOSYS, EPERM, EROFS

from . import syscalls

__all__ = ["FILTERS_CALLS", "RUNNER", "before_cells", "install", "probe"]

_LIBC = ctypes.CDLL(None, use_errno=True)
_prctl, _syscall, _get_errno = _LIBC.prctl, _LIBC.syscall, ctypes.get_errno
_byref, _cast, _void_p, _len, _OSError = ctypes.byref, ctypes.cast, ctypes.c_void_p, len, OSError
PR_SET_NO_NEW_PRIVS = 38
SECCOMP_SET_MODE_FILTER, SECCOMP_FILTER_FLAG_TSYNC = 1, 1
AUDIT_ARCH_X86_64 = 0xC000003E
FILTERS_CALLS = os.uname().machine == "x86_64"
_NR = syscalls.X86_64  # the programs are x86-64's, whatever machine imports them
SECCOMP = _NR["seccomp"]


def _numbers(names: str) -> tuple[int, ...]:
    return tuple(_NR[name] for name in names.split())


_CONTAINER_DEFAULT = _numbers(
    "add_key request_key keyctl"  # the kernel's keyrings outlive a submission
    " unshare setns mount umount2 pivot_root open_tree move_mount fsopen fsconfig fsmount"
    " fspick mount_setattr"
    " acct reboot swapon swapoff init_module delete_module finit_module kexec_load"
    " kexec_file_load iopl ioperm clock_settime settimeofday clock_adjtime quotactl syslog"
    " sysfs _sysctl uselib ustat lookup_dcookie name_to_handle_at open_by_handle_at"
    " userfaultfd ptrace process_vm_readv process_vm_writev kcmp"
    " bpf perf_event_open io_uring_setup io_uring_enter io_uring_register"
)
_FILE_CHANGES = _numbers(
    "creat mkdir mkdirat rmdir unlink unlinkat rename renameat renameat2 link linkat symlink"
    " symlinkat mknod mknodat truncate chmod fchmod fchmodat fchmodat2 chown fchown lchown"
    " fchownat utime utimes utimensat futimesat setxattr lsetxattr fsetxattr removexattr"
    " lremovexattr fremovexattr setxattrat removexattrat file_setattr"
)
_TRACES = _numbers(
    "socket shmget shmat shmctl shmdt semget semop semctl semtimedop msgget msgsnd msgrcv"
    " msgctl mq_open mq_unlink mq_timedsend mq_timedreceive mq_notify mq_getsetattr"
    " process_madvise pidfd_getfd pidfd_send_signal migrate_pages move_pages"  # others' memory
    " setpriority ioprio_set"
)
# (call, the argument that must name the caller itself: 0 for "this process")
_OWN_PROCESS_ONLY = tuple(
    (number, 0) for number in _numbers("kill tkill tgkill rt_sigqueueinfo rt_tgsigqueueinfo")
)
_SELF_ONLY = tuple(
    (number, 0)
    for number in _numbers(
        "sched_setparam sched_setscheduler sched_setaffinity sched_setattr prlimit64"
    )
)
_OPEN_FLAGS = ((_NR["open"], 1), (_NR["openat"], 2))  # the flags argument
_IOCTL, _SET_FLAGS = _NR["ioctl"], (0x40086602, 0x401C5820)  # FS_IOC_SETFLAGS, FS_IOC_FSSETXATTR
_MMAP, _MAP_SHARED = _NR["mmap"], 0x01  # MAP_SHARED and MAP_SHARED_VALIDATE both have this bit
_MREMAP = _NR["mremap"]
_FORK, _CLONE, _CLONE3, _OPENAT2 = (
    _numbers("fork vfork"),
    _NR["clone"],
    _NR["clone3"],
    _NR["openat2"],
)
CLONE_THREAD = 0x10000
_CLONE_NAMESPACES = 0x7E020000  # CLONE_NEWNS, NEWCGROUP, NEWUTS, NEWIPC, NEWUSER, NEWPID, NEWNET
_WRITE_FLAGS = 0o1 | 0o2 | 0o100 | 0o1000 | 0o2000  # O_WRONLY O_RDWR O_CREAT O_TRUNC O_APPEND


def before_cells() -> None:
    """Filter the runner's calls before its first cell runs (see the module's text)."""
    install(_CELLS_CODE)


def install(code) -> None:
    """Filter this process's calls through ``code``, in every thread: one a cell left running
    is held to it too. Sets no_new_privs, which a filter needs, even where none is installed."""
    if _prctl(PR_SET_NO_NEW_PRIVS, 1, 0, 0, 0) != 0:
        raise _OSError(_get_errno(), "no_new_privs")
    if FILTERS_CALLS:
        program = _Program(_len(code), _cast(code, _void_p))
        if _syscall(SECCOMP, SECCOMP_SET_MODE_FILTER, SECCOMP_FILTER_FLAG_TSYNC, _byref(program)):
            raise _OSError(_get_errno(), "seccomp filter")


def probe(own_pid: int):
    """A probe process's own filter: no new process, signals to ``own_pid`` only. Made in
    the probe process, so it uses no builtin a notebook could have replaced."""
    program = _NO_NEW_PROCESS + []
    for number, argument in _OWN_PROCESS_ONLY:
        program += _refuse_by_argument(number, argument, JEQ, own_pid, EPERM, unless=True)
    program += [(RETURN, 0, 0, ALLOW)]
    return (_Instruction * _len(program))(*[_Instruction(*step) for step in program])


class _Instruction(ctypes.Structure):  # struct sock_filter
    _fields_ = [
        ("code", ctypes.c_ushort),
        ("jt", ctypes.c_ubyte),
        ("jf", ctypes.c_ubyte),
        ("k", ctypes.c_uint32),
    ]


class _Program(ctypes.Structure):  # struct sock_fprog
    _fields_ = [("len", ctypes.c_ushort), ("filter", ctypes.c_void_p)]


# Classic BPF over struct seccomp_data: nr at 0, arch at 4, argument i's low half at 16 + 8i.
LOAD, JUMP, JEQ, JGE, JSET, RETURN = 0x20, 0x05, 0x15, 0x35, 0x45, 0x06
ALLOW, KILL, ERRNO = 0x7FFF0000, 0x80000000, 0x00050000
Code = list[tuple[int, int, int, int]]


def _arch() -> Code:
    """Every program starts here: x86-64 calls only, the call's number loaded."""
    return [
        (LOAD, 0, 0, 4),
        (JEQ, 1, 0, AUDIT_ARCH_X86_64),
        (RETURN, 0, 0, KILL),
        (LOAD, 0, 0, 0),
        (JGE, 0, 1, 0x40000000),  # the x32 calls
        (RETURN, 0, 0, ERRNO | ENOSYS),
    ]


def _cells() -> Code:
    """The runner's program from its first cell: what a container's default profile refuses,
    and new namespaces through clone (clone3's flags are in memory: it gets ENOSYS, and the C
    library falls back to clone)."""
    program = _arch() + _refuse_any(_CONTAINER_DEFAULT, EPERM) + _refuse_any((_CLONE3,), ENOSYS)
    program += _refuse_by_argument(_CLONE, 0, JSET, _CLONE_NAMESPACES, EPERM)
    return program + [(RETURN, 0, 0, ALLOW)]


def _runner() -> Code:
    """The runner's program from its first probe process on, inherited by its probes: the
    cells' refusals (whether or not the cells' filter was installed) and more."""
    program = _cells()[:-1] + _refuse_any(_FILE_CHANGES, EROFS) + _refuse_any(_TRACES, EPERM)
    program += _refuse_any((_OPENAT2,), ENOSYS)  # its arguments in memory: libc falls back
    for number, argument in _SELF_ONLY:
        program += _refuse_by_argument(number, argument, JEQ, 0, EPERM, unless=True)
    for number, argument in _OPEN_FLAGS:
        program += _refuse_by_argument(number, argument, JSET, _WRITE_FLAGS, EROFS)
    for request in _SET_FLAGS:
        program += _refuse_by_argument(_IOCTL, 1, JEQ, request, EROFS)
    program += _refuse_by_argument(_MMAP, 3, JSET, _MAP_SHARED, EPERM)
    program += _refuse_by_argument(_MREMAP, 1, JEQ, 0, EPERM)  # old size 0: a shared copy
    return program + [(RETURN, 0, 0, ALLOW)]


def _no_new_process() -> Code:
    """The start of a probe process's own program: threads only (a clone without CLONE_THREAD
    is a new process)."""
    program = _arch() + _refuse_any(_FORK, EPERM)
    return program + _refuse_by_argument(_CLONE, 0, JSET, CLONE_THREAD, EPERM, unless=True)


def _refuse_any(numbers: tuple[int, ...], error: int) -> Code:
    """Refuse each of ``numbers``."""
    count = len(numbers)
    checks = [(JEQ, count - index, 0, number) for index, number in enumerate(numbers)]
    return [(LOAD, 0, 0, 0), *checks, (JUMP, 0, 0, 1), (RETURN, 0, 0, ERRNO | error)]


def _refuse_by_argument(
    number: int, argument: int, test: int, value: int, error: int, unless: bool = False
) -> Code:
    """Refuse ``number`` when its ``argument`` passes ``test`` against ``value`` (``unless``:
    when it does not)."""
    over = (1, 0) if unless else (0, 1)  # where the test jumps: over the refusal, or into it
    return [
        (LOAD, 0, 0, 0),
        (JEQ, 0, 3, number),
        (LOAD, 0, 0, 16 + 8 * argument),
        (test, *over, value),
        (RETURN, 0, 0, ERRNO | error),
    ]


def _assembled(program: Code):
    return (_Instruction * len(program))(*[_Instruction(*step) for step in program])


_CELLS_CODE = _assembled(_cells())
RUNNER = _assembled(_runner())
_NO_NEW_PROCESS = _no_new_process()
