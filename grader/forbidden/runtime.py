"""What the run-time record adds to the static scan's findings.

During each graded call the probe process watches the assignment's forbidden objects
(:mod:`grader.engine.gradersandbox.watch`); each :class:`~grader.engine.ProbeOutcome` says
which of them the call constructed or called, and whether the call switched the watch off.
This module turns that into findings in the scan's own form: a use costs the function its
points, like a static one, unless the scan already named the same object for the function
(its message names the line, so it is the one kept); a lost watch is a note for the
instructor to review.
"""

from __future__ import annotations

import re
from collections.abc import Mapping, Sequence
from typing import TYPE_CHECKING

from grader.forbidden import REVIEW

if TYPE_CHECKING:
    from grader.engine.run.results import ProbeOutcome

__all__ = ["with_runtime"]

_LOST = {
    "removed": "removed the grader's run-time watch for forbidden shortcuts (sys.setprofile)",
    "replaced": "replaced the grader's run-time watch for forbidden shortcuts with a profiler "
    "of its own (sys.setprofile)",
    "changed": "called sys.setprofile, which can switch off the grader's run-time watch for "
    "forbidden shortcuts",
}


def with_runtime(
    static: Mapping[str, list[str]], outcomes: Mapping[str, Sequence[ProbeOutcome]]
) -> dict[str, list[str]]:
    """The scan's findings ``static`` (by function, ``"*"``, ``"?"``) with what the graded
    calls ``outcomes`` (by function) were seen to use at run time; ``static`` is not changed."""
    found = {key: list(items) for key, items in static.items()}
    review: list[str] = []
    for function, probes in outcomes.items():
        already = found.get(function, [])
        for name, verbs in _seen(probes).items():
            if not any(_names(message, name) for message in already):
                found.setdefault(function, []).append(
                    f"{' and '.join(verbs)} {name}: seen at run time during the call of {function}"
                )
        for lost in dict.fromkeys(p.watch_lost for p in probes if p.watch_lost in _LOST):
            review.append(
                f"the call of {function} {_LOST[lost]}, so what it used while it ran may not "
                "be recorded; review it by hand"
            )
    if review:
        found[REVIEW] = list(dict.fromkeys(found.get(REVIEW, []) + review))
    return found


def _seen(probes: Sequence[ProbeOutcome]) -> dict[str, list[str]]:
    """Forbidden name -> the verbs seen ("constructs", "calls"), over all of a function's
    calls, in the order first seen."""
    seen: dict[str, list[str]] = {}
    for probe in probes:
        for verb, name in probe.forbidden_seen:
            verbs = seen.setdefault(name, [])
            if verb not in verbs:
                verbs.append(verb)
    return {name: sorted(verbs, key=("constructs", "calls").index) for name, verbs in seen.items()}


def _names(message: str, name: str) -> bool:
    """Whether a static finding names ``name`` itself (not a longer name that starts with it)."""
    return re.search(rf"(?<![\w.]){re.escape(name)}(?!\.?\w)", message) is not None
