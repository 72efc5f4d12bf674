"""A container run's cgroups, as Docker makes them for ``--memory``, ``--cpus`` and
``--pids-limit``: under the harness's own cgroup, cgroup v2 where its controllers can be
delegated, else cgroup v1 per controller; a limit no cgroup can hold is said so, and the memory
limit then falls back to RLIMIT_AS (the caller applies it)."""

from __future__ import annotations

import os
import signal
import time
from dataclasses import dataclass
from pathlib import Path

PERIOD_US = 100_000  # Docker's CFS period: --cpus 0.5 is a quota of 50000 in 100000


def _mounts() -> dict[str, Path]:
    """Mounted cgroup hierarchies: ``v2``, and each v1 controller, to their mount points."""
    found: dict[str, Path] = {}
    for line in Path("/proc/self/mountinfo").read_text().splitlines():
        before, after = line.split(" - ", 1)
        kind, _, options = after.split(" ", 2)
        point = Path(before.split(" ")[4])
        if kind == "cgroup2":
            found.setdefault("v2", point)
        elif kind == "cgroup":
            for option in options.split(","):
                found.setdefault(option, point)
    return found


def _own_paths() -> dict[str, str]:
    """This process's cgroup per hierarchy: ``v2`` and each v1 controller."""
    paths = {}
    for line in Path("/proc/self/cgroup").read_text().splitlines():
        _, controllers, path = line.split(":", 2)
        for controller in controllers.split(",") if controllers else ["v2"]:
            paths[controller] = path
    return paths


@dataclass
class Cgroups:
    """The cgroup folders a run joins, and which limit each holds."""

    folders: list[Path]
    memory: Path | None  # the folder whose memory use is limited and counted
    words: tuple[str, ...]  # which mechanism holds each limit

    @classmethod
    def made(cls, name: str, memory: int | None, cpus: float | None, pids: int | None) -> Cgroups:
        mounts, own = _mounts(), _own_paths()
        wanted = {"memory": memory, "cpu": cpus, "pids": pids}
        v2 = _v2_parent(mounts, own)
        if v2 is not None:
            folder = v2 / name
            folder.mkdir()
            if memory is not None:
                (folder / "memory.max").write_text(str(memory))
                (folder / "memory.swap.max").write_text("0")
            if cpus is not None:
                (folder / "cpu.max").write_text(f"{round(cpus * PERIOD_US)} {PERIOD_US}")
            if pids is not None:
                (folder / "pids.max").write_text(str(pids))
            words = tuple(f"{c}: cgroup v2 {folder}" for c, v in wanted.items() if v is not None)
            return cls([folder], folder if memory is not None else None, words)
        folders, memory_folder, words = [], None, []
        for controller, value in wanted.items():
            if value is None:
                continue
            if controller not in mounts or controller not in own:
                words.append(f"{controller}: no cgroup here")
                continue
            folder = mounts[controller] / own[controller].lstrip("/") / name
            try:
                folder.mkdir()
            except OSError as refused:
                words.append(f"{controller}: no cgroup made ({refused.strerror})")
                continue
            folders.append(folder)
            if controller == "memory":
                (folder / "memory.limit_in_bytes").write_text(str(value))
                swap = folder / "memory.memsw.limit_in_bytes"  # no swap beyond it, as v2's 0
                if swap.exists():
                    swap.write_text(str(value))
                memory_folder = folder
            elif controller == "cpu":
                (folder / "cpu.cfs_period_us").write_text(str(PERIOD_US))
                (folder / "cpu.cfs_quota_us").write_text(str(round(value * PERIOD_US)))
            else:
                (folder / "pids.max").write_text(str(value))
            words.append(f"{controller}: cgroup v1 {folder}")
        if memory is not None and memory_folder is None:
            words.append("memory: RLIMIT_AS (address space, not resident memory)")
        return cls(folders, memory_folder, tuple(words))

    def peak(self) -> int | None:
        """The peak memory of the run's processes together, where a cgroup counted it."""
        if self.memory is None:
            return None
        for name in ("memory.peak", "memory.max_usage_in_bytes"):
            if (self.memory / name).exists():
                return int((self.memory / name).read_text())
        return None

    def remove(self) -> None:
        """End any process still in the cgroups (none, once the pid namespace has gone),
        then remove them."""
        for folder in self.folders:
            for _ in range(100):
                pids = (folder / "cgroup.procs").read_text().split()
                if not pids:
                    break
                for pid in pids:
                    try:
                        os.kill(int(pid), signal.SIGKILL)
                    except ProcessLookupError:
                        pass
                time.sleep(0.05)
            for _ in range(100):  # a dying process leaves its cgroup a moment after
                try:
                    folder.rmdir()
                    break
                except OSError:
                    time.sleep(0.05)


def _v2_parent(mounts: dict[str, Path], own: dict[str, str]) -> Path | None:
    """This process's v2 cgroup, when a child of it can hold memory, cpu and pids limits."""
    if "v2" not in mounts or "v2" not in own or len(own) > 1:  # a hybrid host: use v1
        return None
    parent = mounts["v2"] / own["v2"].lstrip("/")
    needed = {"memory", "cpu", "pids"}
    try:
        if not needed <= set((parent / "cgroup.controllers").read_text().split()):
            return None
        enabled = set((parent / "cgroup.subtree_control").read_text().split())
        if not needed <= enabled:
            (parent / "cgroup.subtree_control").write_text(
                " ".join(f"+{c}" for c in needed - enabled)
            )
    except OSError:  # not delegated, or processes in it (v2's no-internal-processes rule)
        return None
    return parent
