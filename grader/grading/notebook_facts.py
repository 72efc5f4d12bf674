"""What a project notebook shows before and after it runs: saved outputs from a Colab run, the
data files it reads, and the outcome of running it end to end in the projects' runtime."""

from __future__ import annotations

import json
from pathlib import Path
from typing import Any

from grader import engine
from grader.limits import COURSE
from grader.projects.cells import files_opened


def saved_outputs(path: Path) -> dict[str, Any]:
    """Whether the notebook carries outputs, and whether they come from Colab.

    Colab marks what it saves: notebook metadata ``colab``, cell metadata ``executionInfo`` or
    ``outputId``, output metadata ``outputId``; Jupyter leaves none of these."""
    try:
        raw = json.loads(path.read_bytes().decode("utf-8-sig"))
        cells = [c for c in raw.get("cells", []) if isinstance(c, dict)]
    except (OSError, ValueError, AttributeError):
        return {"readable": False}
    code = [c for c in cells if c.get("cell_type") == "code"]
    with_outputs = [c for c in code if c.get("outputs")]
    colab_cells = sum(1 for c in code if _colab_marked(c))
    sources = "\n".join(_source(c) for c in code)
    return {
        "readable": True,
        "code_cells": len(code),
        "cells_with_outputs": len(with_outputs),
        "executed_cells": sum(1 for c in code if c.get("execution_count")),
        "colab_notebook": isinstance(raw.get("metadata"), dict) and "colab" in raw["metadata"],
        "colab_marked_cells": colab_cells,
        "saved_outputs": _outputs_verdict(len(with_outputs), len(code), colab_cells, raw),
        "reads_files": files_opened(sources),
    }


def _outputs_verdict(with_outputs: int, code: int, colab_cells: int, raw: dict[str, Any]) -> str:
    if not with_outputs:
        return "none: the notebook was saved without running it (or with outputs cleared)"
    share = f"outputs in {with_outputs} of {code} code cells"
    if colab_cells:
        return f"from a run in Colab ({share}; {colab_cells} cells carry Colab's run records)"
    if isinstance(raw.get("metadata"), dict) and "colab" in raw["metadata"]:
        return f"probably from Colab ({share}; saved by Colab, no per-cell run records)"
    return f"not from Colab ({share}; no Colab metadata: run in Jupyter or elsewhere)"


def _colab_marked(cell: dict[str, Any]) -> bool:
    metadata = cell.get("metadata")
    if not isinstance(metadata, dict):
        metadata = {}
    if "executionInfo" in metadata or "outputId" in metadata:
        return True
    for output in cell.get("outputs") or []:
        meta = output.get("metadata") if isinstance(output, dict) else None
        if isinstance(meta, dict) and "outputId" in meta:
            return True
    return False


def _source(cell: dict[str, Any]) -> str:
    source = cell.get("source", "")
    return "".join(source) if isinstance(source, list) else str(source)


def run_facts(result: engine.RunResult) -> dict[str, Any]:
    """A run's outcome as the marker reads it: status, first failing cell, its error, time."""
    first = result.cell_errors[0] if result.cell_errors else None
    facts: dict[str, Any] = {
        "status": "ran to the end"
        if result.status == "completed" and first is None
        else result.status,
        "reason": result.reason,
        "duration_s": round(result.duration_s, 1),
        "failing_cells": len(result.cell_errors),
    }
    if first is not None:
        facts["first_failing_cell"] = first.index + 1  # as a person counts, markdown included
        facts["error"] = f"{first.ename}: {first.evalue}"[: COURSE.error_chars]
        facts["timed_out"] = first.timed_out
        if result.status == "completed":
            facts["status"] = "stopped with an error"
    return facts
