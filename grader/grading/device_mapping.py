"""Project notebooks written for Colab's GPU, checked on a grader whose sandbox has none.

The notebook runs as the student wrote it: no line of it is edited. Its run maps the device
where the library is asked for it (:mod:`grader.engine.gradersandbox.device_map`: a CUDA
device given to PyTorch is the CPU's, TensorFlow places a ``/GPU:0`` scope on the CPU), and
records where the notebook asked for a GPU when it ran; that record, read as data, is what
reports the notebook as written for a GPU (:func:`gpu_lines`), with its cells and lines, and
the run gives the CPU's numbers. A notebook that only mentions a GPU (in a string, a comment,
a branch it does not take) is not one. What needs the GPU itself
(``torch.cuda.get_device_name()``, an assert that a GPU is present) stops the run with the
library's error: that is said as the notebook needing a GPU this grader lacks, with its cell,
never as the student's mistake.
"""

from __future__ import annotations

import dataclasses
import io
import json
import re
import tokenize
from collections.abc import Sequence
from pathlib import Path
from typing import Any

from grader.engine.walls import gpu
from grader.limits import COURSE, RunLimits

# What the libraries say when a notebook asks them for a GPU that is not there.
_NO_GPU_ERRORS = re.compile(
    r"Torch not compiled with CUDA enabled|Found no NVIDIA driver|No CUDA GPUs are available|"
    r"CUDA driver|CUDA error|no CUDA-capable device|cudaGetDeviceCount|"
    r"Cannot access accelerator device|NVIDIA-SMI has failed|nvidia-smi: not found|"
    r"Could not satisfy device specification|/device:GPU:\d+.*not (?:known|found)",
    re.IGNORECASE,
)
_MENTIONS_GPU = re.compile(r"\bcuda\b|\bgpu\b|list_physical_devices", re.IGNORECASE)


def gpu_lines(asked: Sequence[tuple[int, int]], notebook: Path) -> list[dict[str, Any]]:
    """Where the run of ``notebook`` asked for a GPU (``asked``: the run's record, cell index
    among all cells and line), each as the checks report it: ``cell`` counted as a person
    does, markdown included; ``line``; the student's ``code`` on that line."""
    sources: dict[int, list[str]] = {}
    found = []
    for index, line in asked:
        if index not in sources:
            sources[index] = _cell_source(notebook, index + 1).splitlines()
        lines = sources[index]
        code = lines[line - 1].strip()[:200] if 0 < line <= len(lines) else ""
        found.append({"cell": index + 1, "line": line, "code": code})
    return found


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


# What a summary row says of a notebook written for a GPU that ran on the CPU.
ON_THE_CPU = "written for a GPU, ran on the CPU"


def _lacking() -> str:
    """What this grader lacks for a notebook's GPU: the GPU, or a runtime built with CUDA."""
    if gpu.found().present:
        return "the projects' runtime here has no CUDA build (grader setup --projects --cuda)"
    return "this grader has none"


def needs_gpu(error: str, source: str) -> bool:
    """Whether a cell's ``error`` (``Name: message``) comes of asking for a GPU that is not
    there: a library's own words for it, or an empty AssertionError of a cell whose code (not
    its comments) is about the GPU. An assert with a message of its own is the student's."""
    if _NO_GPU_ERRORS.search(error):
        return True
    empty_assert = error.rstrip(": ") == "AssertionError"
    return empty_assert and bool(_MENTIONS_GPU.search(_without_comments(source)))


def _without_comments(source: str) -> str:
    """A cell's code with its comments left out ("# runs on the GPU if there is one" says
    nothing of what the cell asked for); cut at each ``#`` where the cell is not Python that
    tokenizes (an unclosed string, say)."""
    try:
        tokens = tokenize.generate_tokens(io.StringIO(source).readline)
        kept = [token.string for token in tokens if token.type != tokenize.COMMENT]
    except (tokenize.TokenError, SyntaxError):  # IndentationError is a SyntaxError
        return "\n".join(line.partition("#")[0] for line in source.splitlines())
    return " ".join(kept)


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
