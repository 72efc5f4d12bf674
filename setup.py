"""The package list and the version, which pyproject.toml cannot say.

Two repository folders are shipped inside the ``grader`` package, so that an installed grader
has them wherever it lies on disk.

The version is the build's own, from the repository's history (setuptools-scm), so that every
wheel a course is given has its own and ``pip install`` of a newer one upgrades an older one:
``<series>.<commits>+g<commit>``, the commits counted from the first commit of the history (or
from the tag that starts a series, ``v1.0`` making ``1.0.<commits since it>``), the commit's
short hash after the ``+`` (and ``.d<date>`` for a build of uncommitted changes). Builds before
this scheme were all ``0.1.0``; the series without a tag is ``0.2``, so every build of it
upgrades over them. A build needs the history: from a clean clone, or a copy whose version is
given in ``SETUPTOOLS_SCM_PRETEND_VERSION`` (the tests' copies of the checkout do that).
"""

from setuptools import find_namespace_packages, setup

SHIPPED_AS = {
    "grader.shipped": "assignments",
    "grader.templates": "templates",
    "grader.runtimes": "runtimes",
}
OWN = find_namespace_packages(
    include=["grader", "grader.*", "reference_lstm", "reference_lstm.*"],
    exclude=["*.__pycache__"],
)
SERIES = "0.2"  # the series of builds made before any tag; 0.1.0 was every earlier build


def release_number(version) -> str:
    """``<series>.<commits>``: the series from the latest tag (none: SERIES), the commits since
    it (none: since the first commit). A later commit of one branch always has a higher one."""
    tag = str(version.tag)
    series = SERIES if tag in {"0.0", "0"} else tag
    return f"{series}.{version.distance or 0}"


# setuptools-scm's settings: also what the tests read to know the version the checkout builds as
SCM_VERSION = {"version_scheme": release_number, "local_scheme": "node-and-date"}

if __name__ == "__main__":  # as the build runs it (a test imports the scheme alone)
    setup(packages=[*OWN, *SHIPPED_AS], package_dir=SHIPPED_AS, use_scm_version=SCM_VERSION)
