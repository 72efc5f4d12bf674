"""Hostile notebooks, each proving one property of the sandbox under ``grader grade``.

Every run goes through :func:`grader.engine.run_submission` inside a second fence (a pid
namespace of the test's own, see ``sandbox_fence``). Where a property could hold by accident,
a control run without the sandbox shows that the same notebook does reach what it aims at.
"""

from __future__ import annotations

import ast
import os
import re
import socket
import socketserver
import threading
import uuid
from pathlib import Path

import numpy as np
import pytest
from sandbox_fence import run_fenced, run_spec, write_notebook

from grader.engine.walls import cgroups

pytestmark = pytest.mark.slow

REPO = Path(__file__).resolve().parents[3]
DOUBLE = "def double(x):\n    return x * 2"
DOUBLE_CALL = ("double", [[1.0, 2.0]])
SLEEPER = "60.25"  # the argument of `sleep` in processes the runner looks for afterwards
needs_cgroups = pytest.mark.skipif(
    cgroups.cgroup_support() is not None,
    reason=f"no cgroups for runs here: {cgroups.cgroup_support()}",
)


def assert_alive(result: dict) -> None:
    """The run's kernel still answered the probe after the hostile cells."""
    assert result["probes"][-1] == {"value": [2.0, 4.0], "error": None, "dtype": "float64"}


def test_infinite_loops_end_at_the_cell_limit(tmp_path):
    loop = write_notebook(tmp_path / "loop.ipynb", "while True:\n    pass", DOUBLE)
    deaf = write_notebook(
        tmp_path / "deaf.ipynb",
        "import signal\nsignal.signal(signal.SIGINT, signal.SIG_IGN)\nwhile True:\n    pass",
        DOUBLE,
    )
    limits = {"cell_timeout": 2, "notebook_timeout": 120}
    # At once: the deaf one holds its run for the interrupt's grace, which the other need not
    # wait behind; neither run's end touches the other's.
    report = run_fenced(
        tmp_path,
        [run_spec(loop, [DOUBLE_CALL], **limits), run_spec(deaf, [DOUBLE_CALL], **limits)],
        parallel=2,
    )
    interrupted, killed = report["results"]

    assert interrupted["status"] == "completed"
    assert [(e["index"], e["timed_out"]) for e in interrupted["cell_errors"]] == [(0, True)]
    assert "[cell 0: the cell ran past its time limit of 2 s" in interrupted["output"]
    assert_alive(interrupted)

    # A loop that ignores the interrupt costs its kernel, not the run.
    assert killed["status"] == "crashed"
    assert "did not stop when interrupted" in killed["reason"]
    assert killed["cell_errors"][0]["timed_out"]
    assert killed["probes"][0]["value"] is None
    assert "not called" in killed["probes"][0]["error"]


def test_memory_bombs_end_in_memory_errors(tmp_path):
    bomb = write_notebook(
        tmp_path / "bomb.ipynb",
        "import numpy as np\nhuge = np.ones(10**10)",
        "import torch\nt = torch.ones(10**10)",
        DOUBLE,
        # The traceback keeps what grew, so this kernel may not survive what comes next.
        "def grow():\n    chunks = []\n    while True:\n        chunks.append(np.ones(10**6))\n"
        "grow()",
    )
    normal = write_notebook(tmp_path / "normal.ipynb", DOUBLE)
    limits = {"memory_bytes": 1536 * 1024**2}
    report = run_fenced(
        tmp_path, [run_spec(bomb, [DOUBLE_CALL], **limits), run_spec(normal, [DOUBLE_CALL])]
    )
    bombed, after = report["results"]

    assert bombed["status"] == "memory"
    assert "cell 0 hit the memory limit of 1.5 GiB" in bombed["reason"]
    errors = [(e["index"], e["ename"]) for e in bombed["cell_errors"]]
    assert errors[0] == (0, "MemoryError")
    assert errors[1] == (1, "RuntimeError")  # torch: "DefaultCPUAllocator: can't allocate"
    assert errors[2] == (3, "MemoryError")
    assert after["status"] == "completed"
    assert_alive(after)


