"""What the image's build checks once, so that no submission's run pays for it again: whether
the sandbox's namespaces can be made, and the trial notebook (:mod:`grader.engine.run.trial`)
run behind the walls the container allows, with the student's memory limit. ``setup.sh`` (and
PrairieLearn's image build) runs ``python -m grader.platforms.inside PLATFORM ROOT --build``,
which writes the record beside the carried course; each run reads it. A record missing, or made
by another build (another grader, Python, assignment or memory limit), is no record: the run
checks at its start, as ``grader grade`` does."""

from __future__ import annotations

import hashlib
import json
import sys
from dataclasses import dataclass
from pathlib import Path
from typing import Any

import grader
from grader.grading.remote import packed_folder
from grader.platforms.carried import Carried

RECORD = "build-check.json"


@dataclass(frozen=True)
class BuildCheck:
    """What the build found: whether namespaces could be made, and the trial's seconds."""

    namespaces: bool
    trial_s: float


def _build_of(carried: Carried, memory_bytes: int) -> dict[str, Any]:
    """What a record holds true for: the grader, its Python, the assignment's files, the
    student's memory limit the trial ran with."""
    digest = hashlib.sha256()
    for name, data in sorted(packed_folder(carried.assignment_dir).items()):
        digest.update(name.encode() + b"\0" + hashlib.sha256(data).digest())
    return {
        "grader": grader.__version__,
        "python": sys.version,
        "executable": sys.executable,
        "assignment": digest.hexdigest(),
        "memory_bytes": memory_bytes,
    }


def write_record(carried: Carried, memory_bytes: int, check: BuildCheck) -> Path:
    """Record ``check`` as this build's, for a run with ``memory_bytes``; its path."""
    path = carried.folder / RECORD
    build = _build_of(carried, memory_bytes)
    found = {"build": build, "namespaces": check.namespaces, "trial_s": check.trial_s}
    path.write_text(json.dumps(found, indent=1) + "\n")
    path.chmod(0o600)
    return path


def read_record(carried: Carried, memory_bytes: int) -> tuple[BuildCheck | None, str]:
    """The build's check where it holds for this run, else None; the log's words for either."""
    path = carried.folder / RECORD
    try:
        found = json.loads(path.read_text())
        build, namespaces, trial_s = found["build"], found["namespaces"], found["trial_s"]
    except FileNotFoundError:
        return None, "no record of the build's check: the sandbox checked now"
    except (OSError, ValueError, KeyError, TypeError) as error:
        return None, f"the build's check unreadable ({error}): the sandbox checked now"
    if build != _build_of(carried, memory_bytes):
        return None, "the build's check is another build's: the sandbox checked now"
    said = f"the sandbox and its trial notebook checked at the build ({trial_s:.1f} s), not again"
    return BuildCheck(bool(namespaces), float(trial_s)), said
