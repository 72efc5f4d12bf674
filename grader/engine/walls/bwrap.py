"""The walls around student code: Linux namespaces made by bubblewrap, and what they show.

:func:`warm_command` is the command that starts the grader's warm process (see
:mod:`grader.engine.gradersandbox.zygote`) inside a new pid, mount, network, IPC, UTS and user
namespace. Inside, it sees a read-only view of the Python runtime at neutral paths (see
:mod:`grader.engine.runtime.shown_runtime`), the ``google.colab`` stand-in, its own code, private
``/tmp``, ``/content`` and ``/dev/shm``, and nothing of the instructor's files, no network at
all. Each submission it forks takes fresh mount, pid, IPC and cgroup namespaces of its own on
top (new ``/tmp``, ``/content``, ``/dev/shm`` and ``/proc``).

bubblewrap itself starts with an empty environment and reads its arguments from a pipe, so
neither ``/proc/1/environ`` nor ``/proc/1/cmdline`` of any sandbox shows the grader's
environment or host paths. cgroups are :mod:`grader.engine.walls.cgroups`.
"""

from __future__ import annotations

import functools
import os
import shutil
import site
import subprocess
import sys
from pathlib import Path

from grader.engine.runtime import shown_runtime
from grader.engine.walls import gpu
from grader.engine.walls.cgroups import (  # noqa: F401 - the sandbox's public names, as before
    RunCgroup,
    cgroup_support,
    own_cgroup_folders,
    run_cgroup,
)
from grader.errors import UserError

COLAB_STUB = Path(__file__).resolve().parents[2] / "colab_stub"
INSIDE_CODE = Path(__file__).resolve().parents[1] / "gradersandbox"

# Paths as the sandbox sees them.
SCRATCH = "/content"  # the working folder; Colab's is /content too
STUB = "/opt/grader/colab_stub"
INSIDE_LIB = "/opt/grader/lib"  # holds the warm process's package, gradersandbox

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
# into the runtime the sandbox shows (as it does when the notebooks run in the grader's own
# virtualenv): the grader and the course's reference implementation.
HIDDEN_PACKAGES = ("grader", "reference_lstm")
BLOCKED_INIT = 'raise ImportError("this package is not available to student code")\n'
# What the warm process may do in its own user namespace, and only there: make each
# submission's namespaces and mounts, and forbid nested user namespaces. Student code keeps
# none of these (the runner drops every capability before the first cell).
# CAP_SETFCAP: to map its uid into each submission's own user namespace (Linux 5.12 and later
# ask for it to map root).
_WARM_CAPABILITIES = ("CAP_SYS_ADMIN", "CAP_SYS_RESOURCE", "CAP_SETPCAP", "CAP_SETFCAP")


class SandboxUnavailable(UserError):
    """This machine cannot make the namespaces the sandbox needs."""


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
    roots = (arg for root in _python_roots() for arg in ("--ro-bind", str(root), str(root)))
    trial = [bwrap, *_namespace_flags(), *_system_mounts(), *roots, sys.executable, "-c", ""]
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


def warm_command(
    runtime: Path | None, isolate: bool, control_fd: int, own_files: Path, disk_bytes: int
) -> tuple[list[str], list[str], dict[str, str]]:
    """``(command, arguments, environment)`` that start the warm process: ``arguments`` are
    bubblewrap's, to be written NUL-separated to the pipe the command names as ``{args}``
    (empty without the sandbox); the command and environment hold no host path.

    ``own_files`` is a fresh folder the grader's files shown inside are copied into (the
    ``google.colab`` stand-in, the warm process's code, the runtime's renamed files), so that
    not even ``/proc/self/mountinfo`` names the checkout they come from."""
    for source in (COLAB_STUB, INSIDE_CODE):
        shutil.copytree(source, own_files / source.name, dirs_exist_ok=True)
    python = ["-m", "gradersandbox.zygote", str(control_fd)]
    if not isolate:
        return ["python3", *python, "plain"], [], _environment(_host_bin(runtime), isolate)
    folders = shown_runtime.shown_folders(runtime)
    unpatched = shown_runtime.write_layers(folders, own_files / "layers")
    first = shown_runtime.first_step(runtime, folders, own_files / "layers")
    empty = shown_runtime.emptied(runtime, folders)
    hidden = [
        h for h in _hidden_inside(folders) if not any(Path(h).is_relative_to(e) for e in empty)
    ]
    plan = shown_runtime.plan(folders, hidden, BLOCKED_INIT, first.direct, empty)
    (own_files / INSIDE_CODE.name / "layers.json").write_text(plan)
    environment = _environment(f"{folders[0].inside}/bin" if folders else _host_bin(runtime), True)
    if unpatched and first.direct:  # its binary still names the host folder of its libpython
        environment["LD_LIBRARY_PATH"] = f"{first.direct[0]}/lib"
    walls = [
        *_namespace_flags(),
        "--cap-drop",
        "ALL",
        *(arg for cap in _WARM_CAPABILITIES for arg in ("--cap-add", cap)),
        "--clearenv",
        *(arg for k, v in environment.items() for arg in ("--setenv", k, v)),
        *("--size", str(disk_bytes), "--tmpfs", "/tmp"),
        *("--size", str(disk_bytes), "--tmpfs", SCRATCH),
        *_system_mounts(),
        *shown_runtime.staging_binds(folders, own_files / "layers"),
        *first.binds,
        *("--ro-bind", str(own_files / COLAB_STUB.name), STUB),
        *("--ro-bind", str(own_files / INSIDE_CODE.name), f"{INSIDE_LIB}/gradersandbox"),
        *("--size", str(disk_bytes), "--tmpfs", "/dev/shm"),
        # A projects' runtime built with CUDA, on a machine with a GPU: its device files.
        *(gpu.found().binds() if runtime is not None and gpu.runs_on_gpu(runtime) else []),
        # The root and /dev are tmpfs of bwrap's own, without a size limit: no writes there.
        *("--remount-ro", "/dev", "--remount-ro", "/", "--chdir", "/"),
    ]
    layers = f"{INSIDE_LIB}/gradersandbox/layers.py"
    command = [first.python, "-I", "-S", layers, f"{INSIDE_LIB}/gradersandbox/layers.json"]
    return ["bwrap", "--args", "{args}", *command, "python3", *python, "isolate"], walls, {}


