"""Where the projects' checks run: in threads of this process (they share its warm process),
or on a Dask cluster (:mod:`grader.grading.remote_projects`); and the progress lines."""

from __future__ import annotations

import sys
from collections.abc import Callable, Iterator, Sequence
from concurrent.futures import ThreadPoolExecutor
from typing import Any

from grader.batch.progress import Eta
from grader.grading.project_handin import ProjectHandIn


def checked_here(
    todo: Sequence[ProjectHandIn],
    check: Callable[[ProjectHandIn], dict[str, Any]],
    workers: int,
) -> Iterator[tuple[ProjectHandIn, dict[str, Any], str | None]]:
    """Each project checked by ``check`` in one of ``workers`` threads, in the given order."""
    with ThreadPoolExecutor(max_workers=max(1, workers)) as pool:
        futures = [(hand_in, pool.submit(check, hand_in)) for hand_in in todo]
        for hand_in, future in futures:
            yield hand_in, future.result(), None


class ChecksProgress:
    """A line for each project checked: its run's status, the time left, and the Dask worker
    that checked it (on a cluster)."""

    def __init__(self, total: int):
        self.eta = Eta(total)

    def update(self, hand_in: ProjectHandIn, checks: dict[str, Any], worker: str | None) -> None:
        left = self.eta.one_more()
        status = checks.get("notebook", {}).get("run", {}).get("status", "no notebook")
        on = f", on Dask worker {worker}" if worker else ""
        print(
            f"[{self.eta.done}/{self.eta.total}] {hand_in.student} {hand_in.project.id}: "
            f"{status} ({left}{on})",
            file=sys.stderr,
            flush=True,
        )
