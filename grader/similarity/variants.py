"""A per-student release's word in the similarity search: a hand-in whose notebook was released
to another student is a flagged pair of its own (both students named), whatever its code shares;
so is one holding another student's numbers; the class-wide notebook, a notebook without a
variant or with a fingerprint the course never released is listed as such."""

from __future__ import annotations

from collections.abc import Sequence
from pathlib import Path

import nbformat

from grader.assignment.config import load_config
from grader.similarity.evidence import Evidence, Findings
from grader.similarity.sources import Document
from grader.variants import attribution, handed

KIND = "variant"


def add_variants(findings: Findings, docs: Sequence[Document], assignment: Path) -> None:
    """Each hand-in's variant against its student's own, into ``findings``: another student's
    as a flagged pair, every hand-in not the student's own in ``findings.variants``."""
    config = load_config(assignment)
    record = attribution.record_of(config.directory, config.name)
    if record is None:
        findings.notes.append(
            f"--assignment {assignment}: its course records no per-student release of"
            f" {config.name}, so no hand-in's variant is checked"
        )
        return
    for doc in docs:
        code = [{"cell_type": "code", "source": part.text} for part in doc.code]
        for metadata in doc.metadata:
            notebook = nbformat.from_dict({"metadata": metadata, "cells": code})
            found = handed.handed_variant(config, record, doc.owner, notebook).verdict
            if found.flag == attribution.OWN:
                continue
            findings.variants.append((doc.owner, found.flag))
            if found.owner is None:
                continue
            what = "the numbers" if "numbers" in found.flag else "the notebook"
            detail = f"{doc.owner} handed in {what} released to {found.owner}"
            pair = (min(doc.owner, found.owner), max(doc.owner, found.owner))
            findings.pairs.setdefault(pair, []).append(Evidence(KIND, 1.0, detail, True))
