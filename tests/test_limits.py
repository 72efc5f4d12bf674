"""grader/limits/ is the one place of every limit: the sandbox sees its values, derived values
follow their source, nothing can change them at run time, and no module keeps a limit of its own."""

from __future__ import annotations

import ast
import dataclasses
import json
import re
import subprocess
import sys
from pathlib import Path

import pytest
from sandbox_fence import run_fenced, run_spec, write_notebook

from grader import limits
from grader.assignment.config import load_config
from grader.course.rubric import load_projects
from grader.engine.gradersandbox import protocol, runner, wire
from grader.engine.run.submission import _watched
from grader.engine.walls import sandbox_limits
from grader.errors import UserError
from grader.web.regrade import regrade_timeout

REPO = Path(__file__).resolve().parents[1]
GRADER = REPO / "grader"
LIMITS = GRADER / "limits"
GENERATED = sandbox_limits.SANDBOX_COPY
# Names of a numeric constant that say it is a limit: a bound, a duration, a size or a count of
# things at once. Any such constant outside grader/limits/ is a limit kept out of sight.
LIMIT_NAME = re.compile(
    r"(^_?max_|_max_|^_?min_|limit|timeout|_s$|_seconds$|_bytes$|_chars$|_mb$|_kept$|attempts"
    r"|threads$|workers$|per_hour|interval|pixels$|_lines$|rounds$|_port$|^port$)",
    re.IGNORECASE,
)
# Numeric constants named like limits that are not limits of the grader, and why.
NOT_LIMITS = {
    # generated from grader.limits (see test_the_sandbox_copy_is_what_limits_generates)
    **{(GENERATED, name): "generated" for name in sandbox_limits.SANDBOX_NAMES},
    # where a plot's axis is clipped, so that a returned 1e308 still draws: a drawing's scale
    (GRADER / "feedback" / "figure.py", "PLOT_LIMIT"): "a plot's scale",
    # a late policy's own default in course.toml (100 % is no cap): the course's policy
    (GRADER / "course" / "late.py", "max_penalty"): "a policy's default",
    # statistics of the similarity test (fewest values to calibrate on, a blank image's spread):
    # part of the method, like its z threshold, not a bound on what is read
    (GRADER / "similarity" / "calibration.py", "MIN_VALUES"): "a statistic",
    (GRADER / "similarity" / "images.py", "MIN_CONTRAST"): "a statistic",
}


def _numeric(node: ast.expr) -> bool:
    if isinstance(node, ast.Constant):
        return type(node.value) in (int, float)
    if isinstance(node, ast.BinOp):
        return _numeric(node.left) and _numeric(node.right)
    if isinstance(node, ast.UnaryOp):
        return _numeric(node.operand)
    return False


def _numeric_limits(path: Path) -> list[tuple[str, int]]:
    """(name, line) of each module- or class-level name bound to a number named as a limit."""
    tree = ast.parse(path.read_text())
    bodies = [tree.body] + [node.body for node in ast.walk(tree) if isinstance(node, ast.ClassDef)]
    found = []
    for body in bodies:
        for node in body:
            if isinstance(node, ast.Assign) and _numeric(node.value):
                names = [target.id for target in node.targets if isinstance(target, ast.Name)]
            elif isinstance(node, ast.AnnAssign) and node.value and _numeric(node.value):
                names = [node.target.id] if isinstance(node.target, ast.Name) else []
            else:
                continue
            found += [(name, node.lineno) for name in names if LIMIT_NAME.search(name)]
    return found


def test_no_module_but_limits_keeps_a_limit_of_its_own():
    kept = [
        f"{path.relative_to(REPO)}:{line}: {name}"
        for path in sorted(GRADER.rglob("*.py"))
        if LIMITS not in path.parents
        for name, line in _numeric_limits(path)
        if (path, name) not in NOT_LIMITS
    ]
    assert not kept, "limits defined outside grader/limits/ (move them there):\n" + "\n".join(kept)


def test_the_scan_sees_a_limit_written_the_old_way(tmp_path):
    old = tmp_path / "old.py"
    old.write_text(
        "MAX_BYTES = 192 * 1024\n_START_S = 120.0\nclass Settings:\n    timeout: float = 30.0\n"
    )
    assert [name for name, _ in _numeric_limits(old)] == ["MAX_BYTES", "_START_S", "timeout"]


def test_the_sandbox_copy_is_what_limits_generates():
    assert GENERATED.read_text() == sandbox_limits.sandbox_copy_text(), (
        "grader/engine/gradersandbox/limits.py is stale: "
        "run `python -m grader.engine.walls.sandbox_limits`"
    )


def test_the_limits_import_nothing_of_the_engine():
    """The sandbox's copy is written by the engine's own module: limits is below the engine,
    even in a function."""
    sources = {
        Path(module.__file__)
        for name, module in sys.modules.items()
        if (name == "grader.limits" or name.startswith("grader.limits.")) and module.__file__
    }
    imported = [
        f"{path.relative_to(REPO)}:{node.lineno}: {name}"
        for path in sorted(sources)
        for node in ast.walk(ast.parse(path.read_text()))
        if isinstance(node, (ast.Import, ast.ImportFrom))
        for name in (
            [alias.name for alias in node.names] if isinstance(node, ast.Import) else [node.module]
        )
        if name and name.startswith("grader.engine")
    ]
    assert sources and not imported, "\n".join(imported)


