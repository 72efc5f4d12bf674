"""The projects' checks of substance summed over the class, for the dashboard's overview: how
many projects use an LSTM, compute a baseline, show each pitfall, state numbers that are in no
output. Plain data from the newest checks of each student."""

from __future__ import annotations

from typing import Any

from grader.projects.kinds import PITFALL_KINDS


def class_findings(checks: dict[str, dict[str, Any]]) -> tuple[int, list[tuple[str, list[str]]]]:
    """How many projects were analysed, and each finding with the students it is true of."""
    analysed = {s: c for s, c in checks.items() if c.get("model")}
    rows: list[tuple[str, list[str]]] = [
        ("use an LSTM", [s for s, c in analysed.items() if c["model"].get("uses_lstm")]),
        ("use no LSTM", [s for s, c in analysed.items() if not c["model"].get("uses_lstm")]),
        ("compute a baseline", [s for s, c in analysed.items() if not _has(c, "no-baseline")]),
    ]
    rows += [
        (f"pitfall: {kind}", [s for s, c in analysed.items() if _has(c, kind)])
        for kind in PITFALL_KINDS
        if kind != "no-baseline"
    ]
    rows.append(
        (
            "a number of the report in no output",
            [s for s, c in analysed.items() if any(not n["found"] for n in c.get("numbers", []))],
        )
    )
    rows.append(
        (
            "a number the rerun printed otherwise",
            [
                s
                for s, c in analysed.items()
                if any("rerun_differs" in n for n in c.get("numbers", []))
            ],
        )
    )
    rows.append(
        (
            "read a file other than the dataset handed in",
            [
                s
                for s, c in analysed.items()
                if (c.get("provenance") or {}).get("same_bytes") is False
            ],
        )
    )
    return len(analysed), rows


def _has(checks: dict[str, Any], kind: str) -> bool:
    return any(p.get("kind") == kind for p in checks.get("pitfalls") or [])
