"""Issue 67: the amount a pair must share to be flagged follows the size of the class.

In a class of 800 every shared passage is held by more students than in a class of 50, so its
fingerprints weigh less (2/(df-1)); with a fixed floor of 12 and a fixed least spread of 2, a
whole copy (100% shared, 89 rare fingerprints, weight 12.4) was missed. Both are now measured
in the weight of the class's usual rare fingerprint. Each hand-in here is ten passages of a pool
of 600 (each passage held by about 13 students), one student hands in another's whole."""

from __future__ import annotations

import random
from pathlib import Path

from grader.similarity.candidates import usual_weight
from grader.similarity.compare import CODE, Findings, compare_kind
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
