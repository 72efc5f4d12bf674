"""The manifest of a collected submission: checking a bundle's, reading a student folder's."""

from __future__ import annotations

import re
from collections.abc import Mapping, Sequence
from pathlib import Path
from typing import Any

from grader.bundle import MANIFEST_NAME, MANIFEST_SCHEMA, STUDENT_ID
from grader.errors import UserError
from grader.gradebook import schema
from grader.inputs.json_input import NotJSON, load_json
from grader.intake.common import HISTORY, RESERVED, Rejected, parse_time, safe_relpath
from grader.projects.kinds import FILE_ROLES
from grader.roster import id_from_address


def check_student_id(student_id: str) -> str:
    if not STUDENT_ID.fullmatch(student_id) or student_id.lower() in RESERVED:
        raise Rejected(f"student id {student_id!r} is not a safe folder name", student_id)
    return student_id


def student_id_from_address(address: str) -> str:
    """The id of a student known only by the address they sent from: its local part."""
    return check_student_id(id_from_address(address))


def missing_items(projects: Sequence[Mapping[str, Any]], required: int) -> list[str]:
    """What a submission lacks: projects, Colab links, notebooks, reports."""
    missing = []
    if len(projects) < required:
        missing.append(f"{required - len(projects)} of the {required} projects")
    for number, project in enumerate(projects, 1):
        missing.extend(
            f"project {number}: {what}"
            for key, what in (
                ("colab", "Colab link"),
                ("notebook", "notebook"),
                ("report", "report PDF"),
            )
            if not project.get(key)
        )
    return missing


def check_manifest(data: Any) -> dict[str, Any]:
    """A bundle manifest with every field checked, or Rejected saying what is wrong."""
    if not isinstance(data, dict) or data.get("schema") != MANIFEST_SCHEMA:
        raise Rejected(f"manifest.json is not a bundle manifest of schema {MANIFEST_SCHEMA}")
    student = data.get("student")
    if not isinstance(student, dict) or not all(
        isinstance(student.get(key), str) for key in ("id", "name", "email")
    ):
        raise Rejected("manifest.json has no student id, name and email")
    check_student_id(student["id"])
    files = data.get("files")
    if not isinstance(files, dict):
        raise Rejected("manifest.json lists no files", student["id"])
    for relpath, digest in files.items():
        first = safe_relpath(relpath, "manifest file").parts[0]
        if first in (HISTORY, MANIFEST_NAME) or relpath != safe_relpath(relpath).as_posix():
            raise Rejected(f"manifest file name {relpath!r} is reserved or not normal")
        if not isinstance(digest, str) or not re.fullmatch(r"[0-9a-f]{64}", digest):
            raise Rejected(f"manifest.json gives no SHA-256 for {relpath!r}", student["id"])
    projects = data.get("projects")
    if not isinstance(projects, list) or not all(isinstance(p, dict) for p in projects):
        raise Rejected("manifest.json has no list of projects", student["id"])
    checked_projects = []
    for project in projects:
        checked = {}
        for key in ("title", "colab", *FILE_ROLES, "dataset_link"):
            value = project.get(key)
            if value is not None and not isinstance(value, str):
                raise Rejected(f"manifest.json project {key} is not text", student["id"])
            if key in FILE_ROLES and value is not None and value not in files:
                raise Rejected(f"manifest.json project {key} {value!r} is not among its files")
            checked[key] = value
        checked_projects.append(checked)
    created = data.get("created")
    parse_time(created, "manifest.json created time")
    return {
        "schema": MANIFEST_SCHEMA,
        "student": {key: student[key] for key in ("id", "name", "email")},
        "projects": checked_projects,
        "created": created,
        "files": dict(files),
    }


def load_manifest(student_dir: Path) -> dict[str, Any]:
    """The manifest of a student folder written by ``grader collect``.

    File paths in it are relative to ``student_dir``; UserError when the folder is not one.
    """
    path = student_dir / MANIFEST_NAME
    try:
        data = load_json(path.read_bytes())
        schema.check_record(path, data, MANIFEST_SCHEMA)  # a newer grader's: said as such
        check_manifest(data)
        for key in ("submitted_at", "late", "source", "missing"):
            if key not in data:
                raise Rejected(f"manifest.json has no {key!r}")
    except FileNotFoundError:
        raise UserError(
            f"{student_dir} has no {MANIFEST_NAME}: give a student folder written by grader collect"
        ) from None
    except (NotJSON, Rejected) as error:
        raise UserError(
            f"{path} is not a collected manifest ({error}): collect the submission again"
        ) from None
    return data
