"""What diagnosis finds, as a value (:class:`Diagnosis`), and the sheet it works on
(:class:`HintSheet`).

Diagnosis reads the scored results and never changes them: its steps add and drop hints on a
sheet (a later step reads what an earlier one left: a composite's conclusion reads its parts'
hints), and the sheet's hints of the functions that lost points are the diagnosis. The grader
puts them on the results with :meth:`Diagnosis.given_to`.
"""

from __future__ import annotations

from collections.abc import Mapping
from dataclasses import dataclass, field

from grader.scoring.compare import FunctionResult

NO_PATTERN = "no-pattern"  # the hint where nothing over the cases names the cause


@dataclass(frozen=True)
class Diagnosis:
    """The hints of each function that lost points, ``code -> text`` in the order the student
    reads them. Empty: nothing lost points, or nothing was diagnosed."""

    hints: Mapping[str, Mapping[str, str]] = field(default_factory=dict)

    def given_to(self, results: Mapping[str, FunctionResult]) -> dict[str, FunctionResult]:
        """``results`` with these hints in place of their own, where this diagnosis has some."""
        return {
            name: result.with_hints(self.hints[name]) if name in self.hints else result
            for name, result in results.items()
        }


class HintSheet:
    """The hints of every graded function while diagnosis works, starting from the scored
    ones."""

    def __init__(self, results: Mapping[str, FunctionResult]):
        self._results = results
        self._hints = {
            name: {code: result.hint_messages[code] for code in result.hints}
            for name, result in results.items()
        }

    def codes(self, function: str) -> tuple[str, ...]:
        """``function``'s hint codes, in order."""
        return tuple(self._hints.get(function, {}))

    def text(self, function: str, code: str) -> str:
        return self._hints.get(function, {}).get(code, "")

    def add(self, function: str, code: str, text: str, first: bool = False) -> None:
        """Add a hint (first, or last), unless the function has it already. Any finding takes
        the place of "no pattern", which only says nothing was found."""
        hints = self._hints.setdefault(function, {})
        if code in hints:
            return
        hints.pop(NO_PATTERN, None)
        self._hints[function] = {code: text, **hints} if first else {**hints, code: text}

    def drop(self, function: str, code: str) -> None:
        del self._hints[function][code]

    def diagnosis(self) -> Diagnosis:
        """The hints of the functions that lost points, as they stand."""
        return Diagnosis(
            {
                name: dict(self._hints[name])
                for name, result in self._results.items()
                if not result.passed
            }
        )
