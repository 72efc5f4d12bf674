"""A throwaway container made with namespaces, no Docker: the host's side.

An image is a set of layer folders on the host (one per folder an image may change: /etc,
/var, /opt, /usr/local, /root, /home, /tmp, /srv and the platform's own, /autograder or /grade);
the host's system folders (/usr, /bin, /lib...) are seen read-only beneath. Each run mounts
the image's layers under a fresh upper folder of its own (overlayfs), so that what a run writes
lands there, never in the image nor on the host; a build run's upper folders are the image's.

The run itself is :mod:`.container_init`, pid 1 of the container's pid namespace; this module
writes its spec, makes the run's cgroups (memory, CPU, pids) where the host lets it, and reads
the outcome: exit status, timeout, peak memory.
"""

from __future__ import annotations

import functools
import json
import os
import shutil
import subprocess
import sys
import tempfile
import threading
import time
import uuid
from dataclasses import dataclass, field
from pathlib import Path

from . import cgroups

HOST_LAYERED = ("etc", "var", "opt", "usr/local", "srv")  # the host's folder beneath the image's
EMPTY_LAYERED = ("root", "home", "tmp")  # an image's own from the start, as a base image's
MOUNTED = ("proc", "sys", "dev", "run", "mnt", "media")  # made afresh in the container
SYSTEM = ("usr", "bin", "sbin", "lib", "lib32", "lib64", "libx32")  # read-only, from the host
DOCKER_PATH = "/usr/local/sbin:/usr/local/bin:/usr/sbin:/usr/bin:/sbin:/bin"
INIT = Path(__file__).with_name("container_init.py")
GRACE_S = 60  # past the run's own timeout, before the host stops waiting for its pid 1


@dataclass(frozen=True)
class Limits:
    """A run's limits: memory and CPU as the platform sets them, processes, time."""

    memory_bytes: int | None = None
    cpus: float | None = None
    pids: int | None = None
    timeout_s: float = 600


@dataclass(frozen=True)
class Outcome:
    """What came back from one run in the container."""

    returncode: int
    stdout: str
    stderr: str
    timed_out: bool
    wall_s: float
    peak_memory_bytes: int | None
    limits_applied: tuple[str, ...]  # which mechanism held each limit, in words
    leftover_processes: int | None  # still running when the command exited, where counted


@dataclass(frozen=True)
class _Waited:
    returncode: int
    stdout: bytes
    stderr: bytes
    timed_out: bool
    wall_s: float
    maxrss_bytes: int


def _supervised(argv: list[str], timeout_s: float) -> _Waited:
    """Run ``argv`` (unshare, which ends its pid 1 when it ends) for at most ``timeout_s``,
    with its output and the peak resident memory of its process tree (ru_maxrss)."""
    started = time.monotonic()
    process = subprocess.Popen(
        argv, stdin=subprocess.DEVNULL, stdout=subprocess.PIPE, stderr=subprocess.PIPE
    )
    read: dict[str, bytes] = {}
    readers = [
        threading.Thread(target=lambda name=name, pipe=pipe: read.update({name: pipe.read()}))
        for name, pipe in (("stdout", process.stdout), ("stderr", process.stderr))
    ]
    for reader in readers:
        reader.start()
    late = threading.Event()

    def stop() -> None:
        late.set()
        process.kill()

    timer = threading.Timer(timeout_s, stop)
    timer.start()
    _, status, usage = os.wait4(process.pid, 0)
    timer.cancel()
    process.returncode = os.waitstatus_to_exitcode(status)  # reaped here, for its rusage
    for reader in readers:
        reader.join()
    return _Waited(
        process.returncode,
        read.get("stdout", b""),
        read.get("stderr", b""),
        late.is_set(),
        time.monotonic() - started,
        usage.ru_maxrss * 1024,
    )


def _located(base: Path, layered: tuple[str, ...], path: str) -> Path:
    """Where under ``base`` (an image's or a run's folder) the container path ``path`` is
    written: in the layer of its longest layered folder, else in the root's own layer."""
    parts = Path(path.strip("/")).parts
    for cut in range(len(parts), 0, -1):
        if "/".join(parts[:cut]) in layered:
            return base / "upper" / Path(*parts)
    return base / "top" / Path(*parts)


