"""What the runner is told before a submission's first cell (the ``settings`` of
:func:`grader.engine.gradersandbox.runner.main`): its folder and limits, the calls watched, and
whether a GPU the notebook asks for is given the CPU's."""

from __future__ import annotations

from collections.abc import Sequence
from typing import Any

from grader.engine.run.results import RunLimits
from grader.limits import REPLIES


def runner_settings(
    limits: RunLimits,
    scratch: str | None,
    files_bytes: int,
    cgroup_files: int,
    forbidden_calls: Sequence[str],
    gpu_to_cpu: bool,
) -> dict[str, Any]:
    """The settings of a run with ``limits``, in the folder ``scratch``, of ``files_bytes``
    of files, sent ``cgroup_files`` files to join its cgroup."""
    isolate = not limits.unsafe_no_sandbox
    return {
        "cgroup_files": cgroup_files,
        "disk_bytes": limits.disk_bytes,
        "files_bytes": files_bytes,
        "scratch": scratch,
        "isolate": isolate,
        "output_bytes": limits.output_bytes,
        "reply_bytes": REPLIES.result_bytes,
        "forbidden_calls": list(forbidden_calls),
        "gpu_to_cpu": gpu_to_cpu,
        "environment": {"GRADER_SUBMISSION_DIR": scratch},
        # Address space beyond what the warm process has already mapped: a library such as
        # CUDA torch maps gigabytes it never touches, which must not count against the
        # submission's memory (the cgroup, where there is one, counts what is used).
        "address_space_allowance_bytes": int(limits.memory_bytes * limits.address_space_share),
        "rlimits": {
            "RLIMIT_FSIZE": limits.disk_bytes,
            "RLIMIT_CORE": 0,
            # Without cgroups: counts the submission's own tasks (its user namespace)
            "RLIMIT_NPROC": limits.max_processes,
        },
    }