def test_exit_and_kill_everything_end_only_their_own_run(tmp_path):
    exits = write_notebook(tmp_path / "exit.ipynb", "import os\nos._exit(3)", DOUBLE)
    kills = write_notebook(tmp_path / "kill.ipynb", "!kill -9 -1", DOUBLE)
    normal = write_notebook(tmp_path / "normal.ipynb", DOUBLE)
    runs = [run_spec(nb, [DOUBLE_CALL]) for nb in (exits, kills, normal)]

    # The fenced runner runs all three in one process: if the kill escaped the sandbox, the
    # runner would die with it and run_fenced would fail.
    report = run_fenced(tmp_path, runs)
    exited, killed, after = report["results"]

    assert exited["status"] == "crashed"
    assert exited["reason"].startswith("the kernel died while running cell 0")
    assert exited["cell_errors"] == [
        {
            "index": 0,
            "ename": "DeadKernelError",
            "evalue": "the kernel died",
            "timed_out": False,
            "line": None,
        }
    ]
    assert killed["status"] == "crashed"
    assert killed["reason"].startswith("the kernel died while running cell 0")
    assert "not called: the kernel died" in killed["probes"][0]["error"]
    assert after["status"] == "completed"
    assert_alive(after)


def test_rm_rf_touches_nothing_outside_the_scratch_folder(tmp_path):
    files = tmp_path / "alice"
    (files / "data").mkdir(parents=True)
    (files / "data" / "train.csv").write_text("1,2,3\n")
    hidden = tmp_path / "assignment" / "hidden_tests.json"
    hidden.parent.mkdir()
    hidden.write_text("{}")
    notebook = write_notebook(
        files / "nb.ipynb",
        f"!rm -rf * .[!.]* /run/submission {files} {hidden.parent} {tmp_path} 2>/dev/null\n"
        "import os\nleft = os.listdir('.')",
        "def count():\n    return len(left)",
    )
    reads = write_notebook(
        tmp_path / "reads.ipynb",
        "def first_row():\n    return [float(v) for v in open('data/train.csv').read().split(',')]",
    )
    report = run_fenced(
        tmp_path,
        [
            run_spec(notebook, [("count", [])], files_dir=files),
            run_spec(reads, [("first_row", [])], files_dir=files),
        ],
    )
    wiped, after = report["results"]

    assert wiped["probes"][0]["value"] == 0.0  # the scratch folder itself was emptied
    assert (files / "data" / "train.csv").read_text() == "1,2,3\n"
    assert (files / "nb.ipynb").is_file()
    assert hidden.read_text() == "{}"
    assert after["probes"][0]["value"] == [1.0, 2.0, 3.0]


def test_background_processes_end_with_the_run(tmp_path):
    marker = "4242.25"
    notebook = write_notebook(
        tmp_path / "spawn.ipynb",
        "import os, subprocess\n"
        f"subprocess.Popen(['sleep', '{marker}'], start_new_session=True)\n"
        f"!setsid --fork sleep {marker} > /dev/null 2>&1; sleep 0.5\n"
        f"os.system('nohup sleep {marker} > /dev/null 2>&1 &')\n"
        "child = os.fork()\n"
        "if child == 0:\n"
        "    os.setsid()\n"
        "    if os.fork() == 0:\n"
        f"        os.execvp('sleep', ['sleep', '{marker}'])\n"
        "    os._exit(0)\n"
        "os.waitpid(child, 0)",
        "import time\ntime.sleep(1)\n"
        "def running():\n"
        "    found = 0\n"
        "    for pid in filter(str.isdigit, os.listdir('/proc')):\n"
        "        try:\n"
        f"            found += '{marker}' in open(f'/proc/{{pid}}/cmdline').read()\n"
        "        except OSError:\n"
        "            pass\n"
        "    return found",
    )
    report = run_fenced(tmp_path, [run_spec(notebook, [("running", [])])], marker=marker)

    assert report["results"][0]["probes"][0]["value"] == 4.0  # all four were running
    assert report["leftover"] == []


class _CountingServer(socketserver.ThreadingTCPServer):
    allow_reuse_address = True
    daemon_threads = True
    hits = 0


class _Count(socketserver.BaseRequestHandler):
    def handle(self) -> None:
        self.server.hits += 1


@pytest.fixture
def loopback_server():
    server = _CountingServer(("0.0.0.0", 0), _Count)
    thread = threading.Thread(target=server.serve_forever, daemon=True)
    thread.start()
    yield server
    server.shutdown()
    server.server_close()


