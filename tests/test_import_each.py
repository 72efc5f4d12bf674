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

# One interpreter with the third-party libraries loaded; a child forked per module, with no
# module of grader/ imported yet, imports that module alone.
EACH_ALONE = textwrap.dedent(
    """
    import importlib, os, sys
    import numpy, nbformat, IPython  # loaded once, before the forks
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
    done = subprocess.run(
        [sys.executable, "-c", EACH_ALONE, *names],
        cwd=REPO,
        capture_output=True,
        text=True,
        timeout=900,
    )
    assert done.returncode == 0, "modules that fail to import alone:\n" + done.stdout + done.stderr


def test_the_check_sees_a_cycle_through_a_packages_init(tmp_path):
    """A package whose ``__init__`` imports a module that imports back a name of the module
    being imported: importing that module first fails."""
    (tmp_path / "pkg").mkdir()
    (tmp_path / "pkg" / "__init__.py").write_text("from pkg.top import TOP\n")
    (tmp_path / "pkg" / "top.py").write_text("from pkg.low import LOW\nTOP = LOW\n")
    (tmp_path / "pkg" / "low.py").write_text("LOW = 1\nfrom pkg.top import TOP\n")
    done = subprocess.run(
        [sys.executable, "-c", EACH_ALONE, "pkg.low"], cwd=tmp_path, capture_output=True, text=True
    )
    assert done.returncode == 1 and "pkg.low" in done.stdout
