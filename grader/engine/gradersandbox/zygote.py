"""The warm process: imports the runtime once, then forks one isolated child per submission.

It never runs student code. The grader sends it a fork request (settings as JSON, and the
descriptors of the submission's pipes and cgroup files) and forks a child that is born the
init of a fresh pid namespace. The child joins the submission's cgroups, takes fresh mount, IPC
and cgroup namespaces (new ``/tmp``, ``/content`` and ``/dev/shm``, its own ``/proc``), then a
user namespace of its own (which may make none inside it) and a network namespace of its own
(only a loopback), so that nothing the kernel keeps per user or per network (keys, sockets,
the abstract socket names, connections in TIME_WAIT) is shared by two submissions; and is
a small supervisor that starts the runner (:mod:`.runner`), forwards the grader's signals and
reports how the runner ended. When the supervisor ends, the kernel ends every process of the
submission.
"""

from __future__ import annotations

import ctypes
import fcntl
import gc
import importlib
import json
import os
import select
import signal
import socket
import struct
import sys
from typing import TYPE_CHECKING

from . import protocol, shared, wire
from .limits import (
    HUGE_PAGES_FROM_FORK,
    REQUEST_BYTES,
    REQUEST_FDS,
    SHARED_CELLS_BYTES,
    USER_NAMESPACES,
)

if TYPE_CHECKING:
    from IPython.core.interactiveshell import InteractiveShell

CLONE_NEWNS = 0x00020000
CLONE_NEWCGROUP = 0x02000000
CLONE_NEWIPC = 0x08000000
CLONE_NEWPID = 0x20000000
CLONE_NEWUSER, CLONE_NEWNET = 0x10000000, 0x40000000
SIOCGIFFLAGS, SIOCSIFFLAGS, IFF_UP = 0x8913, 0x8914, 0x1
MS_RDONLY, MS_NOSUID, MS_NODEV, MS_NOEXEC, MS_REMOUNT, MS_BIND = 1, 2, 4, 8, 32, 1 << 12
MS_REC, MS_PRIVATE = 1 << 14, 1 << 18
PR_SET_DUMPABLE = 4
MADV_HUGEPAGE, MADV_COLLAPSE = 14, 25
_LIBC = ctypes.CDLL(None, use_errno=True)
_WARM_PID = -1  # set by serve(): where the pid namespace for children is put back


def _check(result: int, what: str) -> None:
    if result != 0:
        error = ctypes.get_errno()
        raise OSError(error, f"{what}: {os.strerror(error)}")


def _mount(source: str, target: str, kind: str, flags: int, data: str | None = None) -> None:
    raw = data.encode() if data else None
    _check(_LIBC.mount(source.encode(), target.encode(), kind.encode(), flags, raw), target)


def warm(modules: list[str], font_list: tuple[str, int] | None = None) -> InteractiveShell:
    """Import what every notebook runs with, and the ``modules`` the grader names (what the
    submissions are expected to import: torch takes seconds, and is named only where the
    assignment allows it), so forks start with them loaded; the shell every submission runs
    in. A module that fails to import is left for the submission that imports it.
    ``font_list``: matplotlib's font list the grader sent (its name, an open descriptor)."""
    import numpy  # noqa: F401

    from . import runner

    for name in modules:
        try:
            importlib.import_module(name)
        except Exception:  # not in this runtime: the submission that imports it says so
            pass
    return runner.prepare(font_list)


def serve(
    control: socket.socket, isolate: bool, shell: InteractiveShell, shared_cells: shared.SharedCells
) -> None:
    """Answer fork requests until the grader closes the control socket; each submission runs
    in ``shell``, forked, with the ``shared_cells`` it may put in place."""
    signal.signal(signal.SIGINT, signal.SIG_IGN)
    signal.signal(signal.SIGCHLD, lambda *_: _reap())  # each submission's init, when it ends
    settle()
    global _WARM_PID
    _WARM_PID = os.getpid()
    own_pid_namespace = (
        os.open("/proc/self/ns/pid", os.O_RDONLY | os.O_CLOEXEC) if isolate else None
    )
    control.send(b"R")  # warm
    requests = 0
    while True:
        try:
            message, fds, _, _ = socket.recv_fds(control, REQUEST_BYTES, REQUEST_FDS)
        except InterruptedError:
            continue
        if not message:
            return
        requests += 1
        if requests == HUGE_PAGES_FROM_FORK:  # from here on, forks are many: make them cheap
            use_huge_pages()
        try:
            pid = _fork_init(own_pid_namespace)
        except OSError:  # no namespace for it: the grader sees its pipes close unanswered
            pid = None
        if pid == 0:
            try:
                signal.signal(signal.SIGCHLD, signal.SIG_DFL)
                control.close()
                if own_pid_namespace is not None:
                    os.close(own_pid_namespace)
                _start_submission(json.loads(message), fds, isolate, shell, shared_cells)
            finally:
                os._exit(70)
        for fd in fds:
            os.close(fd)


