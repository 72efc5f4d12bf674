"""The container's first process (pid 1 of a fresh pid namespace, in a fresh mount namespace,
and a fresh network namespace where the spec says so), started by :mod:`.container` through
``unshare``. Standard library only: it is run as a script.

It builds the container root as an overlay (the image's own top layer, then the run's): the
host's system folders bound read-only in it, the folders an image may change as overlays (the
host's folder, then the image's layers, then this run's own upper folder, on the host), a
fresh /proc, a minimal /dev, sysfs read-only. Then it starts the one command inside the root
as root, with the limits, capability set and seccomp program the spec names: as a child it
waits for within the timeout (Gradescope's harness, which then reads results.json a moment
later: what the run left running gets that moment, then is killed; its status, as JSON for
the host), or, ``as_init``, by becoming it (Docker's entrypoint, pid 1: PrairieLearn). When
pid 1 exits, the kernel ends whatever is left, and the mounts with the namespace.
"""

from __future__ import annotations

import ctypes
import fcntl
import json
import os
import resource
import signal
import socket
import struct
import sys
import threading
import time

MS_RDONLY, MS_NOSUID, MS_NODEV, MS_NOEXEC = 1, 2, 4, 8
MS_REMOUNT, MS_BIND, MS_REC = 32, 4096, 16384
PR_CAPBSET_DROP, MNT_DETACH = 24, 2
PIVOT_ROOT = {"x86_64": 155, "aarch64": 41}  # the call's number: no libc wrapper
RT_SIGACTION = {"x86_64": 13, "aarch64": 134}  # glibc's wrapper refuses signals 32 and 33
KERNEL_NSIG = 64
SECCOMP_SET_MODE_FILTER = 1
SIOCGIFFLAGS, SIOCSIFFLAGS, IFF_UP = 0x8913, 0x8914, 0x1
DEVICES = ("null", "zero", "full", "random", "urandom", "tty")
PROC_READ_ONLY = ("sys", "sysrq-trigger", "irq", "bus", "fs")  # as Docker's readonly paths

_libc = ctypes.CDLL(None, use_errno=True)
_libc.mount.argtypes = [ctypes.c_char_p] * 3 + [ctypes.c_ulong, ctypes.c_char_p]
_libc.prctl.argtypes = [
    ctypes.c_int,
    ctypes.c_ulong,
    ctypes.c_ulong,
    ctypes.c_ulong,
    ctypes.c_ulong,
]
_libc.umount2.argtypes = [ctypes.c_char_p, ctypes.c_int]


def _mount(source: str | None, target: str, kind: str | None, flags: int, data: str = "") -> None:
    def encoded(text):
        return None if text is None else text.encode()

    if _libc.mount(encoded(source), target.encode(), encoded(kind), flags, encoded(data)) != 0:
        error = ctypes.get_errno()
        raise OSError(error, f"mount {kind or 'bind'} {source} on {target}: {os.strerror(error)}")


def _bind(source: str, target: str, read_only: bool) -> None:
    _mount(source, target, None, MS_BIND)
    if read_only:
        _mount(None, target, None, MS_BIND | MS_REMOUNT | MS_RDONLY | MS_NOSUID)


def build_root(spec: dict) -> str:
    """The container root, an overlay at ``spec['root']`` with the rest mounted in it."""
    root = spec["root"]
    top, *layers = spec["layers"]  # the root's own layer first, beneath every other
    _mount_layer(top, root)
    for name, target in spec["symlinks"].items():
        if not os.path.lexists(f"{root}/{name}"):
            os.symlink(target, f"{root}/{name}")
    for name in spec["system"]:
        _bind(f"/{name}", f"{root}/{name}", read_only=True)
    for layer in layers:
        _mount_layer(layer, f"{root}/{layer['path']}")
    _mount("proc", f"{root}/proc", "proc", MS_NOSUID | MS_NODEV | MS_NOEXEC)
    for name in PROC_READ_ONLY:
        if os.path.exists(f"{root}/proc/{name}"):
            _bind(f"{root}/proc/{name}", f"{root}/proc/{name}", read_only=True)
    _mount("sysfs", f"{root}/sys", "sysfs", MS_RDONLY | MS_NOSUID | MS_NODEV | MS_NOEXEC)
    _mount("tmpfs", f"{root}/run", "tmpfs", MS_NOSUID | MS_NODEV, "mode=755")
    _minimal_dev(f"{root}/dev")
    for source, target, read_only in spec["binds"]:
        os.makedirs(f"{root}/{target}", exist_ok=True)
        _bind(source, f"{root}/{target}", read_only)
    return root


