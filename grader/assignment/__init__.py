"""Assignments as packages: reading an assignment folder (``assignment.toml``, the source
notebook, the instructor-only ``grading.py``), the authoring types, and the release.

An instructor adds an assignment by adding a folder; see assignments/README.md.

Modules: ``config`` and ``keys`` (``assignment.toml`` and the keys it may hold), ``package`` (a
folder loaded, with its ``grading.py``), ``types`` (the authoring types: cases, mistakes),
``source`` and ``source_notebook`` (the instructor's source notebook), ``instructor`` (what of
the instructor's never reaches a release), ``returns`` (the names of returned values),
``written`` (written questions), ``public`` (the public cases), ``owned`` (the grader-owned
cells: public cases, the self-check), ``releasing`` (``grader assign``), ``releases`` (every
class-wide release a course made, recorded in its folder), ``from_nbgrader`` (a
folder started from an nbgrader notebook), ``answers`` and ``answer_solutions`` (the numbers a
student computes, ``[[answers]]``, and the source's solution run for them),
``variant_definition`` and ``variant_substitute`` (the ``[variants]`` parameters, and the
source notebook filled with one set of their values).
"""

from grader.assignment.config import CONFIG_NAME, PUBLIC_SEED, AssignmentConfig, load_config
from grader.assignment.owned import (
    OWNED_ROLES,
    owned_cell_problems,
    owned_checksums,
    owned_sources,
)
from grader.assignment.package import Assignment, HiddenCase, function_rng, load_assignment
from grader.assignment.types import Case, Mistake

__all__ = [
    "CONFIG_NAME",
    "OWNED_ROLES",
    "PUBLIC_SEED",
    "Assignment",
    "AssignmentConfig",
    "Case",
    "HiddenCase",
    "Mistake",
    "function_rng",
    "load_assignment",
    "load_config",
    "owned_cell_problems",
    "owned_checksums",
    "owned_sources",
]
