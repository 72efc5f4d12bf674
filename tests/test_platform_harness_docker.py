"""The platform harness's Docker-default mode: the container's root holds Docker's default
capabilities only and runs under a seccomp program made from Docker's default profile, so that
inside, as on Gradescope, no user namespace can be made while ordinary work goes on; without
the mode, user namespaces can be made (the walls a product raises with them are possible)."""

from __future__ import annotations

import errno
import os
import subprocess
import tempfile
import zipfile
from pathlib import Path

import pytest
from classic_bpf import run as answer
from hypothesis import given, settings
from hypothesis import strategies as st
from platform_harness import GradescopeHarness, docker_default, unavailable

from grader.engine.gradersandbox import libseccomp

ALLOW, EPERM = libseccomp.ALLOW, libseccomp.errno_action(errno.EPERM)
ENOSYS = libseccomp.errno_action(errno.ENOSYS)
ARCH = os.uname().machine
WHY_NOT = unavailable(Path(tempfile.gettempdir()))
needs_containers = pytest.mark.skipif(WHY_NOT is not None, reason=str(WHY_NOT))
needs_libseccomp = pytest.mark.skipif(
    ARCH not in ("x86_64", "aarch64"), reason="Docker's profile is made here for x86_64/aarch64"
)
DOCKER_CAPABILITIES = "00000000a80425fb"  # CapEff of root in `docker run` with no --cap-add
RUN_AUTOGRADER = """#!/bin/bash
grep CapEff /proc/self/status
unshare -U true && echo "user namespace made"
unshare -Ur true && echo "user namespace mapped to root made"
mkdir -p /tmp/mounted && mount -t tmpfs none /tmp/mounted && echo "mounted"
python3 - <<'PY'
import json, socket, subprocess, threading
done = []
thread = threading.Thread(target=lambda: done.append("thread"))
thread.start()
thread.join()
done.append(subprocess.run(["echo", "process"], capture_output=True, text=True).stdout.strip())
with socket.socket(socket.AF_INET, socket.SOCK_STREAM) as tcp:
    done.append("socket")
with open("/autograder/results/results.json", "w") as out:
    json.dump({"score": 1, "output": " ".join(done)}, out)
PY
"""


def _program() -> bytes:
    return docker_default.seccomp_program()[0]


def _number(name: str) -> int | None:
    return libseccomp.number(name, ARCH)


@needs_libseccomp
@settings(max_examples=60, deadline=None)
@given(name=st.sampled_from(sorted(docker_default.ALLOWED)))
def test_every_call_dockers_profile_allows_is_allowed(name):
    number = _number(name)
    if number is not None:  # a call of another architecture
        assert answer(_program(), ARCH, number) == ALLOW


@needs_libseccomp
@pytest.mark.parametrize(
    "name",
    "unshare setns mount umount2 pivot_root keyctl add_key request_key bpf perf_event_open "
    "fsopen fsmount move_mount open_tree init_module kexec_load reboot swapon acct "
    "userfaultfd settimeofday clock_settime syslog".split(),
)
def test_what_docker_allows_only_with_dropped_capabilities_is_refused(name):
    number = _number(name)
    if number is not None:
        assert answer(_program(), ARCH, number) == EPERM


@needs_libseccomp
@settings(max_examples=60, deadline=None)
@given(flags=st.integers(0, 2**32 - 1))
def test_clone_is_allowed_exactly_without_a_namespace_flag(flags):
    expected = ALLOW if flags & docker_default.CLONE_NAMESPACE_FLAGS == 0 else EPERM
    if ARCH == "x86_64":
        assert answer(_program(), ARCH, _number("clone"), (flags,)) == expected
    assert answer(_program(), ARCH, _number("clone3"), (flags,)) == ENOSYS


@needs_libseccomp
@settings(max_examples=60, deadline=None)
@given(value=st.one_of(st.sampled_from(docker_default.PERSONALITIES), st.integers(0, 2**32 - 1)))
def test_conditional_calls_follow_the_profiles_arguments(value):
    personality = ALLOW if value in docker_default.PERSONALITIES else EPERM
    assert answer(_program(), ARCH, _number("personality"), (value,)) == personality
    family = EPERM if value == docker_default.AF_VSOCK else ALLOW
    assert answer(_program(), ARCH, _number("socket"), (value,)) == family


def _autograder(folder: Path) -> Path:
    archive = folder / "autograder.zip"
    with zipfile.ZipFile(archive, "w") as made:
        for name, text in (("setup.sh", "#!/bin/bash\n"), ("run_autograder", RUN_AUTOGRADER)):
            info = zipfile.ZipInfo(name)
            info.external_attr = 0o755 << 16
            made.writestr(info, text)
    return archive


def _graded(tmp_path: Path, docker_default_seccomp: bool):
    harness = GradescopeHarness(
        _autograder(tmp_path), tmp_path / "gs", docker_default_seccomp=docker_default_seccomp
    )
    assert harness.build().returncode == 0
    return harness.submit({"lstm.ipynb": b"{}"})


@needs_containers
@needs_libseccomp
def test_under_dockers_default_profile_no_namespace_can_be_made_and_work_goes_on(tmp_path):
    run = _graded(tmp_path, docker_default_seccomp=True)
    assert run.stdout.split("\n")[0].split() == ["CapEff:", DOCKER_CAPABILITIES]
    assert "made" not in run.stdout and "mounted" not in run.stdout
    assert run.stderr.count("unshare failed: Operation not permitted") == 2
    assert run.results == {"score": 1, "output": "thread process socket"}


@needs_containers
def test_without_the_profile_user_namespaces_can_be_made_inside(tmp_path):
    if subprocess.run(["unshare", "-Ur", "true"], capture_output=True).returncode != 0:
        pytest.skip("this host makes no user namespaces, inside a container or out")
    run = _graded(tmp_path, docker_default_seccomp=False)
    assert run.stdout.split("\n")[0].split() == ["CapEff:", DOCKER_CAPABILITIES]
    assert "user namespace made" in run.stdout and "mapped to root made" in run.stdout
    assert "mounted" not in run.stdout  # Docker's capabilities hold no CAP_SYS_ADMIN
    assert run.results == {"score": 1, "output": "thread process socket"}