def settle() -> None:
    """Make the warm process cheap to fork, once it imported what it keeps: what the imports
    made is never collected (kept out of the collector's sight, a child's collections do not
    write to, and so copy, every page of it). The collector, off while it imported
    (:func:`main`), is on again for every submission. Its heap is backed by huge pages later,
    at the fork request that makes them worth their cost (:func:`serve`)."""
    gc.collect()
    gc.freeze()
    gc.enable()


def _fork_init(own_pid_namespace: int | None) -> int:
    """Fork the submission's first process: with ``own_pid_namespace`` (the warm process's,
    open), the init of a fresh pid namespace, made without a process in between."""
    if own_pid_namespace is None:
        return os.fork()
    _check(_LIBC.unshare(CLONE_NEWPID), "unshare")  # for the next child only
    try:
        pid = os.fork()
    finally:  # in the warm process, not in the child: its next children are its own again
        if os.getpid() == _WARM_PID and _LIBC.setns(own_pid_namespace, CLONE_NEWPID) != 0:
            os._exit(71)  # else the next submissions would share a pid namespace; restarted
    return pid


def use_huge_pages() -> None:
    """Back the warm process's heap with 2 MiB pages where the kernel can (Linux 6.1 or
    later): a fork then copies one page-table entry per 2 MiB instead of 512, which makes
    each fork of a process that imported torch about three times cheaper. A child's write
    still copies only the 4 KiB it touches. It costs 0.3 to 0.4 s of CPU with torch loaded, so
    :func:`serve` calls it at the fork request ``HUGE_PAGES_FROM_FORK``, not before a run's
    first. Best effort: an older kernel changes nothing."""
    huge = 2 * 1024 * 1024
    madvise = _LIBC.madvise
    madvise.argtypes = [ctypes.c_void_p, ctypes.c_size_t, ctypes.c_int]
    try:
        with open("/proc/self/maps") as maps:
            regions = [line.split() for line in maps]
    except OSError:
        return
    for fields in regions:
        if "w" not in fields[1] or (len(fields) > 5 and fields[5] != "[heap]"):
            continue  # only the private heap and anonymous memory, never a file's pages
        low, high = (int(bound, 16) for bound in fields[0].split("-"))
        start, end = -(-low // huge) * huge, high // huge * huge
        if end > start:
            madvise(start, end - start, MADV_HUGEPAGE)
            madvise(start, end - start, MADV_COLLAPSE)


def _reap(most: int = 4096) -> None:
    """Reap ended children (at most ``most`` at once: a fork bomb makes them forever)."""
    try:
        for _ in range(most):
            if os.waitpid(-1, os.WNOHANG)[0] <= 0:
                return
    except ChildProcessError:
        pass


def _start_submission(
    settings: dict,
    fds: list[int],
    isolate: bool,
    shell: InteractiveShell,
    shared_cells: shared.SharedCells,
) -> None:
    """In the forked child, the init of the submission's pid namespace: enter its cgroups and
    its other namespaces, start its runner, supervise."""
    cgroup_count = settings["cgroup_files"]
    joins, (down, up, output, orders, reports) = fds[:cgroup_count], fds[cgroup_count:]
    os.setsid()
    for fd in joins:
        os.write(fd, b"0")  # this process; its children are born in the same cgroups
        os.close(fd)
    if isolate:
        _check(_LIBC.unshare(CLONE_NEWNS | CLONE_NEWIPC | CLONE_NEWCGROUP), "unshare")
        _mount("none", "/", "", MS_REC | MS_PRIVATE)
        disk = settings["disk_bytes"]
        for target, size in (("/tmp", disk), ("/content", disk + settings["files_bytes"])):
            _mount("tmpfs", target, "tmpfs", MS_NOSUID | MS_NODEV, f"size={size},mode=1777")
        _mount("tmpfs", "/dev/shm", "tmpfs", MS_NOSUID | MS_NODEV, f"size={disk},mode=1777")
        _mount("proc", "/proc", "proc", MS_NOSUID | MS_NODEV | MS_NOEXEC)
        _own_user_namespace()
        _mount("/proc/sys", "/proc/sys", "", MS_BIND | MS_REC)
        # with the flags /proc has, which a mount namespace of a user namespace keeps locked
        proc_flags = MS_NOSUID | MS_NODEV | MS_NOEXEC
        _mount("none", "/proc/sys", "", MS_BIND | MS_REMOUNT | MS_RDONLY | proc_flags)
        _own_network()
    _LIBC.prctl(PR_SET_DUMPABLE, 0, 0, 0, 0)  # no ptrace, no /proc/1/fd for student code
    runner_pid = os.fork()
    if runner_pid == 0:
        os.close(orders)
        os.close(reports)
        from . import runner

        runner.main(settings, shell, shared_cells, (down, up, output))
        os._exit(0)
    for fd in (down, up, output):
        os.close(fd)
    _supervise(runner_pid, orders, reports, isolate)


def _own_user_namespace() -> None:
    """Move into a user namespace of the submission's own, as the same user, that may make no
    user namespace inside it; then into a mount namespace it owns (the mounts made so far are
    locked in it, so student code cannot unmount them to see the warm process's)."""
    uid, gid = os.getuid(), os.getgid()
    _check(_LIBC.unshare(CLONE_NEWUSER), "unshare user")
    maps = (("setgroups", "deny"), ("uid_map", f"{uid} {uid} 1"), ("gid_map", f"{gid} {gid} 1"))
    for name, text in maps:  # setgroups first: the warm process may not map groups otherwise
        _write(f"/proc/self/{name}", text)
    _write("/proc/sys/user/max_user_namespaces", "0")
    _check(_LIBC.unshare(CLONE_NEWNS), "unshare mount")


def _own_network() -> None:
    """A network namespace of the submission's own, its loopback up, as on any machine."""
    _check(_LIBC.unshare(CLONE_NEWNET), "unshare network")
    with socket.socket(socket.AF_INET, socket.SOCK_DGRAM) as probe:
        request = struct.pack("16sH14x", b"lo", 0)
        flags = struct.unpack_from("16sH", fcntl.ioctl(probe, SIOCGIFFLAGS, request))[1]
        fcntl.ioctl(probe, SIOCSIFFLAGS, struct.pack("16sH14x", b"lo", flags | IFF_UP))


def _write(path: str, text: str) -> None:
    with open(path, "w") as file:
        file.write(text)


def _supervise(runner_pid: int, orders: int, reports: int, isolate: bool) -> None:
    """Forward the grader's signals, reap orphans, report the runner's end; return when the
    grader closes the orders pipe."""
    for number in (signal.SIGINT, signal.SIGTERM, signal.SIGHUP, signal.SIGPIPE):
        signal.signal(number, signal.SIG_DFL)  # as init, signals without handlers are ignored
    reader = wire.Reader(4096)
    runner_fd = os.pidfd_open(runner_pid)
    while True:
        ready, _, _ = select.select([orders, runner_fd], [], [], 1.0)
        if runner_fd in ready:
            _, status = os.waitpid(runner_pid, 0)
            code = os.waitstatus_to_exitcode(status)
            _report(reports, code)
            os.close(runner_fd)
            runner_fd = -1
        if orders in ready:
            chunk = os.read(orders, 4096)
            if not chunk:
                break
            reader.feed(chunk)
            while (order := reader.next()) is not None:
                try:
                    request = protocol.read_signal_request(order)
                    os.kill(request.pid, request.number)
                except (wire.WireError, OSError):
                    pass
        _reap()
        if runner_fd < 0 and not isolate:
            break
    if not isolate:  # no pid namespace ends the rest: end the session's processes
        try:
            os.killpg(0, signal.SIGKILL)
        except OSError:
            pass


def _report(reports: int, code: int) -> None:
    try:
        protocol.send(reports, protocol.ExitCode(code))
    except OSError:
        pass


def _strings(given: object) -> list[str]:
    return [s for s in given if isinstance(s, str)] if isinstance(given, list) else []


def main() -> None:
    # What the imports make is nearly all kept: the collections they set off (full ones over
    # torch's objects among them) cost about half a second of each warm start and free little;
    # settle() collects once, and turns the collector on before any submission is forked.
    gc.disable()
    control = socket.socket(fileno=int(sys.argv[1]))
    isolate = sys.argv[2] == "isolate"
    if isolate:  # one per submission (which may make none inside it): see _own_user_namespace
        _write("/proc/sys/user/max_user_namespaces", str(USER_NAMESPACES))
    # The first message: the modules to import ahead and the cells every submission shares
    # (a JSON object of two lists of strings), and the name of the font list whose
    # descriptor it carries, if any.
    message, fds, _, _ = socket.recv_fds(control, SHARED_CELLS_BYTES + 4096, 1)
    ahead = json.loads(message or b"{}")
    name = ahead.get("font_list")
    shell = warm(_strings(ahead.get("modules")), (name, fds[0]) if fds and name else None)
    shared_cells = shared.SharedCells.prepare(shell, _strings(ahead.get("cells")))
    serve(control, isolate, shell, shared_cells)
    # The grader let go of it: end at once. Python's own ending takes apart every module
    # imported ahead, torch's included (about 0.3 s of a warm process's 4 s of CPU, which the
    # grader waits out at the end of every run); nothing of this process is kept, its children
    # ran the submissions.
    sys.stdout.flush()
    sys.stderr.flush()
    os._exit(0)


if __name__ == "__main__":
    main()
