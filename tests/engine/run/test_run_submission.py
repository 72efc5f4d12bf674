"""Running notebooks with :func:`grader.engine.run_submission`: reading what students hand
in, running cells the way Colab would, limits, and the probe's values.

The notebooks here are the tests' own and harmless, so they run in the test process (each in a
real sandboxed kernel); hostile ones are in test_sandbox_hostile.py, behind a second fence.
"""

from __future__ import annotations

import json
import subprocess
import sys
import sysconfig
import threading
import uuid
from pathlib import Path

import nbformat
import numpy as np
import pytest
from sandbox_fence import write_notebook

from grader.engine import (
    NoHooks,
    NotANotebook,
    ProbeCall,
    RunLimits,
    SandboxUnavailable,
    check_sandbox,
    read_code_cells,
    run_submission,
)
from grader.engine.walls import bwrap
from grader.errors import UserError

FAST = RunLimits(cell_timeout=20, notebook_timeout=120, probe_timeout=5)
slow = pytest.mark.slow


# --- reading what was handed in ---------------------------------------------------------


@pytest.mark.parametrize(
    ("content", "reason"),
    [
        (b"", "not a notebook: the file is empty"),
        (b"  \n\t", "not a notebook: the file is empty"),
        (b"%PDF-1.4 \x00\xff\xfe binary", "not a notebook: the file is not UTF-8 text"),
        (b"def forget_gate(): pass\n", "not a notebook: the file is not JSON"),
        (b"[1, 2, 3]", "not a notebook: JSON without the notebook fields"),
        (b'{"cells": []}', "not a notebook: JSON without the notebook fields"),
        (b'{"nbformat": 99, "cells": []}', "not a notebook: "),
        (b'{"nbformat": 4, "nbformat_minor": 5, "cells": [7]}', "not a notebook: "),
    ],
)
def test_a_file_that_is_not_a_notebook_gives_an_invalid_result(tmp_path, content, reason):
    path = tmp_path / "submission.ipynb"
    path.write_bytes(content)
    result = run_submission(path, [ProbeCall("forget_gate", ())], FAST)
    assert result.status == "invalid"
    assert result.reason.startswith(reason)
    assert result.probes[0].value is None and result.probes[0].error == result.reason
    assert result.cell_errors == [] and result.code == ""


def test_a_missing_file_gives_an_invalid_result(tmp_path):
    result = run_submission(tmp_path / "gone.ipynb", [], FAST)
    assert result.status == "invalid"
    assert result.reason == "cannot read gone.ipynb: No such file or directory"  # named


def colab_notebook() -> dict:
    """A notebook as Colab saves it: its metadata, cell ids, outputs and bare widget state."""
    return {
        "nbformat": 4,
        "nbformat_minor": 0,
        "metadata": {
            "colab": {"provenance": [], "collapsed_sections": [], "toc_visible": True},
            "accelerator": "GPU",
            "kernelspec": {"name": "python3", "display_name": "Python 3"},
            "language_info": {"name": "python"},
            # Colab leaves out the {"state": ..., "version_major": ...} wrapper.
            "widgets": {"application/vnd.jupyter.widget-state+json": {"abc123": {"x": 1}}},
        },
        "cells": [
            {"cell_type": "markdown", "metadata": {"id": "md1"}, "source": ["# LSTM gates"]},
            {
                "cell_type": "code",
                "execution_count": 0,
                "metadata": {
                    "id": "c1",
                    "colab": {"base_uri": "https://localhost:8080/", "height": 35},
                    "outputId": "0f3d-11",
                    "executionInfo": {"status": "ok", "timestamp": 1690000000000},
                },
                "outputs": [{"output_type": "stream", "name": "stdout", "text": ["old\n"]}],
                "source": ["import numpy as np\n", "def double(x):\n", "    return x * 2"],
            },
        ],
    }


@slow
def test_colab_metadata_and_nbformat_3_notebooks_run_as_they_are(tmp_path):
    colab = tmp_path / "colab.ipynb"
    colab.write_text(json.dumps(colab_notebook(), indent=2))
    v3 = tmp_path / "v3.ipynb"
    old = nbformat.v3.new_notebook(
        worksheets=[
            nbformat.v3.new_worksheet(
                cells=[nbformat.v3.new_code_cell(input="def double(x):\n    return x * 2")]
            )
        ]
    )
    v3.write_text(nbformat.writes(old, version=3))

    for path in (colab, v3):
        result = run_submission(path, [ProbeCall("double", (np.array([1.5]),))], FAST)
        assert (result.status, result.cell_errors) == ("completed", []), result.output
        assert result.probes[0].value.tolist() == [3.0]
        assert "def double(x):" in result.code


