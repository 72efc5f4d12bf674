"""The probe's seal: what one graded function's calls do cannot reach another function's.

Each probe process is a fresh fork of the runner, so its memory is its own. What it would
still share with the runner and the other probes of the submission is sealed:

- **shared memory** the cells mapped: the runner makes each mapping a private copy before its
  first probe process, and maps no shared memory from then on (:func:`before_probes`), so no
  probe process inherits any, whenever it was mapped;
- **descriptors** the cells left open: in the probe, a file's becomes a read-only descriptor
  of its own (its offset no longer shared); anything else (pipes, sockets, a file open for
  writing only) reads or writes ``/dev/null`` (:func:`seal`);
- **system calls that leave a trace outside the process** are refused by seccomp filters
  (:mod:`.filters`).

It is a wall against what a function's calls do, not against a notebook that rewrites the
grader's own code in its process.
"""

from __future__ import annotations

import ctypes
import os
import stat

from . import filters

__all__ = ["before_probes", "seal", "FILTERS_CALLS"]

# Everything used after the cells ran is looked up now: a notebook may replace what it likes.
_open, _close, _dup2, _fstat, _lseek = os.open, os.close, os.dup2, os.fstat, os.lseek
_listdir, _read, _getpid, _devnull = os.listdir, os.read, os.getpid, os.devnull
_O_RDONLY, _O_WRONLY, _O_RDWR, _O_CLOEXEC, _SEEK_CUR, _SEEK_SET = 0, 1, 2, os.O_CLOEXEC, 1, 0
_NULL: dict[int, int] = {}  # /dev/null, by access mode, opened before the runner is sealed
_S_ISREG, _S_ISDIR = stat.S_ISREG, stat.S_ISDIR
_int, _len, _range, _sum, _set, _OSError = int, len, range, sum, set, OSError
_LIBC = ctypes.CDLL(None, use_errno=True)
_memmove, _get_errno, _void_p = ctypes.memmove, ctypes.get_errno, ctypes.c_void_p
_mmap, _mprotect, _fcntl_c = _LIBC.mmap, _LIBC.mprotect, _LIBC.fcntl
_memfd_create = _LIBC.memfd_create
_mmap.restype = _void_p
_mmap.argtypes = [_void_p, ctypes.c_size_t, *[ctypes.c_int] * 3, ctypes.c_long]
_mprotect.argtypes = [_void_p, ctypes.c_size_t, ctypes.c_int]
_memfd_create.argtypes = [ctypes.c_char_p, ctypes.c_uint]
_char, _pwrite, _preadv = ctypes.c_char, os.pwrite, os.preadv
_MFD_CLOEXEC, _PAGE, _PASSES = 1, 4096, 8

F_GETFL = 3
PROT = {"r": 1, "w": 2, "x": 4}
MAP_PRIVATE, MAP_FIXED, MAP_ANONYMOUS = 0x02, 0x10, 0x20
FILTERS_CALLS = filters.FILTERS_CALLS  # elsewhere only descriptors and memory


def before_probes() -> None:
    """Seal the runner once its cells ran, before its first probe process: the calls that
    leave a trace (new shared memory among them) are refused to it and to every process it
    forks (the runner itself only forks, signals and reaps its probe processes from now on),
    then its shared memory becomes its own. The filter comes first, so that a thread the
    cells left running cannot map shared memory between the two; a mapping it moves while
    they are made private is found again."""
    for access in (_O_RDONLY, _O_WRONLY, _O_RDWR):  # to open no more once sealed
        if access not in _NULL:  # a runner that failed to seal may try again
            _NULL[access] = _open(_devnull, access | _O_CLOEXEC)
    filters.install(filters.RUNNER)
    for _ in _range(_PASSES):
        shared = _shared_mappings()
        if not shared:
            return
        _private(shared)
    raise _OSError(1, "a thread of the notebook kept moving shared memory while it was sealed")


def seal(keep: tuple[int, ...]) -> None:
    """Seal this probe process; ``keep``: its own descriptors (besides 0, 1 and 2)."""
    _own_descriptors(_set(keep) | _set(_NULL.values()) | {0, 1, 2})
    if FILTERS_CALLS:
        filters.install(filters.probe(_getpid()))


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


def _shared_mappings() -> list[list[str]]:
    return [fields for fields in _mappings() if fields[1][3] == "s"]


def _private(shared: list[list[str]]) -> None:
    """Replace each of the ``shared`` mappings with a private copy at the same address. The
    copy goes through a memory file, written from the mapping by the kernel: a page that
    cannot be read (beyond the end of a mapped file, where touching it raises SIGBUS) is not
    written, and reads back as zeros. No ``/proc/self/mem``, which only root may open in a
    process that is not dumpable."""
    for fields in shared:
        low, high = (_int(bound, 16) for bound in fields[0].split("-"))
        copy = _memfd_create(b"seal", _MFD_CLOEXEC)
        if copy < 0:
            raise _OSError(_get_errno(), "memory file for the private copy")
        try:
            _copy_out(copy, low, high)
            if _mmap(low, high - low, 3, MAP_PRIVATE | MAP_FIXED | MAP_ANONYMOUS, -1, 0) != low:
                raise _OSError(_get_errno(), "private copy of shared memory")
            _preadv(copy, [_at(low, high - low)], 0)
        finally:
            _close(copy)
        _mprotect(low, high - low, _sum(PROT.get(flag, 0) for flag in fields[1][:3]))


def _copy_out(fd: int, low: int, high: int) -> None:
    """Write ``low``..``high`` to ``fd`` at the same offsets, leaving out unreadable pages."""
    try:
        if _pwrite(fd, _at(low, high - low), 0) == high - low:
            return
    except _OSError:
        pass
    for start in _range(low, high, _PAGE):
        try:
            _pwrite(fd, _at(start, _PAGE), start - low)
        except _OSError:  # EFAULT: left as a hole, zeros
            pass


def _at(address: int, size: int):
    return (_char * size).from_address(address)


def _mappings() -> list[list[str]]:
    """The fields of each line of /proc/self/maps."""
    fd, chunks = _open("/proc/self/maps", _O_RDONLY | _O_CLOEXEC), []
    try:
        while chunk := _read(fd, 1 << 16):
            chunks.append(chunk)
    finally:
        _close(fd)
    return [line.split() for line in b"".join(chunks).decode().splitlines()]
