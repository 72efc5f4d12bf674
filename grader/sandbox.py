"""The walls around a student's kernel: Linux namespaces made by bubblewrap, resource limits,
and a private scratch folder.

:func:`kernel_command` returns the command that starts one IPython kernel inside a new pid,
mount, network, IPC, UTS and user namespace. Inside, the kernel sees a read-only view of the
Python runtime, a private ``/tmp``, and ``/content`` (the working folder, as on Colab) holding a
copy of the submission's files; nothing of the instructor's files, no network at all, and the
``google.colab`` stand-in on its ``PYTHONPATH``. No host folder is writable from inside. The
kernel talks to the trusted side over ZeroMQ on unix sockets in a small tmpfs of the sandbox,
which the trusted side reaches through ``/proc/<pid>/root``, because a network namespace cuts
the kernel off from the host's loopback.

Resource limits hold each process (``setrlimit``) and, where this machine lets the grader make
cgroups (:func:`cgroup_support`), every process of a run together: :func:`run_cgroup` makes the
run's cgroup, and the kernel command joins it before anything else of the run starts.
"""

from __future__ import annotations

import contextlib
import functools
import importlib.util
import json
import os
import re
import shutil
import signal
import site
import subprocess
import sys
import time
import uuid
from collections.abc import Iterator
from dataclasses import dataclass
from pathlib import Path

from grader.errors import UserError

COLAB_STUB = Path(__file__).resolve().parent / "colab_stub"

# Paths as the kernel sees them inside the sandbox.
SCRATCH = "/content"  # the working folder; Colab's is /content too
SUBMISSION = "/run/submission"  # read-only source of the files copied into the scratch folder
KERNEL_RUN = "/run/kernel"  # the kernel's connection file and ZeroMQ sockets
_KERNEL_RUN_BYTES = 1024**2  # sockets take no room; this only stops the folder being a store
STUB = "/opt/grader/colab_stub"

# Host files a Python program and its shell commands need from /etc; nothing else is shown.
_ETC = (
    "alternatives",
    "fonts",
    "group",
    "host.conf",
    "hosts",
    "ld.so.cache",
    "ld.so.conf",
    "ld.so.conf.d",
    "localtime",
    "mime.types",
    "nsswitch.conf",
    "passwd",
    "timezone",
)
# Packages of the trusted side that student code must not import, even if pip installed them
# into the runtime the sandbox shows.
_HIDDEN_PACKAGES = ("grader", "reference_lstm")
_BLOCKED_INIT = "blocked_package_init.py"

# Runs inside, as the kernel's first process: copy the submission into the scratch folder, set
# the limits, and become the kernel. Kept to the standard library, on purpose.
_LAUNCHER = """
import json, os, resource, shutil, sys
config = json.loads(sys.argv[1])
source, scratch = config["source"], config["scratch"]
os.makedirs(scratch, exist_ok=True)
try:
    if os.path.isdir(source):
        shutil.copytree(source, scratch, symlinks=True, dirs_exist_ok=True)
    else:
        shutil.copy2(source, scratch)
except (OSError, shutil.Error) as error:
    print("grader: some submission files were not copied:", error, file=sys.stderr)
for name, value in config["limits"].items():
    resource.setrlimit(getattr(resource, name), (value, value))
os.chdir(scratch)
argv = [sys.executable, "-m", "ipykernel_launcher", "-f", config["connection_file"]]
os.execv(sys.executable, argv + sys.argv[2:])
"""


class SandboxUnavailable(UserError):
    """This machine cannot make the namespaces the sandbox needs."""


@dataclass(frozen=True)
class SandboxPlan:
    """One kernel's confinement.

    ``run_dir`` is a fresh host folder owned by this run; ``source`` the submission's folder or
    its single notebook, copied into the scratch folder at start. ``isolate=False`` runs the
    kernel as a plain process (``--unsafe-no-sandbox``): limits still apply, walls do not.
    ``cgroup``, where there is one, holds every process of the run.
    """

    run_dir: Path
    source: Path
    memory_bytes: int
    disk_bytes: int
    output_bytes: int
    isolate: bool = True
    cgroup: RunCgroup | None = None
    runtime: Path | None = None  # a virtualenv whose Python runs the kernel (None: the grader's)

    @property
    def python(self) -> str:
        """The kernel's interpreter, at the same path inside the sandbox as outside."""
        return str(self.runtime / "bin" / "python") if self.runtime else sys.executable

    @property
    def scratch(self) -> str:
        """The kernel's working folder, as the kernel sees it."""
        return SCRATCH if self.isolate else str(self.run_dir / "content")