def test_code_cells_keep_their_index_among_all_cells(tmp_path):
    path = tmp_path / "nb.ipynb"
    path.write_text(json.dumps(colab_notebook()))
    assert read_code_cells(path) == [(1, "import numpy as np\ndef double(x):\n    return x * 2")]
    path.write_text("{")
    with pytest.raises(NotANotebook, match="not JSON"):
        read_code_cells(path)


# --- running cells --------------------------------------------------------------------------


@slow
def test_cells_run_in_order_with_shell_lines_magics_and_recorded_errors(tmp_path):
    notebook = write_notebook(
        tmp_path / "nb.ipynb",
        "# md Some prose first.",
        "!echo from the shell\nx = 1",
        "%%bash\necho from bash",
        "raise ValueError('bad gate')",
        "%time y = x + 1\nprint('y is', y)",
        "undefined_name",
    )
    result = run_submission(notebook, [], FAST)

    assert result.status == "completed" and result.reason is None
    assert [(e.index, e.ename, e.evalue) for e in result.cell_errors] == [
        (3, "ValueError", "bad gate"),
        (5, "NameError", "name 'undefined_name' is not defined"),
    ]
    for text in ("from the shell", "from bash", "ValueError: bad gate", "y is 2", "Wall time"):
        assert text in result.output
    assert "\x1b[" not in result.output  # tracebacks without terminal colours
    assert result.code.startswith("!echo from the shell\nx = 1\n\n%%bash")


@slow
def test_a_cell_past_its_limit_is_interrupted_and_the_notebook_limit_ends_the_run(tmp_path):
    notebook = write_notebook(
        tmp_path / "nb.ipynb",
        "import time\ndef double(x):\n    return x * 2",
        "time.sleep(30)",
        *["time.sleep(1)"] * 20,
    )
    limits = RunLimits(cell_timeout=2, notebook_timeout=8, probe_timeout=1)
    result = run_submission(notebook, [ProbeCall("double", (np.ones(2),))], limits)

    assert result.status == "timeout"
    assert result.reason.startswith("the notebook ran past its time limit of 8 s")
    first = result.cell_errors[0]
    assert (first.index, first.ename, first.timed_out) == (1, "CellTimeoutError", True)
    assert "its time limit of 2 s" in first.evalue
    assert "[cell 1: the cell ran past its time limit of 2 s" in result.output
    assert result.probes[0].value.tolist() == [2.0, 2.0]  # the probes still got their time


@slow
def test_output_past_the_cap_is_dropped_with_a_note(tmp_path):
    notebook = write_notebook(tmp_path / "nb.ipynb", "print('a' * 5000)", "print('tail')")
    result = run_submission(notebook, [], RunLimits(output_bytes=1000))
    assert result.output_truncated
    assert result.output == "a" * 1000 + "\n[... 4006 bytes dropped]\n"


@slow
def test_the_kernel_sees_only_the_submission_with_colab_drive_mapped_to_it(tmp_path, monkeypatch):
    monkeypatch.setenv("GRADER_TEST_SECRET", "hunter2")
    files = tmp_path / "alice"
    (files / "data").mkdir(parents=True)
    (files / "data" / "passengers.csv").write_text("112,118,132\n")
    (tmp_path / "bob.ipynb").write_text("{}")  # another submission beside this one
    notebook = write_notebook(
        files / "nb.ipynb",
        "import os\nseen = sorted(os.listdir('.'))\nprint(seen)\n"
        "secret = 'GRADER_TEST_SECRET' in os.environ",
        "from google.colab import drive, files\ndrive.mount('/content/drive')\n"
        "row = open('/content/drive/MyDrive/data/passengers.csv').read()",
        "files.upload()",
        "def first_row():\n    return [float(v) for v in row.split(',')]\n"
        "def secret_seen():\n    return float(secret)\n"
        "def cwd_entries():\n    return len(seen)",
    )
    calls = [ProbeCall(name, ()) for name in ("first_row", "secret_seen", "cwd_entries")]

    with_files = run_submission(notebook, calls, FAST, files_dir=files)
    assert "['data', 'nb.ipynb']" in with_files.output
    assert with_files.probes[0].value.tolist() == [112.0, 118.0, 132.0]
    assert with_files.probes[1].value == 0.0
    upload = with_files.cell_errors[0]
    assert (upload.index, upload.ename) == (2, "RuntimeError")
    assert "files.upload() cannot work while grading" in upload.evalue

    alone = run_submission(notebook, calls, FAST)  # default: only the notebook itself
    assert "['nb.ipynb']" in alone.output
    assert alone.probes[2].value == 1.0


