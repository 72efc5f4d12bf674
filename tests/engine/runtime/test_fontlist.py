"""The font list matplotlib needs is made once per runtime, and the warm process uses it."""

from __future__ import annotations

import json
import site
import subprocess
import sys
from pathlib import Path

from sandbox_fence import run_fenced, run_spec, write_notebook

from grader.engine.runtime import fontlist
from grader.engine.runtime.runtime_cache import CACHE_VARIABLE, runtime_cache

FAKE = "Grader Test Sans"
NAMES = (
    "import matplotlib.font_manager as fm\n"
    f"print(sorted({{f.name for f in fm.fontManager.ttflist}} & {{{FAKE!r}, 'DejaVu Sans'}}))"
)


def _runtime(folder: Path) -> Path:
    """A virtualenv that reaches the grader's own packages through a .pth file: fast to make,
    and shown in the sandbox like any instructor's runtime."""
    subprocess.run([sys.executable, "-m", "venv", "--without-pip", str(folder)], check=True)
    packages = next(folder.glob("lib/python3*/site-packages"))
    (packages / "grader-packages.pth").write_text(site.getsitepackages()[0] + "\n")
    return folder


def _build(runtime: Path) -> None:
    fontlist.build_font_list(runtime, runtime_cache(runtime) / fontlist.FOLDER)


def test_the_font_list_is_made_with_the_sandbox_home_and_names_real_fonts(tmp_path, monkeypatch):
    monkeypatch.setenv(CACHE_VARIABLE, str(tmp_path / "cache"))
    runtime = _runtime(tmp_path / "runtime")
    assert fontlist.font_list(runtime) is None
    _build(runtime)
    made = fontlist.font_list(runtime)
    assert made is not None and made.is_relative_to(tmp_path / "cache")
    listed = json.loads(made.read_text())
    names = {entry["name"] for entry in listed["ttflist"]}
    assert "DejaVu Sans" in names
    # Matplotlib's own fonts are named relative to its folder, so the list holds for the
    # sandbox, which shows the runtime elsewhere; the system's are under /usr.
    paths = [entry["fname"] for entry in listed["ttflist"]]
    assert all(not p.startswith("/") or p.startswith("/usr/") for p in paths), paths[:5]
    assert not any(str(tmp_path) in p for p in paths)


def test_the_warm_process_gives_matplotlib_the_list_made_once(tmp_path, monkeypatch):
    monkeypatch.setenv(CACHE_VARIABLE, str(tmp_path / "cache"))
    runtime = _runtime(tmp_path / "runtime")
    _build(runtime)
    made = fontlist.font_list(runtime)
    doctored = json.loads(made.read_text())
    dejavu = next(e for e in doctored["ttflist"] if e["name"] == "DejaVu Sans")
    doctored["ttflist"].append({**dejavu, "name": FAKE})
    made.write_text(json.dumps(doctored))
    notebook = write_notebook(tmp_path / "fonts.ipynb", NAMES)

    used = run_fenced(tmp_path, [run_spec(notebook, runtime=runtime)])["results"][0]
    assert used["status"] == "completed", used
    assert used["output"].strip() == str(sorted(["DejaVu Sans", FAKE]))

    # Without a list made, the warm process lists the fonts itself, as matplotlib does.
    made.unlink()
    listed = run_fenced(tmp_path, [run_spec(notebook, runtime=runtime)])["results"][0]
    assert listed["output"].strip() == str(["DejaVu Sans"])
