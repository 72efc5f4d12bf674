"""The platform harness (tests/kits/platform_harness) runs an autograder as the platform does,
in a throwaway container root: built once as root, each submission in a fresh container, under
the platform's limits; the host is never changed by what runs inside as root."""

from __future__ import annotations

import io
import json
import subprocess
import sys
import tempfile
import zipfile
from pathlib import Path

import pytest
from platform_harness import (
    GradescopeHarness,
    gradescope_metadata,
    processes_running,
    unavailable,
    validate_gradescope_results,
)

WHY_NOT = unavailable(Path(tempfile.gettempdir()))
pytestmark = pytest.mark.skipif(WHY_NOT is not None, reason=str(WHY_NOT))

MARKER = "/usr/local/share/platform-harness-marker"
SETUP = f"""#!/bin/bash
set -e
mkdir -p {MARKER}
echo built > {MARKER}/built
echo installed >> /etc/platform-harness-marker
echo "setup as uid $(id -u) in $(pwd)"
"""
WRITE_RESULTS = """
cat > /autograder/results/results.json <<'JSON'
{"score": 2.0, "output": "done", "tests": [
  {"name": "lstm_step", "score": 2.0, "max_score": 3.0, "output": "a hint", "visibility": "visible"}
]}
JSON
"""


def autograder_zip(folder: Path, run_autograder: str, setup: str = SETUP) -> Path:
    """A hand-made autograder zip: ``setup.sh`` and ``run_autograder`` at its root."""
    archive = folder / "autograder.zip"
    with zipfile.ZipFile(archive, "w") as made:
        for name, text in (("setup.sh", setup), ("run_autograder", run_autograder)):
            info = zipfile.ZipInfo(name)
            info.external_attr = 0o755 << 16
            made.writestr(info, text)
    return archive


def built(tmp_path: Path, run_autograder: str, **options) -> GradescopeHarness:
    harness = GradescopeHarness(
        autograder_zip(tmp_path, run_autograder), tmp_path / "gs", **options
    )
    build = harness.build()
    assert build.returncode == 0, build.stderr
    return harness


def test_a_built_autograder_grades_a_submission_and_leaves_the_host_as_it_was(tmp_path):
    run_autograder = f"""#!/bin/bash
cat {MARKER}/built
echo "run as uid $(id -u) in $(pwd)"
ls /autograder/submission
cp /autograder/submission_metadata.json /autograder/results/metadata-seen.json
{WRITE_RESULTS}"""
    harness = GradescopeHarness(autograder_zip(tmp_path, run_autograder), tmp_path / "gs")
    build = harness.build()
    assert build.returncode == 0, build.stderr
    assert "setup as uid 0 in /" in build.stdout
    metadata = gradescope_metadata(email="ada@example.edu", name="Ada L", sid="s1815")
    notebook = b'{"cells": []}'
    run = harness.submit({"lstm.ipynb": notebook, "extra/notes.txt": b"x"}, metadata)
    assert run.returncode == 0, run.stderr
    assert run.stdout.splitlines()[:2] == ["built", "run as uid 0 in /autograder"]
    assert {"lstm.ipynb", "extra"} <= set(run.stdout.split())
    assert run.results is not None, run.results_error
    validate_gradescope_results(run.results)
    assert run.results["tests"][0]["score"] == 2.0
    seen = json.loads((run.root / "autograder/results/metadata-seen.json").read_text())
    assert seen == metadata and seen["users"][0]["sid"] == "s1815"
    assert not Path(MARKER).exists() and not Path("/etc/platform-harness-marker").exists()
    assert run.peak_memory_bytes is not None and run.peak_memory_bytes > 0


def test_each_submission_runs_in_a_fresh_container_of_the_image(tmp_path):
    run_autograder = f"""#!/bin/bash
ls /autograder/submission
cat /etc/platform-harness-marker
echo tampered >> /etc/platform-harness-marker
echo '# tampered' >> /autograder/run_autograder
echo tampered > {MARKER}/built
sleep 1000 &
{WRITE_RESULTS}"""
    harness = built(tmp_path, run_autograder)
    first = harness.submit({"first.ipynb": b"{}"})
    second = harness.submit({"second.ipynb": b"{}"})
    for run in (first, second):
        assert run.returncode == 0, run.stderr
        assert run.stdout.split() == [run.stdout.split()[0], "installed"]
    assert (first.stdout.split()[0], second.stdout.split()[0]) == ("first.ipynb", "second.ipynb")
    assert second.results is not None and first.results == second.results


