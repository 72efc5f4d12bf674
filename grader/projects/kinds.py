"""The words the projects' checks are named by, for every reader of them: the roles of a
project's files, the parts of its checks, the pitfalls' kinds, what a rubric criterion may show
beside it and what a course may keep from its students. Course settings, bundles, intake and the
marking pages import these; this module writes no sentences and imports nothing."""

from __future__ import annotations

# The files of one project's hand-in, by role: what collect places, a bundle lists, the checks read.
FILE_ROLES = ("notebook", "report", "dataset")

# The parts of a project's checks of substance, as the checks' record keys them.
PARTS = ("model", "pitfalls", "numbers", "provenance")

PITFALL_KINDS = (
    "scaler-fit-before-split",
    "shuffled-time-split",
    "test-as-validation",
    "metric-on-scaled-values",
    "no-baseline",
    "training-metric-reported",
)

# What a rubric criterion's ``checks`` may name to show beside it: the facts of each file (the
# report first, as the marker reads a project) and each part of the checks of substance.
CRITERION_CHECKS = ("report", "notebook", "dataset", *PARTS)

# What a course may keep from its students (``keep_from_students``): the model, the pitfalls,
# the report's numbers, whether the file read is the dataset handed in, the dataset's source in
# the References, or one pitfall's kind.
TOLD_TO_STUDENTS = ("model", "pitfalls", "numbers", "dataset", "source")
KEEPABLE = (*TOLD_TO_STUDENTS, *PITFALL_KINDS)
