"""The files that carry every project's checks: ``<student>/<project>-checks.json`` (the dict
the gradebook records) and ``projects-checks.csv`` (one row per student and project)."""

from __future__ import annotations

import json
from pathlib import Path
from typing import Any

from grader.gradebook.course_book import CourseBook
from grader.outputs.csvfile import write_csv
from grader.projects.kinds import PITFALL_KINDS

CHECKS_CSV = "projects-checks.csv"


def write_checks_json(out: Path, student: str, project: str, checks: dict[str, Any]) -> Path:
    path = out / student / f"{project}-checks.json"
    path.parent.mkdir(parents=True, exist_ok=True)
    path.write_text(json.dumps(checks, indent=1, sort_keys=True) + "\n", encoding="utf-8")
    return path


HEADER = (
    "student", "project", "framework", "uses_lstm", "recurrent", "parameters", "epochs",
    "baseline", *PITFALL_KINDS, "numbers_stated", "numbers_not_found", "numbers_rerun_differs",
    "dataset_same_bytes", "dataset_source_url", "notes",
)  # fmt: skip


def write_checks_csv(out: Path, book: CourseBook) -> Path:
    """Every project's latest checks, one row each: the class-wide view of the checks."""
    rows = [_row(c.student, c.component, c.checks) for c in book.latest_checks()]
    return write_csv(out / CHECKS_CSV, HEADER, rows)


def _row(student: str, project: str, checks: dict[str, Any]) -> list[Any]:
    model = checks.get("model") or {}
    pitfalls = checks.get("pitfalls") or []
    numbers = checks.get("numbers") or []
    origin = checks.get("provenance") or {}
    analysed = "model" in checks and model != {}
    places = {
        kind: "; ".join(f"cell {p['cell']} line {p['line']}" for p in pitfalls if p["kind"] == kind)
        for kind in PITFALL_KINDS
    }
    baseline = "" if not analysed else ("no" if places["no-baseline"] else "yes")
    return [
        student,
        project,
        model.get("framework") or "",
        _yes_no(model.get("uses_lstm")) if analysed else "",
        "; ".join(_layer(layer) for layer in model.get("recurrent", [])),
        model.get("parameters") or "",
        model.get("epochs") or "",
        baseline,
        *(places[kind] for kind in PITFALL_KINDS),
        len(numbers),
        " ".join(n["text"] for n in numbers if not n["found"]),
        sum(1 for n in numbers if "rerun_differs" in n),
        _yes_no(origin.get("same_bytes")),
        origin.get("source_url") or "",
        " | ".join(checks.get("substance_notes") or []),
    ]


def _layer(layer: dict[str, Any]) -> str:
    text = layer["kind"] + (f" {layer['units']}" if layer.get("units") else "")
    if layer.get("bidirectional"):
        text += " bidirectional"
    if layer.get("own"):
        text += " (own code)"
    return text


def _yes_no(value: Any) -> str:
    return "" if value is None else ("yes" if value else "no")
