"""``grader grade`` ended every way a run ends leaves no ``grader-run-*`` cgroup behind: stopped
with SIGTERM it cleans up on the way out; killed with SIGKILL (it or its pool workers), the next
run removes what it left.

Each run goes through the tests' second fence (``unshare --pid``), in a cgroup of the test's own
(pids and memory, cgroup v1), so that only this test's run cgroups are looked at and swept.
"""

from __future__ import annotations

import contextlib
import os
import signal
import subprocess
import sys
import time
import uuid
from pathlib import Path

import pytest
from sandbox_fence import FENCE

from grader.engine.walls import bwrap as sandbox

ROOT = Path(__file__).resolve().parents[3]
ASSIGNMENT = ROOT / "assignments" / "lstm_gates"
SAMPLE = ROOT / "examples" / "lstm_gates" / "asha.ipynb"
SLEEPER = "import time\ntime.sleep(600)"

pytestmark = [
    pytest.mark.slow,
    pytest.mark.skipif(sandbox.cgroup_support() is not None, reason="no cgroups for runs here"),
]


@pytest.fixture
def fence():
    """A fresh cgroup of the test's own in the pids and memory hierarchies (v1)."""
    v1, _ = sandbox.own_cgroup_folders(
        Path("/proc/self/cgroup").read_text(), Path("/proc/self/mountinfo").read_text()
    )
    if not {"pids", "memory"} <= v1.keys():
        pytest.skip("the pids and memory controllers are not on cgroup v1 here")
    folders = [v1[name] / f"tests-{uuid.uuid4().hex[:12]}" for name in ("pids", "memory")]
    for folder in folders:
        folder.mkdir()
    yield folders
    # What a failed test left running in the fence is the test's own: ended here.
    for folder in [*run_cgroups(folders), *folders]:
        for _ in range(200):
            for pid in _listed(folder):
                with contextlib.suppress(OSError):
                    os.kill(int(pid), signal.SIGKILL)
            with contextlib.suppress(OSError):
                folder.rmdir()
            if not folder.exists():
                break
            time.sleep(0.05)


def _listed(folder: Path) -> list[str]:
    try:
        return (folder / "cgroup.procs").read_text().split()
    except OSError:
        return []


def run_cgroups(folders: list[Path]) -> list[Path]:
    return sorted(child for folder in folders for child in folder.glob("grader-run-*"))


def members(folders: list[Path]) -> list[str]:
    return [pid for child in run_cgroups(folders) for pid in _listed(child)]


def start_grading(fence: list[Path], out: Path, notebooks: list[Path], *flags: str):
    """``grader grade`` in the fence's cgroup, not as the pid namespace's init (as it runs for a
    user: init ignores SIGTERM)."""
    join = 'for f in "$1" "$2"; do echo $$ > "$f/cgroup.procs"; done; shift 2; exec "$@"'
    command = [
        *("sh", "-c", join, "sh", *map(str, fence)),
        *FENCE,
        *("sh", "-c", '"$@"; exit $?', "sh"),
        *(sys.executable, "-m", "grader.cli", "grade", "--assignment", str(ASSIGNMENT)),
        *("--out", str(out), *flags, *map(str, notebooks)),
    ]
    return subprocess.Popen(
        command,
        cwd=ROOT,
        stdout=subprocess.DEVNULL,
        stderr=subprocess.PIPE,
        text=True,
        start_new_session=True,
    )


def wait_for_students_code(process: subprocess.Popen, fence: list[Path], runs: int = 1) -> str:
    """Read stderr up to the end of the trial run, then wait until ``runs`` submissions' processes
    run, each in a run cgroup the trial did not have; the stderr read."""
    lines = []
    for line in process.stderr:
        lines.append(line)
        if "sandbox checked" in line:
            break
    else:
        raise AssertionError("the run ended before grading:\n" + "".join(lines))
    trial = set(run_cgroups(fence))
    deadline = time.monotonic() + 300
    while len({c.name for c in run_cgroups(fence) if c not in trial and _listed(c)}) < runs:
        assert time.monotonic() < deadline, "no submission started:\n" + "".join(lines)
        time.sleep(0.05)
    return "".join(lines)


def grader_processes(fence: list[Path]) -> list[int]:
    """The grader processes (the run's and its pool workers) in the fence's own cgroup."""
    found = []
    for pid in (fence[0] / "cgroup.procs").read_text().split():
        try:
            command = Path(f"/proc/{pid}/cmdline").read_bytes().split(b"\0")
        except OSError:
            continue
        if command[0] == os.fsencode(sys.executable) and b"grader.cli" in command:
            found.append(int(pid))
    return found


def parent(pid: int) -> int:
    stat = Path(f"/proc/{pid}/stat").read_text()
    return int(stat.rpartition(")")[2].split()[1])


def sleepers(tmp_path: Path, count: int) -> list[Path]:
    """Copies of a correct notebook whose last cell sleeps for minutes."""
    import nbformat

    notebooks = []
    for number in range(count):
        notebook = nbformat.read(SAMPLE, as_version=4)
        notebook.cells.append(nbformat.v4.new_code_cell(SLEEPER))
        path = tmp_path / "in" / f"student{number}.ipynb"
        path.parent.mkdir(parents=True, exist_ok=True)
        nbformat.write(notebook, path)
        notebooks.append(path)
    return notebooks


def next_run_removes_what_the_killed_one_left(process, fence: list[Path], tmp_path: Path):
    process.wait(timeout=60)
    process.stderr.close()
    assert run_cgroups(fence), "a grader killed mid-run leaves its runs' cgroups"
    deadline = time.monotonic() + 60
    while members(fence):  # the sandbox ends with the killed grader
        assert time.monotonic() < deadline
        time.sleep(0.05)
    again = start_grading(fence, tmp_path / "again", [SAMPLE])
    _, err = again.communicate(timeout=600)
    assert again.returncode == 0, err
    assert run_cgroups(fence) == []


def test_a_run_killed_with_sigkill_leaves_cgroups_the_next_run_removes(tmp_path, fence):
    process = start_grading(fence, tmp_path / "out", sleepers(tmp_path, 2), "--workers", "1")
    wait_for_students_code(process, fence)
    os.killpg(process.pid, signal.SIGKILL)
    next_run_removes_what_the_killed_one_left(process, fence, tmp_path)


def test_pool_workers_killed_with_their_grader_leave_cgroups_the_next_run_removes(tmp_path, fence):
    # SIGKILL to the grader alone: its workers die by the parent-death signal, mid-run.
    process = start_grading(fence, tmp_path / "out", sleepers(tmp_path, 4), "--workers", "2")
    wait_for_students_code(process, fence, runs=2)
    graders = grader_processes(fence)
    assert len(graders) == 3, graders  # the run and its two workers
    [run] = [pid for pid in graders if parent(pid) not in graders]
    os.kill(run, signal.SIGKILL)
    next_run_removes_what_the_killed_one_left(process, fence, tmp_path)


def test_a_run_stopped_with_sigterm_says_so_and_leaves_no_cgroup(tmp_path, fence):
    process = start_grading(fence, tmp_path / "out", sleepers(tmp_path, 2), "--workers", "1")
    read = wait_for_students_code(process, fence)
    [grader] = grader_processes(fence)
    os.kill(grader, signal.SIGTERM)
    rest = process.stderr.read()
    process.wait(timeout=120)
    assert process.returncode == 128 + signal.SIGTERM, read + rest
    assert "grader grade: terminated; every result written so far is kept" in rest
    assert "Traceback" not in rest
    assert run_cgroups(fence) == []
