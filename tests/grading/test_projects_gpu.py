"""Project notebooks written for Colab's GPU, checked on a grader without one (this machine,
CI's): the notebook runs as the student wrote it, the device mapped when PyTorch or TensorFlow
is asked for it (issue 95: never its code edited as text). ``torch.device("cuda")``,
``.cuda()``, ``.to(device)`` rerun on the CPU, giving the CPU's numbers (those of the same
notebook written for the CPU); strings, keys, comments and branches that name ``"cuda"`` stay
the student's; a notebook is said to be written for a GPU only where it asked for one when
run, with its cells and lines; what needs the GPU itself (its name) is said in one line, on
the page, in the JSON and in the summary, as the notebook needing a GPU this grader lacks,
never as the student's error. Where the machine has an NVIDIA GPU, the sandbox of a CUDA
runtime shows it (skipped elsewhere, the skip saying so)."""

from __future__ import annotations

import importlib.util
import json
import re
import sys
from pathlib import Path
from types import SimpleNamespace

import pytest
from gpu_notebooks import GPU_NAME, keras_gpu, pytorch_gpu, pytorch_on_cpu
from project_class import hand_in, light_runtime
from project_notebooks import Kit, code, md
from sandbox_fence import write_notebook

from grader import cli
from grader.course.rubric import load_projects
from grader.engine import RunLimits, run_submission
from grader.engine.walls import gpu
from grader.grading import device_mapping
from grader.grading.device_mapping import for_cuda, needs_gpu
from grader.grading.project_checks import summary_table
from grader.limits.units import GiB

ROOT = Path(__file__).resolve().parents[2]
PROJECTS = ROOT / "assignments" / "projects"


# The lines students write that only mention a GPU: a dict's key, a device type compared, a
# string printed, a comment, a device chosen by asking whether a GPU is there.
AS_WRITTEN = code(
    """
import time
import torch
t0 = time.perf_counter()
(torch.ones(64, 64) @ torch.ones(64, 64)).sum()
t_cpu = time.perf_counter() - t0
t_gpu = 0.5
timings = {"cpu": t_cpu, "cuda": t_gpu}
print("keys", sorted(timings), {"GPU:0": "first card"})
print("moving the model to 'cuda'")
x = 1  # later: model.cuda()
chosen = torch.device("cuda" if torch.cuda.is_available() else "cpu")
print("chosen", chosen)
"""
)
ASKING = code(
    """
device = torch.device("cuda")
use_amp = device.type.startswith("cuda")
print("branch", use_amp, device.type in ("cuda", "mps"))
torch.manual_seed(0)
w = torch.randn(3, 3, device=device)
v = torch.ones(3).cuda()
print("numbers", [round(float(n), 6) for n in w @ v])
"""
)
SAVED = code(
    """
import io
saved = io.BytesIO()
torch.save({"w": w, "on": device}, saved)
saved.seek(0)
loaded = torch.load(saved, map_location="cuda:0", weights_only=False)
torch.cuda.synchronize()
print("loaded", loaded["w"].device, loaded["on"], bool(torch.equal(loaded["w"], w)))
"""
)