def _mount_layer(layer: dict, target: str) -> None:
    lower = ":".join(layer["lower"])
    options = f"lowerdir={lower},upperdir={layer['upper']},workdir={layer['work']}"
    _mount("overlay", target, "overlay", 0, options)


def _minimal_dev(dev: str) -> None:
    _mount("tmpfs", dev, "tmpfs", MS_NOSUID, "mode=755")
    for name in DEVICES:
        if os.path.exists(f"/dev/{name}"):
            open(f"{dev}/{name}", "w").close()
            _bind(f"/dev/{name}", f"{dev}/{name}", read_only=False)
    for name in ("shm", "pts"):
        os.makedirs(f"{dev}/{name}")
    _mount("tmpfs", f"{dev}/shm", "tmpfs", MS_NOSUID | MS_NODEV, "mode=1777,size=64m")  # Docker's
    _mount("devpts", f"{dev}/pts", "devpts", MS_NOSUID | MS_NOEXEC, "newinstance,ptmxmode=0666")
    for name, target in {
        "fd": "/proc/self/fd",
        "stdin": "/proc/self/fd/0",
        "stdout": "/proc/self/fd/1",
        "stderr": "/proc/self/fd/2",
        "ptmx": "pts/ptmx",
    }.items():
        os.symlink(target, f"{dev}/{name}")


def loopback_up() -> None:
    """Bring ``lo`` up, as Docker's ``none`` network has it: the namespace's only interface."""
    with socket.socket(socket.AF_INET, socket.SOCK_DGRAM) as probe:
        request = struct.pack("16sH14s", b"lo", 0, b"")
        flags = struct.unpack("16sH14s", _ioctl(probe, SIOCGIFFLAGS, request))[1]
        _ioctl(probe, SIOCSIFFLAGS, struct.pack("16sH14s", b"lo", flags | IFF_UP, b""))


def _ioctl(sock: socket.socket, request: int, argument: bytes) -> bytes:
    return fcntl.ioctl(sock.fileno(), request, argument)


def enter_root(root: str) -> None:
    """Make ``root`` this mount namespace's root (pivot_root, the host's root detached), as a
    container runtime does: unlike chroot, it leaves user namespaces possible inside."""
    os.chdir(root)
    if _libc.syscall(PIVOT_ROOT[os.uname().machine], b".", b".") != 0:
        raise OSError(ctypes.get_errno(), "pivot_root")
    if _libc.umount2(b".", MNT_DETACH) != 0:
        raise OSError(ctypes.get_errno(), "detaching the host's root")
    os.chdir("/")


def _enter(spec: dict, cgroup_procs: list[int]) -> None:
    """In the command's process, before its exec: its cgroups and rlimits, its folder, the
    seccomp program, the capability bounding set (root's capabilities after exec)."""
    for procs in cgroup_procs:
        os.write(procs, b"0")
    if spec["rlimit_as"]:
        resource.setrlimit(resource.RLIMIT_AS, (spec["rlimit_as"],) * 2)
    os.chdir(spec["cwd"])
    if spec["seccomp_program"] is not None:
        # Loaded while CAP_SYS_ADMIN is held, as runc does: no no_new_privs is set, so a
        # set-user-id program inside works as it would in Docker.
        _install_filter(bytes.fromhex(spec["seccomp_program"]), spec["seccomp_call"])
    kept = set(spec["capabilities"])
    for capability in range(int(open("/proc/sys/kernel/cap_last_cap").read()) + 1):
        if capability not in kept and _libc.prctl(PR_CAPBSET_DROP, capability, 0, 0, 0) != 0:
            raise OSError(ctypes.get_errno(), f"dropping capability {capability}")


