"""A flag that ``grader grade`` cannot honour for a projects folder is refused in one line,
before anything runs, never ignored (``--seed``, ``--roster``); ``--dask`` is honoured (a
scheduler that does not answer is said as for assignments); ``grader setup``'s flags of
``--projects`` alone are refused without it; and ``grader setup`` says whether it found a GPU,
read from the machine's NVIDIA device files (made here as a driver makes them)."""

from __future__ import annotations

import os
import stat
import subprocess
import sys
from pathlib import Path

import pytest
from project_class import hand_in
from project_notebooks import numpy_lstm

from grader import cli
from grader.course.projects_runtime import COLAB_REQUIREMENTS, CUDA_REQUIREMENTS
from grader.engine.walls import gpu
from grader.gradebook.course_book import BOOK_NAME, CourseBook
from grader.inputs.resources import runtime_requirements

ROOT = Path(__file__).resolve().parents[2]
PROJECTS = ROOT / "assignments" / "projects"


@pytest.fixture
def folder(tmp_path) -> Path:
    return hand_in(tmp_path / "submissions", "s01", (numpy_lstm(), numpy_lstm()))


@pytest.mark.parametrize(
    ("flags", "said"),
    [
        (["--seed", "3"], "--seed is not for a projects folder"),
        (["--roster", "roster.csv"], "--roster is not for a projects folder"),
        (["--workers", "0"], "--workers 0: give 1 or more"),
        (["--dask", "tcp://127.0.0.1:1"], "--dask tcp://127.0.0.1:1: no Dask scheduler answers"),
        (
            ["--dask", "tcp://127.0.0.1:1", "--workers", "4"],
            "--workers is not for --dask tcp://127.0.0.1:1",
        ),
    ],
)
def test_a_flag_grade_cannot_honour_for_projects_is_refused_in_one_line(
    tmp_path, folder, capsys, flags, said
):
    out = tmp_path / "graded"
    command = ["grade", "--assignment", str(PROJECTS), "--out", str(out), *flags, str(folder)]
    assert cli.main(command) == 2
    error = capsys.readouterr().err.strip()
    assert said in error and len(error.splitlines()) == 1, error
    assert not (out / "s01").exists()  # nothing checked, nothing recorded
    if (out / BOOK_NAME).exists():
        with CourseBook(out / BOOK_NAME) as book:
            assert book.latest_checks() == []


@pytest.mark.parametrize(
    ("flags", "said"),
    [
        (["--cuda"], "--cuda is for --projects"),
        (["--requirements", "x.txt"], "--requirements is for --projects"),
        (["--projects", "--cuda", "--requirements", "x.txt"], "give --cuda or --requirements"),
    ],
)
def test_setup_refuses_what_is_only_for_projects(capsys, flags, said):
    assert cli.main(["setup", *flags]) == 2
    assert said in capsys.readouterr().err


def _device(folder: Path, name: str, minor: int) -> None:
    path = folder / name
    path.parent.mkdir(parents=True, exist_ok=True)
    os.mknod(path, stat.S_IFCHR | 0o666, os.makedev(195, minor))


@pytest.mark.skipif(os.geteuid() != 0, reason="making device files needs root")
def test_the_gpu_is_found_from_the_driver_s_device_files(tmp_path):
    devices = tmp_path / "dev"
    devices.mkdir()
    (devices / "nvidia-not-a-device").write_text("")
    assert not gpu.found(devices).present
    assert gpu.found(devices).line().startswith("GPU: none found")
    _device(devices, "nvidiactl", 255)
    assert not gpu.found(devices).present  # the control file alone is no GPU
    for minor, name in enumerate(("nvidia0", "nvidia1", "nvidia-uvm")):
        _device(devices, name, minor)
    _device(devices, "nvidia-caps/nvidia-cap1", 1)
    found = gpu.found(devices)
    assert found.present and found.line().startswith("GPU: 2 NVIDIA devices found")
    binds = found.binds()
    shown = [binds[i + 1] for i in range(0, len(binds), 3)]
    assert sorted(Path(p).name for p in shown) == [
        "nvidia-cap1", "nvidia-uvm", "nvidia0", "nvidia1", "nvidiactl",
    ]  # fmt: skip
    assert set(binds[::3]) == {"--dev-bind-try"}


def test_a_runtime_is_a_cuda_build_where_torch_carries_its_cuda_library(tmp_path):
    runtime = tmp_path / "venv"
    library = runtime / "lib" / "python3.11" / "site-packages" / "torch" / "lib"
    library.mkdir(parents=True)
    (library / "libtorch_cpu.so").write_bytes(b"")
    assert not gpu.cuda_build(runtime)
    (library / "libtorch_cuda.so").write_bytes(b"")
    assert gpu.cuda_build(runtime)
    assert not gpu.cuda_build(Path(sys.prefix))  # the grader's own torch is the CPU wheel


def test_setup_says_whether_it_found_a_gpu():
    done = subprocess.run(
        [sys.executable, "-m", "grader.cli", "setup"], capture_output=True, text=True, timeout=600
    )
    [line] = [line for line in done.stdout.splitlines() if line.startswith("GPU: ")]
    assert line == gpu.found().line()
    if not gpu.found().present:
        assert "written for Colab's GPU run on the CPU" in line


def test_the_cuda_list_is_the_colab_like_list_with_cuda_builds():
    """``grader setup --projects --cuda`` installs the Colab-like pins, the same versions,
    TensorFlow's CUDA build in place of its CPU one (torch as PyPI serves it for Linux)."""

    def pins(name: str) -> dict[str, str]:
        lines = runtime_requirements(name).read_text().splitlines()
        return dict(line.split("==") for line in lines if line and not line.startswith("#"))

    colab, cuda = pins(COLAB_REQUIREMENTS), pins(CUDA_REQUIREMENTS)
    assert cuda.pop("tensorflow[and-cuda]") == colab.pop("tensorflow_cpu")
    assert cuda == colab