def check_available(unsafe_no_sandbox: bool) -> None:
    """Raise :class:`SandboxUnavailable`, saying why, unless sandboxes can be made here.

    With ``unsafe_no_sandbox`` there is nothing to check.
    """
    if unsafe_no_sandbox:
        return
    problem = _sandbox_problem(shutil.which("bwrap"))
    if problem:
        raise SandboxUnavailable(
            f"cannot sandbox student code: {problem}. Student notebooks are hostile code; "
            "fix this, or pass --unsafe-no-sandbox to run them without isolation "
            "(only for notebooks you trust)."
        )


@functools.lru_cache(maxsize=4)
def _sandbox_problem(bwrap: str | None) -> str | None:
    """Why no sandbox can be made with ``bwrap``, or None when a trial sandbox ran."""
    if not sys.platform.startswith("linux"):
        return f"the sandbox needs Linux namespaces and this is {sys.platform}"
    if bwrap is None:
        return (
            "bubblewrap is not installed (Debian/Ubuntu: `sudo apt-get install bubblewrap`, "
            "or `make system-deps`)"
        )
    trial = [bwrap, *_namespace_flags(), *_runtime_mounts(), sys.executable, "-c", ""]
    try:
        done = subprocess.run(trial, capture_output=True, text=True, timeout=60, check=False)
    except (OSError, subprocess.TimeoutExpired) as error:
        return f"bubblewrap could not be run ({error})"
    if done.returncode != 0:
        said = done.stderr.strip() or f"exit code {done.returncode}"
        return (
            f"bubblewrap failed to make namespaces ({said}); unprivileged user namespaces may "
            "be disabled (sysctl kernel.unprivileged_userns_clone=1, or on Ubuntu "
            "kernel.apparmor_restrict_unprivileged_userns=0)"
        )
    return None


def prepare_run_dir(plan: SandboxPlan, connection_file: Path) -> Path:
    """Write what the kernel reads at start into the run folder; return its connection file.

    That is the connection file with the socket paths as seen from inside, and the stand-in
    that hides a trusted package installed into the runtime the sandbox shows.
    """
    (plan.run_dir / _BLOCKED_INIT).write_text(
        'raise ImportError("this package is not available to student code")\n'
    )
    if not plan.isolate:
        (plan.run_dir / "home").mkdir(exist_ok=True)
        return connection_file
    info = json.loads(connection_file.read_text())
    info["ip"] = _inside_sockets(plan, info["ip"])
    inside = plan.run_dir / "kernel-connection.json"
    inside.write_text(json.dumps(info))
    inside.chmod(0o600)
    return inside


def host_sockets(plan: SandboxPlan, sandbox_pid: int, ip: str) -> str:
    """The kernel's socket path prefix ``ip`` (a path in the run folder), as the trusted side
    reaches it in the running sandbox of ``sandbox_pid``."""
    return f"/proc/{sandbox_pid}/root{_inside_sockets(plan, ip)}"


def _inside_sockets(plan: SandboxPlan, ip: str) -> str:
    if not ip.startswith(f"{plan.run_dir}/"):
        raise ValueError(f"the kernel's sockets must be named in {plan.run_dir}: {ip}")
    return KERNEL_RUN + ip[len(str(plan.run_dir)) :]


def read_sandbox_pid(info_fd: int) -> int:
    """The pid of the sandbox's first process, from the ``--info-fd`` bwrap was given; raises
    :class:`RuntimeError` if bwrap ended before it made the sandbox."""
    data = b""
    while chunk := os.read(info_fd, 4096):
        data += chunk
        try:
            return int(json.loads(data)["child-pid"])
        except json.JSONDecodeError:
            continue
    raise RuntimeError("bubblewrap ended before the sandbox was made")


