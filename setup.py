"""The package list and the version, which pyproject.toml cannot say.

Two repository folders are shipped inside the ``grader`` package, so that an installed grader
has them wherever it lies on disk.

The version is the build's own, from the repository's history (setuptools-scm), so that every
wheel a course is given has its own and ``pip install`` of a newer one upgrades an older one:
``<series>.<commits>+g<commit>``, the commits counted from the first commit of the history (or
from the tag that starts a series, ``v1.0`` making ``1.0.<commits since it>``), the commit's
short hash after the ``+`` (and ``.d<date>`` for a build of uncommitted changes). Builds before
this scheme were all ``0.1.0``; the series without a tag is ``0.2``, so every build of it
upgrades over them.

A tree without the history builds too, and its version says where it came from: an archive of
a commit (``git archive``, GitHub's "Download ZIP" and tarballs) carries the commit in
``.git_archival.txt``, filled in by git (``export-subst`` in ``.gitattributes``), and builds as
``<series>.0+archive.g<commit>`` (an archive cannot count the commits before it); a copy with
neither ``.git`` nor a filled-in archival file builds as ``<series>.0+unversioned.copy``. Both
rank below every build of a clone of the series. ``SETUPTOOLS_SCM_PRETEND_VERSION`` still gives
any tree a version of one's choosing (the tests' copies of the checkout do that).
"""

from pathlib import Path

from setuptools import find_namespace_packages, setup
from setuptools_scm.version import ScmVersion, get_local_node_and_date

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
TREE = Path(__file__).resolve().parent
ARCHIVAL = ".git_archival.txt"


def release_number(version) -> str:
    """``<series>.<commits>``: the series from the latest tag (none: SERIES), the commits since
    it (none: since the first commit). A later commit of one branch always has a higher one."""
    tag = str(version.tag)
    series = SERIES if tag in {"0.0", "0"} else tag
    return f"{series}.{version.distance or 0}"


def tree_source(tree: Path = TREE) -> str:
    """Where ``tree`` came from: ``"clone"`` (a ``.git`` of its own: a clone's folder, a
    worktree's file), ``"archive"`` (no ``.git``, an archival file that git filled in), or
    ``"copy"`` (neither: a plain copy's archival file still says ``$Format:...$``)."""
    if (tree / ".git").exists():
        return "clone"
    archival = tree / ARCHIVAL
    if archival.is_file() and "$Format:" not in archival.read_text(errors="replace"):
        return "archive"
    return "copy"


def local_label(version: ScmVersion) -> str:
    """``+g<commit>`` (``.d<date>`` for uncommitted changes) from a clone; ``+archive.g<commit>``
    from an archive, whose commit is all the version can say of where it stands."""
    if tree_source() != "archive":
        return get_local_node_and_date(version)
    commit = (version.node or "").removeprefix("g")[:10]
    return f"+archive.g{commit}" if commit else "+archive"


def scm_settings(tree: Path = TREE) -> dict:
    """setuptools-scm's settings for ``tree``. Only a plain copy has a fallback, used as it is:
    setuptools-scm would read one given to a clone as the tag its commits count from."""
    settings = {"version_scheme": release_number, "local_scheme": local_label}
    if tree_source(tree) == "copy":
        settings["fallback_version"] = f"{SERIES}.0+unversioned.copy"
    return settings


# also what the tests read to know the version the checkout builds as
SCM_VERSION = scm_settings()

if __name__ == "__main__":  # as the build runs it (a test imports the scheme alone)
    setup(packages=[*OWN, *SHIPPED_AS], package_dir=SHIPPED_AS, use_scm_version=SCM_VERSION)
