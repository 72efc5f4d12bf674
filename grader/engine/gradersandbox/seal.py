"""The probe's seal: what one graded function's calls do cannot reach another function's.

Each probe process is a fresh fork of the runner, so its memory is its own. What it would
still share with the runner and the other probes of the submission is sealed:

- **shared memory** the cells mapped: the runner makes each mapping a private copy before its
  first probe process (:func:`before_probes`);
- **descriptors** the cells left open: in the probe, a file's becomes a read-only descriptor
  of its own (its offset no longer shared); anything else (pipes, sockets, a file open for
  writing only) reads or writes ``/dev/null`` (:func:`seal`);
- **system calls that leave a trace outside the process** are refused by seccomp filters:
  writing, making, removing or renaming files, or changing their metadata (``EROFS``); new
  sockets, System V and POSIX IPC, keys, other processes' memory, priority and limits
  (``EPERM``), from the runner's first probe process on, to the runner and to all it forks;
  new processes and signals to any other process (``EPERM``), to each probe process. Threads
  still start.

It is a wall against what a function's calls do, not against a notebook that rewrites the
grader's own code in its process.
"""

from __future__ import annotations

import ctypes
import os
import stat
from errno import ENOSYS, EPERM, EROFS

__all__ = ["before_probes", "seal"]

# Everything used after the cells ran is looked up now: a notebook may replace what it likes.
_open, _close, _dup2, _fstat, _lseek = os.open, os.close, os.dup2, os.fstat, os.lseek
_listdir, _read, _pread, _getpid, _devnull = os.listdir, os.read, os.pread, os.getpid, os.devnull
_O_RDONLY, _O_WRONLY, _O_RDWR, _O_CLOEXEC, _SEEK_CUR, _SEEK_SET = 0, 1, 2, os.O_CLOEXEC, 1, 0
_NULL: dict[int, int] = {}  # /dev/null, by access mode, opened before the runner is sealed
_S_ISREG, _S_ISDIR = stat.S_ISREG, stat.S_ISDIR
_int, _len, _range, _bytes, _sum, _set, _OSError = int, len, range, bytes, sum, set, OSError
_LIBC = ctypes.CDLL(None, use_errno=True)
_memmove, _get_errno, _byref, _cast = ctypes.memmove, ctypes.get_errno, ctypes.byref, ctypes.cast
_void_p = ctypes.c_void_p
_mmap, _mprotect, _prctl, _fcntl_c = _LIBC.mmap, _LIBC.mprotect, _LIBC.prctl, _LIBC.fcntl
_syscall = _LIBC.syscall
_mmap.restype = _void_p
_mmap.argtypes = [_void_p, ctypes.c_size_t, *[ctypes.c_int] * 3, ctypes.c_long]
_mprotect.argtypes = [_void_p, ctypes.c_size_t, ctypes.c_int]

F_GETFL = 3
PROT = {"r": 1, "w": 2, "x": 4}
MAP_PRIVATE, MAP_FIXED, MAP_ANONYMOUS = 0x02, 0x10, 0x20
PR_SET_NO_NEW_PRIVS = 38
SECCOMP, SECCOMP_SET_MODE_FILTER, SECCOMP_FILTER_FLAG_TSYNC = 317, 1, 1  # x86-64

