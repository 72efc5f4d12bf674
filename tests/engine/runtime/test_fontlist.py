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


def _with_a_fake_font(made: Path) -> str:
    """Add FAKE to the list at ``made`` (DejaVu Sans's file under another name); the list as
    it was."""
    real = made.read_text()
    doctored = json.loads(real)
    dejavu = next(e for e in doctored["ttflist"] if e["name"] == "DejaVu Sans")
    doctored["ttflist"].append({**dejavu, "name": FAKE})
    made.write_text(json.dumps(doctored))
    return real


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
    _with_a_fake_font(made)
    notebook = write_notebook(tmp_path / "fonts.ipynb", NAMES)

    used = run_fenced(tmp_path, [run_spec(notebook, runtime=runtime)])["results"][0]
    assert used["status"] == "completed", used
    assert used["output"].strip() == str(sorted(["DejaVu Sans", FAKE]))

    # Without a list made, the warm process lists the fonts itself, as matplotlib does.
    made.unlink()
    listed = run_fenced(tmp_path, [run_spec(notebook, runtime=runtime)])["results"][0]
    assert listed["output"].strip() == str(["DejaVu Sans"])


def test_without_namespaces_the_warm_process_is_given_the_list_too(tmp_path, monkeypatch):
    """Where no namespace can be made (a platform's container) the warm process runs as the
    student's user, who may not read the grader's cache: the list comes with its first message.
    Matplotlib's folder is then the machine's (under HOME=/tmp), and the runtime's list replaces
    whatever list lies there (the second run puts the real one back)."""
    monkeypatch.setenv(CACHE_VARIABLE, str(tmp_path / "cache"))
    runtime = _runtime(tmp_path / "runtime")
    _build(runtime)
    made = fontlist.font_list(runtime)
    real = _with_a_fake_font(made)
    notebook = write_notebook(tmp_path / "fonts.ipynb", NAMES)
    plain = [run_spec(notebook, runtime=runtime, unsafe_no_sandbox=True)]

    used = run_fenced(tmp_path, plain)["results"][0]
    assert used["status"] == "completed", used
    assert used["output"].strip() == str(sorted(["DejaVu Sans", FAKE]))

    made.write_text(real)
    again = run_fenced(tmp_path, plain)["results"][0]
    assert again["output"].strip() == str(["DejaVu Sans"])


def test_a_run_without_namespaces_makes_the_list_once(tmp_path, monkeypatch):
    """`grader grade --unsafe-no-sandbox`, and a platform's image build (whose check plans such
    a run), make the list `grader setup` would have made, where that refuses: no namespaces."""
    from grader.grading.grader_process import plan_for

    monkeypatch.setenv(CACHE_VARIABLE, str(tmp_path / "cache"))
    assignment = Path(__file__).resolve().parents[3] / "assignments" / "lstm_gates"
    assert fontlist.font_list(None) is None
    plan_for(assignment, tmp_path / "out", unsafe_no_sandbox=True)
    made = fontlist.font_list(None)
    assert made is not None and "DejaVu Sans" in made.read_text()
    before = made.stat().st_mtime_ns
    plan_for(assignment, tmp_path / "out", unsafe_no_sandbox=True)
    assert fontlist.font_list(None) == made and made.stat().st_mtime_ns == before


def test_a_list_naming_a_font_since_removed_is_made_again(tmp_path, monkeypatch):
    """A system font removed after the list was made (its package uninstalled): matplotlib,
    finding the file gone, would list the fonts again in every warm process. The list counts
    as none (the warm process is given none) and the runtime as not prepared, and the next
    preparation makes it again, without the font."""
    from grader.engine.runtime.preparation import ensure_font_list, is_prepared

    monkeypatch.setenv(CACHE_VARIABLE, str(tmp_path / "cache"))
    runtime = _runtime(tmp_path / "runtime")
    _build(runtime)
    made = fontlist.font_list(runtime)
    assert made is not None and not fontlist.stale(runtime)
    listed = json.loads(made.read_text())
    # named by its absolute path, as the system's fonts are; its file is gone
    gone = str(tmp_path / "fonts" / "Removed-Regular.ttf")
    listed["ttflist"].append({**listed["ttflist"][0], "name": "Removed Sans", "fname": gone})
    made.write_text(json.dumps(listed))

    assert fontlist.stale(runtime) and fontlist.font_list(runtime) is None
    assert not is_prepared(runtime)
    said: list[str] = []
    ensure_font_list(runtime, say=said.append)
    remade = fontlist.font_list(runtime)
    assert remade is not None and not fontlist.stale(runtime)
    assert gone not in remade.read_text() and "DejaVu Sans" in remade.read_text()
    assert any("font list made" in line for line in said), said