@dataclass(frozen=True)
class Image:
    """An image's layer folders on the host, for the platform folders ``own`` (as
    ``autograder``) besides those every image has. The root itself is a layer too ("")."""

    folder: Path
    own: tuple[str, ...]

    def layered(self) -> tuple[str, ...]:
        return ("", *HOST_LAYERED, *EMPTY_LAYERED, *self.own)

    def layer(self, path: str) -> Path:
        """Where the image holds the container path ``path`` (as ``usr/local/bin``)."""
        return _located(self.folder, self.layered(), path)


@dataclass
class Run:
    """One run's own upper folders (its changes), where it writes, under ``folder``."""

    image: Image
    folder: Path
    binds: list[tuple[str, str, bool]] = field(default_factory=list)

    def upper(self, path: str) -> Path:
        """Where this run's changes to the container path ``path`` are: its files as the run
        wrote them, and those the host put there before the run."""
        return _located(self.folder, self.image.layered(), path)


def new_run(image: Image, folder: Path) -> Run:
    """A run on ``image`` whose changes go under ``folder`` (the image's own for a build)."""
    run = Run(image, folder)
    for path in image.layered():
        image.layer(path).mkdir(parents=True, exist_ok=True)
        run.upper(path).mkdir(parents=True, exist_ok=True)
    return run


@functools.cache
def unavailable(folder: Path) -> str | None:
    """Why no container can be made here with its layers on ``folder``'s filesystem (root,
    ``unshare``, overlayfs with an upper folder there), or None where one can."""
    if os.geteuid() != 0:
        return "the platform harness makes namespaces and mounts: it needs root"
    if shutil.which("unshare") is None:
        return "the platform harness needs unshare (util-linux)"
    with tempfile.TemporaryDirectory(dir=folder, prefix=".overlay-check-") as check:
        for name in ("lower", "upper", "work", "merged"):
            Path(check, name).mkdir()
        options = f"lowerdir={check}/lower,upperdir={check}/upper,workdir={check}/work"
        tried = subprocess.run(
            ["unshare", "--mount", "mount", "-t", "overlay", "overlay", "-o", options,
             f"{check}/merged"],
            capture_output=True,
            text=True,
        )  # fmt: skip
        if tried.returncode != 0:
            return f"no overlayfs with its upper folder on {folder}: {tried.stderr.strip()}"
    return None


def write_files(folder: Path, files: dict[str, bytes]) -> None:
    """Write ``files`` (relative path: content) under ``folder``, as a platform puts a
    submission's files: a path out of the folder is refused, as PrairieLearn refuses it."""
    folder.mkdir(parents=True, exist_ok=True)
    for name, content in files.items():
        target = folder / name
        if name.startswith("/") or not target.resolve().is_relative_to(folder.resolve()):
            raise ValueError(f"submission file {name!r} is not a relative path inside the folder")
        target.parent.mkdir(parents=True, exist_ok=True)
        target.write_bytes(content)


def processes_running(command: str) -> list[int]:
    """The host's processes whose command line is ``command`` (its words joined by spaces):
    to show that none a run started outlived it."""
    found = []
    for process in Path("/proc").iterdir():
        try:
            line = (process / "cmdline").read_bytes().replace(b"\0", b" ").decode().strip()
        except (OSError, UnicodeDecodeError):
            continue
        if process.name.isdigit() and line == command:
            found.append(int(process.name))
    return found


def make_opaque(folder: Path) -> None:
    """Hide what the image's layers hold at ``folder`` (a run's upper folder): the run sees
    it fresh, as a platform that deletes and recreates it."""
    folder.mkdir(parents=True, exist_ok=True)
    os.setxattr(folder, "trusted.overlay.opaque", b"y")


