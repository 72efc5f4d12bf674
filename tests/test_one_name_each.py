"""One name, one meaning: what grading, the engine, scoring and feedback define is not defined
with another meaning elsewhere in grader/, nor imported under another module's name."""

from __future__ import annotations

import ast
from pathlib import Path

import grader.engine
from grader import limits

GRADER = Path(__file__).resolve().parents[1] / "grader"


def _defined(name: str) -> list[str]:
    """The modules of grader/ that define ``name`` at their top level."""
    return sorted(
        str(path.relative_to(GRADER.parent))
        for path in GRADER.rglob("*.py")
        for node in ast.parse(path.read_text()).body
        if isinstance(node, ast.ClassDef | ast.FunctionDef) and node.name == name
    )


def _renamed_imports() -> list[str]:
    """``from grader... import x as y`` where ``x`` is RunLimits or a module of the engine."""
    engine_modules = {path.stem for path in (GRADER / "engine").rglob("*.py")}
    return [
        f"{path.relative_to(GRADER.parent)}: {alias.name} as {alias.asname}"
        for path in GRADER.rglob("*.py")
        for node in ast.walk(ast.parse(path.read_text()))
        if isinstance(node, ast.ImportFrom) and (node.module or "").startswith("grader")
        for alias in node.names
        if alias.asname and (alias.name == "RunLimits" or alias.name in engine_modules)
    ]


def test_run_limits_have_one_name():
    assert not hasattr(grader.engine, "Limits")
    assert grader.engine.RunLimits is limits.RunLimits
    assert _renamed_imports() == []  # the sandbox's walls are imported as walls


def test_each_way_of_reading_a_notebook_has_its_own_name():
    assert _defined("read_notebook") == []
    assert _defined("read_student_notebook") == ["grader/engine/run/notebook.py"]
    assert _defined("read_source_notebook") == ["grader/assignment/source_notebook.py"]
    assert _defined("report_from_notebook") == ["grader/report/notebook.py"]
    assert _defined("add_notebook") == ["grader/similarity/sources.py"]


def test_a_hand_in_a_graded_submission_and_progress_have_one_meaning_each():
    for name in ("Submission", "Graded", "Progress", "HandIn", "GradedSubmission"):
        assert len(_defined(name)) <= 1, (name, _defined(name))
    assert _defined("HandIn") == ["grader/grading/submissions.py"]
    assert _defined("GradedSubmission") == ["grader/feedback/export.py"]
    assert _defined("GradingProgress") == ["grader/grading/summary.py"]
