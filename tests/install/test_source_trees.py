"""A tree without the repository's history builds (issue 89), and its version says where it
came from: an archive of a commit (``git archive``, as GitHub's "Download ZIP" and tarballs make
it: ``.git_archival.txt`` filled in by git, ``export-subst`` in ``.gitattributes``) names the
commit; a plain copy (no ``.git``, the archival file as committed) says it is an unversioned
copy; both rank below every build of a clone. ``make demo`` runs in an unpacked archive, as a
newcomer's first command (slow: it makes its own .venv and grades the demo course).

The archives are of HEAD, the committed tree (what GitHub serves), built as wheel_kit builds
the checkout's wheel (``pip wheel --no-deps --no-build-isolation``), with no version given."""

from __future__ import annotations

import io
import os
import re
import subprocess
import sys
import tarfile
import zipfile
from pathlib import Path

import pytest
from packaging.version import Version
from sandbox_fence import FENCE
from wheel_kit import NEEDS_HISTORY, checkout_version, run

ROOT = Path(__file__).resolve().parents[2]
SERIES = "0.2"  # setup.py's, before any tag
pytestmark = NEEDS_HISTORY  # each test makes its tree from the history (git archive HEAD)


def head() -> str:
    return run("git", "rev-parse", "HEAD", cwd=ROOT).stdout.strip()


def unpacked_archive(folder: Path, form: str) -> Path:
    """HEAD as ``git archive --format=<form>`` makes it, unpacked into ``folder``."""
    made = subprocess.run(
        ["git", "archive", f"--format={form}", "HEAD"], cwd=ROOT, capture_output=True, check=True
    )
    if form == "zip":
        with zipfile.ZipFile(io.BytesIO(made.stdout)) as archive:
            archive.extractall(folder)
    else:
        with tarfile.open(fileobj=io.BytesIO(made.stdout)) as archive:
            # tarfile's filters came in 3.11.4 (Debian 12's Python is 3.11.2); the archive is
            # this repository's own
            safe = {"filter": "data"} if hasattr(tarfile, "data_filter") else {}
            archive.extractall(folder, **safe)
    return folder


def built_wheel(tree: Path, out: Path) -> Path:
    """``pip wheel`` of ``tree``, with no version given to setuptools-scm."""
    environment = {k: v for k, v in os.environ.items() if "PRETEND_VERSION" not in k}
    run(sys.executable, "-m", "pip", "wheel", "-q", "--no-deps", "--no-build-isolation",
        "-w", out, tree, env=environment)  # fmt: skip
    (wheel,) = out.glob("lstm_course_grader-*.whl")
    return wheel


def metadata_version(wheel: Path) -> str:
    """The version the installed grader reports (``grader --version``): the wheel's own."""
    with zipfile.ZipFile(wheel) as archive:
        (name,) = [n for n in archive.namelist() if n.endswith(".dist-info/METADATA")]
        found = re.search(r"^Version: (\S+)$", archive.read(name).decode(), re.MULTILINE)
    assert found is not None
    return found.group(1)


def test_githubs_zip_of_a_commit_builds_a_wheel_whose_version_names_the_commit(tmp_path):
    tree = unpacked_archive(tmp_path / "lstm-course-grader-main", "zip")
    assert not (tree / ".git").exists()
    commit = head()
    assert f"node: {commit}" in (tree / ".git_archival.txt").read_text()  # filled in by git
    wheel = built_wheel(tree, tmp_path / "wheel")
    version = f"{SERIES}.0+archive.g{commit[:10]}"
    assert wheel.name == f"lstm_course_grader-{version}-py3-none-any.whl"
    assert metadata_version(wheel) == version
    # an archive cannot count the commits before it: below every build of a clone
    assert Version(version) < Version(checkout_version())
    assert Version(version) > Version("0.1.0")  # and above every build before the scheme


def test_a_plain_copy_builds_and_says_it_is_an_unversioned_copy(tmp_path):
    listed = run("git", "ls-files", "-z", cwd=ROOT).stdout.split("\0")
    tree = tmp_path / "copied"
    for name in filter(None, listed):
        if (ROOT / name).is_file():
            (tree / name).parent.mkdir(parents=True, exist_ok=True)
            (tree / name).write_bytes((ROOT / name).read_bytes())
    assert "$Format:%H$" in (tree / ".git_archival.txt").read_text()  # as committed
    wheel = built_wheel(tree, tmp_path / "wheel")
    assert metadata_version(wheel) == f"{SERIES}.0+unversioned.copy"
    assert wheel.name == f"lstm_course_grader-{SERIES}.0+unversioned.copy-py3-none-any.whl"


@pytest.mark.slow
def test_make_demo_runs_in_an_unpacked_archive(tmp_path):
    """The newcomer's first command in ``git archive HEAD`` unpacked in a fresh folder: it
    makes its own .venv (the lock, the tree installed as it is), and the demo's pipeline runs to
    its end (behind the tests' fence: it grades notebooks)."""
    tree = unpacked_archive(tmp_path / "unpacked", "tar")
    environment = {k: v for k, v in os.environ.items() if "PRETEND_VERSION" not in k}
    environment.pop("VIRTUAL_ENV", None)
    done = subprocess.run(
        [*FENCE, "make", "demo", f"PYTHON={sys.executable}", "DEMO_OUT=demo-out"],
        cwd=tree,
        env=environment,
        capture_output=True,
        text=True,
        timeout=3600,
    )
    assert done.returncode == 0, done.stdout[-3000:] + done.stderr[-3000:]
    assert "LookupError" not in done.stderr
    said = run(tree / ".venv" / "bin" / "grader", "--version").stdout
    assert said.split() == ["grader", f"{SERIES}.0+archive.g{head()[:10]}"]
    assert (tree / "demo-out").is_dir() and any((tree / "demo-out").iterdir())