def test_no_network_not_even_loopback(tmp_path, loopback_server):
    port = loopback_server.server_address[1]
    hosts = ["127.0.0.1", "localhost"]
    try:
        hosts.append(socket.gethostbyname(socket.gethostname()))
    except OSError:
        pass
    notebook = write_notebook(
        tmp_path / "net.ipynb",
        "import socket\nreached = 0\n"
        f"for host in {hosts!r}:\n"
        "    try:\n"
        f"        socket.create_connection((host, {port}), timeout=3).close()\n"
        "        reached += 1\n"
        "    except OSError as error:\n"
        "        print(host, error)",
        "def reached_count():\n    return reached",
    )
    sandboxed = run_fenced(tmp_path, [run_spec(notebook, [("reached_count", [])])])
    assert sandboxed["results"][0]["probes"][0]["value"] == 0.0
    assert loopback_server.hits == 0

    control = run_fenced(
        tmp_path, [run_spec(notebook, [("reached_count", [])], unsafe_no_sandbox=True)]
    )
    assert control["results"][0]["probes"][0]["value"] >= 1.0
    assert loopback_server.hits >= 1


def test_instructor_files_and_trusted_packages_are_out_of_sight(tmp_path):
    hidden = tmp_path / "assignment" / "hidden_tests.json"
    gradebook = tmp_path / "out" / "gradebook.sqlite"
    other = tmp_path / "submissions" / "bob" / "nb.ipynb"
    for path in (hidden, gradebook, other):
        path.parent.mkdir(parents=True, exist_ok=True)
        path.write_text("secret")
    folders = (tmp_path / "submissions", REPO / "assignments")
    targets = [str(p) for p in (hidden, gradebook, other, REPO / "pyproject.toml", *folders)]
    notebook = write_notebook(
        tmp_path / "submissions" / "alice" / "nb.ipynb",
        "import importlib, os\nseen = []\n"
        f"for path in {targets!r}:\n"
        "    try:\n"
        "        open(path).read() if os.path.isfile(path) else os.listdir(path)\n"
        "        seen.append(path)\n"
        "    except OSError:\n"
        "        pass\n"
        "for name in ['reference_lstm', 'grader', 'grader.engine']:\n"
        "    try:\n"
        "        importlib.import_module(name)\n"
        "        seen.append(name)\n"
        "    except ImportError:\n"
        "        pass\n"
        "print('seen:', seen)",
        "def seen_count():\n    return len(seen)",
    )
    sandboxed = run_fenced(tmp_path, [run_spec(notebook, [("seen_count", [])])])
    (result,) = sandboxed["results"]
    assert result["probes"][0]["value"] == 0.0, result["output"]

    control = run_fenced(
        tmp_path, [run_spec(notebook, [("seen_count", [])], unsafe_no_sandbox=True)]
    )
    assert control["results"][0]["probes"][0]["value"] >= 7.0


def test_tmp_is_private_to_each_run(tmp_path):
    name = f"grader-test-{uuid.uuid4().hex}"
    writes = write_notebook(
        tmp_path / "writes.ipynb",
        f"for folder in ['/tmp', '/dev/shm']:\n    open(f'{{folder}}/{name}', 'w').write('x')",
    )
    looks = write_notebook(
        tmp_path / "looks.ipynb",
        "import os\n"
        "def found():\n"
        f"    return sum(os.path.exists(f'{{d}}/{name}') for d in ['/tmp', '/dev/shm'])",
    )
    runs = [run_spec(writes), run_spec(looks, [("found", [])])]
    report = run_fenced(tmp_path, runs)
    assert report["results"][0]["cell_errors"] == []
    assert report["results"][1]["probes"][0]["value"] == 0.0
    assert not (Path("/tmp") / name).exists()

    control_runs = [{**spec, "limits": {"unsafe_no_sandbox": True}} for spec in runs]
    try:
        control = run_fenced(tmp_path, control_runs)
        assert control["results"][1]["probes"][0]["value"] == 2.0
    finally:
        for folder in ("/tmp", "/dev/shm"):
            (Path(folder) / name).unlink(missing_ok=True)


def test_printing_100_mb_keeps_the_graders_memory_bounded(tmp_path):
    notebook = write_notebook(
        tmp_path / "loud.ipynb",
        "print('first line')",
        "'v' * 100_000_000  # a value: not under the kernel's own cap, but over ZeroMQ's",
        "print('the output channel still works')",
        "print('x' * 100_000_000)",
        "for _ in range(100):\n    print('y' * 1_000_000)",
        "import os\nos.write(1, b'z' * 50_000_000)",
        DOUBLE,
    )
    report = run_fenced(tmp_path, [run_spec(notebook, [DOUBLE_CALL], output_bytes=100_000)])
    (result,) = report["results"]
    # Counted, not kept: the value, the prints, and what went around Python's own streams.
    assert int(re.search(r"\[\.\.\. (\d+) bytes dropped\]", result["output"])[1]) > 349_000_000

    assert result["status"] == "completed"
    assert result["output"].startswith("first line\n")
    assert result["output_truncated"]
    assert len(result["output"].encode()) < 100_000 + 200
    assert result["output"].rstrip().endswith("bytes dropped]")
    assert_alive(result)
    # The runner itself (grader, nbclient, numpy) needs about 100 MB; holding the output
    # would take more than 100 MB on top.
    assert report["maxrss_mb"] < 200


