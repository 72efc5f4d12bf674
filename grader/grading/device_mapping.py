"""Project notebooks written for Colab's GPU, checked on a grader whose sandbox has none.

Before the run, the grader's own copy of the notebook (the one staged for the sandbox; the
handed-in file and its saved outputs are untouched) has the lines that ask for a GPU mapped to
the CPU: PyTorch's ``"cuda"``/``"cuda:0"`` device strings and ``.cuda()`` calls, TensorFlow's
``"/GPU:0"`` devices, and an ``assert`` that a GPU is present (kept as ``pass``, on its line).
A device string that is compared (``device == "cuda"``), or chosen on the line by asking
whether a GPU is there (``"cuda" if torch.cuda.is_available() else "cpu"``), is left as it is,
so the notebook still takes its own CPU branch. Every mapped line is reported (cell and
line), and the run gives the CPU's numbers. What the mapping cannot reach
(``torch.cuda.get_device_name()``, a GPU assert over several lines) stops the run with the
library's error: that is said as the notebook needing a GPU this grader lacks, with its cell,
never as the student's mistake.
"""

from __future__ import annotations

import dataclasses
import json
import re
from pathlib import Path
from typing import Any

from grader.engine.walls import gpu
from grader.limits import COURSE, RunLimits

_DEVICE = r"""(?P<q>['"])(?:cuda(?::\d+)?)(?P=q)"""
_COMPARED = re.compile(r"(?:==|!=|\bin|\bis)\s*$")
_COMPARING = re.compile(r"^\s*(?:==|!=)")
_TF_GPU = re.compile(r"""(?P<q>['"])/?(?:device:)?GPU:\d+(?P=q)""", re.IGNORECASE)
_CUDA_CALL = re.compile(r"\.cuda\(\s*[^()]*\)")
_GPU_ASSERT = re.compile(
    r"^(?P<indent>\s*)assert\b.*(?:list_physical_devices|is_gpu_available|gpu_device_name"
    r"|cuda\.is_available|cuda\.device_count|list_logical_devices)"
)
# What the libraries say when a notebook asks them for a GPU that is not there.
_NO_GPU_ERRORS = re.compile(
    r"Torch not compiled with CUDA enabled|Found no NVIDIA driver|No CUDA GPUs are available|"
    r"CUDA driver|CUDA error|no CUDA-capable device|cudaGetDeviceCount|"
    r"Cannot access accelerator device|NVIDIA-SMI has failed|nvidia-smi: not found|"
    r"Could not satisfy device specification|/device:GPU:\d+.*not (?:known|found)",
    re.IGNORECASE,
)
_ASKS = re.compile(r"cuda\.is_available\(\)|list_physical_devices\(|is_gpu_available\(")
_MENTIONS_GPU = re.compile(r"\bcuda\b|\bgpu\b|list_physical_devices", re.IGNORECASE)


def mapped_line(line: str) -> str:
    """``line`` with its requests for a GPU mapped to the CPU (itself where it has none)."""
    if line.lstrip().startswith("#"):
        return line
    gpu_assert = _GPU_ASSERT.match(line)
    if gpu_assert and _whole(line):  # one that goes on to the next line is left to the run
        return f"{gpu_assert.group('indent')}pass  # the assert that a GPU is present"
    if _ASKS.search(line):  # it chooses the device itself: the CPU where there is no GPU
        return line
    line = _CUDA_CALL.sub(".cpu()", line)
    line = _TF_GPU.sub(lambda m: f"{m.group('q')}/CPU:0{m.group('q')}", line)
    pieces, last = [], 0
    for found in re.finditer(_DEVICE, line):
        before, after = line[: found.start()], line[found.end() :]
        compared = _COMPARED.search(before) or _COMPARING.match(after)
        cpu = found.group("q") + "cpu" + found.group("q")
        pieces += [line[last : found.start()], found.group(0) if compared else cpu]
        last = found.end()
    return "".join([*pieces, line[last:]])


def _whole(line: str) -> bool:
    """Whether ``line`` is a statement of its own: its brackets closed, no ``\\`` at its end."""
    opened = sum(line.count(c) for c in "([{") - sum(line.count(c) for c in ")]}")
    return opened == 0 and not line.rstrip().endswith("\\")


