"""A local package index for the platforms' test builds (``setup.sh`` run with pip's
``--find-links`` only, no registry): the grader's dependencies with its instructor extra, each
packed again from this environment's own install (:func:`grader.platforms.wheel.packed_wheel`),
so the container installs the very versions the tests run with. Made once per set of installed
versions, under ``~/.cache/lstm-grader-tests/``, a second test process waiting on the first."""

from __future__ import annotations

import fcntl
import hashlib
import importlib.metadata
import shutil
from pathlib import Path

from packaging.requirements import Requirement
from packaging.utils import canonicalize_name
from wheel_kit import CACHE

from grader.platforms.wheel import DISTRIBUTION, packed_wheel

EXTRA = "instructor"


def _closure() -> list[importlib.metadata.Distribution]:
    """The installed distributions the grader and its instructor extra need, recursively."""
    found: dict[str, importlib.metadata.Distribution] = {}
    todo = [(DISTRIBUTION, {EXTRA})]
    while todo:
        name, extras = todo.pop()
        installed = importlib.metadata.distribution(name)
        for said in installed.requires or []:
            wanted = Requirement(said)
            applies = wanted.marker is None or any(
                wanted.marker.evaluate({"extra": extra}) for extra in extras | {""}
            )
            key = canonicalize_name(wanted.name)
            if applies and key not in found:
                found[key] = importlib.metadata.distribution(wanted.name)
                todo.append((wanted.name, set(wanted.extras)))
            elif applies and wanted.extras:
                todo.append((wanted.name, set(wanted.extras)))
    return sorted(found.values(), key=lambda d: canonicalize_name(d.metadata["Name"]))


def local_index() -> Path:
    """The folder of wheels pip's ``--find-links`` installs the grader's runtime from."""
    needed = _closure()
    listed = "\n".join(f"{d.metadata['Name']}=={d.version}" for d in needed)
    folder = CACHE / f"platform-index-{hashlib.sha256(listed.encode()).hexdigest()[:16]}"
    CACHE.mkdir(parents=True, exist_ok=True)
    with open(CACHE / f"{folder.name}.lock", "w") as lock:
        fcntl.flock(lock, fcntl.LOCK_EX)
        if (folder / "done").is_file():
            return folder
        shutil.rmtree(folder, ignore_errors=True)
        folder.mkdir()
        for installed in needed:
            packed_wheel(installed, folder)
        (folder / "done").write_text(listed + "\n")
    return folder