def test_monkeypatching_numpy_changes_nothing_the_trusted_side_receives(tmp_path):
    files = tmp_path / "mallory"
    files.mkdir()
    magic = 1234.5678
    notebook = write_notebook(
        files / "nb.ipynb",
        # Look for the probe's inputs before they are sent: files, environment (everywhere
        # the grader puts anything; /opt/python is the read-only runtime, made before any run).
        "import os, glob\nsnapshot = repr(dict(os.environ))\n"
        "for top in ['/content', '/tmp', '/run', '/opt/grader', '/dev/shm']:\n"
        "  for path in glob.glob(top + '/**', recursive=True):\n"
        "    try:\n"
        "        snapshot += open(path, errors='ignore').read()\n"
        "    except OSError:\n"
        "        pass",
        # Make every comparison pass and every conversion return the 'expected' answer.
        "import json, numpy as np\n"
        "always = lambda *a, **k: True\n"
        "np.allclose = np.array_equal = np.isclose = always\n"
        "np.testing.assert_allclose = np.testing.assert_array_almost_equal = always\n"
        "np.asarray = np.array = np.ascontiguousarray = lambda *a, **k: np.ones((2, 2))\n"
        "for fake in ['results.json', '/tmp/results.json', '/content/results.json']:\n"
        "    open(fake, 'w').write(json.dumps({'score': 100, 'tests': []}))",
        "def forget_gate(x_t, h_prev, W_f, b_f):\n"
        "    return np.full((x_t.shape[0], W_f.shape[0]), 0.5)\n"
        "def spy(x):\n"
        "    import base64\n"
        "    needles = [repr(float(x[0])), base64.b64encode(x.tobytes()).decode()[:12]]\n"
        "    return float(any(needle in snapshot for needle in needles))",
    )
    rng = np.random.default_rng(7)
    x, h = rng.standard_normal((3, 2)), rng.standard_normal((3, 4))
    w, b = rng.standard_normal((4, 6)), rng.standard_normal(4)
    calls = [
        ("forget_gate", [x.tolist(), h.tolist(), w.tolist(), b.tolist()]),
        ("spy", [[magic]]),
    ]
    report = run_fenced(tmp_path, [run_spec(notebook, calls, files_dir=files)])
    (result,) = report["results"]

    assert result["cell_errors"] == []
    received = np.array(result["probes"][0]["value"])
    assert received.shape == (3, 4) and np.all(received == 0.5)  # what it returned, no more
    expected = 1 / (1 + np.exp(-(np.concatenate([x, h], axis=1) @ w.T + b)))
    assert not np.allclose(received, expected)
    assert result["probes"][1]["value"] == 0.0  # the inputs were nowhere before the call
    assert sorted(p.name for p in files.iterdir()) == ["nb.ipynb"]


def test_only_the_private_size_limited_folders_are_writable(tmp_path):
    import sys

    private = ["/dev/shm", "/content", "/tmp"]
    places = ["/", "/run", "/opt", "/dev", *private, "/etc", "/usr", sys.prefix, sys.base_prefix]
    places += [str(REPO), str(tmp_path)]
    # A checkout or runtime that lies inside a private folder (CI may clone under /tmp) is
    # shown inside the sandbox's own copy of that folder: a write there lands in the copy.
    places = [p for p in places if p in private or not p.startswith(tuple(private))]
    notebook = write_notebook(
        tmp_path / "writes.ipynb",
        "def write(path, size):\n"
        "    try:\n"
        "        with open(path, 'wb') as out:\n"
        "            out.write(b'x' * size)\n"
        "        return True\n"
        "    except OSError:\n"
        "        return False\n"
        f"small = [p for p in {places!r} if write(p.rstrip('/') + '/w.bin', 1024)]\n"
        "big = [p for p in ['/content', '/tmp', '/dev/shm']\n"
        "       if write(p + '/big.bin', 80 * 1024**2)]\n"
        "print('small:', small, 'big:', big)",
    )
    report = run_fenced(tmp_path, [run_spec(notebook, disk_bytes=64 * 1024**2)])
    (result,) = report["results"]
    assert "small: ['/dev/shm', '/content', '/tmp'] big: []" in result["output"]
    assert not (REPO / "w.bin").exists() and not (tmp_path / "w.bin").exists()