# Linux x86-64 system call numbers (asm/unistd_64.h), kept as that table has them.
# fmt: off
_FILE_CHANGES = (
    85, 83, 258, 84, 87, 263, 82, 264, 316, 86, 265, 88, 266, 133, 259, 76,  # creat .. truncate
    90, 91, 268, 452, 92, 93, 94, 260, 132, 235, 280, 261,  # chmod .. futimesat
    188, 189, 190, 197, 198, 199, 463, 466, 469,  # xattrs, file_setattr
)
_TRACES = (
    41,  # socket
    29, 30, 31, 67, 64, 65, 66, 220, 68, 69, 70, 71, 240, 241, 242, 243, 244, 245,  # IPC
    248, 249, 250,  # keys
    101, 310, 311, 440, 438, 424, 312, 256, 279,  # other processes: ptrace .. move_pages
    141, 251,  # setpriority, ioprio_set
    298, 321, 425, 426, 427, 272, 308, 304,  # perf, bpf, io_uring, unshare, setns, by handle
)
_OWN_PROCESS_ONLY = ((62, 0), (200, 0), (234, 0), (129, 0), (297, 0))  # kill .. sigqueue
_SELF_ONLY = ((142, 0), (144, 0), (203, 0), (314, 0), (302, 0))  # sched_set*, prlimit64: pid 0
_OPEN_FLAGS = ((2, 1), (257, 2))  # open, openat: the flags argument
_IOCTL, _SET_FLAGS = 16, (0x40086602, 0x401C5820)  # FS_IOC_SETFLAGS, FS_IOC_FSSETXATTR
_FORK, _CLONE, _CLONE3, _OPENAT2, CLONE_THREAD = (57, 58), 56, 435, 437, 0x10000
# fmt: on
_WRITE_FLAGS = 0o1 | 0o2 | 0o100 | 0o1000 | 0o2000  # O_WRONLY O_RDWR O_CREAT O_TRUNC O_APPEND
AUDIT_ARCH_X86_64 = 0xC000003E
FILTERS_CALLS = os.uname().machine == "x86_64"  # elsewhere only descriptors and memory


def before_probes() -> None:
    """Seal the runner once its cells ran, before its first probe process: its shared memory
    becomes its own, and the calls that leave a trace are refused to it and to every process it
    forks (the runner itself only forks, signals and reaps its probe processes from now on)."""
    _private_shared_memory()
    for access in (_O_RDONLY, _O_WRONLY, _O_RDWR):  # to open no more once sealed
        if access not in _NULL:  # a runner that failed to seal may try again
            _NULL[access] = _open(_devnull, access | _O_CLOEXEC)
    _install(_RUNNER_CODE)


def seal(keep: tuple[int, ...]) -> None:
    """Seal this probe process; ``keep``: its own descriptors (besides 0, 1 and 2)."""
    _own_descriptors(_set(keep) | _set(_NULL.values()) | {0, 1, 2})
    if FILTERS_CALLS:
        program = _probe(_getpid())
        _install((_Instruction * _len(program))(*program))


def _install(code) -> None:
    """Filter this process's calls through ``code``, in every thread: one a cell left running
    in the runner is held to it too."""
    if _prctl(PR_SET_NO_NEW_PRIVS, 1, 0, 0, 0) != 0:
        raise _OSError(_get_errno(), "no_new_privs")
    if FILTERS_CALLS:
        program = _Program(_len(code), _cast(code, _void_p))
        if _syscall(SECCOMP, SECCOMP_SET_MODE_FILTER, SECCOMP_FILTER_FLAG_TSYNC, _byref(program)):
            raise _OSError(_get_errno(), "seccomp filter")


def _own_descriptors(keep: set[int]) -> None:
    """Give each inherited descriptor a description of this process's own."""
    for name in _listdir("/proc/self/fd"):
        fd = _int(name)
        if fd in keep:
            continue
        try:
            mode, access = _fstat(fd).st_mode, _fcntl(fd, F_GETFL) & 3
        except _OSError:  # the listing's own descriptor, closed by now
            continue
        replacement = None
        if (_S_ISREG(mode) or _S_ISDIR(mode)) and access != _O_WRONLY:
            try:
                replacement = _open("/proc/self/fd/" + name, _O_RDONLY | _O_CLOEXEC)
                if _S_ISREG(mode):
                    _lseek(replacement, _lseek(fd, 0, _SEEK_CUR), _SEEK_SET)
            except _OSError:
                replacement = None
        if replacement is None:
            _dup2(_NULL.get(access, _NULL[_O_RDONLY]), fd, inheritable=False)
        else:
            _dup2(replacement, fd, inheritable=False)
            _close(replacement)