@pytest.mark.slow
def test_a_gpu_notebook_reruns_on_the_cpu_with_the_student_s_code_as_written(tmp_path):
    """The issue's lines run as written: the dict keeps both keys, the print prints the
    student's words, a comment is a comment, ``device.type`` is the CPU's in each branch; the
    numbers are the CPU's; only the cells that asked for a GPU when run are reported."""
    limits = RunLimits(cell_timeout=120, notebook_timeout=300)
    runs = {}
    for name, cells in (("mentions", [AS_WRITTEN]), ("asks", [AS_WRITTEN, ASKING, SAVED])):
        notebook = Kit([md("# Timings on Colab's GPU"), *cells], {}).write(
            tmp_path / f"{name}.ipynb"
        )
        written = notebook.read_bytes()
        runs[name] = (notebook, run_submission(notebook, [], limits, gpu_to_cpu=True))
        assert runs[name][1].cell_errors == [], runs[name][1].output
        assert notebook.read_bytes() == written  # the student's file, as handed in
    mentions, asks = runs["mentions"][1], runs["asks"][1]
    for result in (mentions, asks):
        assert "keys ['cpu', 'cuda'] {'GPU:0': 'first card'}" in result.output
        assert "moving the model to 'cuda'" in result.output
        assert "chosen cpu" in result.output
    assert mentions.gpu == []  # strings, keys, a comment and a question ask for nothing
    assert "branch False False" in asks.output  # the branch the CPU gives
    torch = pytest.importorskip("torch")
    torch.manual_seed(0)
    w = torch.randn(3, 3)
    cpu = [round(float(n), 6) for n in w @ torch.ones(3)]
    assert f"numbers {cpu}" in asks.output
    assert device_mapping.gpu_lines(asks.gpu, runs["asks"][0]) == [
        {"cell": 3, "line": 1, "code": 'device = torch.device("cuda")'},
        {"cell": 3, "line": 6, "code": "v = torch.ones(3).cuda()"},
        {
            "cell": 4,
            "line": 5,
            "code": 'loaded = torch.load(saved, map_location="cuda:0", weights_only=False)',
        },
        {"cell": 4, "line": 6, "code": "torch.cuda.synchronize()"},
    ]
    assert "loaded cpu cpu True" in asks.output
    run = {"status": "ran to the end"}
    device_mapping.said_of_the_run(
        run, device_mapping.gpu_lines(asks.gpu, runs["asks"][0]), runs["asks"][0]
    )
    assert run["gpu"].startswith(
        'written for a GPU (cell 3, line 1: device = torch.device("cuda") and 3 more lines); '
    )


@pytest.mark.slow
def test_what_needs_the_gpu_itself_still_says_so_as_the_library_does(tmp_path):
    """``torch.cuda.is_available()`` answers as the sandbox is; asking the GPU its name fails
    with the library's words, which the checks say as needing a GPU this grader lacks."""
    notebook = Kit(
        [code("import torch\nprint('available', torch.cuda.is_available())"), GPU_NAME], {}
    ).write(tmp_path / "nb.ipynb")
    result = run_submission(notebook, [], RunLimits(cell_timeout=120), gpu_to_cpu=True)
    assert "available False" in result.output
    [error] = result.cell_errors
    assert error.index == 1 and needs_gpu(f"{error.ename}: {error.evalue}", GPU_NAME[1])


def test_the_libraries_words_for_a_missing_gpu_are_told_from_a_student_s_error():
    assert needs_gpu("AssertionError: Torch not compiled with CUDA enabled", "x.cuda()")
    assert needs_gpu("RuntimeError: Found no NVIDIA driver on your system.", "")
    assert needs_gpu(
        "AssertionError: ", "gpus = tf.config.list_physical_devices('GPU')\nassert gpus"
    )
    assert not needs_gpu("AssertionError: ", "assert len(X_train) == len(y_train)")
    # a comment about the GPU says nothing of what the cell asked for
    commented = "# trains on the GPU when Colab gives one (cuda)\nassert len(X) == len(y)"
    assert not needs_gpu("AssertionError: ", commented)
    assert not needs_gpu("AssertionError", "assert x.shape == (3,)  # same on cuda")
    # an assert with a message of its own is the student's, about the GPU or not
    assert not needs_gpu("AssertionError: loss is nan", "assert not torch.isnan(loss).any()  # gpu")
    assert needs_gpu("AssertionError", "assert torch.cuda.is_available()")
    assert needs_gpu("AssertionError: ", "s = 'unclosed\nassert torch.cuda.device_count()")
    assert not needs_gpu("ValueError: shapes (3,) and (4,) not aligned", "np.dot(a, b)")


def test_a_run_that_sees_a_gpu_may_map_the_address_space_cuda_reserves():
    limits = RunLimits.for_assignment(load_projects(PROJECTS))
    allowed = for_cuda(limits)
    assert int(allowed.memory_bytes * allowed.address_space_share) == 1024 * GiB
    assert allowed.memory_bytes == limits.memory_bytes  # what is used is counted as before


