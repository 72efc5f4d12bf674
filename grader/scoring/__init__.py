"""Scoring: each graded function's answers against the reference, partial credit, and the
diagnosis that names the mistake. Pure functions on arrays; nothing here runs student code.

Modules: ``values`` (a case with its expected value), ``returned`` (returned values in the one
form they are compared in), ``shapes`` (what a shape mismatch says), ``compare`` (case by case,
partial credit, known mistakes), ``behaviour`` (mistakes told by what a function does),
``calls`` (what diagnosis knows and the extra calls it makes), ``blame`` (blame by
substitution), ``proof`` (wrong only because of a part), ``wiring`` (how a composite puts its
parts together, against the notes: shared with the self-check), ``wiring_words`` (its
difference from the notes in words, also the self-check's), ``traces`` (its traced
calls read back, the reference's, the sentence), ``inputs_used`` (inputs an answer ignores,
as the self-check finds them), ``hint_sheet`` (what diagnosis finds),
``diagnose`` (the diagnosis), ``selfcheck`` and ``written_check`` (the student's self-check,
written answers still empty), ``numeric_answer`` (a number the student computes, against the
solution's on their values)."""

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