def kernel_command(
    plan: SandboxPlan,
    kernel_connection_file: Path,
    extra_arguments: list[str],
    info_fd: int | None = None,
) -> list[str]:
    """The command that starts the confined kernel (``extra_arguments`` go to ipykernel).

    ``info_fd``, an open file descriptor the command inherits, receives the sandbox's pid (see
    :func:`read_sandbox_pid`).
    """
    config = {
        "source": SUBMISSION if plan.isolate else str(plan.source),
        "scratch": plan.scratch,
        "connection_file": f"{KERNEL_RUN}/connection.json"
        if plan.isolate
        else str(kernel_connection_file),
        "limits": {
            "RLIMIT_AS": plan.memory_bytes,
            "RLIMIT_FSIZE": plan.disk_bytes,
            "RLIMIT_CORE": 0,
        },
    }
    startup = "--IPKernelApp.exec_lines=__import__('_grader_kernel_startup').install()"
    kernel = [plan.python, "-c", _LAUNCHER, json.dumps(config), startup, *extra_arguments]
    environment = _kernel_environment(plan)
    joins = plan.cgroup.join_command() if plan.cgroup is not None else []
    if not plan.isolate:
        return [*joins, "env", "-i", *(f"{k}={v}" for k, v in environment.items()), *kernel]
    source_size = _size_of(plan.source)
    walls = [
        shutil.which("bwrap") or "bwrap",
        *_namespace_flags(),
        *(["--info-fd", str(info_fd)] if info_fd is not None else []),
        "--clearenv",
        *(arg for k, v in environment.items() for arg in ("--setenv", k, v)),
        # The private folders first: a runtime that lives under /tmp stays visible.
        "--size",
        str(plan.disk_bytes),
        "--tmpfs",
        "/tmp",
        "--size",
        str(plan.disk_bytes + source_size),
        "--tmpfs",
        SCRATCH,
        *_runtime_mounts(plan.run_dir / _BLOCKED_INIT),
        *(["--ro-bind", str(plan.runtime), str(plan.runtime)] if plan.runtime else []),
        "--ro-bind",
        str(plan.source),
        SUBMISSION if plan.source.is_dir() else f"{SUBMISSION}/{plan.source.name}",
        "--ro-bind",
        str(COLAB_STUB),
        STUB,
        "--size",
        str(_KERNEL_RUN_BYTES),
        "--tmpfs",
        KERNEL_RUN,
        "--ro-bind",
        str(kernel_connection_file),
        f"{KERNEL_RUN}/connection.json",
        "--size",
        str(plan.disk_bytes),
        "--tmpfs",
        "/dev/shm",
        # The root and /dev are tmpfs of bwrap's own, without a size limit: no writes there.
        "--remount-ro",
        "/dev",
        "--remount-ro",
        "/",
        "--chdir",
        SCRATCH,
    ]
    return joins + walls + kernel


def _namespace_flags() -> list[str]:
    return [
        "--unshare-all",  # pid, net, ipc, uts, cgroup (and user, made explicit below)
        "--unshare-user",
        "--disable-userns",  # no nested user namespace to regain capabilities in
        "--cap-drop",
        "ALL",
        "--die-with-parent",
        "--new-session",  # no ioctl on the grader's terminal
        "--hostname",
        "sandbox",
    ]


def _runtime_mounts(blocked_init: Path | None = None) -> list[str]:
    """Read-only binds of the system and the Python runtime, and fresh /proc and /dev.

    With ``blocked_init``, a trusted package found inside those binds is replaced by a package
    whose ``__init__`` is that file.
    """
    mounts = ["--ro-bind", "/usr", "/usr"]
    for name in ("bin", "sbin", "lib", "lib32", "lib64", "libx32"):
        path = Path("/") / name
        if path.is_symlink():
            mounts += ["--symlink", os.readlink(path), str(path)]
        elif path.is_dir():
            mounts += ["--ro-bind", str(path), str(path)]
    for name in _ETC:
        mounts += ["--ro-bind-try", f"/etc/{name}", f"/etc/{name}"]
    bound: list[Path] = [Path("/usr")]
    for root in _python_roots():
        if not any(root.is_relative_to(b) for b in bound):
            mounts += ["--ro-bind", str(root), str(root)]
            bound.append(root)
    for package_dir in _hidden_package_dirs() if blocked_init else []:
        if any(package_dir.is_relative_to(b) for b in bound):
            mounts += ["--tmpfs", str(package_dir)]
            mounts += ["--ro-bind", str(blocked_init), str(package_dir / "__init__.py")]
    mounts += ["--proc", "/proc", "--dev", "/dev"]
    return mounts


def _python_roots() -> list[Path]:
    """Folders the kernel's Python needs: its installs, the venv, and their site-packages."""
    candidates = {sys.base_prefix, sys.base_exec_prefix, sys.prefix, sys.exec_prefix}
    candidates.update(site.getsitepackages())
    user_site = site.getusersitepackages()
    if user_site in sys.path:
        candidates.add(user_site)
    roots = {Path(os.path.realpath(p)) for p in candidates if os.path.isdir(p)}
    return sorted(roots, key=lambda p: len(p.parts))


