"""No import runs back up the layers: the packages of grader/ (and its top-level modules) import
one another in one direction only. A command's module (one the CLI's table names) is the top
layer of its package: it wires stages together and may import any package, so its imports are
left out; every other module's imports, at import, in a function or for the type checker, make
the packages' graph, and it has no cycle."""

from __future__ import annotations

import re
import subprocess
import sys
from pathlib import Path

from tests.test_import_cycles import cycles, import_graph

REPO = Path(__file__).resolve().parents[1]
GRADER = REPO / "grader"


def command_modules() -> set[str]:
    """The modules the CLI's table of commands names."""
    return set(re.findall(r'"(grader\.[\w.]+)"', (GRADER / "cli.py").read_text()))


def unit(module: str, root: Path = GRADER) -> str:
    """The package of grader/ a module is in (grader.lms for grader.lms.lti.push), or the
    top-level module itself."""
    parts = module.split(".")
    if len(parts) > 1 and (root / parts[1]).is_dir():
        return ".".join(parts[:2])
    return module


def package_graph(
    modules: dict[str, set[str]], commands: set[str], root: Path = GRADER
) -> dict[str, set[str]]:
    """Each package (or top-level module) -> the others its modules import, commands aside."""
    graph: dict[str, set[str]] = {unit(name, root): set() for name in modules}
    for name, targets in modules.items():
        if name in commands:
            continue
        own = unit(name, root)
        graph[own] |= {unit(target, root) for target in targets} - {own}
    return graph


def layers(graph: dict[str, set[str]]) -> list[list[str]]:
    """The packages bottom up: each imports only those of the layers below it."""
    placed: dict[str, int] = {}
    while len(placed) < len(graph):
        ready = [p for p in graph if p not in placed and graph[p] <= set(placed)]
        assert ready, "a cycle"
        for package in ready:
            placed[package] = 1 + max((placed[t] for t in graph[package]), default=-1)
    found: list[list[str]] = [[] for _ in range(max(placed.values()) + 1)]
    for package, layer in sorted(placed.items()):
        found[layer].append(package)
    return found


def test_the_cli_table_names_the_commands():
    commands = command_modules()
    assert {"grader.grading.command", "grader.intake.command", "grader.watch.command"} <= commands
    assert all((GRADER.parent / (name.replace(".", "/") + ".py")).is_file() or
               (GRADER.parent / name.replace(".", "/") / "__init__.py").is_file()
               for name in commands)  # fmt: skip


def test_no_import_runs_back_up_the_layers():
    modules = import_graph(REPO, "grader")
    graph = package_graph(modules, command_modules())
    found = cycles(graph)
    described = []
    for group in found:
        for package in group:
            for target in sorted(graph[package] & set(group)):
                why = sorted(
                    f"{name} -> {t}"
                    for name, targets in modules.items()
                    if unit(name) == package and name not in command_modules()
                    for t in targets
                    if unit(t) == target
                )
                described.append(f"  {package} -> {target}: {', '.join(why[:4])}")
    assert not found, "packages that import each other (move the module to its layer):\n" + (
        "\n".join(described)
    )
    assert layers(graph)[0]  # the bottom layer imports no package of the grader


# A command's imports that run up the layers (to a package that imports the command's own,
# directly or through others): the two a round ago had, and no more. ``grader final`` reads what
# each student was mailed, so it lives with the mail, not in the LMS's package below it.
UPHILL_COMMANDS = {
    ("grader.assignment.releasing", "grader.variants"),
    ("grader.intake.command", "grader.regrades"),
}


def uphill_commands(
    modules: dict[str, set[str]], commands: set[str], root: Path = GRADER
) -> set[tuple[str, str]]:
    """(command, package) for each command that imports a package above its own: one that
    reaches the command's package through the others' imports."""
    graph = package_graph(modules, commands, root)

    def above(package: str, own: str) -> bool:
        seen, todo = set(), [package]
        while todo:
            for target in graph.get(todo.pop(), set()) - seen:
                seen.add(target)
                todo.append(target)
        return own in seen

    return {
        (name, unit(target, root))
        for name in commands & set(modules)
        for target in modules[name]
        if unit(target, root) != unit(name, root) and above(unit(target, root), unit(name, root))
    }


def test_commands_import_up_the_layers_only_where_they_did_a_round_ago():
    found = uphill_commands(import_graph(REPO, "grader"), command_modules())
    assert found <= UPHILL_COMMANDS, "commands that import a package above their own:\n" + (
        "\n".join(f"  {name} -> {package}" for name, package in sorted(found - UPHILL_COMMANDS))
    )


