"""The authoring types an assignment's ``grading.py`` builds its cases and mistakes from."""

from __future__ import annotations

from collections.abc import Callable, Mapping
from dataclasses import dataclass, field

from grader.scoring.behaviour import fill


@dataclass(frozen=True)
class Case:
    """One call of a graded function: ``args`` as the function receives them (numpy arrays,
    dicts of str -> array, Python ints and floats), and a ``label`` that names only what this
    function takes ("N=4, D=5, H=3")."""

    label: str
    args: tuple


@dataclass(frozen=True)
class Mistake:
    """A known mistake: a stable kebab-case ``code`` (listed in the assignment's README), the
    ``message`` the student reads (``{function}`` is replaced by the function's name), and
    ``variants``: graded function -> an implementation with this mistake, same signature as the
    graded function. A mistake in a part lists the composites it shows through too."""

    code: str
    message: str
    variants: Mapping[str, Callable] = field(default_factory=dict)

    def text(self, function: str) -> str:
        """The message as the student reads it for ``function``: filled in by the code the
        self-check fills it with, so both say the same words."""
        return fill(self.message, function)
