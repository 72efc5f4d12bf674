"""The findings of a project's checks in sentences: the student's view of them, before sending
(``grader bundle``) and in the watch's receipt (the marker's is the checks page,
:mod:`grader.marking.findings`). Each pitfall as the checks page gives it (``kind (cell C,
line L): why``), the report's numbers that no saved output shows, whether the file the notebook
reads is the dataset handed in, whether the References name the dataset's Kaggle or GitHub
source, whether the model uses an LSTM, and what could not be checked.

A course may keep some of these from its students: the kinds of
:data:`grader.projects.kinds.KEEPABLE`, named in the submission template it gives out."""

from __future__ import annotations

from typing import Any


def pitfall_sentence(pitfall: dict[str, Any]) -> str:
    """A pitfall as the checks page gives it."""
    return f"{pitfall['kind']} (cell {pitfall['cell']}, line {pitfall['line']}): {pitfall['why']}"


def unseen_numbers(checks: dict[str, Any]) -> list[str]:
    """The report's numbers that no output saved in the notebook shows."""
    return [
        n["text"]
        for n in checks.get("numbers") or []
        if not any(f["source"] == "saved" for f in n["found"])
    ]


def findings_in_words(checks: dict[str, Any], kept: frozenset[str] = frozenset()) -> list[str]:
    """What the course's checks find in one project, one sentence each; ``kept``: the kinds
    the course keeps from its students (left out)."""
    told: list[str] = []
    model = checks.get("model") or {}
    if "model" not in kept and model:
        if model.get("uses_lstm"):
            layers = "; ".join(
                f"{layer['kind']}" + (f", {layer['units']} units" if layer.get("units") else "")
                + f" (cell {layer['cell']}, line {layer['line']})"
                for layer in model.get("recurrent", []) if layer["kind"] == "LSTM"
            )  # fmt: skip
            told.append(f"model: uses an LSTM: {layers}" if layers else "model: uses an LSTM")
        else:
            told.append(f"model: no LSTM found: {model.get('note') or 'no recurrent layer'}")
    if "pitfalls" not in kept:
        told += [
            f"pitfall {pitfall_sentence(p)}"
            for p in checks.get("pitfalls") or []
            if p["kind"] not in kept
        ]
    unseen = unseen_numbers(checks)
    if "numbers" not in kept and unseen:
        told.append(
            "numbers: the report's Results state "
            + ", ".join(unseen)
            + ", which no output saved in the notebook shows (run the cells that print them "
            "and save the notebook with its outputs, or correct the report)"
        )
    origin = checks.get("provenance") or {}
    if "dataset" not in kept and origin.get("how"):
        verdict = {True: "yes", False: "no", None: "cannot tell"}[origin.get("same_bytes")]
        told.append(f"dataset: the file read is the one handed in: {verdict}: {origin['how']}")
    if "source" not in kept and origin:
        url = origin.get("source_url")
        told.append(
            f"source: the References name {url}"
            if url
            else "source: the References name no kaggle.com or github.com address of the "
            "dataset (a library's own repository is not its source)"
        )
    told += [f"not checked: {note}" for note in checks.get("substance_notes") or []]
    return told