def _install_filter(program: bytes, call: int) -> None:
    class Program(ctypes.Structure):  # struct sock_fprog
        _fields_ = [("len", ctypes.c_ushort), ("filter", ctypes.c_char_p)]

    code = Program(len(program) // 8, program)
    if _libc.syscall(call, SECCOMP_SET_MODE_FILTER, 0, ctypes.byref(code)) != 0:
        raise OSError(ctypes.get_errno(), "loading the seccomp program")


def _default_signals() -> None:
    """Every signal's disposition the default and none blocked, as a process starts in Docker,
    whatever this one inherited: Python ignores a few, and a host's own runner may ignore
    others (a CI runner ignoring signal 32, which glibc's ``sigaction`` does not let reset)."""
    call = RT_SIGACTION[os.uname().machine]
    default = ctypes.create_string_buffer(32)  # struct kernel_sigaction, all zero: SIG_DFL
    for number in range(1, KERNEL_NSIG + 1):
        if number not in (signal.SIGKILL, signal.SIGSTOP):
            _libc.syscall(call, number, default, None, 8)
    signal.pthread_sigmask(signal.SIG_SETMASK, [])


def _start(spec: dict, cgroup_procs: list[int]) -> None:
    """Become the command (never returns): in the container, as the spec says."""
    try:
        _default_signals()
        _enter(spec, cgroup_procs)
        os.execvpe(spec["command"][0], spec["command"], spec["env"])
    except BaseException as failed:  # noqa: BLE001 - told to the host, then exit
        os.write(2, f"platform harness: could not start {spec['command']}: {failed}\n".encode())
    os._exit(127)


def _others() -> list[int]:
    """The namespace's processes but this one, the zombies among them reaped first."""
    while True:
        try:
            if os.waitpid(-1, os.WNOHANG)[0] == 0:
                break
        except ChildProcessError:
            break
    return [int(name) for name in os.listdir("/proc") if name.isdigit() and name != "1"]


def run(spec: dict, cgroup_procs: list[int]) -> dict:
    """Start the command, wait for it within the timeout, give what it left running
    ``linger_s`` (as a platform reading results.json a moment after), then end them all."""
    started = time.monotonic()
    child = os.fork()
    if child == 0:
        _start(spec, cgroup_procs)
    timed_out = threading.Event()

    def stop() -> None:
        timed_out.set()
        os.kill(-1, signal.SIGKILL)  # every process of the namespace but this one

    timer = threading.Timer(spec["timeout_s"], stop)
    timer.start()
    _, status, _ = os.wait4(child, 0)
    timer.cancel()
    wall = time.monotonic() - started
    leftover = _others()
    deadline = time.monotonic() + spec["linger_s"]
    while _others() and time.monotonic() < deadline:
        time.sleep(0.02)
    while _others():  # nothing the run left behind outlives the container, a fork bomb neither
        try:
            os.kill(-1, signal.SIGKILL)
        except ProcessLookupError:
            pass
        time.sleep(0.01)
    return {
        "returncode": os.waitstatus_to_exitcode(status),
        "timed_out": timed_out.is_set(),
        "wall_s": wall,
        "leftover_processes": len(leftover),
    }


def main() -> None:
    signal.signal(signal.SIGINT, signal.SIG_IGN)  # the container's init: no signal ends it
    with open(sys.argv[1]) as told:
        spec = json.load(told)
    cgroup_procs = [os.open(procs, os.O_WRONLY | os.O_CLOEXEC) for procs in spec["cgroup_procs"]]
    status_file = os.open(spec["status"], os.O_WRONLY | os.O_CREAT | os.O_CLOEXEC, 0o600)
    enter_root(build_root(spec))
    if spec["network_namespace"]:
        loopback_up()
    if spec["as_init"]:  # the command itself is the container's pid 1, as Docker starts it
        _start(spec, cgroup_procs)
    status = run(spec, cgroup_procs)
    os.write(status_file, json.dumps(status).encode())


if __name__ == "__main__":
    main()