ENGINE = "grader.engine"
# The engine's rooms, bottom up: each imports only those below it (the inside imports none of
# the grader's; the run imports the walls and the runtime; the engine's face re-exports the run).
ROOMS = ["gradersandbox", "runtime", "walls", "run"]


def room(module: str) -> str:
    """The room of the engine a module is in (grader.engine.walls for grader.engine.walls.bwrap),
    or grader.engine itself for its ``__init__``."""
    parts = module.split(".")
    return ".".join(parts[:3]) if len(parts) > 2 else module


def test_the_engines_rooms_import_downward_only():
    modules = {
        name: {target for target in targets if target.startswith(ENGINE)}
        for name, targets in import_graph(REPO, "grader").items()
        if name.startswith(ENGINE) and name not in command_modules()
    }
    assert {room(name) for name in modules} == {ENGINE, *(f"{ENGINE}.{r}" for r in ROOMS)}
    graph: dict[str, set[str]] = {room(name): set() for name in modules}
    for name, targets in modules.items():
        graph[room(name)] |= {room(target) for target in targets} - {room(name)}
    uphill = sorted(
        f"  {name} -> {target}"
        for name, targets in modules.items()
        for target in targets
        if room(target) != room(name) and _height(room(target)) >= _height(room(name))
    )
    assert not uphill, "imports that run back up the engine's rooms:\n" + "\n".join(uphill)
    assert not cycles(graph)
    assert layers(graph)[-1] == [ENGINE]  # the face, above every room


def _height(unit: str) -> int:
    """A room's place from the bottom (the engine's face above them all)."""
    name = unit.removeprefix(f"{ENGINE}.")
    return ROOMS.index(name) if name in ROOMS else len(ROOMS)


def test_the_layer_check_sees_a_package_cycle_but_not_through_a_command(tmp_path):
    package = tmp_path / "grader"
    for sub in ("low", "high"):
        (package / sub).mkdir(parents=True)
        (package / sub / "__init__.py").write_text("")
    (package / "__init__.py").write_text("")
    (package / "low" / "a.py").write_text("def later():\n    from grader.high import b\n")
    (package / "low" / "command.py").write_text("from grader.high import b\n")
    (package / "high" / "b.py").write_text("X = 1\n")
    (package / "high" / "c.py").write_text("from grader.low import command\n")
    modules = import_graph(tmp_path, "grader")
    graph = package_graph(modules, {"grader.low.command"}, package)
    assert cycles(graph) == [["grader.high", "grader.low"]]  # low.a -> high, high.c -> low
    (package / "low" / "a.py").write_text("X = 2\n")
    graph = package_graph(import_graph(tmp_path, "grader"), {"grader.low.command"}, package)
    assert cycles(graph) == []
    assert layers(graph) == [["grader", "grader.low"], ["grader.high"]]  # high imports low
    # low's command imports high, which imports low: a command running up the layers
    modules = import_graph(tmp_path, "grader")
    found = uphill_commands(modules, {"grader.low.command"}, package)
    assert found == {("grader.low.command", "grader.high")}
    (package / "high" / "c.py").write_text("X = 3\n")  # high imports nothing: low's command not up
    assert (
        uphill_commands(import_graph(tmp_path, "grader"), {"grader.low.command"}, package) == set()
    )


PROJECTS = "grader.projects"


def test_the_projects_checks_are_a_leaf():
    """grader/projects/ imports nothing of the rest of the grader (what it needs, such as the
    reader of a report's PDF, is handed in), and a reader of its words (a course's settings)
    imports only :mod:`grader.projects.kinds` of it."""
    modules = import_graph(REPO, "grader")
    outside = sorted(
        f"  {name} -> {target}"
        for name, targets in modules.items()
        if unit(name) == PROJECTS
        for target in targets
        if unit(target) != PROJECTS
    )
    assert not outside, "grader/projects/ imports the rest of the grader:\n" + "\n".join(outside)
    assert modules[PROJECTS] == set()  # its __init__ loads nothing: kinds comes alone
    beyond_kinds = sorted(
        f"  {name} -> {target}"
        for name, targets in modules.items()
        if unit(name) == "grader.course"
        for target in targets
        if unit(target) == PROJECTS and target != f"{PROJECTS}.kinds"
    )
    assert not beyond_kinds, "a course's settings import the checks themselves:\n" + "\n".join(
        beyond_kinds
    )


def test_reading_a_course_loads_none_of_the_checks():
    loaded = subprocess.run(
        [sys.executable, "-c", "import sys, grader.course.rubric, grader.bundle.submission\n"
         "print(sorted(m for m in sys.modules if m.startswith('grader.projects')))"],
        capture_output=True, text=True, check=True, cwd=REPO,
    ).stdout  # fmt: skip
    assert loaded.strip() == "['grader.projects', 'grader.projects.kinds']"
