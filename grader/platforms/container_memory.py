"""The memory the student's processes may have inside a platform's container: the smaller of
the assignment's and what the container allows less what the grader itself holds
(``PLATFORMS.grader_memory_bytes``). The container's is read from this process's own cgroup
(v2 ``memory.max``, v1 ``memory.limit_in_bytes``, the tightest of it and its parents that can
be read), else taken as the platform's documented default. Above the container's limit, a
memory bomb would meet the platform's out-of-memory killer, which ends the grader with it;
below, it meets the student's own limit and the feedback page's words for it."""

from __future__ import annotations

from dataclasses import dataclass
from pathlib import Path, PurePosixPath

from grader.limits import PLATFORMS, MiB

CGROUPS = Path("/sys/fs/cgroup")
MEMBERSHIP = Path("/proc/self/cgroup")  # this process's cgroup in each hierarchy


@dataclass(frozen=True)
class ContainerMemory:
    """The container's memory in bytes, and where that figure came from (for the log)."""

    total_bytes: int
    source: str

    @property
    def student_bytes(self) -> int:
        """What the student's processes may hold together, the grader's own share taken out."""
        return self.total_bytes - PLATFORMS.grader_memory_bytes

    def line(self, assignment_bytes: int) -> str:
        """The run log's line: the student's memory limit, and why it is that."""
        given = min(assignment_bytes, self.student_bytes)
        why = (
            "the assignment's"
            if given == assignment_bytes
            else f"less than the assignment's {assignment_bytes // MiB} MiB"
        )
        return (
            f"memory: the student's processes may hold {given // MiB} MiB together ({why}; the "
            f"container has {self.total_bytes // MiB} MiB, {self.source}, of which the grader "
            f"keeps {PLATFORMS.grader_memory_bytes // MiB} MiB)"
        )


def container_memory(
    default_bytes: int, cgroups: Path = CGROUPS, membership: Path = MEMBERSHIP
) -> ContainerMemory:
    """The container's memory limit from this process's cgroup, else ``default_bytes`` (the
    platform's documented default) where no limit can be read."""
    try:
        listed = membership.read_text().splitlines()
    except OSError:
        listed = []
    found = _cgroup_limit(listed, cgroups)
    if found is not None:
        return ContainerMemory(*found)
    return ContainerMemory(default_bytes, "the platform's default: its cgroup cannot be read here")


def _cgroup_limit(listed: list[str], cgroups: Path) -> tuple[int, str] | None:
    """The tightest memory limit readable on the path of this process's cgroup, with the file
    it came from: v2 (``0::/path``), else v1's memory controller (``N:memory:/path``)."""
    for line in listed:
        _, controllers, path = line.split(":", 2)
        if controllers == "":
            found = _tightest(cgroups, PurePosixPath(path), "memory.max")
        elif "memory" in controllers.split(","):
            found = _tightest(cgroups / "memory", PurePosixPath(path), "memory.limit_in_bytes")
        else:
            continue
        if found is not None:
            return found
    return None


def _tightest(mount: Path, path: PurePosixPath, name: str) -> tuple[int, str] | None:
    """The smallest limit ``name`` holds in ``path``'s folder and its parents under ``mount``;
    a container's own cgroup is often the mount's root, whatever path the host gives it."""
    best: tuple[int, str] | None = None
    for folder in (path, *path.parents):
        file = mount / folder.relative_to("/") / name
        try:
            said = file.read_text().strip()
        except (OSError, ValueError):
            continue
        limit = int(said) if said.isdigit() else PLATFORMS.cgroup_unlimited_bytes  # "max"
        if limit < PLATFORMS.cgroup_unlimited_bytes and (best is None or limit < best[0]):
            best = (limit, f"read from {file}")
    return best
