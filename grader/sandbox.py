"""The sandbox's walls, under the name callers and tests have always used; the code is
:mod:`grader.engine.walls` (namespaces and mounts) and :mod:`grader.engine.cgroups`."""

from grader.engine import walls as _walls
from grader.engine.cgroups import (  # noqa: F401 - re-exported
    RunCgroup,
    cgroup_support,
    own_cgroup_folders,
    run_cgroup,
)
from grader.engine.walls import (  # noqa: F401 - re-exported
    COLAB_STUB,
    SCRATCH,
    SandboxUnavailable,
    check_available,
    check_runtime,
)


def __getattr__(name: str):
    return getattr(_walls, name)