def _spawner(count: int) -> str:
    """A cell that starts ``count`` sleeping processes, stops at the first refusal, and says
    how many it got."""
    return (
        "import subprocess\nstarted = []\ntry:\n"
        f"    for _ in range({count}):\n"
        f"        started.append(subprocess.Popen(['sleep', '{SLEEPER}']))\n"
        "except OSError as error:\n    print('refused:', type(error).__name__, error)\n"
        "print('started', len(started))"
    )


def _started(output: str) -> int:
    return int(re.search(r"^started (\d+)$", output, re.MULTILINE)[1])


@needs_cgroups
def test_a_fork_bomb_is_held_to_the_process_limit(tmp_path):
    bomb = write_notebook(
        tmp_path / "forks.ipynb",
        _spawner(2000),
        f"subprocess.Popen(['sleep', '{SLEEPER}'])",
        DOUBLE,
    )
    normal = write_notebook(tmp_path / "normal.ipynb", DOUBLE)
    report = run_fenced(
        tmp_path, [run_spec(bomb, [DOUBLE_CALL]), run_spec(normal, [DOUBLE_CALL])], marker=SLEEPER
    )
    bombed, after = report["results"]

    # 256 processes and threads in all: the sandbox's and the kernel's own take a few.
    assert 200 < _started(bombed["output"]) < 256
    refusal = "refused: BlockingIOError [Errno 11] Resource temporarily unavailable"
    assert refusal in bombed["output"]
    assert [(e["index"], e["ename"]) for e in bombed["cell_errors"]] == [(1, "BlockingIOError")]
    assert (
        "[cell 0: 2 process or thread starts were refused; a run may have 256 at once]"
        in (bombed["output"])
    )
    assert bombed["status"] == "completed"
    assert_alive(bombed)
    assert report["leftover"] == []
    assert after["status"] == "completed"
    assert_alive(after)


@needs_cgroups
def test_a_classic_fork_bomb_ends_with_its_run(tmp_path):
    bomb = write_notebook(tmp_path / "bomb.ipynb", "import os\nwhile True:\n    os.fork()", DOUBLE)
    normal = write_notebook(tmp_path / "normal.ipynb", DOUBLE)
    limits = {"cell_timeout": 5, "notebook_timeout": 40}
    runs = [run_spec(bomb, [DOUBLE_CALL], **limits), run_spec(normal, [DOUBLE_CALL])]
    report = run_fenced(tmp_path, runs, marker="ipykernel_launcher")
    bombed, after = report["results"]

    # Every copy of the kernel forks until the process limit refuses. Which limit the copies
    # meet next (time, memory) varies; what matters is that they all end with the run.
    assert re.search(r"\[cell 0: \d+ process or thread starts were refused", bombed["output"])
    assert report["leftover"] == []
    assert report["cgroups_left"] == []
    assert after["status"] == "completed"
    assert_alive(after)


@needs_cgroups
def test_processes_together_are_held_to_the_memory_limit(tmp_path):
    # Each child takes 700 MB, far under the 2 GiB each process may address; four together
    # take more than the 2 GiB the whole run may use.
    notebook = write_notebook(
        tmp_path / "children.ipynb",
        "import subprocess, sys\n"
        "grab = 'data = b\"x\" * (700 * 10**6); import time; time.sleep(2)'\n"
        "def children(count):\n"
        "    started = [subprocess.Popen([sys.executable, '-c', grab]) for _ in range(count)]\n"
        "    print('exit codes:', [child.wait() for child in started])\n"
        "children(1)",
        "children(4)",
        DOUBLE,
    )
    report = run_fenced(tmp_path, [run_spec(notebook, [DOUBLE_CALL])])
    (result,) = report["results"]

    alone, together = re.findall(r"^exit codes: (.*)$", result["output"], re.MULTILINE)
    assert ast.literal_eval(alone) == [0]
    assert -9 in ast.literal_eval(together)  # SIGKILL, from the out-of-memory killer
    assert result["status"] == "memory"
    assert result["reason"].startswith(
        "cell 1 hit the memory limit of 2 GiB for all its processes together "
        "(the out-of-memory killer ended "
    )
    assert_alive(result)
    assert report["maxrss_mb"] < 200  # the runner, grader included, held none of it


