"""Renaming a base Python's binaries: a string keeps its length, and its tail, which a linker
may have given another string (libpython's version is the end of its prefix)."""

from __future__ import annotations

from pathlib import Path

from grader.engine.runtime.shown_runtime import Renamer, Shown

BASE = Shown(
    Path("/root/.pyenv/versions/3.11.7"), "/opt/python/base", ("/root/.pyenv/versions/3.11.7",)
)


def test_a_binary_string_keeps_its_length_and_its_last_name():
    data = b"\0/root/.pyenv/versions/3.11.7\0/root/.pyenv/versions/3.11.7/lib\0tail"
    renamer = Renamer([BASE], keep_tails=True)
    renamed = renamer.binary(data, "libpython")
    assert len(renamed) == len(data)
    assert renamed == data.replace(b"/root/.pyenv/versions/", b"/opt/python/base//////")
    assert renamed.index(b"3.11.7\0") == data.index(b"3.11.7\0")  # the version, shared
    assert renamer.tails() == {"3.11.7"}
    assert renamer.unpatched == []


def test_without_keeping_tails_the_rest_moves_up():
    data = b"\0/root/.pyenv/versions/3.11.7/lib\0"
    renamer = Renamer([BASE])
    renamed = renamer.binary(data, "python3")
    assert renamed == b"\0/opt/python/base/lib" + b"\0" * 13
    assert renamer.tails() == set()


def test_a_host_path_shorter_than_the_neutral_one_is_left_and_reported():
    short = Shown(Path("/r/3.11.7"), "/opt/python/base", ("/r/3.11.7",))
    renamer = Renamer([short], keep_tails=True)
    assert renamer.tails() == set()
    data = b"\0/r/3.11.7/lib/python3.11\0"
    assert renamer.binary(data, "x") == data
    assert renamer.unpatched == ["x"]
