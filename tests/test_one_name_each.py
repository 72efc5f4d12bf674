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


def _types_named() -> dict[str, list[str]]:
    """Each name the modules of grader/ give a meaning at their top level (a class, or an
    assignment: a TypeVar, an alias) -> those modules."""
    found: dict[str, list[str]] = {}
    for path in sorted(GRADER.rglob("*.py")):
        for node in ast.parse(path.read_text()).body:
            if isinstance(node, ast.ClassDef):
                names = [node.name]
            elif isinstance(node, ast.Assign):
                names = [t.id for t in node.targets if isinstance(t, ast.Name)]
            else:
                names = []
            for name in names:
                found.setdefault(name, []).append(str(path.relative_to(GRADER.parent)))
    return found


def test_each_hand_in_type_has_one_meaning():
    # issue 97: HandIn was a dataclass and a TypeVar, ProjectHandIn a Protocol and a dataclass,
    # Project the course's and a submission.toml's
    named = _types_named()
    assert named["HandIn"] == ["grader/grading/submissions.py"]
    assert named["ProjectHandIn"] == ["grader/grading/project_handin.py"]
    assert named["Project"] == ["grader/course/rubric.py"]  # a bundle's: SubmittedProject


# The vocabularies of the projects' checks, each spelled out in grader/projects/kinds.py only.
KINDS_MODULE = GRADER / "projects" / "kinds.py"


def _spelled_out(path: Path, root: Path = GRADER.parent) -> list[str]:
    """The tuples, lists and sets of ``path`` that spell out a vocabulary of
    :mod:`grader.projects.kinds` instead of importing it: all its words, and little else (a
    table's header that has a column for each file is not one), or two pitfall kinds."""
    from grader.projects import kinds

    words = [set(kinds.FILE_ROLES), set(kinds.PARTS), set(kinds.TOLD_TO_STUDENTS)]
    found = []
    for node in ast.walk(ast.parse(path.read_text())):
        if not isinstance(node, ast.Tuple | ast.List | ast.Set):
            continue
        texts = {e.value for e in node.elts if isinstance(e, ast.Constant)}
        spelled = [v for v in words if v <= texts and 2 * len(v) >= len(node.elts)]
        if spelled or (len(texts & set(kinds.PITFALL_KINDS)) >= 2):
            found.append(f"{path.relative_to(root)}:{node.lineno}: {ast.unparse(node)}")
    return found


def test_the_file_roles_and_the_check_kinds_are_spelled_in_one_place():
    spelled = [
        line
        for path in sorted(GRADER.rglob("*.py"))
        if path != KINDS_MODULE
        for line in _spelled_out(path)
    ]
    assert not spelled, "import these from grader.projects.kinds:\n" + "\n".join(spelled)


def test_a_vocabulary_spelled_out_again_is_seen(tmp_path):
    module = tmp_path / "roles.py"
    module.write_text(
        'for role in ("notebook", "report", "dataset"):\n    pass\n'
        'KEYS = ["title", "notebook", "report", "dataset"]\n'
        'ONE = ("notebook", "dataset")\n'
        'PITS = {"no-baseline", "shuffled-time-split"}\n'
        'HEADER = ("student", "report", "pages", "words", "dataset", "lstm", "notebook")\n'
    )
    assert [line.split(":")[1] for line in _spelled_out(module, tmp_path)] == ["1", "3", "5"]
