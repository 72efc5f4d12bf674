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

# A child that loads the sandbox's first call filter, as the runner does before a notebook's
# first cell (the kernel's support and the right to load one), and checks that it refuses a
# call the policy refuses; it says the filter's architecture and libseccomp's version, or
# (exit 3) why no filter can be made here.
_SECCOMP_TRIAL = """
import ctypes, errno, sys
from grader.engine.gradersandbox import filters, libseccomp
if not filters.FILTERS_CALLS:
    print(filters.WHY_NOT)
    sys.exit(3)
filters.before_cells()
libc = ctypes.CDLL(None, use_errno=True)
if libc.syscall(libseccomp.number("keyctl", filters.ARCHITECTURE), 0, 0, 0, 0, 0) != -1:
    sys.exit("the filter let keyctl through")
if ctypes.get_errno() != errno.EPERM:
    sys.exit(f"the filter refused keyctl with errno {ctypes.get_errno()}, not EPERM")
print(f"the {filters.ARCHITECTURE} filter, made by libseccomp {libseccomp.version()}")
"""
_NO_PROGRAM = 3


@dataclass(frozen=True)
class Wall:
    """One wall: its name, whether it works here, and what to do when it does not."""

    name: str
    problem: str | None  # None: it works
    needed: bool = True  # without it, student code cannot be sandboxed here
    detail: str = ""  # what works, where there is more to say

    def line(self) -> str:
        if self.problem is None:
            return f"works: {self.name}" + (f": {self.detail}" if self.detail else "")
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
    try:
        done = subprocess.run(
            [sys.executable, "-c", _SECCOMP_TRIAL],
            capture_output=True,
            text=True,
            timeout=60,
            check=False,
        )
    except (OSError, subprocess.TimeoutExpired) as error:
        return Wall(name, str(error))
    said = done.stdout.strip()
    if done.returncode == 0:
        return Wall(name, None, detail=said)
    if done.returncode == _NO_PROGRAM:
        fix = "apt-get install libseccomp2 (dnf install libseccomp)"
        if "not written for" in said:
            fix = "grade on an x86-64 or aarch64 machine"
        return Wall(
            name,
            f"no call filter can be made on this machine: {said}; student code's calls go"
            " unfiltered (the namespaces, the limits and the probes' seal of descriptors and"
            f" memory still hold); fix: {fix}",
            needed=False,
        )
    lines = done.stderr.strip().splitlines()
    problem = lines[-1] if lines else f"exit code {done.returncode}"
    return Wall(
        name,
        f"{problem}; fix: a kernel built with CONFIG_SECCOMP_FILTER (every distribution's is)",
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
        needed=False,
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