def map_to_cpu(notebook: Path) -> list[dict[str, Any]]:
    """Rewrite the grader's copy ``notebook`` with its GPU lines mapped to the CPU; returns
    each mapped line (``cell`` counted as a person does, markdown included; ``line``; the
    student's ``code``). A notebook that cannot be read is left for the run to say so."""
    try:
        raw = json.loads(notebook.read_bytes().decode("utf-8-sig"))
        cells = raw["cells"]
    except (OSError, ValueError, KeyError, TypeError):
        return []
    mapped: list[dict[str, Any]] = []
    for number, cell in enumerate(cells, 1):
        if not isinstance(cell, dict) or cell.get("cell_type") != "code":
            continue
        source = cell.get("source", "")
        text = "".join(source) if isinstance(source, list) else source
        if not isinstance(text, str):
            continue
        lines = text.splitlines(keepends=True)
        for index, line in enumerate(lines):
            body = line.rstrip("\r\n")
            now = mapped_line(body)
            if now != body:
                lines[index] = now + line[len(body) :]
                mapped.append({"cell": number, "line": index + 1, "code": body.strip()[:200]})
        cell["source"] = lines
    if mapped:
        notebook.write_text(json.dumps(raw))
    return mapped


def for_cuda(limits: RunLimits) -> RunLimits:
    """The limits of a run whose sandbox shows a GPU: the address space CUDA reserves."""
    share = COURSE.project_gpu_address_space_bytes / limits.memory_bytes
    return dataclasses.replace(limits, address_space_share=max(share, limits.address_space_share))


def mapped_note(mapped: list[dict[str, Any]]) -> str:
    """The one line that says a notebook written for a GPU ran on the CPU."""
    first = mapped[0]
    more = f" and {len(mapped) - 1} more line{'s' if len(mapped) > 2 else ''}" * (len(mapped) > 1)
    return (
        f"written for a GPU (cell {first['cell']}, line {first['line']}: {first['code']}"
        f"{more}); {_lacking()}, so it ran on the CPU with the device mapped: its numbers "
        "are the CPU's"
    )


def _lacking() -> str:
    """What this grader lacks for a notebook's GPU: the GPU, or a runtime built with CUDA."""
    if gpu.found().present:
        return "the projects' runtime here has no CUDA build (grader setup --projects --cuda)"
    return "this grader has none"


def needs_gpu(error: str, source: str) -> bool:
    """Whether a cell's ``error`` (``Name: message``) comes of asking for a GPU that is not
    there: a library's own words for it, or an empty AssertionError of a cell about the GPU."""
    if _NO_GPU_ERRORS.search(error):
        return True
    return error.startswith("AssertionError") and bool(_MENTIONS_GPU.search(source))


def said_of_the_run(run: dict[str, Any], mapped: list[dict[str, Any]], notebook: Path) -> None:
    """Add to a run's facts (:func:`grader.grading.notebook_facts.run_facts`) what the GPU did:
    ``gpu``, the one line the page, the JSON and the summary show, where the notebook was
    written for a GPU; and where the run stopped for want of one, its status says so."""
    if mapped:
        run["gpu"] = mapped_note(mapped)
    cell = run.get("first_failing_cell")
    if cell is None:
        return
    if needs_gpu(run.get("error", ""), _cell_source(notebook, cell)):
        run["status"] = NEEDS_GPU
        run["gpu"] = f"{NEEDS_GPU} (cell {cell}: {run.get('error', '')})"


NEEDS_GPU = "needs a GPU this grader lacks"


def _cell_source(notebook: Path, number: int) -> str:
    """The source of cell ``number`` (counted as a person does) of ``notebook``; "" if none."""
    try:
        cell = json.loads(notebook.read_bytes().decode("utf-8-sig"))["cells"][number - 1]
        source = cell.get("source", "")
        return "".join(source) if isinstance(source, list) else str(source)
    except (OSError, ValueError, KeyError, TypeError, IndexError, AttributeError):
        return ""