def _hidden_package_dirs() -> list[Path]:
    found = []
    for name in _HIDDEN_PACKAGES:
        spec = importlib.util.find_spec(name)
        for location in (spec.submodule_search_locations or []) if spec else []:
            found.append(Path(os.path.realpath(location)))
    return found


def _kernel_environment(plan: SandboxPlan) -> dict[str, str]:
    """The kernel's whole environment: nothing leaks in from the grader's."""
    python_bin = str(plan.runtime / "bin") if plan.runtime else str(Path(sys.prefix) / "bin")
    home = "/tmp" if plan.isolate else str(plan.run_dir / "home")
    return {
        "PATH": f"{python_bin}:/usr/local/bin:/usr/bin:/bin",
        "HOME": home,
        "LANG": "C.UTF-8",
        "PYTHONPATH": STUB if plan.isolate else str(COLAB_STUB),
        "PYTHONNOUSERSITE": "1",
        "PYTHONDONTWRITEBYTECODE": "1",
        "PYDEVD_DISABLE_FILE_VALIDATION": "1",
        "GRADER_SUBMISSION_DIR": plan.scratch,
        "GRADER_OUTPUT_BYTES": str(plan.output_bytes),
        # One thread per math library: parallel grading shares the cores, and every extra
        # thread pool reserves address space that counts against the memory limit.
        "OMP_NUM_THREADS": "1",
        "MKL_NUM_THREADS": "1",
        "OPENBLAS_NUM_THREADS": "1",
        "MALLOC_ARENA_MAX": "2",
        # `!pip install` fails at once with a clear message instead of retrying a network
        # that is not there.
        "PIP_NO_INDEX": "1",
        "PIP_DISABLE_PIP_VERSION_CHECK": "1",
    }


def _size_of(path: Path) -> int:
    """Bytes of the regular files in ``path``; symbolic links are not followed."""
    if path.is_file():
        return path.stat().st_size
    total = 0
    for folder, _, names in os.walk(path):
        for name in names:
            entry = Path(folder, name)
            if entry.is_file() and not entry.is_symlink():
                total += entry.stat().st_size
    return total


# --- cgroups: limits on all processes of a run together -------------------------------------

_CGROUP_PREFIX = "grader-run-"
_LIMITED = ("pids", "memory")
# How long the processes left in a run's cgroup get to die before the cgroup is given up.
_CGROUP_REMOVE_S = 5.0
# A live run's cgroup holds its kernel within a minute of being made and is removed seconds
# after the kernel ends; an empty one this much older was left by a grader that was killed.
_STALE_CGROUP_S = 600.0
# Runs first, outside the sandbox: join the run's cgroups (the files before "--"), then become
# the rest of the command. Every process of the run descends from this one, and children are
# born in their parent's cgroup, so no student code ever runs outside them.
_JOIN = (
    'while [ "$1" != -- ]; do echo $$ > "$1" || '
    '{ echo "grader: could not join the run\'s cgroup ($1)" >&2; exit 125; }; shift; done; '
    'shift; exec "$@"'
)


@dataclass(frozen=True)
class _Hierarchy:
    """This process's own cgroup in the hierarchy that holds ``controller`` (v1 or v2)."""

    controller: str
    folder: Path
    version: int

    def limits(self, memory_bytes: int, max_processes: int) -> list[tuple[str, str]]:
        """The files that set this controller's limit, in the order they must be written;
        the swap files exist only where swap is accounted."""
        if self.controller == "pids":
            return [("pids.max", str(max_processes))]
        if self.version == 1:  # memory + swap may not be set below memory alone
            return [
                ("memory.limit_in_bytes", str(memory_bytes)),
                ("memory.memsw.limit_in_bytes", str(memory_bytes)),
            ]
        return [("memory.max", str(memory_bytes)), ("memory.swap.max", "0")]


_SWAP_FILES = ("memory.memsw.limit_in_bytes", "memory.swap.max")


