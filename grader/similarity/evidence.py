"""What the similarity search found: evidence per pair (a score, why, and the passages or
figures that match), the findings of a run, and the groups of students its flagged pairs join."""

from __future__ import annotations

from collections import defaultdict
from dataclasses import dataclass, field

from grader.similarity.calibration import Calibration
from grader.similarity.sources import Figure, Part


@dataclass(frozen=True)
class Match:
    """One passage of each side, with the spans (lines of code, characters of text) shared."""

    left: Part
    right: Part
    left_spans: tuple[tuple[int, int], ...]
    right_spans: tuple[tuple[int, int], ...]


@dataclass
class Evidence:
    kind: str
    score: float
    detail: str
    flagged: bool
    z: float | None = None
    closeness: float = 1.0  # how near the flag: 1 or more is flagged
    matches: list[Match] = field(default_factory=list)
    figures: list[tuple[Figure, Figure, int]] = field(default_factory=list)


@dataclass
class Findings:
    pairs: dict[tuple[str, str], list[Evidence]]  # (a, b) -> evidence; b may be "public:..."
    calibrations: list[Calibration]
    near_misses: list[tuple[str, str, Evidence]]
    notes: list[str]
    # (student, verdict) of each hand-in not its student's own per-student notebook
    variants: list[tuple[str, str]] = field(default_factory=list)


def groups(pairs: dict[tuple[str, str], list[Evidence]]) -> list[list[str]]:
    """Connected components of the flagged student-student pairs, largest first."""
    parent: dict[str, str] = {}

    def root(x: str) -> str:
        while parent.setdefault(x, x) != x:
            parent[x] = parent[parent[x]]
            x = parent[x]
        return x

    for (a, b), evidence in pairs.items():
        if not b.startswith("public:") and any(e.flagged for e in evidence):
            parent[root(a)] = root(b)
    members: dict[str, list[str]] = defaultdict(list)
    for x in parent:
        members[root(x)].append(x)
    return sorted((sorted(m) for m in members.values() if len(m) > 1), key=lambda m: (-len(m), m))
