"""The PrairieLearn harness (tests/kits/platform_harness) builds a question's image from its
Dockerfile without Docker and runs the entrypoint per submission as PrairieLearn's grader host
does: /grade laid out, no network unless asked, the results read only from a run that
succeeded."""

from __future__ import annotations

import json
import socket
import tempfile
import threading
from pathlib import Path

import pytest
from platform_harness import (
    PrairieLearnHarness,
    processes_running,
    unavailable,
    validate_prairielearn_results,
)

WHY_NOT = unavailable(Path(tempfile.gettempdir()))
pytestmark = pytest.mark.skipif(WHY_NOT is not None, reason=str(WHY_NOT))

DOCKERFILE = """# a course image, as an export writes it
FROM ubuntu:22.04
COPY . /grader-image
ENV GRADER_PLATFORM=prairielearn
RUN bash /grader-image/build.sh \\
    && rm -f /grader-image/*.whl
"""
BUILD = """#!/bin/bash
set -e
mkdir -p /opt/pl-grader && echo built > /opt/pl-grader/marker
echo "build as uid $(id -u), $GRADER_PLATFORM"
"""
ENTRYPOINT = """#!/usr/bin/python3
import json, os, socket, sys
seen = {
    "marker": open("/opt/pl-grader/marker").read().strip(),
    "uid": os.getuid(),
    "grade": sorted(os.listdir("/grade")),
    "student": sorted(os.listdir("/grade/student")),
    "tests": sorted(os.listdir("/grade/tests")),
    "server": open("/grade/serverFilesCourse/helpers/words.txt").read(),
    "shared": os.path.exists("/grade/shared/helpers/words.txt"),
    "data": json.load(open("/grade/data/data.json"))["submitted_answers"]["_files"][0]["name"],
    "env": os.environ.get("GRADER_PLATFORM"),
}
try:
    socket.create_connection(("127.0.0.1", int(os.environ["HOST_PORT"])), timeout=3).close()
    seen["host"] = "reached"
except OSError as refused:
    seen["host"] = type(refused).__name__
with socket.create_server(("127.0.0.1", 0)) as own:
    socket.create_connection(own.getsockname(), timeout=3).close()
    seen["loopback"] = "works"
os.makedirs("/grade/results")
with open("/grade/results/results.json", "w") as out:
    json.dump({"gradable": True, "score": 0.5, "message": json.dumps(seen),
               "tests": [{"name": "lstm_step", "points": 1, "max_points": 2}]}, out)
sys.exit(int(os.environ.get("EXIT", "0")))
"""


def question(tmp_path: Path, entrypoint: str = ENTRYPOINT, **options) -> Path:
    """A course with one externally graded question, its image built by one script."""
    course = tmp_path / "course"
    (course / "serverFilesCourse" / "helpers").mkdir(parents=True)
    (course / "serverFilesCourse" / "helpers" / "words.txt").write_text("shared words")
    folder = course / "questions" / "lstm"
    (folder / "tests").mkdir(parents=True)
    (folder / "tests" / "hidden_cases.json").write_text("{}")
    image = folder / "image"
    image.mkdir()
    (image / "Dockerfile").write_text(DOCKERFILE)
    (image / "build.sh").write_text(BUILD)
    (image / "entrypoint").write_text(entrypoint)
    (image / "entrypoint").chmod(0o755)
    (image / "grader-0.1-py3-none-any.whl").write_bytes(b"not a wheel")
    grading = {
        "image": "course/lstm-grader",
        "entrypoint": "/grader-image/entrypoint",
        "serverFilesCourse": ["helpers"],
        **options,
    }
    info = {"uuid": "0", "gradingMethod": "External", "externalGradingOptions": grading}
    (folder / "info.json").write_text(json.dumps(info))
    return folder


@pytest.fixture
def host_port():
    """A port on the host's loopback that accepts connections while the test runs."""
    with socket.create_server(("127.0.0.1", 0)) as server:
        server.settimeout(0.2)
        stop = threading.Event()

        def accept() -> None:
            while not stop.is_set():
                try:
                    server.accept()[0].close()
                except TimeoutError:
                    pass

        thread = threading.Thread(target=accept)
        thread.start()
        yield server.getsockname()[1]
        stop.set()
        thread.join()


def built(tmp_path: Path, port: int, **options) -> PrairieLearnHarness:
    harness = PrairieLearnHarness(
        question(tmp_path, **options.pop("info", {})),
        tmp_path / "pl",
        env={"HOST_PORT": str(port), **options.pop("env", {})},
        **options,
    )
    build = harness.build()
    assert build.returncode == 0, build.stderr
    return harness


