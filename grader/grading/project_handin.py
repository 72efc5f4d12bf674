"""One student's project as the collected folder holds it: what ``grader grade`` checks, here
or on a Dask worker (:mod:`grader.grading.remote_projects` sends it as plain data)."""

from __future__ import annotations

import hashlib
from dataclasses import dataclass
from pathlib import Path
from typing import Any

from grader.course.rubric import Project
from grader.projects.kinds import FILE_ROLES


@dataclass(frozen=True)
class ProjectHandIn:
    """One student's project as the collected folder holds it."""

    student: str
    folder: Path
    project: Project
    entry: dict[str, Any]  # the manifest's project entry ({} when the bundle has too few)
    submitted_at: str | None  # when this project was handed in: its last file's own time

    def file(self, key: str) -> Path | None:
        """The hand-in's file ``key``; None when there is none, or when its name (a link a
        student planted, or ``..``) leads out of the hand-in folder."""
        name = self.entry.get(key)
        if not name:
            return None
        path = self.folder / name
        return path if path.resolve().is_relative_to(self.folder.resolve()) else None

    def digest(self) -> str:
        """What the checks depend on: the project's files and links."""
        digest = hashlib.sha256(repr(sorted(self.entry.items())).encode())
        for key in FILE_ROLES:
            path = self.file(key)
            if path is not None and path.is_file():
                digest.update(path.read_bytes())
        return digest.hexdigest()
