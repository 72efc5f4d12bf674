"""The platforms' tests' course: the shipped one copied, once per module."""

from __future__ import annotations

from pathlib import Path

import pytest
from platform_course import copied_course


@pytest.fixture(scope="module")
def course(tmp_path_factory) -> Path:
    """A copy of the shipped course: its course.toml."""
    return copied_course(tmp_path_factory.mktemp("course"))
