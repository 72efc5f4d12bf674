"""What only the team's ``../shared`` holds (real Colab notebooks by others, Colab's published
runtime), read where it lies and never copied into the repository.

A clone as a user gets it has no ``../shared`` beside it: every test that reads it asks here, and
skips with the reason where it is absent (CI, which has it, runs them all).
"""

from __future__ import annotations

import os
from pathlib import Path

import pytest

REPO = Path(__file__).resolve().parents[2]
SHARED = REPO.parent / "shared"
# Real Colab notebooks written by others (COLAB_CORPUS, when set, points at another copy).
CORPUS = Path(os.environ.get("COLAB_CORPUS", SHARED / "corpus" / "colab"))
# The student's runtime in Colab as Google publishes it (pip-freeze.txt and its Python).
COLAB_RUNTIME = SHARED / "colab"


def needed(path: Path, what: str) -> Path:
    """path, or the calling test (or fixture) skipped: ``what`` is not there."""
    if not path.exists():
        pytest.skip(f"{what} is not at {path} (only a checkout beside ../shared has it)")
    return path


def corpus_notebook(name: str) -> Path:
    """The corpus notebook called name, or the test skipped."""
    return needed(CORPUS / name, "the Colab corpus")


def corpus_notebooks() -> list[Path]:
    """Every notebook of the corpus, by name, or the test skipped where the corpus is absent."""
    return sorted(needed(CORPUS, "the Colab corpus").glob("*.ipynb"))


def colab_freeze() -> Path:
    """Colab's published pins (its pip-freeze.txt), or the test skipped."""
    return needed(COLAB_RUNTIME / "pip-freeze.txt", "Colab's published runtime")
