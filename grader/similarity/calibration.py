"""How much independently written work shares, measured on the class itself.

Short constrained code (a few graded equations) is written alike by students who never met, so
no fixed cut-off fits every assignment. Each measure of a pair is compared with its values on work
that is almost all independent, and flagged when it is a robust z-score of more than ``Z_FLAG``
above their median *and* above the measure's absolute floor:

    z = (value - median) / max(1.4826 * MAD, least spread)

(1.4826 * MAD is the standard deviation of a normal distribution with that median absolute
deviation; the few copies among the values hardly move a median.) Two bases are used
(compare.py): the *share* of a pair on random pairs of students (every pair in a small class,
``NULL_SAMPLE`` random ones in a large one), and the *amount* shared on each student's closest
classmate, which says how much students who write alike share without copying. The floor
keeps a quiet class from flagging small overlaps; the z-score keeps a class where everyone
writes alike from flagging everyone. In a class of fewer than ``MIN_VALUES`` students (or with
fewer values than that) the floor alone decides: 36 pairs of 9 students are no sample of
independent work. A threshold never passes the measure's ceiling (a share is at most 1), so
a whole copy is always flagged.
"""

from __future__ import annotations

import random
from collections.abc import Sequence
from dataclasses import dataclass
from statistics import median

Z_FLAG = 5.0
NULL_SAMPLE = 20_000
MAD_TO_SIGMA = 1.4826
MIN_VALUES = 10  # fewer students (or values) than this are too few to calibrate on


@dataclass(frozen=True)
class Calibration:
    kind: str
    basis: str  # what was measured: "random pairs" or "closest classmates"
    pairs: int  # how many values
    median: float
    spread: float  # 1.4826 * MAD, at least the least spread given
    p99: float  # 99th percentile of the random pairs' scores
    floor: float
    threshold: float  # the score a pair needs to be flagged
    calibrated: bool = True  # False: too small a class, the floor alone decides

    def z(self, score: float) -> float:
        return (score - self.median) / self.spread

    def explain(self) -> str:
        if not self.calibrated:
            return (
                f"{self.kind}: {self.pairs} {self.basis}, too few to calibrate on; "
                f"flagged from the fixed floor {self.floor:g}"
            )
        return (
            f"{self.kind}: {self.pairs} {self.basis}: median {self.median:.3f}, robust spread "
            f"{self.spread:.3f}, 99th percentile {self.p99:.3f}; flagged from "
            f"max({self.floor:g}, median + {Z_FLAG:g} x spread) = {self.threshold:.3f}"
        )


def sample_pairs(owners: Sequence[str], seed: int = 0) -> list[tuple[str, str]]:
    """Every pair of a small class; NULL_SAMPLE distinct random pairs of a large one."""
    n = len(owners)
    if n * (n - 1) // 2 <= NULL_SAMPLE:
        return [(owners[i], owners[j]) for i in range(n) for j in range(i + 1, n)]
    rng = random.Random(seed)  # fixed: the same class gives the same thresholds
    chosen: set[tuple[int, int]] = set()
    while len(chosen) < NULL_SAMPLE:
        i, j = rng.sample(range(n), 2)
        chosen.add((min(i, j), max(i, j)))
    return [(owners[i], owners[j]) for i, j in sorted(chosen)]


def from_values(
    kind: str,
    basis: str,
    values: Sequence[float],
    floor: float,
    min_spread: float,
    *,
    students: int,
    ceiling: float | None = None,
) -> Calibration:
    """The threshold of one measure from its values on independent-looking work, in a class
    of ``students``; never above ``ceiling`` (the most the measure can be), nor below the
    floor."""
    values = sorted(values)
    if min(students, len(values)) < MIN_VALUES:  # too few to tell what is usual: the floor
        return Calibration(kind, basis, len(values), 0.0, min_spread, 0.0, floor, floor, False)
    middle = median(values)
    mad = median(abs(v - middle) for v in values)
    spread = max(MAD_TO_SIGMA * mad, min_spread)
    p99 = values[min(len(values) - 1, int(0.99 * len(values)))]
    threshold = max(floor, middle + Z_FLAG * spread)
    if ceiling is not None:
        threshold = max(floor, min(threshold, ceiling))
    return Calibration(kind, basis, len(values), middle, spread, p99, floor, threshold)
