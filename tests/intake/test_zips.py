"""One answer to "is this zip a bundle?" (issue 97): the mail's reader, the LMS download's
recogniser and the bundle's unpacker ask :mod:`grader.intake.zips` and agree on any layout."""

from __future__ import annotations

import tempfile
from pathlib import Path

from hypothesis import given, settings
from hypothesis import strategies as st
from lms_archive_kit import zipped

from grader.intake.common import Rejected
from grader.intake.lms_archives.recognise import is_archive
from grader.intake.unpack import extract_bundle
from grader.intake.zips import is_bundle

NAMES = [
    "manifest.json",
    "CS21B001/manifest.json",
    "CS21B001/deeper/manifest.json",
    "__MACOSX/._manifest.json",
    "__MACOSX/CS21B001/._manifest.json",
    ".DS_Store",
    "CS21B001/.DS_Store",
    "notes.txt",
    "CS21B001/project1/p1.ipynb",
    "other/a.csv",
]


@settings(max_examples=60, deadline=None)
@given(st.lists(st.sampled_from(NAMES), min_size=1, unique=True))
def test_every_reader_tells_a_bundle_alike(names: list[str]) -> None:
    data = zipped(dict.fromkeys(names, b"{}"))
    with tempfile.TemporaryDirectory() as folder:
        path = Path(folder, "in.zip")
        path.write_bytes(data)
        bundle = is_bundle(data)
        assert is_bundle(path) == bundle
        assert is_archive(path) == (not bundle)
        try:
            extract_bundle(data, Path(folder, "out"))
        except Rejected as rejection:
            assert ("no manifest.json" in rejection.reason) == (not bundle), rejection.reason
        else:
            assert bundle
