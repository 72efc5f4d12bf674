"""cgroups: limits on all processes of one submission together (memory, process count).

:func:`run_cgroup` makes a submission's cgroup; the submission's first process joins it by
writing to its ``cgroup.procs`` through a descriptor the grader opened and passed in, before
anything else of the submission starts. Where the machine does not let the grader make
cgroups (:func:`cgroup_support`), only each process's own limits hold.

A run's cgroup is removed when the run ends, and by the next run if its grader was killed
first (:mod:`grader.engine.walls.cgroup_removal`).
"""

from __future__ import annotations

import contextlib
import functools
import os
import re
import sys
import uuid
from collections.abc import Iterator
from dataclasses import dataclass
from pathlib import Path

from grader.engine.walls.cgroup_removal import (
    RUN_CGROUP_PREFIX,
    claim,
    remove_abandoned,
    remove_folders,
    remove_once,
    remover,
    stop_starts,
    unclaim,
    wait_removed,  # noqa: F401 - the engine's public name, as before
)

# --- cgroups: limits on all processes of a run together -------------------------------------

_LIMITED = ("pids", "memory")


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
        self._counters: dict[Path, int] = {}  # event files kept open: read after every cell
        self._claims: list[int] = []  # each folder's descriptor, locked: it is this grader's

    @classmethod
    def make(
        cls, hierarchies: tuple[_Hierarchy, ...], memory_bytes: int, max_processes: int
    ) -> RunCgroup:
        """A fresh cgroup with these limits, claimed by this process; raises :class:`OSError`
        (having removed what it made) when the cgroup files cannot be written."""
        while True:
            cgroup = cls([])
            try:
                if cgroup._made_and_claimed(hierarchies, memory_bytes, max_processes):
                    return cgroup
            except OSError:
                cgroup.remove()
                raise
            # Another grader's sweep took the folders between mkdir and flock, and removed
            # them as abandoned: a fresh name.
            cgroup.remove()

    def _made_and_claimed(
        self, hierarchies: tuple[_Hierarchy, ...], memory_bytes: int, max_processes: int
    ) -> bool:
        """Make the folders, each with its limits at once, and claim each; False if one was
        removed before it was claimed."""
        name = f"{RUN_CGROUP_PREFIX}{uuid.uuid4().hex[:12]}"
        try:
            for hierarchy in hierarchies:
                folder = hierarchy.folder / name
                if folder not in self.folders:
                    folder.mkdir()
                self._made.append((hierarchy, folder))
                for file, value in hierarchy.limits(memory_bytes, max_processes):
                    if file not in _SWAP_FILES or (folder / file).exists():
                        (folder / file).write_text(value)
            for folder in self.folders:
                self._claims.append(claim(folder, wait=True))
        except FileNotFoundError:
            if all(folder.is_dir() for folder in self.folders):
                raise  # a file of the controller is missing, not the folder
            return False
        return all(folder.is_dir() for folder in self.folders)

    @property
    def folders(self) -> list[Path]:
        """The cgroup's folder in each hierarchy."""
        return list(dict.fromkeys(folder for _, folder in self._made))

    def open_join_files(self) -> list[int]:
        """Descriptors open for writing on the cgroup's ``cgroup.procs`` files: a process that
        writes ``0`` to each joins the cgroup (the caller closes them)."""
        fds: list[int] = []
        try:
            for folder in self.folders:
                fds.append(os.open(folder / "cgroup.procs", os.O_WRONLY | os.O_CLOEXEC))
        except OSError:
            for fd in fds:
                os.close(fd)
            raise
        return fds

    def oom_kills(self) -> int:
        """How many of the run's processes the out-of-memory killer has ended so far."""
        return self._count("memory", {1: "memory.oom_control", 2: "memory.events"}, "oom_kill")

    def refused_processes(self) -> int:
        """How many process or thread starts were refused so far for the process limit."""
        return self._count("pids", {1: "pids.events", 2: "pids.events"}, "max")

    def _count(self, controller: str, files: dict[int, str], key: str) -> int:
        for hierarchy, folder in self._made:
            if hierarchy.controller == controller:
                path = folder / files[hierarchy.version]
                try:
                    if path not in self._counters:
                        self._counters[path] = os.open(path, os.O_RDONLY | os.O_CLOEXEC)
                    lines = os.pread(self._counters[path], 4096, 0).decode().splitlines()
                except OSError:
                    return 0
                counts = dict(line.split(maxsplit=1) for line in lines if " " in line)
                return int(counts.get(key, 0))
        return 0

    def remove(self) -> None:
        """End every process left in the cgroup, then remove it; warns on stderr if some
        process outlives the wait (the next run removes it once nothing holds it)."""
        self._stop_starts()
        remove_folders(self.folders)
        unclaim(self._claims)

    def remove_soon(self) -> None:
        """End every process left in the cgroup and remove it, in the background if its
        processes are still being torn down (see :func:`wait_removed`)."""
        self._stop_starts()
        left = remove_once(self.folders)
        if left:
            remover().put(left, self._claims)  # handed over: let go of once they are removed
            self._claims = []
        else:
            unclaim(self._claims)

    def _stop_starts(self) -> None:
        for fd in self._counters.values():
            os.close(fd)
        self._counters.clear()
        stop_starts(self.folders)


@contextlib.contextmanager
def run_cgroup(memory_bytes: int, max_processes: int) -> Iterator[RunCgroup | None]:
    """A fresh cgroup for one run, removed on exit with every process left in it; None, with a
    warning on stderr once per process, where cgroups cannot be used (see
    :func:`cgroup_support`) or this one could not be made. Run cgroups that killed graders
    left behind are removed first."""
    hierarchies, problem = _cgroup_hierarchies()
    cgroup = None
    if problem is None:
        remove_abandoned(list(dict.fromkeys(hierarchy.folder for hierarchy in hierarchies)))
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
            cgroup.remove_soon()


def cgroup_support() -> str | None:
    """Why this process cannot limit a run's processes together with cgroups, or None when
    it can. Without them, only each process's own limits hold."""
    return _cgroup_hierarchies()[1]


# The warning is said once per run: the process that starts a run's graders says it first (see
# warn_without_cgroups), and they, started from it, inherit this mark.
_WARNED_MARK = "GRADER_WARNED_NO_CGROUP"


def warn_without_cgroups() -> None:
    """Say now, where cgroups cannot be used, what :func:`run_cgroup` would say: a run calls it
    before starting its graders, so that two workers do not say it twice."""
    problem = cgroup_support()
    if problem is not None:
        _warn_without_cgroups(problem)


def _warn_without_cgroups(problem: str) -> None:
    if os.environ.get(_WARNED_MARK):
        return
    os.environ[_WARNED_MARK] = "1"
    print(
        f"grader: warning: no cgroup for student code ({problem}); each submission's memory "
        "is counted every few hundred milliseconds instead of exactly, and its processes are "
        "limited by the user's process limit (RLIMIT_NPROC) in its own user namespace",
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