@slow
def test_a_kernel_that_cannot_start_gives_a_crashed_result_that_says_why(tmp_path):
    # A forked runner needs only the pages it changes: 32 MiB start since the warm engine, 1 do not.
    notebook = write_notebook(tmp_path / "nb.ipynb", "x = 1")
    result = run_submission(notebook, [ProbeCall("f", ())], RunLimits(memory_bytes=1024**2))
    assert result.status == "crashed"
    assert result.reason.startswith("the kernel did not start: ")
    assert "MemoryError" in result.reason or "memory" in result.reason.lower()
    assert result.probes[0].error.startswith("not called: the kernel did not start")


@slow
@pytest.mark.skipif(bwrap.cgroup_support() is not None, reason="no cgroups for runs here")
def test_a_kernel_without_room_beside_the_submission_files_gives_a_reason_that_says_so(tmp_path):
    # The scratch folder is memory: its copy of the files counts against the run's limit.
    files = tmp_path / "alice"
    notebook = write_notebook(files / "nb.ipynb", "x = 1")
    (files / "data.bin").write_bytes(bytes(range(256)) * (190 * 4096))  # 190 MiB
    limits = RunLimits(memory_bytes=150 * 1024**2)
    result = run_submission(notebook, [ProbeCall("f", ())], limits, files_dir=files)
    assert result.status == "crashed"
    assert result.reason.startswith("the kernel did not start: ")
    assert result.reason.endswith(
        "(the memory limit is too low for the kernel and the submission's files together)"
    )


def test_google_colab_is_not_importable_on_the_trusted_side():
    with pytest.raises(ImportError):
        import google.colab  # noqa: F401


@slow
def test_numpy_torch_and_matplotlib_work_under_the_default_memory_limit(tmp_path):
    notebook = write_notebook(
        tmp_path / "nb.ipynb",
        "import numpy as np, torch, matplotlib.pyplot as plt\n%matplotlib inline",
        "lstm = torch.nn.LSTM(8, 16)\nout, (h, c) = lstm(torch.randn(5, 3, 8))\n"
        "plt.plot(out[:, 0, 0].detach().numpy())\nplt.show()",
        "big = np.ones((8000, 8000))  # 512 MB",
    )
    result = run_submission(notebook, [], RunLimits())
    assert (result.status, result.cell_errors) == ("completed", []), result.output


# --- the probe ------------------------------------------------------------------------------


PROBED = """
import numpy as np, torch

def as_tensor(x):
    return torch.tensor(x, dtype=torch.float32) * 2

def as_float32(x):
    return (x * 2).astype(np.float32)

def as_list(x):
    return (x * 2).tolist()

def pair(x_t, h_prev, c_prev, params):
    return x_t @ params["W"], c_prev + params["b"]

def list_of_arrays(x):
    return [x, torch.tensor(x)]

def scalar(x):
    return float(x.sum())

def flags(x):
    return x > 0

def text(x):
    return "not an array"

def nothing(x):
    pass

def stub(x):
    raise NotImplementedError("write the forget gate")

def objects(x):
    return np.array([1, "a"], dtype=object)

def ragged(x):
    return [[1.0, 2.0], [3.0]]

def forever(x):
    while True:
        pass

not_a_function = 3
"""