def test_a_question_is_built_and_graded_with_grade_laid_out_as_prairielearn_does(
    tmp_path, host_port
):
    harness = PrairieLearnHarness(
        question(tmp_path), tmp_path / "pl", env={"HOST_PORT": str(host_port)}
    )
    build = harness.build()
    assert build.returncode == 0, build.stderr
    assert build.stdout == "build as uid 0, prairielearn\n"
    assert not (harness.image.layer("grader-image") / "grader-0.1-py3-none-any.whl").exists()
    run = harness.submit({"lstm.ipynb": b"{}"})
    assert run.returncode == 0, run.stderr
    assert run.results is not None, run.results_error
    validate_prairielearn_results(run.results)
    seen = json.loads(run.results["message"])
    assert seen == {
        "marker": "built",
        "uid": 0,
        "grade": ["data", "serverFilesCourse", "shared", "student", "tests"],
        "student": ["lstm.ipynb"],
        "tests": ["hidden_cases.json"],
        "server": "shared words",
        "shared": True,
        "data": "lstm.ipynb",
        "env": "prairielearn",
        "host": "ConnectionRefusedError",
        "loopback": "works",
    }
    assert not Path("/opt/pl-grader").exists() and not Path("/grader-image").exists()


def test_the_network_is_the_hosts_only_when_asked(tmp_path, host_port):
    for number, asked in enumerate(({"network": True}, {"info": {"enableNetworking": True}})):
        harness = built(tmp_path / str(number), host_port, **asked)
        run = harness.submit({"lstm.ipynb": b"{}"})
        assert run.results is not None, run.stderr
        assert json.loads(run.results["message"])["host"] == "reached"


def test_a_failed_run_loses_its_results_as_on_prairielearn(tmp_path, host_port):
    harness = built(tmp_path, host_port, env={"EXIT": "3"})
    run = harness.submit({"lstm.ipynb": b"{}"})
    assert run.returncode == 3
    assert (run.root / "grade/results/results.json").is_file()
    assert run.results is None and "exited with 3" in (run.results_error or "")


def test_a_run_past_info_jsons_timeout_is_stopped(tmp_path, host_port):
    looping = "#!/bin/sh\nsleep 31338 &\nwhile :; do :; done\n"
    harness = PrairieLearnHarness(question(tmp_path, looping, timeout=2), tmp_path / "pl")
    assert harness.build().returncode == 0
    run = harness.submit({"lstm.ipynb": b"{}"})
    assert run.timed_out and run.results is None
    assert run.results_error == "did not complete within the time limit of 2 seconds"
    assert processes_running("sleep 31338") == []


def test_results_over_a_megabyte_are_refused(tmp_path):
    writes_big = (
        "#!/usr/bin/python3\nimport json, os\nos.makedirs('/grade/results')\n"
        "json.dump({'score': 1, 'output': 'x' * 2**20}, open('/grade/results/results.json', 'w'))\n"
    )
    harness = PrairieLearnHarness(question(tmp_path, writes_big), tmp_path / "pl")
    assert harness.build().returncode == 0
    run = harness.submit({"lstm.ipynb": b"{}"})
    assert run.results is None and "over the platform's 1048576" in (run.results_error or "")


def test_a_timeout_past_prairielearns_ceiling_is_refused(tmp_path):
    with pytest.raises(ValueError, match="up to 600 s"):
        PrairieLearnHarness(question(tmp_path, timeout=601), tmp_path / "pl")


@pytest.mark.parametrize(
    "instruction, refused",
    [
        ("COPY --from=builder /x /y", "multi-stage"),
        ("ADD https://example.com/x.tar.gz /x", "a download"),
        ('SHELL ["/bin/bash", "-c"]', "SHELL"),
    ],
)
def test_a_dockerfile_the_harness_cannot_build_is_refused_by_name(tmp_path, instruction, refused):
    folder = question(tmp_path)
    dockerfile = folder / "image" / "Dockerfile"
    dockerfile.write_text(f"{DOCKERFILE}{instruction}\n")
    with pytest.raises(ValueError, match=refused):
        PrairieLearnHarness(folder, tmp_path / "pl").build()


def test_the_entrypoint_is_the_containers_pid_1_as_docker_starts_it(tmp_path):
    entrypoint = """#!/bin/bash
echo "pid $$"
kill -KILL 1; kill -TERM 1
sleep 31340 &
mkdir -p /grade/results && echo '{"score": 1, "gradable": true}' > /grade/results/results.json
"""
    harness = PrairieLearnHarness(question(tmp_path, entrypoint), tmp_path / "pl")
    assert harness.build().returncode == 0
    run = harness.submit({"lstm.ipynb": b"{}"})
    assert run.stdout == "pid 1\n" and run.returncode == 0
    assert run.results == {"score": 1, "gradable": True}
    assert processes_running("sleep 31340") == []