class RunCgroup:
    """One run's cgroup in each hierarchy that holds a limited controller (made by
    :func:`run_cgroup`): the run's processes and threads together stay under its process
    count, and their memory together under its memory limit."""

    def __init__(self, made: list[tuple[_Hierarchy, Path]]):
        self._made = made

    @classmethod
    def make(
        cls, hierarchies: tuple[_Hierarchy, ...], memory_bytes: int, max_processes: int
    ) -> RunCgroup:
        """A fresh cgroup with these limits; raises :class:`OSError` (having removed what it
        made) when the cgroup files cannot be written."""
        name = f"{_CGROUP_PREFIX}{uuid.uuid4().hex[:12]}"
        cgroup = cls([])
        try:
            for hierarchy in hierarchies:
                folder = hierarchy.folder / name
                if folder not in cgroup.folders:
                    folder.mkdir()
                cgroup._made.append((hierarchy, folder))
                for file, value in hierarchy.limits(memory_bytes, max_processes):
                    if file not in _SWAP_FILES or (folder / file).exists():
                        (folder / file).write_text(value)
        except OSError:
            cgroup.remove()
            raise
        return cgroup

    @property
    def folders(self) -> list[Path]:
        """The cgroup's folder in each hierarchy."""
        return list(dict.fromkeys(folder for _, folder in self._made))

    def join_command(self) -> list[str]:
        """The start of a command that runs the rest of it inside this cgroup."""
        procs = [str(folder / "cgroup.procs") for folder in self.folders]
        return ["/bin/sh", "-c", _JOIN, "grader-join-cgroup", *procs, "--"]

    def oom_kills(self) -> int:
        """How many of the run's processes the out-of-memory killer has ended so far."""
        return self._count("memory", {1: "memory.oom_control", 2: "memory.events"}, "oom_kill")

    def refused_processes(self) -> int:
        """How many process or thread starts were refused so far for the process limit."""
        return self._count("pids", {1: "pids.events", 2: "pids.events"}, "max")

    def _count(self, controller: str, files: dict[int, str], key: str) -> int:
        for hierarchy, folder in self._made:
            if hierarchy.controller == controller:
                try:
                    lines = (folder / files[hierarchy.version]).read_text().splitlines()
                except OSError:
                    return 0
                counts = dict(line.split(maxsplit=1) for line in lines if " " in line)
                return int(counts.get(key, 0))
        return 0

    def remove(self) -> None:
        """End every process left in the cgroup, then remove it; warns on stderr if some
        process outlives the wait."""
        for hierarchy, folder in self._made:
            if hierarchy.controller == "pids":  # nothing new can start, so kills cannot be outrun
                with contextlib.suppress(OSError):
                    (folder / "pids.max").write_text("0")
        left = self.folders
        deadline = time.monotonic() + _CGROUP_REMOVE_S
        while left:
            for folder in list(left):
                _kill_members(folder)
                try:
                    folder.rmdir()
                    left.remove(folder)
                except FileNotFoundError:
                    left.remove(folder)
                except OSError:
                    continue  # members still dying
            if left and time.monotonic() > deadline:
                print(
                    f"grader: warning: processes still run in {', '.join(map(str, left))}; "
                    "the cgroup was left in place",
                    file=sys.stderr,
                )
                return
            if left:
                time.sleep(0.05)


def _kill_members(folder: Path) -> None:
    """Send SIGKILL to every process in the cgroup ``folder``."""
    try:
        listed = (folder / "cgroup.procs").read_text().split()
    except OSError:
        return
    pinned = {}
    for pid in map(int, listed):
        with contextlib.suppress(OSError):  # already gone
            pinned[pid] = os.pidfd_open(pid)
    try:
        # A pid read above may have been reused since; a pidfd pins one process, and one still
        # listed after it was pinned is the member.
        still = set((folder / "cgroup.procs").read_text().split())
        for pid, pidfd in pinned.items():
            if str(pid) in still:
                with contextlib.suppress(OSError):
                    signal.pidfd_send_signal(pidfd, signal.SIGKILL)
    except OSError:
        pass
    finally:
        for pidfd in pinned.values():
            os.close(pidfd)


@contextlib.contextmanager
def run_cgroup(memory_bytes: int, max_processes: int) -> Iterator[RunCgroup | None]:
    """A fresh cgroup for one run, removed on exit with every process left in it; None, with a
    warning on stderr once per process, where cgroups cannot be used (see
    :func:`cgroup_support`) or this one could not be made. Empty run cgroups that killed
    graders left behind are removed first."""
    hierarchies, problem = _cgroup_hierarchies()
    cgroup = None
    if problem is None:
        _remove_stale_cgroups(hierarchies)
        try:
            cgroup = RunCgroup.make(hierarchies, memory_bytes, max_processes)
        except OSError as error:
            problem = f"the run's cgroup could not be made ({error})"
    if problem is not None:
        _warn_without_cgroups(problem)
    try:
        yield cgroup
    finally:
        if cgroup is not None:
            cgroup.remove()