@slow
def test_probe_values_come_back_as_float64_arrays_or_errors(tmp_path):
    notebook = write_notebook(tmp_path / "nb.ipynb", PROBED)
    x = np.array([[1.0, -2.0]])
    params = {"W": np.eye(2), "b": np.array([0.5, 0.5])}
    names = [
        "as_tensor",
        "as_float32",
        "as_list",
        "list_of_arrays",
        "scalar",
        "flags",
        "text",
        "nothing",
        "stub",
        "objects",
        "ragged",
        "forever",
        "not_a_function",
        "missing",
    ]
    calls = [ProbeCall(name, (x,)) for name in names]
    calls.insert(3, ProbeCall("pair", (x, x, x, params)))
    limits = RunLimits(cell_timeout=20, notebook_timeout=120, probe_timeout=2)
    result = run_submission(notebook, calls, limits)
    outcome = dict(zip(names[:3] + ["pair"] + names[3:], result.probes, strict=True))

    for name in ("as_tensor", "as_float32", "as_list"):
        assert outcome[name].error is None
        assert outcome[name].value.dtype == np.float64
        assert outcome[name].value.tolist() == [[2.0, -4.0]]
    h, c = outcome["pair"].value
    assert h.tolist() == [[1.0, -2.0]] and c.tolist() == [[1.5, -1.5]]
    assert [v.tolist() for v in outcome["list_of_arrays"].value] == [[[1.0, -2.0]]] * 2
    assert outcome["scalar"].value.shape == () and outcome["scalar"].value == -1.0
    assert outcome["flags"].value.tolist() == [[1.0, 0.0]]
    # a str comes back as a str: scoring says "returned a str, expected an array" where
    # numbers were expected, and compares it exactly where a str was
    assert outcome["text"].error is None and outcome["text"].value == "not an array"
    assert outcome["nothing"].error == "TypeError: returned NoneType, expected an array"
    assert outcome["stub"].error == "NotImplementedError: write the forget gate"
    assert "expected numbers" in outcome["objects"].error
    assert "ragged" in outcome["ragged"].error
    assert outcome["forever"].error == "timed out after 2 s"
    assert outcome["not_a_function"].error == "TypeError: 'not_a_function' is int, not a function"
    assert outcome["missing"].error == "NameError: name 'missing' is not defined"
    assert result.status == "completed"  # the kernel came back after the interrupt


def test_probe_function_names_must_be_identifiers(tmp_path):
    with pytest.raises(ValueError, match="not a function name"):
        run_submission(tmp_path / "nb.ipynb", [ProbeCall("os.system('x')", ())], FAST)


@slow
def test_runs_at_once_from_several_threads_stay_apart(tmp_path):
    results = {}

    def run(k: int) -> None:
        notebook = write_notebook(
            tmp_path / f"nb{k}.ipynb",
            f"import time\ntime.sleep(1)\nK = {k}",
            "def k(x):\n    return x * K",
        )
        results[k] = run_submission(notebook, [ProbeCall("k", (np.ones(1),))], FAST)

    threads = [threading.Thread(target=run, args=(k,)) for k in (2, 3, 5)]
    for thread in threads:
        thread.start()
    for thread in threads:
        thread.join()
    assert {k: r.probes[0].value.tolist() for k, r in results.items()} == {
        2: [2.0],
        3: [3.0],
        5: [5.0],
    }


# --- where no sandbox can be made ---------------------------------------------------------


def test_without_bubblewrap_the_grader_refuses_unless_told_to_run_unsafe(tmp_path, monkeypatch):
    monkeypatch.setenv("PATH", str(tmp_path))  # no bwrap on it
    with pytest.raises(SandboxUnavailable) as raised:
        check_sandbox(RunLimits())
    message = str(raised.value)
    assert "bubblewrap is not installed" in message and "--unsafe-no-sandbox" in message
    assert isinstance(raised.value, UserError)

    notebook = write_notebook(tmp_path / "nb.ipynb", "x = 1")
    with pytest.raises(SandboxUnavailable):
        run_submission(notebook, [], FAST)
    check_sandbox(RunLimits(unsafe_no_sandbox=True))  # nothing to check


