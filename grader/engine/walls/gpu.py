"""An NVIDIA GPU of the grader's machine, as the projects' sandbox shows it.

Where the machine has one (its driver's device files ``/dev/nvidia*``), the sandbox of the
projects' notebooks binds those device files, and nothing more of ``/dev``; the driver's
libraries (``libcuda``, ``libnvidia-*``) are where the driver installed them, under ``/usr`` or
``/lib``, which the sandbox shows read-only already. ``/proc/driver/nvidia`` comes with the
sandbox's own ``/proc``. Nothing else of the host is shown. A GPU is used only where the
runtime was built with CUDA (``grader setup --projects --requirements`` a CUDA list, see
``runtimes/``); elsewhere a notebook written for Colab's GPU runs on the CPU
(:mod:`grader.grading.device_mapping`).
"""

from __future__ import annotations

import stat
from dataclasses import dataclass
from pathlib import Path

DEVICES = Path("/dev")
# What a CUDA build of a library carries, by runtime-relative glob: torch's CUDA kernels, the
# CUDA runtime of NVIDIA's wheels (TensorFlow's and torch's), TensorFlow's own CUDA plugin.
_CUDA_BUILDS = (
    "lib/python3*/site-packages/torch/lib/libtorch_cuda.so",
    "lib/python3*/site-packages/nvidia/cuda_runtime/lib/libcudart.so*",
)


@dataclass(frozen=True)
class Gpu:
    """The NVIDIA device files of this machine (none where it has no GPU)."""

    devices: tuple[str, ...]

    @property
    def present(self) -> bool:
        """Whether the machine has a GPU the sandbox can show (a GPU and the control file)."""
        names = {Path(d).name for d in self.devices}
        return "nvidiactl" in names and any(n[len("nvidia") :].isdigit() for n in names)

    def binds(self) -> list[str]:
        """bubblewrap's arguments that show the device files in the sandbox's ``/dev``."""
        return [arg for device in self.devices for arg in ("--dev-bind-try", device, device)]

    def line(self) -> str:
        """What ``grader setup`` says of it."""
        if not self.present:
            return (
                "GPU: none found (no /dev/nvidia0 and /dev/nvidiactl): project notebooks "
                "written for Colab's GPU run on the CPU, their device mapped"
            )
        cards = sum(1 for d in self.devices if Path(d).name[len("nvidia") :].isdigit())
        return (
            f"GPU: {cards} NVIDIA device{'s' if cards != 1 else ''} found; the projects' "
            "sandbox shows them (and the driver's libraries) to a runtime built with CUDA"
        )


def found(devices: Path = DEVICES) -> Gpu:
    """This machine's NVIDIA device files: character devices ``nvidia*`` (``nvidia0``,
    ``nvidiactl``, ``nvidia-uvm``...) and those under ``nvidia-caps``."""
    candidates = [*devices.glob("nvidia*"), *devices.glob("nvidia-caps/*")]
    kept = []
    for path in sorted(candidates):
        try:
            if stat.S_ISCHR(path.stat().st_mode):
                kept.append(str(path))
        except OSError:
            continue
    return Gpu(tuple(kept))


def cuda_build(runtime: Path) -> bool:
    """Whether the virtualenv ``runtime`` holds a CUDA build of torch or of CUDA's runtime."""
    return any(next(Path(runtime).glob(pattern), None) is not None for pattern in _CUDA_BUILDS)


def runs_on_gpu(runtime: Path) -> bool:
    """Whether notebooks in ``runtime`` can use a GPU here: a GPU, and a CUDA build."""
    return found().present and cuda_build(runtime)
