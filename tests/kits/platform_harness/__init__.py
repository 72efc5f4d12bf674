"""The platforms' harnesses, reproduced in throwaway containers made with namespaces (no
Docker), for testing an autograder export as Gradescope and PrairieLearn would run it:
``GradescopeHarness`` (an autograder zip built, then graded per submission),
``PrairieLearnHarness`` (a question's image built, then its entrypoint run per submission), the
results' schemas (``validate_gradescope_results``, ``validate_prairielearn_results``).

Modules: ``container`` and ``container_init`` (the container: its root, layers and run),
``cgroups`` (its limits), ``docker_default`` (Docker's capabilities and seccomp profile),
``harness_run`` (what a run gives back), ``gradescope``, ``prairielearn`` and ``dockerfile``
(the image PrairieLearn's question names, built without Docker), ``schemas``,
``environment_index`` (a local package index of the running environment's packages, for a
build that installs nothing from the network: pass it as ``pip_index``).
Needs root (namespaces, mounts, overlayfs), as the platforms' own hosts do.
"""

from . import docker_default
from .container import processes_running, unavailable
from .environment_index import environment_index
from .gradescope import GradescopeHarness, gradescope_metadata
from .harness_run import HarnessRun
from .prairielearn import PrairieLearnHarness, prairielearn_data
from .schemas import validate_gradescope_results, validate_prairielearn_results

__all__ = [
    "docker_default",
    "environment_index",
    "GradescopeHarness",
    "HarnessRun",
    "PrairieLearnHarness",
    "gradescope_metadata",
    "prairielearn_data",
    "processes_running",
    "unavailable",
    "validate_gradescope_results",
    "validate_prairielearn_results",
]