def _namespace_flags() -> list[str]:
    return [
        "--unshare-all",  # pid, net, ipc, uts, cgroup (and user, made explicit below)
        "--unshare-user",
        # uid 0 of its own user namespace, whoever runs the grader: bubblewrap run by an
        # ordinary user otherwise nests a second user namespace for that user's uid, in which
        # its mounts would be locked (no overlays, and the first step, layers.py, could not
        # detach its staging binds). Root in that namespace is the grader's own user outside.
        *("--uid", "0", "--gid", "0"),
        "--die-with-parent",
        "--new-session",  # no ioctl on the grader's terminal
        "--hostname",
        "sandbox",
    ]


def _system_mounts() -> list[str]:
    """Read-only binds of the system (``/usr``, the files of ``/etc`` a program needs), and
    fresh ``/proc`` and ``/dev``."""
    mounts = ["--ro-bind", "/usr", "/usr"]
    for name in ("bin", "sbin", "lib", "lib32", "lib64", "libx32"):
        path = Path("/") / name
        if path.is_symlink():
            mounts += ["--symlink", os.readlink(path), str(path)]
        elif path.is_dir():
            mounts += ["--ro-bind", str(path), str(path)]
    for name in _ETC:
        mounts += ["--ro-bind-try", f"/etc/{name}", f"/etc/{name}"]
    return [*mounts, "--proc", "/proc", "--dev", "/dev"]


def shown(runtime: Path | None) -> tuple[str, ...]:
    """What a warm process for ``runtime`` shows: warm processes are shared by the runs that
    would show the same."""
    folders = shown_runtime.shown_folders(runtime)
    return (*(f"{f.host}={f.inside}" for f in folders), *_hidden_inside(folders))


def _python_roots() -> list[Path]:
    """Folders the grader's own Python needs, at their host paths: for the trial sandbox."""
    candidates = {sys.base_prefix, sys.base_exec_prefix, sys.prefix, sys.exec_prefix}
    candidates.update(site.getsitepackages())
    roots = {Path(os.path.realpath(p)) for p in candidates if os.path.isdir(p)}
    return sorted(roots, key=lambda p: len(p.parts))


def _hidden_inside(folders: list[shown_runtime.Shown]) -> list[str]:
    """The trusted packages found in the runtime's folders, as the sandbox names them."""
    places = []
    for folder in folders:
        places += [*folder.host.glob("lib/python3*/site-packages"), folder.host]
    return sorted(
        {
            inside
            for name in HIDDEN_PACKAGES
            for place in places
            for package in place.glob(name)
            if package.is_dir()
            # a package the sandbox does not show needs no hiding
            and (inside := shown_runtime.inside_path(package, folders)) is not None
        }
    )


def check_runtime(runtime: Path) -> None:
    """Raise :class:`UserError` unless ``runtime`` is a virtualenv folder with a Python 3."""
    if not (Path(runtime) / "bin" / "python3").exists():
        raise UserError(
            f"runtime {runtime}: not a virtualenv folder (no bin/python3 in it); make one with "
            "`python3 -m venv FOLDER` and install the notebook's packages into it"
        )


def _host_bin(runtime: Path | None) -> str:
    return str(Path(runtime) / "bin" if runtime else Path(sys.prefix) / "bin")


def _environment(python_bin: str, isolate: bool) -> dict[str, str]:
    """The warm process's whole environment: nothing leaks in from the grader's."""
    inside = INSIDE_CODE.parent
    return {
        "PATH": f"{python_bin}:/usr/local/bin:/usr/bin:/bin",
        "HOME": "/tmp",
        "LANG": "C.UTF-8",
        "PYTHONPATH": f"{INSIDE_LIB}:{STUB}" if isolate else f"{inside}:{COLAB_STUB}",
        "PYTHONNOUSERSITE": "1",
        "PYTHONDONTWRITEBYTECODE": "1",
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


def size_of(path: Path) -> int:
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