def test_the_system_python_cannot_be_replaced_from_inside(tmp_path):
    setup = """#!/bin/bash
echo '#!/bin/sh' > /usr/bin/python3 && echo replaced
python3 -c 'import sys; print(sys.version_info[:2])'
"""
    harness = GradescopeHarness(autograder_zip(tmp_path, "#!/bin/bash\n", setup), tmp_path / "gs")
    build = harness.build()
    assert "replaced" not in build.stdout and "Read-only file system" in build.stderr
    assert build.stdout.strip().startswith("(3, ")


def test_a_submission_past_the_memory_limit_is_killed(tmp_path):
    run_autograder = f"""#!/bin/bash
python3 -c 'big = bytearray(400 * 2**20); big[::4096] = b"x" * len(big[::4096])' \\
  && echo allocated
{WRITE_RESULTS}"""
    harness = built(tmp_path, run_autograder, memory_bytes=128 * 2**20)
    run = harness.submit({"lstm.ipynb": b"{}"})
    assert "allocated" not in run.stdout
    assert any(words.startswith("memory:") for words in run.limits_applied)
    if run.peak_memory_bytes is not None and "RLIMIT_AS" not in str(run.limits_applied):
        assert run.peak_memory_bytes <= 128 * 2**20


def test_a_submission_past_the_timeout_is_stopped_whole_with_gradescopes_words(tmp_path):
    run_autograder = """#!/bin/bash
(setsid sleep 31337 &)
while true; do :; done
"""
    harness = built(tmp_path, run_autograder, timeout_s=2)
    run = harness.submit({"lstm.ipynb": b"{}"})
    assert run.timed_out
    assert run.results == {
        "score": 0,
        "output": "Your submission timed out. It took longer than 2 seconds to run.",
        "execution_time": run.wall_s,
    }
    assert processes_running("sleep 31337") == []


def test_a_zip_without_run_autograder_at_its_root_fails_the_build_as_gradescope_does(tmp_path):
    archive = tmp_path / "nested.zip"
    with zipfile.ZipFile(archive, "w") as made:
        made.writestr("autograder/setup.sh", SETUP)
        made.writestr("autograder/run_autograder", WRITE_RESULTS)
    build = GradescopeHarness(archive, tmp_path / "gs").build()
    assert build.returncode != 0 and "run_autograder" in build.stderr


@pytest.mark.parametrize(
    "written, why",
    [
        (None, "no results.json written"),
        ("{not json", "not valid JSON"),
    ],
)
def test_a_missing_or_broken_results_file_is_said_so(tmp_path, written, why):
    body = "" if written is None else f"printf '%s' '{written}' > /autograder/results/results.json"
    harness = built(tmp_path, f"#!/bin/bash\n{body}\n")
    run = harness.submit({"lstm.ipynb": b"{}"})
    assert run.results is None and why in (run.results_error or "")


def test_an_unzipped_file_keeps_its_mode_and_crlf_scripts_are_converted(tmp_path):
    archive = tmp_path / "crlf.zip"
    buffer = io.BytesIO()
    with zipfile.ZipFile(buffer, "w") as made:
        made.writestr("setup.sh", "#!/bin/bash\r\necho crlf-ok\r\n")
        made.writestr("run_autograder", f"#!/bin/bash\r\n{WRITE_RESULTS}")
    archive.write_bytes(buffer.getvalue())
    harness = GradescopeHarness(archive, tmp_path / "gs")
    assert harness.build().stdout == "crlf-ok\n"
    run = harness.submit({"a.ipynb": b"{}"})
    assert run.returncode == 0 and run.results is not None


def _probe_wheel(folder: Path) -> None:
    """A one-module wheel, ``harness-probe``, in ``folder``."""
    dist = "harness_probe-1.0.dist-info"
    files = {
        "harness_probe.py": "WORDS = 'from the local index'\n",
        f"{dist}/METADATA": "Metadata-Version: 2.1\nName: harness-probe\nVersion: 1.0\n",
        f"{dist}/WHEEL": "Wheel-Version: 1.0\nGenerator: hand\nRoot-Is-Purelib: true\n"
        "Tag: py3-none-any\n",
        f"{dist}/RECORD": "",
    }
    folder.mkdir()
    with zipfile.ZipFile(folder / "harness_probe-1.0-py3-none-any.whl", "w") as wheel:
        for name, text in files.items():
            wheel.writestr(name, text)