def test_every_limit_says_why():
    """Each field has its reason in a comment, which the docs' reference of limits shows."""
    sys.path.insert(0, str(REPO / "docs" / "_ext"))
    try:
        from grader_reference import field_comments
    finally:
        sys.path.remove(str(REPO / "docs" / "_ext"))
    silent = [
        f"{name}.{field.name}"
        for name, group in limits.GROUPS.items()
        for field in dataclasses.fields(group)
        if not field_comments(type(group)).get(field.name)
    ]
    assert not silent, "limits without a reason comment:\n" + "\n".join(silent)


def test_the_old_flag_says_where_the_sandbox_copy_is_written(capsys):
    assert limits.main(["--write-sandbox-copy"]) == 2
    assert "python -m grader.engine.walls.sandbox_limits" in capsys.readouterr().err


def test_every_limit_is_frozen():
    for name, group in limits.GROUPS.items():
        assert dataclasses.is_dataclass(group), name
        first = dataclasses.fields(group)[0].name
        with pytest.raises(dataclasses.FrozenInstanceError):
            setattr(group, first, 0)


def test_the_sandbox_names_every_value_it_is_given():
    for group, field in sandbox_limits.SANDBOX_NAMES.values():
        assert hasattr(limits.GROUPS[group], field), f"{group}.{field}"


def _run_limits_made(path: Path) -> list[int]:
    """Lines of ``path`` that make run limits by hand: a call of ``RunLimits`` itself (or of
    the engine's old name for it, ``Limits``), not of its classmethod."""
    return [
        node.lineno
        for node in ast.walk(ast.parse(path.read_text()))
        if isinstance(node, ast.Call)
        and (
            (isinstance(node.func, ast.Name) and node.func.id in ("RunLimits", "Limits"))
            or (isinstance(node.func, ast.Attribute) and node.func.attr in ("RunLimits", "Limits"))
        )
    ]


def test_run_limits_are_made_one_way():
    """grade, the projects' checks and a regrade all make their run limits with
    RunLimits.for_assignment: one spelling of a MiB, one place for a folder's settings."""
    made = [
        f"{path.relative_to(REPO)}:{line}"
        for path in sorted(GRADER.rglob("*.py"))
        if path.parent != GRADER / "limits"
        for line in _run_limits_made(path)
    ]
    assert not made, "run limits made by hand (use RunLimits.for_assignment):\n" + "\n".join(made)


def test_the_scan_sees_run_limits_made_by_hand(tmp_path):
    old = tmp_path / "old.py"
    old.write_text(
        "from grader import engine\nfrom grader.limits import RunLimits\n"
        "a = engine.Limits(memory_bytes=1)\nb = RunLimits(cell_timeout=1)\n"
        "c = RunLimits.for_assignment(config)\n"
    )
    assert _run_limits_made(old) == [3, 4]


def test_run_limits_for_an_assignment_and_for_the_projects():
    config = load_config(REPO / "assignments" / "lstm_gates")
    made = limits.RunLimits.for_assignment(config)
    assert made.cell_timeout == config.cell_timeout
    assert made.notebook_timeout == config.notebook_timeout
    assert made.memory_bytes == config.memory_mb * 1024 * 1024
    assert made.disk_bytes == limits.RUN.disk_bytes and not made.unsafe_no_sandbox
    given = limits.RunLimits.for_assignment(config, timeout=7.5, unsafe_no_sandbox=True)
    assert given.cell_timeout == 7.5 and given.unsafe_no_sandbox
    assert given.notebook_timeout == config.notebook_timeout
    projects = load_projects(REPO / "assignments" / "projects")
    checked = limits.RunLimits.for_assignment(projects, disk_bytes=limits.COURSE.project_disk_bytes)
    assert checked.memory_bytes == projects.memory_mb * 1024 * 1024
    assert checked.disk_bytes == 2 * 1024**3 > limits.RUN.disk_bytes


def test_the_regrade_timeout_follows_the_notebooks_limits():
    config = load_config(REPO / "assignments" / "lstm_gates")
    before = regrade_timeout(config)
    longer = dataclasses.replace(config, notebook_timeout=config.notebook_timeout + 100)
    slower = dataclasses.replace(config, cell_timeout=config.cell_timeout + 1)
    assert regrade_timeout(longer) == before + 100
    assert regrade_timeout(slower) == before + len(config.functions) + 1
    assert before > config.notebook_timeout + limits.WEB.regrade_startup_s