def run_in_container(
    run: Run,
    command: list[str],
    *,
    cwd: str,
    env: dict[str, str],
    limits: Limits,
    network: bool,
    capabilities: tuple[int, ...],
    seccomp: tuple[bytes, int] | None = None,
    as_init: bool = False,
    linger_s: float = 0,
) -> Outcome:
    """Run ``command`` as root in a container of ``run``'s image and upper folders: as the
    container's pid 1 (``as_init``, as Docker starts an entrypoint), or as a child of it that
    leaves what it started running ``linger_s`` after it exits (as Gradescope's harness)."""
    token = uuid.uuid4().hex[:12]
    scratch = run.folder / f".harness-{token}"
    (scratch / "root").mkdir(parents=True)
    layers = []
    for path in run.image.layered():
        work = scratch / "work" / (path or "top")
        work.mkdir(parents=True)
        image_layer = run.image.layer(path)
        lower = [] if image_layer == run.upper(path) else [str(image_layer)]
        base = Path("/", path) if path in HOST_LAYERED and Path("/", path).is_dir() else None
        if not path:  # the root's own layer: the mount points of all others, and new folders
            base = scratch / "skeleton"
        lower.append(str(base or scratch / "empty"))
        layers.append(
            {"path": path, "lower": lower, "upper": str(run.upper(path)), "work": str(work)}
        )
    (scratch / "empty").mkdir()
    (scratch / "skeleton").mkdir()
    for path in (*SYSTEM, *MOUNTED, *run.image.layered()):
        if path and not os.path.islink(f"/{path}"):
            (scratch / "skeleton" / path).mkdir(parents=True, exist_ok=True)
    groups = cgroups.Cgroups.made(
        f"platform-harness-{token}", limits.memory_bytes, limits.cpus, limits.pids
    )
    spec = {
        "root": str(scratch / "root"),
        "symlinks": {n: os.readlink(f"/{n}") for n in SYSTEM if os.path.islink(f"/{n}")},
        "system": [n for n in SYSTEM if os.path.isdir(f"/{n}") and not os.path.islink(f"/{n}")],
        "layers": layers,
        "binds": run.binds,
        "network_namespace": not network,
        "command": command,
        "cwd": cwd,
        "env": {"PATH": DOCKER_PATH, "HOME": "/root", "HOSTNAME": "container", **env},
        "cgroup_procs": [str(g / "cgroup.procs") for g in groups.folders],
        "rlimit_as": limits.memory_bytes if groups.memory is None else None,
        "capabilities": list(capabilities),
        "seccomp_program": seccomp[0].hex() if seccomp else None,
        "seccomp_call": seccomp[1] if seccomp else None,
        "timeout_s": limits.timeout_s,
        "linger_s": linger_s,
        "as_init": as_init,
        "status": str(scratch / "status.json"),
    }
    (scratch / "spec.json").write_text(json.dumps(spec))
    namespaces = ["--mount", "--pid", "--fork", "--kill-child=SIGKILL", "--uts", "--ipc"]
    if not network:
        namespaces.append("--net")
    argv = ["unshare", *namespaces, "--", sys.executable, "-I", str(INIT), str(scratch / "spec")]
    (scratch / "spec").write_text(json.dumps(spec))
    # pid 1 keeps the time itself, but where the command is pid 1: then the host does
    waited = _supervised(argv, limits.timeout_s if as_init else limits.timeout_s + GRACE_S)
    peak = groups.peak()
    groups.remove()
    status_file = scratch / "status.json"
    if status_file.is_file() and status_file.stat().st_size:
        status = json.loads(status_file.read_text())
    else:  # the command was pid 1, or pid 1 failed before the run (its stderr says why)
        status = {
            "returncode": waited.returncode,
            "timed_out": waited.timed_out,
            "wall_s": waited.wall_s,
            "leftover_processes": None,
        }
    shutil.rmtree(scratch / "work", ignore_errors=True)
    return Outcome(
        returncode=status["returncode"],
        stdout=waited.stdout.decode(errors="replace"),
        stderr=waited.stderr.decode(errors="replace"),
        timed_out=status["timed_out"],
        wall_s=status["wall_s"],
        peak_memory_bytes=peak if peak is not None else waited.maxrss_bytes,
        leftover_processes=status["leftover_processes"],
        limits_applied=groups.words + (f"timeout: {limits.timeout_s:g} s, whole tree killed",),
    )