@pytest.mark.slow
def test_a_gpu_notebook_mapped_to_the_cpu_prints_the_cpu_s_numbers(tmp_path):
    """The notebook written for the GPU, run in the sandbox as the checks run it, prints what
    the notebook written for the CPU prints: its training's loss-driven choice and its accuracy."""
    limits = RunLimits(cell_timeout=120, notebook_timeout=300)
    printed = []
    for name, kit in (("cpu", pytorch_on_cpu()), ("device", pytorch_gpu("device"))):
        notebook = kit.write(tmp_path / f"{name}.ipynb")
        result = run_submission(notebook, [], limits, gpu_to_cpu=True)
        assert result.cell_errors == [], result.output
        assert bool(result.gpu) == (name == "device")
        printed.append(re.findall(r"test accuracy: [0-9.]+", result.output))
    assert printed[0] == printed[1] and len(printed[0]) == 1


def _place(kit, text: str) -> tuple[int, int]:
    for number, (_, source, _) in enumerate(kit.cells, 1):
        for line, written in enumerate(source.splitlines(), 1):
            if text in written:
                return number, line
    raise AssertionError(text)


@pytest.mark.slow
def test_gpu_notebooks_checked_on_a_grader_without_a_gpu(tmp_path, monkeypatch, capsys):
    if gpu.found().present:
        pytest.skip("this machine has a GPU: the mapping is for graders without one")
    class_folder = tmp_path / "submissions"
    folders = [
        hand_in(class_folder, "cpu", (pytorch_on_cpu(), keras_gpu())),
        hand_in(class_folder, "device", (pytorch_gpu("device"), pytorch_gpu("device-name"))),
        hand_in(class_folder, "calls", (pytorch_gpu("cuda"),)),
    ]
    monkeypatch.setenv("GRADER_PROJECTS_RUNTIME", str(light_runtime(tmp_path / "runtime")))
    out = tmp_path / "graded"
    command = ["grade", "--assignment", str(PROJECTS), "--out", str(out)]
    assert cli.main([*command, *map(str, folders)]) == 0
    printed = capsys.readouterr().out

    def checks(student: str, project: str) -> dict:
        return json.loads((out / student / f"{project}-checks.json").read_text())

    on_cpu = checks("cpu", "project1")["notebook"]["run"]
    assert on_cpu["status"] == "ran to the end" and "gpu" not in on_cpu
    for student, kit, first, more in (
        ("device", pytorch_gpu("device"), 'device = torch.device("cuda")', ""),
        (
            "calls",
            pytorch_gpu("cuda"),
            "model = ActivityLSTM(hidden=16).cuda()",
            " and 3 more lines",
        ),
    ):
        run = checks(student, "project1")["notebook"]["run"]
        assert run["status"] == "ran to the end", run
        cell, line = _place(kit, first)
        assert run["gpu"] == (
            f"written for a GPU (cell {cell}, line {line}: {first}{more}); this grader has "
            "none, so it ran on the CPU with the device mapped: its numbers are the CPU's"
        )
        assert f"{student} project1: {run['gpu']}" in printed
        page = (out / student / "project1-checks.html").read_text()
        assert "written for a GPU (cell" in page

    named = checks("device", "project2")
    run = named["notebook"]["run"]
    cell = _place(pytorch_gpu("device-name"), "get_device_name")[0]
    assert run["status"] == "needs a GPU this grader lacks"
    assert run["gpu"] == (
        f"needs a GPU this grader lacks (cell {cell}: AssertionError: Torch not compiled with "
        "CUDA enabled)"
    )
    assert f"device project2: {run['gpu']}" in printed
    assert (
        "needs a GPU this grader lacks (cell"
        in (out / "device" / "project2-checks.html").read_text()
    )
    [row] = [r for r in printed.splitlines() if r.split()[:2] == ["device", "project2"]]
    assert "needs a GPU this grader lacks (cell" in row and "stopped with an error" not in row
    assert named["notebook"]["saved_outputs"].startswith("from a run in Colab")  # it stands
    assert named["model"]["uses_lstm"] is True

    keras = checks("cpu", "project2")
    if importlib.util.find_spec("tensorflow") is None:
        # It stops at its import: it never asked for a GPU, so it is not said to be written
        # for one (issue 95: what it asked for when run, never what its text mentions).
        assert "gpu" not in keras["notebook"]["run"]
    else:  # its assert that a GPU is present is answered as this grader is
        assert keras["notebook"]["run"]["gpu"].startswith("needs a GPU this grader lacks (cell ")
    assert keras["notebook"]["saved_outputs"].startswith("from a run in Colab")
    assert keras["model"]["uses_lstm"] is True


