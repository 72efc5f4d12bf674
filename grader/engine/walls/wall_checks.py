"""``grader setup``'s check of every wall the sandbox needs on this machine, one line each:
what works, and for what is missing, the fix (an administrator learns it here, not at the
first ``grader grade``)."""

from __future__ import annotations

import shutil
import subprocess
import sys
from dataclasses import dataclass
from pathlib import Path

from grader.engine.walls import bwrap
from grader.engine.walls.cgroups import cgroup_support

# A child that loads a seccomp filter allowing every call (one BPF instruction: return ALLOW),
# as the sandbox loads its own: the kernel's support and the right to load one.
_SECCOMP_TRIAL = """
import ctypes, platform, sys
libc = ctypes.CDLL(None, use_errno=True)
if libc.prctl(38, 1, 0, 0, 0):  # PR_SET_NO_NEW_PRIVS
    sys.exit("no_new_privs refused")
class Filter(ctypes.Structure):
    _fields_ = [("code", ctypes.c_ushort), ("jt", ctypes.c_ubyte), ("jf", ctypes.c_ubyte),
                ("k", ctypes.c_uint)]
class Program(ctypes.Structure):
    _fields_ = [("len", ctypes.c_ushort), ("filter", ctypes.POINTER(Filter))]
allow = (Filter * 1)(Filter(0x06, 0, 0, 0x7FFF0000))
number = {"x86_64": 317, "aarch64": 277}[platform.machine()]
if libc.syscall(number, 1, 0, ctypes.byref(Program(1, allow))):
    sys.exit(f"seccomp refused: errno {ctypes.get_errno()}")
"""


@dataclass(frozen=True)
class Wall:
    """One wall: its name, whether it works here, and what to do when it does not."""

    name: str
    problem: str | None  # None: it works

    def line(self) -> str:
        if self.problem is None:
            return f"works: {self.name}"
        return f"missing: {self.name}: {self.problem}"


def checked_walls() -> list[Wall]:
    """Every wall, checked by trying it."""
    return [_user_namespaces(), _bubblewrap(), _seccomp(), _cgroups()]


def _user_namespaces() -> Wall:
    name = "user namespaces (each sandbox's own users, processes, mounts and network)"
    if not sys.platform.startswith("linux"):
        return Wall(name, f"the sandbox needs Linux and this is {sys.platform}")
    unshare = shutil.which("unshare")
    if unshare is None:
        return Wall(name, "`unshare` (util-linux) is not installed: apt-get install util-linux")
    done = _quiet([unshare, "--user", "--map-root-user", "--pid", "--fork", "true"])
    if done is None:
        return Wall(name, None)
    fix = "sudo sysctl -w kernel.unprivileged_userns_clone=1"
    if Path("/proc/sys/kernel/apparmor_restrict_unprivileged_userns").exists():
        fix = "sudo sysctl -w kernel.apparmor_restrict_unprivileged_userns=0 (Ubuntu 24.04)"
    if _read("/proc/sys/user/max_user_namespaces") == "0":
        fix = "sudo sysctl -w user.max_user_namespaces=15000"
    return Wall(name, f"this user cannot make them ({done}); fix: {fix}")


def _bubblewrap() -> Wall:
    name = "bubblewrap (the sandbox itself)"
    try:
        bwrap.check_available(unsafe_no_sandbox=False)
    except bwrap.SandboxUnavailable as refused:
        problem = str(refused).removeprefix("cannot sandbox student code: ")
        return Wall(name, problem.split(". Student notebooks")[0])
    return Wall(name, None)


def _seccomp() -> Wall:
    name = "seccomp (the system calls student code may make)"
    done = _quiet([sys.executable, "-c", _SECCOMP_TRIAL])
    if done is None:
        return Wall(name, None)
    return Wall(
        name, f"{done}; fix: a kernel built with CONFIG_SECCOMP_FILTER (every distribution's is)"
    )


def _cgroups() -> Wall:
    name = "cgroups (a run's memory and processes counted together)"
    problem = cgroup_support()
    if problem is None:
        return Wall(name, None)
    return Wall(
        name,
        f"{problem}; without them memory is limited per process and sampled, processes per"
        " user (docs/admins/sandbox.md); fix: run `grader grade` as root, or in a delegated"
        " cgroup: systemd-run --user --scope -p Delegate=yes grader grade ...",
    )


def _quiet(command: list[str]) -> str | None:
    """Why ``command`` failed (its last line of errors), or None when it ran."""
    try:
        done = subprocess.run(command, capture_output=True, text=True, timeout=60, check=False)
    except (OSError, subprocess.TimeoutExpired) as error:
        return str(error)
    if done.returncode == 0:
        return None
    lines = done.stderr.strip().splitlines()
    return lines[-1] if lines else f"exit code {done.returncode}"


def _read(path: str) -> str | None:
    try:
        return Path(path).read_text().strip()
    except OSError:
        return None