@slow
def test_trusted_packages_installed_into_the_runtime_are_hidden(tmp_path):
    """A non-editable install puts ``grader`` in a folder the sandbox shows: here a folder a
    runtime's ``.pth`` file adds, as an instructor's shared package folder would."""
    site = tmp_path / "site"
    for package in ("grader", "reference_lstm"):
        (site / package).mkdir(parents=True)
        (site / package / "__init__.py").write_text("ANSWER = 42\n")
    runtime = tmp_path / "runtime"
    subprocess.run([sys.executable, "-m", "venv", "--without-pip", str(runtime)], check=True)
    own_site = next((runtime / "lib").glob("python3*/site-packages"))
    (own_site / "shared.pth").write_text(f"{sysconfig.get_paths()['purelib']}\n{site}\n")
    notebook = write_notebook(
        tmp_path / "nb.ipynb",
        "import grader",
        "import reference_lstm",
        "import os, sys\n"
        "for folder in sys.path:\n"
        "    if os.path.isdir(os.path.join(folder, 'grader')):\n"
        "        print(folder, sorted(os.listdir(os.path.join(folder, 'grader'))))",
    )
    result = run_submission(notebook, [], FAST, runtime=runtime)
    assert [(e.index, e.ename) for e in result.cell_errors] == [
        (0, "ImportError"),
        (1, "ImportError"),
    ]
    assert "/opt/python/path1 ['__init__.py']" in result.output
    assert "ANSWER" not in result.output and str(tmp_path) not in result.output


# --- cgroups ----------------------------------------------------------------------------------

MOUNTS_V1 = """\
31 23 0:28 / /sys/fs/cgroup rw,relatime - tmpfs tmpfs rw,mode=755
35 31 0:32 / /sys/fs/cgroup/memory rw,relatime - cgroup cgroup rw,memory
39 31 0:36 / /sys/fs/cgroup/pids rw,relatime - cgroup cgroup rw,pids
40 31 0:37 /docker/abc /mnt/my\\040cgroups rw,relatime - cgroup cgroup rw,cpu,cpuacct
41 31 0:38 / /sys/fs/cgroup/unified rw,relatime - cgroup2 cgroup2 rw
"""


@slow
@pytest.mark.skipif(bwrap.cgroup_support() is not None, reason="no cgroups for runs here")
def test_cgroups_left_by_a_killed_grader_are_removed_by_the_next_run(tmp_path):
    # A run cgroup is its grader's while the grader holds its flock: one nobody holds was left
    # by a grader that was killed, however young; one another grader holds is its run's.
    v1, v2 = bwrap.own_cgroup_folders(
        Path("/proc/self/cgroup").read_text(), Path("/proc/self/mountinfo").read_text()
    )
    parent = v1.get("pids", v2)
    left, held = (parent / f"grader-run-test-{uuid.uuid4().hex[:8]}" for _ in range(2))
    left.mkdir()
    held.mkdir()
    holder = subprocess.Popen(
        ["flock", "--exclusive", str(held), "sh", "-c", "echo held; read line"],
        stdin=subprocess.PIPE,
        stdout=subprocess.PIPE,
        text=True,
    )
    try:
        assert holder.stdout.readline() == "held\n"
        result = run_submission(write_notebook(tmp_path / "nb.ipynb", "x = 1"), [], FAST)
        assert result.status == "completed"
        assert not left.exists()
        assert held.exists()  # another grader's run, going on
    finally:
        holder.communicate("\n")
        for folder in (left, held):
            if folder.exists():
                folder.rmdir()


def test_own_cgroup_folders_are_found_in_each_hierarchy():
    own = "9:pids:/\n4:memory:/process_api/bcc1\n2:cpu,cpuacct:/docker/abc/web\n0::/user.slice\n"
    v1, v2 = bwrap.own_cgroup_folders(own, MOUNTS_V1)
    assert v1 == {
        "pids": Path("/sys/fs/cgroup/pids"),
        "memory": Path("/sys/fs/cgroup/memory/process_api/bcc1"),
        "cpu": Path("/mnt/my cgroups/web"),  # the mount shows the hierarchy from /docker/abc
        "cpuacct": Path("/mnt/my cgroups/web"),
    }
    assert v2 == Path("/sys/fs/cgroup/unified/user.slice")


def test_a_cgroup_outside_what_its_mount_shows_is_left_out():
    own = "2:cpu,cpuacct:/elsewhere\n"
    assert bwrap.own_cgroup_folders(own, MOUNTS_V1) == ({}, None)


def test_on_a_machine_with_only_cgroup_v2_its_folder_is_found():
    v2_only = "0::/user.slice/session-1.scope\n"
    mounts = "30 23 0:26 / /sys/fs/cgroup rw,nosuid - cgroup2 cgroup2 rw,nsdelegate\n"
    assert bwrap.own_cgroup_folders(v2_only, mounts) == (
        {},
        Path("/sys/fs/cgroup/user.slice/session-1.scope"),
    )


