"""Issue 67: the amount a pair must share to be flagged follows the size of the class.

In a class of 800 every shared passage is held by more students than in a class of 50, so its
fingerprints weigh less (2/(df-1)); with a fixed floor of 12 and a fixed least spread of 2, a
whole copy (100% shared, 89 rare fingerprints, weight 12.4) was missed. Both are now measured
in the weight of the class's usual rare fingerprint. Each hand-in here is ten passages of a pool
of 600 (each passage held by about 13 students), one student hands in another's whole.

The amount threshold itself is set on each student's closest classmate, and the closest of 999
classmates shares more than the closest of 49 while each shared piece weighs less: in the term
benchmark's class of 1,000, 14 of 30 whole copies fell under it. A pair whose own work is nine
tenths the same *both ways* (the share of the larger hand-in, calibrated on closest classmates
too) is flagged with a dozen rare fingerprints beyond the filled-in stubs, whatever their weight,
in place of the amount's threshold; in a class whose hand-ins are five passages of a
pool of 200, hundreds of pairs share three of their five by chance, which stays unflagged."""

from __future__ import annotations

import random
import re
from pathlib import Path

from grader.similarity.candidates import usual_weight
from grader.similarity.compare import CODE, WHOLE_SHARE, compare_kind
from grader.similarity.evidence import Findings
from grader.similarity.sources import Document, Part


def passage(number: int) -> str:
    # names after a dot are kept by the normalisation: each passage is its own
    return f"v = np.op{number}a(w)\nu = np.op{number}b(v, 2)\nprint(np.op{number}c(u), v.shape)\n"


def hand_in(owner: str, cells: list[str]) -> Document:
    return Document(owner, Path(owner), code=[Part(f"cell {i}", t) for i, t in enumerate(cells)])


def test_a_whole_copy_in_a_class_of_800_is_flagged_and_nothing_else():
    rng = random.Random(0)
    docs = [
        hand_in(f"s{n:04d}", [passage(p) for p in rng.sample(range(600), 10)]) for n in range(800)
    ]
    docs.append(hand_in("copier", [part.text for part in docs[5].code]))
    findings = Findings({}, [], [], [])
    compare_kind(CODE, docs, [Document("release", Path("release"))], findings)
    assert sorted(findings.pairs) == [("copier", "s0005")]
    amount = next(c for c in findings.calibrations if c.kind == "code amount")
    assert amount.floor < CODE.min_shared  # 12 fingerprints of this class's usual weight


def test_a_small_class_keeps_the_floor_it_had():
    # every rare fingerprint held by two or three: the usual weight is 1, the floor 12
    rare = {"a": {1, 2}, "b": {1, 3}, "c": {2, 3}}
    assert usual_weight(rare, {1: 2, 2: 2, 3: 3}) == 1.0
    assert usual_weight({}, {}) == 1.0


def class_of(students: int, pool: int, per_student: int, copies: int) -> list[Document]:
    rng = random.Random(0)
    docs = [
        hand_in(f"s{n:04d}", [passage(p) for p in rng.sample(range(pool), per_student)])
        for n in range(students)
    ]
    for c in range(copies):
        docs.append(hand_in(f"copier{c}", [part.text for part in docs[7 * c].code]))
    return docs


def _figure(detail: str, pattern: str) -> float:
    return float(re.search(pattern, detail).group(1))


def test_whole_copies_of_common_pieces_are_flagged_and_chance_overlaps_are_not():
    findings = Findings({}, [], [], [])
    compare_kind(CODE, class_of(1000, 200, 5, 5), [Document("release", Path("release"))], findings)
    copies = [(f"copier{c}", f"s{7 * c:04d}") for c in range(5)]
    assert sorted(findings.pairs) == copies
    amount = next(c for c in findings.calibrations if c.kind == "code amount")
    both = next(c for c in findings.calibrations if c.kind == "code share of the larger")
    assert both.threshold >= WHOLE_SHARE and "closest classmates" in both.explain()
    weights = [_figure(findings.pairs[pair][0].detail, r"weight ([\d.]+)") for pair in copies]
    assert min(weights) < amount.threshold  # a copy the amount threshold alone would miss
    larger = [_figure(e.detail, r"(\d+)% of the larger's") for _, _, e in findings.near_misses]
    assert max(larger) >= 60  # three of five passages shared by chance: near, not flagged