def _fcntl(fd: int, command: int) -> int:
    result = _fcntl_c(fd, command, 0)
    if result < 0:
        raise _OSError(_get_errno(), "fcntl")
    return result


def _private_shared_memory() -> None:
    """Replace each shared mapping of this process with a private copy at the same address."""
    shared = [fields for fields in _mappings() if fields[1][3] == "s"]
    if not shared:
        return
    memory = _open("/proc/self/mem", _O_RDONLY | _O_CLOEXEC)
    try:
        for fields in shared:
            low, high = (_int(bound, 16) for bound in fields[0].split("-"))
            content = _readable(memory, low, high)
            if _mmap(low, high - low, 3, MAP_PRIVATE | MAP_FIXED | MAP_ANONYMOUS, -1, 0) != low:
                raise _OSError(_get_errno(), "private copy of shared memory")
            _memmove(low, content, _len(content))
            _mprotect(low, high - low, _sum(PROT.get(flag, 0) for flag in fields[1][:3]))
    finally:
        _close(memory)


def _mappings() -> list[list[str]]:
    """The fields of each line of /proc/self/maps."""
    fd, chunks = _open("/proc/self/maps", _O_RDONLY | _O_CLOEXEC), []
    try:
        while chunk := _read(fd, 1 << 16):
            chunks.append(chunk)
    finally:
        _close(fd)
    return [line.split() for line in b"".join(chunks).decode().splitlines()]


def _readable(memory: int, low: int, high: int) -> bytes:
    """What ``low``..``high`` holds, page by page where a page cannot be read (beyond the end
    of a mapped file): zeros there."""
    try:
        return _pread(memory, high - low, low)
    except _OSError:
        pass
    pages = []
    for start in _range(low, high, 4096):
        try:
            pages.append(_pread(memory, 4096, start))
        except _OSError:
            pages.append(_bytes(4096))
    return b"".join(pages)


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


def _runner() -> Code:
    """The runner's program, inherited by its probe processes."""
    program = _arch() + _refuse_any(_FILE_CHANGES, EROFS) + _refuse_any(_TRACES, EPERM)
    program += _refuse_any((_OPENAT2,), ENOSYS)  # its arguments in memory: libc falls back
    for number, argument in _SELF_ONLY:
        program += _refuse_by_argument(number, argument, JEQ, 0, EPERM, unless=True)
    for number, argument in _OPEN_FLAGS:
        program += _refuse_by_argument(number, argument, JSET, _WRITE_FLAGS, EROFS)
    for request in _SET_FLAGS:
        program += _refuse_by_argument(_IOCTL, 1, JEQ, request, EROFS)
    return program + [(RETURN, 0, 0, ALLOW)]


def _no_new_process() -> Code:
    """The start of a probe process's own program: threads only (a clone without CLONE_THREAD
    is a new process)."""
    program = _arch() + _refuse_any(_FORK, EPERM) + _refuse_any((_CLONE3,), ENOSYS)
    return program + _refuse_by_argument(_CLONE, 0, JSET, CLONE_THREAD, EPERM, unless=True)


def _probe(own_pid: int) -> Code:
    """A probe process's own program: no new process, signals to ``own_pid`` only. Made in
    the probe process, so it uses no builtin a notebook could have replaced."""
    program = _NO_NEW_PROCESS + []
    for number, argument in _OWN_PROCESS_ONLY:
        program += _refuse_by_argument(number, argument, JEQ, own_pid, EPERM, unless=True)
    return program + [(RETURN, 0, 0, ALLOW)]


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


_RUNNER = _runner()
_RUNNER_CODE = (_Instruction * len(_RUNNER))(*_RUNNER)
_NO_NEW_PROCESS = _no_new_process()