@slow
def test_a_warm_process_that_died_is_started_again(tmp_path):
    from grader.engine.run import warm

    notebook = write_notebook(tmp_path / "nb.ipynb", "def double(x):\n    return x * 2")
    call = [ProbeCall("double", (np.ones(1),))]
    assert run_submission(notebook, call, FAST).probes[0].value.tolist() == [2.0]
    for zygote in list(warm._POOL.values()):
        zygote.process.kill()
        zygote.process.wait()
    assert run_submission(notebook, call, FAST).probes[0].value.tolist() == [2.0]


@slow
def test_explore_sessions_start_from_the_cells_state_and_report_mutation_and_aliasing(tmp_path):
    notebook = write_notebook(
        tmp_path / "nb.ipynb",
        "import numpy as np\ncalls = []",
        "def count(x):\n    calls.append(1)\n    return np.array([float(len(calls))])\n"
        "def scale_in_place(x):\n    x *= 2\n    return x\n"
        "def twice(x):\n    y = x + 1\n    return y, y",
    )

    class Explore(NoHooks):
        def on_probes_complete(self, probes, open_session):
            assert [p.value.tolist() for p in probes] == [[1.0], [2.0]]  # the graded calls'
            self.seen = []
            for _ in range(2):
                with open_session() as session:
                    self.seen.append(
                        [session.call("count", (np.ones(1),)).value[0] for _ in range(2)]
                    )
            with open_session() as session:
                self.mutated = session.call("scale_in_place", (np.ones(2),))
                self.aliased = session.call("twice", (np.ones(2),))

    calls = [ProbeCall("count", (np.ones(1),)), ProbeCall("count", (np.ones(1),))]
    explore = Explore()
    result = run_submission(notebook, calls, FAST, hooks=explore)
    assert [p.value.tolist() for p in result.probes] == [[1.0], [2.0]]
    seen, mutated, aliased = explore.seen, explore.mutated, explore.aliased
    assert seen == [[1.0, 2.0], [1.0, 2.0]]  # each session from the cells' state
    assert mutated.value.tolist() == [2.0, 2.0] and mutated.mutated_args == (0,)
    assert not mutated.aliased
    assert aliased.aliased and aliased.mutated_args == ()


@slow
def test_a_runtime_virtualenv_runs_the_notebook(tmp_path):
    notebook = write_notebook(
        tmp_path / "nb.ipynb", "import sys\ndef prefix_length(x):\n    return len(sys.prefix)"
    )
    call = [ProbeCall("prefix_length", (np.ones(1),))]
    result = run_submission(notebook, call, FAST, runtime=Path(sys.prefix))
    assert result.probes[0].value == float(len("/opt/python/venv")), result.output
    with pytest.raises(UserError, match="not a virtualenv folder"):
        run_submission(notebook, call, FAST, runtime=tmp_path)


@slow
def test_a_warm_process_that_maps_gigabytes_it_never_touches_still_grades(tmp_path):
    """CUDA torch maps about 3 GB of address space it never touches: the memory limit is the
    submission's allowance beyond what the warm process had mapped, so such a runtime grades
    under a smaller limit, and a submission that uses more than its allowance still cannot."""
    reserve = "import mmap\n_reserved = mmap.mmap(-1, 3 * 1024**3, flags=mmap.MAP_PRIVATE)"
    double = "def double(x):\n    return 2 * x"
    notebook = write_notebook(tmp_path / "nb.ipynb", reserve, double)
    limits = RunLimits(cell_timeout=60, notebook_timeout=120, memory_bytes=1024**3)
    call = ProbeCall("double", (np.array([1.5]),))

    result = run_submission(notebook, [call], limits, shared_cells=(reserve,))

    assert result.status == "completed", result.reason
    assert result.probes[0].value.tolist() == [3.0]

    greedy = write_notebook(
        tmp_path / "greedy.ipynb", reserve, "import numpy as np\nbig = np.ones(2 * 1024**3 // 8)"
    )
    result = run_submission(greedy, [call], limits, shared_cells=(reserve,))
    assert result.status == "memory", result.reason
