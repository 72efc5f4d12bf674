"""Helpers for tests that run notebooks: write notebooks with nbformat, and run hostile ones
through the sandbox inside a second fence (``unshare --pid --fork --mount-proc``)."""

from __future__ import annotations

import json
import os
import shutil
import subprocess
import sys
import uuid
from collections.abc import Iterator
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


# An ordinary user for tests about one (no cgroups, per-user process limits): a uid of its own,
# no account needed, that no other process on the machine runs as.
ORDINARY_UID = 64051


def ordinary_user_prefix(processes: int | None = None) -> list[str]:
    """What runs a command as the tests' ordinary user (with a process limit of ``processes``
    for the whole user, where given): nothing else when the tests already are one.
    Root's Python may live under /root (mode 700, as pyenv puts it): in a mount namespace of
    the command's own, /root is shown as a readable folder holding only that Python."""
    limit = ["prlimit", f"--nproc={processes}:{processes}"] if processes else []
    if os.getuid() != 0:
        return limit
    uid = str(ORDINARY_UID)
    user = ["setpriv", f"--reuid={uid}", f"--regid={uid}", "--clear-groups", "--inh-caps=-all"]
    user += limit
    python = Path(os.path.realpath(sys.executable))
    if not python.is_relative_to("/root"):
        return user
    kept = Path("/root", python.relative_to("/root").parts[0])  # /root/.pyenv
    script = (
        'set -e; hold=$(mktemp -d); mount --bind "$1" "$hold"; '
        'mount -t tmpfs -o mode=755 none /root; mkdir -p "$1"; mount --move "$hold" "$1"; '
        'shift; exec "$@"'
    )
    return [
        "unshare",
        "--mount",
        "--propagation",
        "private",
        "sh",
        "-c",
        script,
        "sh",
        str(kept),
        *user,
    ]


def shared_folder(path: Path) -> Path:
    """``path`` made as a folder the ordinary user may read and write (pytest's own is root's,
    mode 700: the user's files go under /tmp)."""
    path.mkdir(mode=0o777, parents=True, exist_ok=True)
    path.chmod(0o777)
    return path


def shared_scratch(name: str) -> Iterator[Path]:
    """A fresh :func:`shared_folder` /tmp/<name>-<random> for a fixture to yield from, removed
    after the test."""
    made = shared_folder(Path(f"/tmp/{name}-{uuid.uuid4().hex[:8]}"))
    yield made
    shutil.rmtree(made, ignore_errors=True)


def hoard(seconds: int) -> str:
    """A cell that takes every process it can for ``seconds``, then prints how many it held."""
    return (
        f"import subprocess, time\nheld = []\nend = time.time() + {seconds}\n"
        "while time.time() < end:\n"
        "    try:\n        held.append(subprocess.Popen(['sleep', '60']))\n"
        "    except OSError:\n        time.sleep(0.005)\nprint('held', len(held))"
    )


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
    as_ordinary_user: bool = False,
    user_processes: int | None = None,
    **options: bool,
) -> dict:
    """Run ``runs`` in the runner script, in a pid namespace of its own; return its report,
    with the runner's stderr. ``options`` are the runner's (``watch_cgroups``,
    ``cgroups_read_only``). ``as_ordinary_user``: the runner runs as :data:`ORDINARY_UID`
    (its files must be readable by that user: see :func:`shared_folder`), with
    ``user_processes`` as that user's process limit."""
    if shutil.which("unshare") is None:
        raise RuntimeError("the tests need unshare (util-linux) for their second fence")
    job = tmp_path / f"job-{len(list(tmp_path.glob('job-*.json')))}.json"
    job.write_text(json.dumps({"runs": runs, "marker": marker, "parallel": parallel, **options}))
    fence, environment = FENCE, None
    if as_ordinary_user and os.getuid() == 0:
        job.chmod(0o644)
        fence = [*ordinary_user_prefix(user_processes), "unshare", "--map-current-user"]
        fence += FENCE[1:]
        environment = {**os.environ, "HOME": str(tmp_path)}
    done = subprocess.run(
        [*fence, sys.executable, str(RUNNER), str(job)],
        env=environment,
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