def test_one_cap_of_forbidden_names_for_the_config_and_the_watch(tmp_path):
    most = limits.FORBIDDEN.max_names
    names = [f"torch.nn.Name{number}" for number in range(most + 1)]
    assert _watched(names[:most]) == names[:most]
    with pytest.raises(ValueError, match=f"at most {most}"):
        _watched(names)
    folder = tmp_path / "assignment"
    source = REPO / "assignments" / "lstm_gates"
    folder.mkdir()
    for path in source.iterdir():
        if path.is_file():
            (folder / path.name).write_bytes(path.read_bytes())
    toml = (folder / "assignment.toml").read_text()
    listed = ", ".join(f'"{name}"' for name in names)
    toml = re.sub(r"(?m)^imports\s*=.*$", f"imports = [{listed}]", toml)
    (folder / "assignment.toml").write_text(toml)
    with pytest.raises(UserError, match=f"at most {most} are read"):
        load_config(folder)


def test_probes_and_run_do_not_import_each_other():
    """steps.py imports probes.py; probes.py reads its limits from grader.limits, not from steps."""
    code = (
        "import sys\n"
        "import grader.engine.run.probes\n"
        "print(sorted(m for m in sys.modules if m.startswith('grader.engine')))"
    )
    imported = subprocess.run(
        [sys.executable, "-X", "importtime", "-c", code],
        capture_output=True,
        text=True,
        check=True,
        cwd=REPO,
    )
    order = [line.split("|")[-1].strip() for line in imported.stderr.splitlines()[1:]]
    # importtime lists a module once it is done: probes before run means probes did not need it
    # (run is imported by the package's __init__, which waits for probes while importing run).
    assert order.index("grader.engine.run.probes") < order.index("grader.engine.run.steps")
    probes = ast.parse((GRADER / "engine" / "run" / "probes.py").read_text())
    at_import = [
        node.module
        for node in probes.body  # what runs at import: not the TYPE_CHECKING block
        if isinstance(node, ast.ImportFrom)
    ]
    assert "grader.engine.run.steps" not in at_import


@pytest.mark.slow
def test_the_sandbox_reads_the_values_of_grader_limits(tmp_path):
    """Read inside a real sandbox run: the values its own modules bound at import."""
    notebook = write_notebook(
        tmp_path / "nb.ipynb",
        "import json, sys\n"
        "modules = {name.split('.')[-1]: module for name, module in sys.modules.items()\n"
        "           if name.startswith('gradersandbox.')}\n"
        "seen = {\n"
        "    'copy': {k: v for k, v in vars(modules['limits']).items() if k.isupper()},\n"
        "    'wire': [modules['wire'].MAX_DEPTH, modules['wire'].MAX_DIMENSIONS,\n"
        "             modules['wire'].MAX_ITEMS],\n"
        "    'runner': [modules['runner'].ORDER_BYTES, modules['runner'].ERROR_CHARS],\n"
        "    'probe': modules['probe'].CALL_BYTES,\n"
        "    'watch': modules['watch'].FORBIDDEN_MAX_NAMES,\n"
        "}\n"
        "print('SEEN' + json.dumps(seen))",
    )
    (result,) = run_fenced(tmp_path, [run_spec(notebook)])["results"]
    assert result["status"] == "completed", result
    line = next(x for x in result["output"].splitlines() if x.startswith("SEEN"))
    seen = json.loads(line[len("SEEN") :])
    expected = {
        name: getattr(limits.GROUPS[group], field)
        for name, (group, field) in sandbox_limits.SANDBOX_NAMES.items()
    }
    assert seen["copy"] == expected
    wire, sandbox = limits.WIRE, limits.SANDBOX
    assert seen["wire"] == [wire.max_depth, wire.max_dimensions, wire.max_items]
    assert seen["runner"] == [sandbox.order_bytes, sandbox.error_chars]
    assert seen["probe"] == sandbox.call_bytes
    assert seen["watch"] == limits.FORBIDDEN.max_names


def test_a_file_chunk_fits_in_one_order_of_the_runner():
    """The runner refuses an order over its bound: a chunk of a file, with its name and mode,
    must fit in one, with room for a long path."""
    headroom = 64 * limits.KiB
    assert limits.SANDBOX.file_chunk_bytes + headroom <= limits.SANDBOX.order_bytes
    assert limits.SANDBOX.order_bytes < limits.SANDBOX.call_bytes


def test_no_size_limit_is_stricter_than_the_layer_before_it():
    """A 5 MB cell in a notebook the intake accepted (50 MB) once killed the submission: the
    runner took orders of 4 MiB at most ("the kernel died ... (exit code 70)")."""
    assert limits.SIZE_PATHS
    for path, layers in limits.SIZE_PATHS.items():
        assert len(layers) >= 2, path
        for before, after in zip(layers, layers[1:], strict=False):
            let_through, taken = limits.size_limit(before), limits.size_limit(after)
            assert taken >= let_through, f"{path}: {after} ({taken}) < {before} ({let_through})"


def test_the_runner_reads_a_cell_as_large_as_a_notebook_the_intake_accepts():
    """The order carrying the largest cell there can be (the whole notebook, as UTF-8), framed
    as the trusted side frames it, read by the runner's own reader of its bound."""
    source = "é" * (limits.INTAKE.max_notebook_bytes // 2)
    reader = wire.Reader(runner.ORDER_BYTES)
    reader.feed(protocol.frame(protocol.RunCell(17, source)))
    frame = reader.next()
    assert frame is not None
    assert protocol.read_order(frame) == protocol.RunCell(17, source)