@pytest.mark.skipif(
    subprocess.run(["/usr/bin/python3", "-m", "pip", "--version"], capture_output=True).returncode,
    reason="the system python3 has no pip here",
)
def test_a_build_installs_from_the_local_index_alone_which_it_cannot_change(tmp_path):
    _probe_wheel(tmp_path / "index")
    setup = """#!/bin/bash
set -e
touch "$PIP_FIND_LINKS/planted" 2>/dev/null && echo "index changed"
python3 -m pip install -q --target /opt/probe harness-probe
"""
    run_autograder = """#!/bin/bash
PYTHONPATH=/opt/probe python3 -c 'import harness_probe; print(harness_probe.WORDS)'
"""
    harness = GradescopeHarness(
        autograder_zip(tmp_path, run_autograder, setup),
        tmp_path / "gs",
        pip_index=tmp_path / "index",
    )
    build = harness.build()
    assert build.returncode == 0, build.stderr
    assert "index changed" not in build.stdout
    assert harness.submit({"a.ipynb": b"{}"}).stdout == "from the local index\n"
    assert sorted(p.name for p in (tmp_path / "index").iterdir()) == [
        "harness_probe-1.0-py3-none-any.whl"
    ]


def test_nothing_is_graded_before_a_build_succeeds(tmp_path):
    harness = GradescopeHarness(
        autograder_zip(tmp_path, WRITE_RESULTS, "#!/bin/bash\necho broken >&2\nexit 3\n"),
        tmp_path / "gs",
    )
    with pytest.raises(RuntimeError, match="build"):
        harness.submit({"a.ipynb": b"{}"})
    build = harness.build()
    assert build.returncode == 3 and build.stderr == "broken\n"
    with pytest.raises(RuntimeError, match="the build failed .exit 3.*broken"):
        harness.submit({"a.ipynb": b"{}"})


def test_a_process_left_behind_still_runs_when_results_are_read_as_on_gradescope(tmp_path):
    """Gradescope reads results.json after run_autograder exits, while what it left running
    still runs: the harness gives such a process that moment, so that a grader that leaves
    one behind is caught by a test, then ends it."""
    run_autograder = f"""#!/bin/bash
grep SigIgn /proc/self/status
{WRITE_RESULTS}
(sleep 0.2; echo '{{"score": 100}}' > /autograder/results/results.json) &
(setsid sleep 31339 &)
"""
    run = built(tmp_path, run_autograder).submit({"lstm.ipynb": b"{}"})
    assert run.stdout.split() == ["SigIgn:", "0000000000000000"]  # as Docker starts a process
    assert run.leftover_processes >= 2  # the writer (with its sleep, once started), setsid sleep
    assert run.results == {"score": 100}
    assert processes_running("sleep 31339") == []


def test_a_run_that_leaves_nothing_behind_is_read_at_once(tmp_path):
    run = built(tmp_path, f"#!/bin/bash\n{WRITE_RESULTS}", linger_s=600).submit({"a": b""})
    assert run.leftover_processes == 0 and run.results is not None


def test_where_no_cgroup_can_be_made_memory_is_held_by_rlimit_and_said_so(tmp_path):
    """The harness's fallback, on a host whose cgroups it cannot write: run in a mount
    namespace of this test's own where every cgroup hierarchy is read-only."""
    archive = autograder_zip(
        tmp_path,
        """#!/bin/bash
python3 -c 'big = bytearray(400 * 2**20)' 2>/dev/null && echo allocated
python3 -c 'small = bytearray(20 * 2**20); print("small", len(small) // 2**20)'
""",
    )
    script = f"""
import json, sys
sys.path[:0] = {[str(Path("tests/kits").resolve())]}
from pathlib import Path
from platform_harness import GradescopeHarness
harness = GradescopeHarness(Path({str(archive)!r}), Path({str(tmp_path / "gs")!r}),
                            memory_bytes=128 * 2**20)
harness.build()
run = harness.submit({{"a.ipynb": b"{{}}"}})
print(json.dumps([run.stdout, run.limits_applied, run.peak_memory_bytes]))
"""
    read_only = (
        "for m in $(findmnt -rn -t cgroup,cgroup2 -o TARGET); do"
        ' mount -o remount,bind,ro "$m"; done; exec "$0" -c "$1"'
    )
    done = subprocess.run(
        ["unshare", "--mount", "sh", "-c", read_only, sys.executable, script],
        capture_output=True,
        text=True,
        check=True,
    )
    stdout, limits, peak = json.loads(done.stdout)
    assert stdout == "small 20\n"
    assert "memory: RLIMIT_AS (address space, not resident memory)" in limits
    assert peak is not None and 20 * 2**20 <= peak <= 128 * 2**20
