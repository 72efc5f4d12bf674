"""Helpers for tests that run notebooks: write notebooks with nbformat, and run hostile ones
through the sandbox inside a second fence (``unshare --pid --fork --mount-proc``)."""

from __future__ import annotations

import json
import os
import shutil
import subprocess
import sys
from pathlib import Path

import nbformat
from nbformat.v4 import new_code_cell, new_markdown_cell, new_notebook

RUNNER = Path(__file__).with_name("sandbox_runner.py")
# The second fence: a pid namespace of the tests' own around every hostile run. An ordinary
# user makes it inside a user namespace that maps that user to itself.
FENCE = [
    "unshare",
    *(["--map-current-user"] if os.getuid() != 0 else []),
    *("--pid", "--fork", "--mount-proc", "--kill-child"),
]


def write_notebook(path: Path, *cells: str) -> Path:
    """A notebook of code cells (a cell starting with '# md' becomes markdown)."""
    path.parent.mkdir(parents=True, exist_ok=True)
    made = [new_markdown_cell(c[4:]) if c.startswith("# md") else new_code_cell(c) for c in cells]
    nbformat.write(new_notebook(cells=made), path)
    return path


def run_spec(
    notebook: Path,
    calls: list[tuple[str, list]] = (),
    files_dir: Path | None = None,
    runtime: Path | None = None,
    **limits,
) -> dict:
    """One run for :func:`run_fenced`; ``calls`` are (function, args as nested lists),
    ``runtime`` the virtualenv the notebook runs in (None: the grader's own)."""
    return {
        "notebook": str(notebook),
        "files_dir": str(files_dir) if files_dir else None,
        "runtime": str(runtime) if runtime else None,
        "calls": [{"function": f, "args": list(args)} for f, args in calls],
        "limits": limits,
    }


def run_fenced(
    tmp_path: Path,
    runs: list[dict],
    marker: str | None = None,
    parallel: int = 0,
    **options: bool,
) -> dict:
    """Run ``runs`` in the runner script, in a pid namespace of its own; return its report,
    with the runner's stderr. ``options`` are the runner's (``watch_cgroups``,
    ``cgroups_read_only``)."""
    if shutil.which("unshare") is None:
        raise RuntimeError("the tests need unshare (util-linux) for their second fence")
    job = tmp_path / f"job-{len(list(tmp_path.glob('job-*.json')))}.json"
    job.write_text(json.dumps({"runs": runs, "marker": marker, "parallel": parallel, **options}))
    fence = FENCE
    done = subprocess.run(
        [*fence, sys.executable, str(RUNNER), str(job)],
        capture_output=True,
        text=True,
        timeout=600,
        check=False,
    )
    if done.returncode != 0:
        raise AssertionError(
            f"the fenced runner ended with {done.returncode}\nstdout: {done.stdout[-3000:]}\n"
            f"stderr: {done.stderr[-3000:]}"
        )
    return {**json.loads(done.stdout.strip().splitlines()[-1]), "stderr": done.stderr}
