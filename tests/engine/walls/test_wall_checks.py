"""``grader setup`` checks every wall the sandbox needs, one line each (issue 51); where the
sandbox cannot be made, every entry point (``grader grade``, ``python -m grader.demo``) ends in
the same one line with the fix; the missing-cgroup warning is said once per run."""

from __future__ import annotations

import os
import shutil
import subprocess
import sys
from pathlib import Path

import pytest

ROOT = Path(__file__).resolve().parents[3]
# A host without unprivileged user namespaces, for real: a user namespace of its own whose
# limit of nested ones is 0 (as user.max_user_namespaces=0, or Ubuntu 24.04's AppArmor rule).
WITHOUT_USER_NAMESPACES = [
    "unshare", "--user", "--map-root-user", "--mount", "--pid", "--fork", "--mount-proc",
    "sh", "-c", 'echo 0 > /proc/sys/user/max_user_namespaces && exec "$@"', "sh",
]  # fmt: skip

pytestmark = pytest.mark.skipif(
    shutil.which("unshare") is None
    or subprocess.run(["unshare", "--user", "true"], capture_output=True).returncode != 0,
    reason="needs user namespaces to take them away",
)


def _without_user_namespaces(*command: str, cwd: Path = ROOT) -> subprocess.CompletedProcess:
    return subprocess.run(
        [*WITHOUT_USER_NAMESPACES, *command],
        capture_output=True,
        text=True,
        timeout=600,
        cwd=cwd,
        check=False,
    )


def test_setup_says_one_line_for_each_wall():
    done = subprocess.run(
        [sys.executable, "-m", "grader.cli", "setup"], capture_output=True, text=True, timeout=600
    )
    walls = [line for line in done.stdout.splitlines() if line.startswith(("works:", "missing:"))]
    named = [line.split(":")[1].split(" (")[0].strip() for line in walls]
    assert named == ["user namespaces", "bubblewrap", "seccomp", "cgroups"], done.stdout


def _seccomp_line(stdout: str) -> str:
    return next(line for line in stdout.splitlines() if ": seccomp (" in line)


@pytest.mark.skipif(
    os.uname().machine not in ("x86_64", "aarch64"), reason="the call policy's machines"
)
def test_setup_names_the_call_filters_architecture():
    done = subprocess.run(
        [sys.executable, "-m", "grader.cli", "setup"], capture_output=True, text=True, timeout=600
    )
    line = _seccomp_line(done.stdout)
    assert line.startswith("works: seccomp (the system calls student code may make): "), line
    assert f": the {os.uname().machine} filter, made by libseccomp 2." in line


def test_setup_without_libseccomp_says_the_call_filter_is_missing_and_goes_on():
    # A machine without libseccomp, for real: the library's files hidden in a mount
    # namespace of the grader's own.
    done = subprocess.run(
        [
            "unshare", "--user", "--map-root-user", "--mount", "sh", "-c",
            'for lib in /usr/lib/*/libseccomp.so.2* /lib/*/libseccomp.so.2*; do'
            ' [ -e "$lib" ] && mount --bind /dev/null "$lib"; done; exec "$@"', "sh",
            sys.executable, "-m", "grader.cli", "setup",
        ],
        capture_output=True, text=True, timeout=600, cwd=ROOT, check=False,
    )  # fmt: skip
    line = _seccomp_line(done.stdout)
    assert line.startswith(
        "missing: seccomp (the system calls student code may make): no call filter can be made"
        " on this machine: libseccomp 2 (libseccomp.so.2) is not installed; student code's"
        " calls go unfiltered"
    ), line
    assert line.endswith("fix: apt-get install libseccomp2 (dnf install libseccomp)")
    assert "cannot be sandboxed" not in done.stderr, done.stderr
    assert "Traceback" not in done.stderr


def test_setup_on_a_host_without_user_namespaces_says_so_and_the_fix():
    done = _without_user_namespaces(sys.executable, "-m", "grader.cli", "setup")
    assert done.returncode == 2
    lines = done.stdout.splitlines()
    assert lines[0].startswith("missing: user namespaces"), done.stdout
    assert "fix: sudo sysctl -w user.max_user_namespaces=" in lines[0]
    assert "Traceback" not in done.stderr
    assert done.stderr.strip() == (
        "grader setup: student code cannot be sandboxed on this machine: fix what is missing"
        " above and run `grader setup` again"
    )


def test_the_demo_ends_in_the_one_line_grader_grade_prints(tmp_path):
    demo = _without_user_namespaces(
        sys.executable, "-m", "grader.demo", "--out", str(tmp_path / "demo")
    )
    grade = _without_user_namespaces(
        sys.executable, "-m", "grader.cli", "grade", "--assignment", "assignments/lstm_gates",
        "--out", str(tmp_path / "graded"), "examples/lstm_gates/asha.ipynb",
    )  # fmt: skip
    assert demo.returncode == grade.returncode == 2
    assert "Traceback" not in demo.stderr + grade.stderr
    said_by_demo = demo.stderr.strip().splitlines()[-1].removeprefix("grader demo: ")
    said_by_grade = grade.stderr.strip().splitlines()[-1].removeprefix("grader grade: ")
    assert said_by_demo == said_by_grade
    assert said_by_grade.startswith("cannot sandbox student code: bubblewrap failed")


def test_the_missing_cgroup_warning_is_said_once_per_run():
    # The run's process warns before starting its graders; a grader started from it (as the
    # worker pool starts them) then says nothing more.
    script = (
        "import multiprocessing, sys\n"
        "from grader.engine.walls import cgroups\n"
        "def grader():\n"
        "    cgroups._warn_without_cgroups('no cgroup here')\n"
        "if __name__ == '__main__':\n"
        "    cgroups._warn_without_cgroups('no cgroup here')\n"
        "    for method in ('fork', 'spawn'):\n"
        "        child = multiprocessing.get_context(method).Process(target=grader)\n"
        "        child.start(); child.join()\n"
    )
    done = subprocess.run(
        [sys.executable, "-c", script], capture_output=True, text=True, timeout=120, cwd=ROOT
    )
    assert done.stderr.count("no cgroup for student code") == 1, done.stderr
