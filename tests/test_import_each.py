"""Every module of grader/ imports on its own, first, in a fresh interpreter: the order the
CLI's lazy imports, a test or a user's script may meet them in. A cycle through a package's
``__init__`` (importing ``a.b.c`` runs ``a/__init__`` and ``a/b/__init__`` first) passes the
static scan of test_import_cycles and still ends in "cannot import name ... from partially
initialized module" for one entry order only: `grader serve` died of one."""

from __future__ import annotations

import subprocess
import sys
import textwrap
from pathlib import Path

REPO = Path(__file__).resolve().parents[1]

# What importing grader/'s modules loads from outside the checkout (the standard library and
# the third-party packages): printed by an interpreter that imports them all, one after another.
# Loaded once before the forks, they leave each child only the checkout's own modules to import
# (a third less time in all); a cycle lies among those alone.
LOADED_FROM_OUTSIDE = textwrap.dedent(
    """
    import importlib, os, sys
    for name in sys.argv[1:]:
        try:
            importlib.import_module(name)
        except BaseException:
            pass  # said by the forked child that imports it alone
    ours = {name.removesuffix(".py") for name in os.listdir(".")}
    loaded = [m for m in sys.modules if m.partition(".")[0] not in ours and "__main__" not in m]
    print("\\n".join(loaded))
    """
)

# One interpreter with what grader/ loads from outside the checkout (LOADED_FROM_OUTSIDE, read
# from stdin) loaded; a child forked per module, with no module of the checkout imported yet,
# imports that module alone.
EACH_ALONE = textwrap.dedent(
    """
    import importlib, os, sys
    for outside in sys.stdin.read().split():
        try:
            importlib.import_module(outside)
        except BaseException:
            pass  # an alias (six.moves) or a module that only its package loads
    ours = {name.removesuffix(".py") for name in os.listdir(".")}
    early = [m for m in sys.modules if m.partition(".")[0] in ours]
    assert not early, f"loaded before the forks: {early}"
    failed = []
    for name in sys.argv[1:]:
        pid = os.fork()
        if pid == 0:
            try:
                importlib.import_module(name)
            except BaseException as error:
                print(f"{name}: {type(error).__name__}: {error}", flush=True)
                os._exit(1)
            os._exit(0)
        _, status = os.waitpid(pid, 0)
        failed += [name] if status else []
    sys.exit(1 if failed else 0)
    """
)


def each_alone(names: list[str], folder: Path) -> subprocess.CompletedProcess:
    """Import each of ``names`` first, in a child of an interpreter that imported none of the
    modules of ``folder`` (the checkout)."""
    outside = subprocess.run(
        [sys.executable, "-c", LOADED_FROM_OUTSIDE, *names],
        cwd=folder,
        capture_output=True,
        text=True,
        timeout=900,
        check=True,
    ).stdout
    return subprocess.run(
        [sys.executable, "-c", EACH_ALONE, *names],
        cwd=folder,
        input=outside,
        capture_output=True,
        text=True,
        timeout=900,
    )


def grader_modules() -> list[str]:
    """Every module of grader/ by its dotted name, but the Colab stand-in (imported as
    ``google.colab`` in a student's kernel, never as grader's) and ``__main__`` modules."""
    names = []
    for path in sorted((REPO / "grader").rglob("*.py")):
        parts = list(path.relative_to(REPO).with_suffix("").parts)
        if "colab_stub" in parts or parts[-1] == "__main__":
            continue
        names.append(".".join(parts[:-1] if parts[-1] == "__init__" else parts))
    return names


def test_every_module_imports_alone_in_a_fresh_interpreter():
    names = grader_modules()
    assert "grader.variants.record" in names and "grader.web.app" in names
    done = each_alone(names, REPO)
    assert done.returncode == 0, "modules that fail to import alone:\n" + done.stdout + done.stderr


def test_the_check_sees_a_cycle_through_a_packages_init(tmp_path):
    """A package whose ``__init__`` imports a module that imports back a name of the module
    being imported: importing that module first fails."""
    (tmp_path / "pkg").mkdir()
    (tmp_path / "pkg" / "__init__.py").write_text("from pkg.top import TOP\n")
    (tmp_path / "pkg" / "top.py").write_text("from pkg.low import LOW\nTOP = LOW\n")
    (tmp_path / "pkg" / "low.py").write_text("LOW = 1\nfrom pkg.top import TOP\n")
    done = each_alone(["pkg.low"], tmp_path)
    assert done.returncode == 1 and "pkg.low" in done.stdout