@pytest.mark.slow
@pytest.mark.skipif(
    not gpu.found().present,
    reason="no NVIDIA GPU on this machine (no /dev/nvidia0 and /dev/nvidiactl): the sandbox's "
    "GPU is tested only where there is one",
)
def test_the_projects_sandbox_shows_the_machine_s_gpu(tmp_path):
    runtime = Path(sys.prefix)
    if not gpu.cuda_build(runtime):
        pytest.skip(
            "the grader's environment has no CUDA build of torch: the sandbox shows a GPU "
            "only to a runtime that can use it"
        )
    notebook = write_notebook(
        tmp_path / "nb.ipynb",
        "import os, torch\nprint(sorted(n for n in os.listdir('/dev') if n.startswith('nvidia')))",
        "print('cuda', torch.cuda.is_available(), torch.cuda.get_device_name(0))",
        "print(torch.ones(3, device='cuda').sum().item())",
        "print(sorted(os.listdir('/dev')))",
    )
    result = run_submission(
        notebook, [], RunLimits(cell_timeout=300, notebook_timeout=600), runtime=runtime
    )
    assert result.cell_errors == [], result.output
    assert "cuda True" in result.output and "3.0" in result.output
    shown = {Path(d).name for d in gpu.found().devices}
    assert all(name in result.output for name in shown)


# A stand-in for TensorFlow's two calls the mapping uses, in the notebook's folder: this
# machine's grader has no TensorFlow (what is tested is the run-time record, not TensorFlow).
TENSORFLOW = """
import contextlib
soft = []
class config:
    set_soft_device_placement = staticmethod(soft.append)
def device(name):
    return contextlib.nullcontext(name)
"""


@pytest.mark.slow
def test_a_tensorflow_notebook_on_the_cpu_says_so_in_its_summary_row(tmp_path):
    folder = tmp_path / "hand-in"
    (folder / "tensorflow").mkdir(parents=True)
    (folder / "tensorflow" / "__init__.py").write_text(TENSORFLOW)
    notebook = Kit(
        [
            code("import sys\nsys.path.insert(0, '.')\nimport tensorflow as tf\nprint(tf.soft)"),
            code('x = 2\nwith tf.device("/GPU:0"):\n    y = x * 3\nprint("GPU:0 is a name")'),
        ],
        {},
    ).write(folder / "forecast.ipynb")
    result = run_submission(notebook, [], RunLimits(cell_timeout=60), folder, gpu_to_cpu=True)
    assert result.cell_errors == [], result.output
    assert "[True]" in result.output and "GPU:0 is a name" in result.output
    mapped = device_mapping.gpu_lines(result.gpu, notebook)
    assert mapped == [{"cell": 2, "line": 2, "code": 'with tf.device("/GPU:0"):'}]
    run = {"status": "ran to the end"}
    device_mapping.said_of_the_run(run, mapped, notebook)
    hand_in = SimpleNamespace(student="ada", project=SimpleNamespace(id="project2"))
    table = summary_table([(hand_in, {"notebook": {"run": run}})])
    [row] = [line for line in table.splitlines() if line.startswith("ada ")]
    assert row.endswith("ran to the end (written for a GPU, ran on the CPU)")
