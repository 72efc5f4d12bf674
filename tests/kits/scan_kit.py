"""The forbidden-shortcut scan of a notebook written here, cell by cell, with the shipped
lstm_gates assignment's own [forbidden] lists (tests/forbidden/)."""

from __future__ import annotations

from pathlib import Path

from grader import assignment as assign
from grader.forbidden import NOTEBOOK, REVIEW, forbidden_shortcuts

ROOT = Path(__file__).resolve().parents[2]
ASSIGNMENT = ROOT / "assignments" / "lstm_gates"
CONFIG = assign.load_config(ASSIGNMENT)
GRADED = [f.name for f in CONFIG.functions]


def scan(*cells: str) -> dict[str, list[str]]:
    """The scan of a notebook made of ``cells``, with the assignment's own [forbidden] lists."""
    return forbidden_shortcuts(
        list(enumerate(cells)), GRADED, CONFIG.forbidden_imports, CONFIG.forbidden_calls
    )


def definite(found: dict[str, list[str]]) -> dict[str, list[str]]:
    return {k: v for k, v in found.items() if k not in (NOTEBOOK, REVIEW)}
