"""Unpacking zips safely: bundles (checked against their manifest) and plain zips of files.

Each member is written by hand after its name, kind and size are checked; nothing is extracted
wholesale, and nothing lands outside the folder given.
"""

from __future__ import annotations

import unicodedata
import zipfile
from collections.abc import Iterator, Mapping
from pathlib import Path, PurePosixPath
from typing import IO, Any

from grader.bundle import MANIFEST_NAME
from grader.inputs.json_input import NotJSON, load_json
from grader.intake.common import (
    DEFAULT_LIMITS,
    TOOL_FILES,
    Limits,
    Rejected,
    safe_relpath,
    write_manifest,
    write_new,
)
from grader.intake.manifest import check_manifest
from grader.intake.unreadable import CHANGED
from grader.intake.zips import bundle_prefix, member_name, opened, refusal
from grader.projects.kinds import FILE_ROLES


def _plan_members(archive: zipfile.ZipFile, limits: Limits) -> dict[str, zipfile.ZipInfo]:
    """Every regular member by safe relative path, after checking names, kinds and sizes."""
    infos = archive.infolist()
    if len(infos) > limits.max_members:
        raise Rejected(f"zip holds {len(infos)} members, over the cap of {limits.max_members}")
    members: dict[str, zipfile.ZipInfo] = {}
    total = 0
    for info in infos:
        name = member_name(info)
        if (rejection := refusal(info, name, limits)) is not None:
            raise rejection
        relpath = safe_relpath(name, "zip member").as_posix()
        if info.is_dir() or TOOL_FILES.search(relpath):
            continue
        total += info.file_size
        if total > limits.max_total_bytes:
            raise Rejected(f"zip unpacks to more than the cap of {limits.max_total_bytes} bytes")
        if relpath in members:
            raise Rejected(f"zip holds {relpath!r} twice")
        members[relpath] = info
    return members


def _manifest_prefix(members: Mapping[str, zipfile.ZipInfo]) -> str:
    """'' when manifest.json is at the top, 'dir/' when the whole bundle was zipped in a folder."""
    prefix = bundle_prefix(members)
    if prefix is None:
        raise Rejected(
            "the zip has no manifest.json, so it is not a bundle: build it with `grader bundle`"
        )
    return prefix


def _chunks(stream: IO[bytes]) -> Iterator[bytes]:
    yield from iter(lambda: stream.read(1 << 20), b"")


def extract_bundle(
    source: Path | bytes, dest: Path, limits: Limits = DEFAULT_LIMITS
) -> dict[str, Any]:
    """Check a bundle zip and unpack its listed files into the empty folder ``dest``.

    Returns the checked manifest (also written to ``dest``); raises Rejected with the reason.
    Each member is written by hand after its path is checked; nothing is extracted wholesale.
    A file whose bytes no longer match its SHA-256 in the manifest is left out, and listed
    under the manifest's ``unreadable`` with its reason: the rest of the bundle is unpacked.
    """
    with opened(source) as archive:
        members = _plan_members(archive, limits)
        prefix = _manifest_prefix(members)
        manifest_info = members[prefix + MANIFEST_NAME]
        if manifest_info.file_size > limits.max_manifest_bytes:
            raise Rejected("manifest.json is too large to be a bundle manifest")
        try:
            manifest = check_manifest(load_json(archive.read(manifest_info)))
        except NotJSON as error:
            raise Rejected(f"manifest.json is not a bundle manifest: {error}") from None
        student_id = manifest["student"]["id"]
        budget, changed = limits.max_total_bytes, []
        for relpath, expected in manifest["files"].items():
            info = members.get(prefix + relpath)
            if info is None:
                raise Rejected(f"manifest.json lists {relpath} but the zip lacks it", student_id)
            cap = min(info.file_size, budget)
            with archive.open(info) as stream:
                digest = write_new(dest, PurePosixPath(relpath), _chunks(stream), cap)
            budget -= info.file_size
            if digest != expected:  # that file is not the one bundled: the rest still is
                dest.joinpath(*PurePosixPath(relpath).parts).unlink()
                changed.append(relpath)
        _leave_out(manifest, changed)
        listed = {prefix + relpath for relpath in manifest["files"]} | {prefix + MANIFEST_NAME}
        if unlisted := sorted(set(members) - listed):
            manifest["notes"] = [
                f"ignored files the manifest does not list: {', '.join(unlisted[:10])}"
            ]
    write_manifest(dest, manifest)
    return manifest


def _leave_out(manifest: dict[str, Any], changed: list[str]) -> None:
    """The manifest without the files ``changed`` after bundling: each listed under
    ``unreadable`` with its reason instead (see :mod:`grader.intake.unreadable`)."""
    if not changed:
        return
    for relpath in changed:
        del manifest["files"][relpath]
    for project in manifest["projects"]:
        for role in FILE_ROLES:
            if project.get(role) in changed:
                project[role] = None
    manifest["unreadable"] = [{"name": relpath, "reason": CHANGED} for relpath in changed]


def unpack_plain_zip(data: bytes, limits: Limits) -> list[tuple[str, bytes]]:
    """The files of a zip that is not a bundle (macOS "Compress", Windows "Send to"), by path.

    Tool files (``__MACOSX/``, ``._*``, ``.DS_Store``) are dropped; one folder that holds
    everything is dropped from the paths; the same checks as for bundles apply.
    """
    with opened(data) as archive:
        members = _plan_members(archive, limits)
        tops = {relpath.split("/", 1)[0] for relpath in members}
        strip = len(tops) == 1 and all("/" in relpath for relpath in members)
        files = []
        for relpath, info in members.items():
            with archive.open(info) as stream:
                content = stream.read(info.file_size + 1)
            if len(content) != info.file_size:
                raise Rejected(f"zip member {relpath!r} is larger than it says")
            name = relpath.split("/", 1)[1] if strip else relpath
            # macOS stores names decomposed (e + U+0301); the folder gets them composed.
            files.append((unicodedata.normalize("NFC", name), content))
    return files