@needs_cgroups
def test_each_run_has_a_cgroup_removed_afterwards_with_all_its_processes(tmp_path):
    # Without the sandbox's walls no pid namespace ends a process in a session of its own;
    # removing the run's cgroup does.
    escapes = write_notebook(
        tmp_path / "escapes.ipynb", f"!setsid --fork sleep {SLEEPER} > /dev/null 2>&1", DOUBLE
    )
    starts_not = write_notebook(tmp_path / "small.ipynb", "x = 1")  # in 1 MiB it cannot
    runs = [
        run_spec(escapes, [DOUBLE_CALL]),
        run_spec(escapes, [DOUBLE_CALL], unsafe_no_sandbox=True, max_processes=100),
        run_spec(starts_not, memory_bytes=1024**2),
    ]
    report = run_fenced(tmp_path, runs, marker=SLEEPER, watch_cgroups=True)

    assert [r["status"] for r in report["results"]] == ["completed", "completed", "crashed"]
    # While each run went on, the runner saw its cgroup (one name in each hierarchy).
    seen: dict[str, dict[str, str]] = {}
    for folder, files in report["cgroups_seen"].items():
        seen.setdefault(Path(folder).name, {}).update(files)
    gib = str(2 * 1024**3)
    first, second = list(seen.values())[:2]
    assert first == {
        "pids.max": "256",
        "memory.limit_in_bytes": gib,
        "memory.memsw.limit_in_bytes": gib,
    }
    assert second["pids.max"] == "100"
    assert report["cgroups_left"] == []
    assert report["leftover"] == []


def test_without_writable_cgroups_runs_go_on_as_before_with_a_warning(tmp_path):
    escapes = write_notebook(
        tmp_path / "escapes.ipynb", f"!setsid --fork sleep {SLEEPER} > /dev/null 2>&1", DOUBLE
    )
    spawns = write_notebook(tmp_path / "spawns.ipynb", _spawner(300), DOUBLE)
    runs = [
        run_spec(escapes, [DOUBLE_CALL], unsafe_no_sandbox=True),
        run_spec(spawns, [DOUBLE_CALL]),
    ]
    report = run_fenced(tmp_path, runs, marker=SLEEPER, cgroups_read_only=True)
    escaped, spawned = report["results"]

    # As root the test made the cgroups read-only; an ordinary user may not write them anyway.
    why = "Read-only file system" if os.getuid() == 0 else "Permission denied"
    assert why in report["cgroup_support"]
    assert report["stderr"].count("grader: warning: no cgroup for student code") == 1
    assert (escaped["status"], spawned["status"]) == ("completed", "completed")
    assert_alive(escaped)
    assert_alive(spawned)
    # What the cgroup would have stopped: more processes than its limit, for root. An ordinary
    # user's submission is held to it by its own process limit (RLIMIT_NPROC in its own user
    # namespace). (Whether a process that left the run's session outlives it without walls
    # depends on timing; not asserted.)
    if os.getuid() == 0:
        assert _started(spawned["output"]) == 300
    else:
        assert 200 < _started(spawned["output"]) < 256


def test_stopping_itself_or_closing_its_pipes_costs_only_its_own_run(tmp_path):
    stops = write_notebook(
        tmp_path / "stop.ipynb", "import os, signal\nos.kill(os.getpid(), signal.SIGSTOP)", DOUBLE
    )
    closes = write_notebook(
        tmp_path / "close.ipynb",
        "import os\nfor fd in range(3, 256):\n    try:\n        os.close(fd)\n"
        "    except OSError:\n        pass",
        DOUBLE,
    )
    normal = write_notebook(tmp_path / "normal.ipynb", DOUBLE)
    limits = {"cell_timeout": 3, "notebook_timeout": 60}
    runs = [run_spec(nb, [DOUBLE_CALL], **limits) for nb in (stops, closes, normal)]
    report = run_fenced(tmp_path, runs)
    stopped, closed, after = report["results"]

    assert stopped["status"] == "crashed"
    assert "did not stop when interrupted" in stopped["reason"]
    assert closed["status"] == "crashed"
    assert closed["reason"].startswith("the kernel died while running cell 0")
    assert after["status"] == "completed"
    assert_alive(after)
