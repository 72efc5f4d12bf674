"""What one run used up of its limits: memory (counted by the out-of-memory killer of its cgroup,
or said by a cell's error) and processes (starts its process limit refused), in words that blame
the cell or call that did it."""

from __future__ import annotations

import re

from grader.engine.run.results import CellError, RunLimits
from grader.engine.run.transcript import Transcript
from grader.engine.walls.cgroups import RunCgroup

_MEMORY_MESSAGE = re.compile(
    r"unable to allocate|can't allocate memory|cannot allocate memory|not enough memory"
    r"|bad_alloc|out of memory",
    re.IGNORECASE,
)


class Exhaustion:
    """The run's account of its limits: ``memory`` says how it first hit the memory limit."""

    def __init__(self, limits: RunLimits, cgroup: RunCgroup | None, transcript: Transcript):
        self.limits, self.cgroup, self.transcript = limits, cgroup, transcript
        self.memory: str | None = None
        self._oom_kills = 0  # as the run's cgroup counted them at the last look
        self._refused_processes = 0

    def news(self) -> tuple[int, int]:
        """How many processes the out-of-memory killer ended, and how many process or thread
        starts the process limit refused, since the last look at the run's cgroup."""
        if self.cgroup is None:
            return 0, 0
        oom_kills, refused = self.cgroup.oom_kills(), self.cgroup.refused_processes()
        news = oom_kills - self._oom_kills, refused - self._refused_processes
        self._oom_kills, self._refused_processes = oom_kills, refused
        return news

    def look(self, culprit: str) -> None:
        """Record what the run's cgroup counted since the last look, blaming ``culprit``."""
        ended, refused = self.news()
        if refused:
            self.transcript.note(
                f"{culprit}: {refused} process or thread starts were refused; a run may have "
                f"{self.limits.max_processes} at once"
            )
        if ended and self.memory is None:
            self.memory = (
                f"{culprit} hit the memory limit of {self.limits.memory_bytes / 1024**3:g} GiB "
                f"for all its processes together (the out-of-memory killer ended {ended} "
                f"process{'es' if ended > 1 else ''})"
            )

    def memory_counted(self, held: int) -> None:
        """The memory watch (no cgroup) ended the run: it held ``held`` bytes in all."""
        self.memory = self.memory or (
            f"the notebook's processes, memory files and temporary folders together held "
            f"{held // 1024**2} MiB, past the memory limit of {self.limits.memory_bytes // 1024**2}"
            " MiB, so the kernel was stopped"
        )

    def cell_failed(self, error: CellError) -> None:
        """Note a cell's error that says it ran out of memory."""
        if self.memory is None and (
            error.ename.endswith("MemoryError") or _MEMORY_MESSAGE.search(error.evalue)
        ):
            self.memory = (
                f"cell {error.index} hit the memory limit of "
                f"{self.limits.memory_bytes / 1024**3:g} GiB ({error.ename})"
            )

    def not_started_note(self, said: str) -> str:
        """Why the kernel may not have started, from the memory it was given: "" if not that."""
        ended, _ = self.news()
        if ended:
            return (
                " (the memory limit is too low for the kernel and the submission's files together)"
            )
        if _MEMORY_MESSAGE.search(said) or "MemoryError" in said:
            return " (the memory limit is too low for Python and its kernel)"
        return ""
