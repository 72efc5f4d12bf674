"""The student's own user in a platform's container is drawn for each run: the kernel counts a
user's processes and threads (RLIMIT_NPROC) over every container of a host that shares its user
namespace, and a host runs several submissions at once. Under one fixed id, a submission's
probe could not be forked while another container's submission held threads (seen with the
Gradescope harness's memory bomb beside another file's submissions: "the probe process of
forget_gate could not start", a grader fault in place of a score).

Each run here is a process of its own in a pid namespace of its own (the fence), as each
container has one: the walls set the process's environment, and the end of the student's
processes looks through /proc for every process of that user."""

from __future__ import annotations

import json
import subprocess
import sys

from platform_course import NEEDS_ROOT
from sandbox_fence import FENCE

from grader.platforms.container_walls import STUDENT_IDS

pytestmark = NEEDS_ROOT

RUN = """
import json, os, subprocess, sys
from grader.engine.walls import student_user
from grader.platforms.container_walls import end_student_processes, raise_walls

walls = raise_walls([], namespaces=False)
uid, gid = student_user.student_user()
left = subprocess.Popen(["sleep", "600"], user=uid, group=gid, extra_groups=[])
ended = end_student_processes()
left.wait(timeout=30)
print(json.dumps({"uid": uid, "lines": walls.lines, "ended": ended, "signal": -left.returncode}))
"""


def _run() -> dict:
    done = subprocess.run(
        [*FENCE, sys.executable, "-c", RUN], capture_output=True, text=True, timeout=120
    )
    assert done.returncode == 0, done.stderr[-3000:]
    return json.loads(done.stdout.splitlines()[-1])


def test_each_run_draws_the_students_user_and_ends_that_users_processes():
    runs = [_run() for _ in range(5)]
    for run in runs:
        assert run["uid"] in STUDENT_IDS
        assert f"raised: the student's code runs as uid {run['uid']}, not root" in run["lines"]
        # the process it left behind, of the user drawn, is found and killed
        assert run["ended"] == 1 and run["signal"] == 9, run
    # five runs under one id: one chance in 4,000 to the fourth power
    assert len({run["uid"] for run in runs}) > 1, runs