def _remove_stale_cgroups(hierarchies: tuple[_Hierarchy, ...]) -> None:
    now = time.time()
    for parent in dict.fromkeys(hierarchy.folder for hierarchy in hierarchies):
        for folder in parent.glob(f"{_CGROUP_PREFIX}*"):
            with contextlib.suppress(OSError):  # gone, or in use: rmdir spares a busy cgroup
                if now - folder.stat().st_mtime > _STALE_CGROUP_S:
                    folder.rmdir()


def cgroup_support() -> str | None:
    """Why this process cannot limit a run's processes together with cgroups, or None when
    it can. Without them, only each process's own limits hold."""
    return _cgroup_hierarchies()[1]


@functools.lru_cache(maxsize=1)
def _warn_without_cgroups(problem: str) -> None:
    print(
        f"grader: warning: no cgroup for student code ({problem}); memory is limited per "
        "process only and the number of processes not at all",
        file=sys.stderr,
    )


@functools.lru_cache(maxsize=1)
def _cgroup_hierarchies() -> tuple[tuple[_Hierarchy, ...], str | None]:
    """Where this process's cgroups of the limited controllers are, checked by making and
    removing a trial cgroup; or why they cannot be used."""
    if not sys.platform.startswith("linux"):
        return (), f"cgroups are Linux's and this is {sys.platform}"
    try:
        own = Path("/proc/self/cgroup").read_text()
        mounts = Path("/proc/self/mountinfo").read_text()
    except OSError as error:
        return (), f"cannot read this process's cgroups ({error})"
    v1, v2 = own_cgroup_folders(own, mounts)
    hierarchies = []
    for controller in _LIMITED:
        if controller in v1:
            hierarchies.append(_Hierarchy(controller, v1[controller], 1))
        elif v2 is not None and controller in _words(v2 / "cgroup.controllers"):
            hierarchies.append(_Hierarchy(controller, v2, 2))
        else:
            return (), f"no cgroup hierarchy with the {controller} controller is mounted"
    for hierarchy in hierarchies:
        subtree = hierarchy.folder / "cgroup.subtree_control"
        if hierarchy.version == 2 and hierarchy.controller not in _words(subtree):
            try:
                subtree.write_text(f"+{hierarchy.controller}")
            except OSError as error:
                return (), (
                    f"cannot enable the {hierarchy.controller} controller for children of "
                    f"{hierarchy.folder} ({error.strerror or error}); run the grader in a cgroup "
                    "delegated to it"
                )
    try:
        RunCgroup.make(tuple(hierarchies), 64 * 1024**2, 16).remove()
    except OSError as error:
        return (), f"cannot make a cgroup ({error})"
    return tuple(hierarchies), None


def own_cgroup_folders(proc_cgroup: str, mountinfo: str) -> tuple[dict[str, Path], Path | None]:
    """This process's cgroup folders, from ``/proc/self/cgroup`` and ``/proc/self/mountinfo``:
    the v1 folder of each controller, and the v2 folder (None if v2 is not mounted).

    A cgroup that lies outside what its hierarchy's mount shows is left out.
    """
    paths: dict[str, str] = {}  # v1 controller, or "" for the v2 hierarchy -> the cgroup's path
    for line in proc_cgroup.splitlines():
        number, controllers, path = line.split(":", 2)
        for name in [n for n in controllers.split(",") if n] if number != "0" else [""]:
            paths[name] = path
    v1: dict[str, Path] = {}
    v2 = None
    for line in mountinfo.splitlines():
        fields, _, tail = line.partition(" - ")
        kind, _, options = tail.split()[:3]
        if kind == "cgroup":
            names = [name for name in options.split(",") if name in paths]
        elif kind == "cgroup2" and "" in paths:
            names = [""]
        else:
            continue
        root, mount_point = map(_unescape, fields.split()[3:5])
        for name in names:
            inside = os.path.relpath(paths[name], root)
            if inside.startswith(".."):
                continue
            folder = Path(os.path.normpath(os.path.join(mount_point, inside)))
            if name:
                v1.setdefault(name, folder)
            elif v2 is None:
                v2 = folder
    return v1, v2


def _unescape(field: str) -> str:
    """A mountinfo path, whose spaces, tabs, newlines and backslashes are octal escapes."""
    return re.sub(r"\\([0-7]{3})", lambda match: chr(int(match[1], 8)), field)


def _words(path: Path) -> list[str]:
    try:
        return path.read_text().split()
    except OSError:
        return []
