"""A local package index (a ``--find-links`` folder of wheels) made from the distributions
installed in the running environment, so that a build in the harness installs what the
project's environment already has, never from the network: each installed distribution packed
back into a wheel (its files under site-packages and its metadata, tagged as it was installed;
console scripts are made again by pip from its entry points).

The index holds the closure of the requirements asked for (their dependencies, by their
installed metadata, extras and markers evaluated here), and is kept in the tests' cache under a
hash of what it holds: made once per environment, a file lock making a second test process wait
for the first.
"""

from __future__ import annotations

import fcntl
import hashlib
import importlib.metadata
import os
import shutil
import sys
import tempfile
import zipfile
from pathlib import Path

from packaging.requirements import Requirement
from packaging.tags import sys_tags
from packaging.utils import canonicalize_name

CACHE = Path(os.environ.get("XDG_CACHE_HOME") or Path.home() / ".cache") / "lstm-grader-tests"
NOT_PACKED = ("RECORD", "INSTALLER", "REQUESTED", "direct_url.json")  # pip writes them again


def _closure(requirements: tuple[str, ...]) -> dict[str, importlib.metadata.Distribution]:
    """The installed distributions ``requirements`` need, by canonical name."""
    found: dict[str, importlib.metadata.Distribution] = {}
    asked: set[tuple[str, str]] = set()
    pending = [Requirement(text) for text in requirements]
    while pending:
        requirement = pending.pop()
        name = canonicalize_name(requirement.name)
        extras = requirement.extras or {""}
        if all((name, extra) in asked for extra in extras):
            continue
        try:
            distribution = found.get(name) or importlib.metadata.distribution(name)
        except importlib.metadata.PackageNotFoundError:
            raise LookupError(
                f"{requirement.name} is needed but not installed in {sys.prefix}"
            ) from None
        found[name] = distribution
        for extra in extras:
            asked.add((name, extra))
            for needed in map(Requirement, distribution.requires or []):
                if needed.marker is None or needed.marker.evaluate({"extra": extra}):
                    pending.append(needed)
    return found


def _wheel(distribution: importlib.metadata.Distribution, folder: Path) -> Path:
    """``distribution`` packed back into a wheel in ``folder``."""
    name = canonicalize_name(distribution.metadata["Name"]).replace("-", "_")
    version = distribution.version
    tags = [
        line.split(":", 1)[1].strip()
        for line in (distribution.read_text("WHEEL") or "").splitlines()
        if line.startswith("Tag:")
    ]
    supported = {str(tag) for tag in sys_tags()}  # of its tags, one this Python installs
    tag = next((t for t in tags if t in supported), tags[0] if tags else "py3-none-any")
    target = folder / f"{name}-{version}-{tag}.whl"
    root = Path(str(distribution.locate_file(""))).resolve()
    packed = []
    with zipfile.ZipFile(target, "w", zipfile.ZIP_STORED) as wheel:
        for file in distribution.files or []:
            path = Path(str(distribution.locate_file(file))).resolve()
            inside = path.is_relative_to(root) and path.is_file()
            if not inside or "__pycache__" in path.parts or path.name in NOT_PACKED:
                continue
            arcname = path.relative_to(root).as_posix()
            wheel.write(path, arcname)
            packed.append(arcname)
        dist_info = next((p.split("/")[0] for p in packed if ".dist-info/" in p), None)
        if dist_info is None:
            raise LookupError(f"{distribution.metadata['Name']}: no .dist-info among its files")
        record = "".join(f"{p},,\n" for p in packed) + f"{dist_info}/RECORD,,\n"
        wheel.writestr(f"{dist_info}/RECORD", record)
    return target


def environment_index(*requirements: str, leave_out: tuple[str, ...] = ()) -> Path:
    """A folder of wheels of the installed distributions ``requirements`` need (as
    ``lstm-course-grader[instructor]``), but those named in ``leave_out`` (their dependencies
    are in it: as the project's own wheel, which an export carries itself)."""
    left_out = {canonicalize_name(name) for name in leave_out}
    packed = {n: d for n, d in sorted(_closure(requirements).items()) if n not in left_out}
    digest = hashlib.sha256(sys.version.encode())
    for name, distribution in packed.items():
        digest.update(f"{name}=={distribution.version}@{distribution.locate_file('')}\n".encode())
    made = CACHE / f"environment-index-{digest.hexdigest()[:16]}"
    if made.is_dir():
        return made
    CACHE.mkdir(parents=True, exist_ok=True)
    with open(CACHE / "environment-index.lock", "w") as lock:
        fcntl.flock(lock, fcntl.LOCK_EX)  # another test process waits, then finds it made
        if not made.is_dir():
            building = Path(tempfile.mkdtemp(prefix=f"{made.name}.", dir=CACHE))
            try:
                for distribution in packed.values():
                    _wheel(distribution, building)
                building.rename(made)
            finally:
                shutil.rmtree(building, ignore_errors=True)
    return made
