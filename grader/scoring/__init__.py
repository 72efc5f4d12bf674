"""Scoring: each graded function's answers against the reference, partial credit, and the
diagnosis that names the mistake. Pure functions on arrays; nothing here runs student code."""

from grader.scoring.compare import (
    CaseResult,
    FunctionResult,
    Rules,
    close,
    score_case,
    score_function,
)
from grader.scoring.hint_sheet import Diagnosis

__all__ = [
    "CaseResult",
    "Diagnosis",
    "FunctionResult",
    "Rules",
    "close",
    "score_case",
    "score_function",
]
