"""Which pairs of students are worth comparing: MinHash/LSH (datasketch) over fingerprint sets.

Comparing every pair of 1,000 students in full is half a million comparisons. Instead each
student's set of *rare* fingerprints (not known material, held by at most ``common_cap``
students) gets a MinHash signature, and locality-sensitive hashing puts students whose sets
overlap into the same buckets; only the pairs that meet in a bucket are scored exactly. With
``LSH_THRESHOLD`` = 0.1 and 128 permutations (64 bands of 2 rows) a pair whose rare sets have a
Jaccard index of 0.3 is missed with probability 0.2%; copies share far more.
"""

from __future__ import annotations

from collections import Counter
from collections.abc import Mapping

from datasketch import MinHash, MinHashLSH

NUM_PERM = 128
LSH_THRESHOLD = 0.1
_MASK32 = 0xFFFFFFFF


def _identity(value: int) -> int:
    return value  # fingerprints are hashes already


def document_frequency(sets: Mapping[str, set[int]]) -> Counter:
    """For each fingerprint, how many students hold it."""
    counts: Counter = Counter()
    for prints in sets.values():
        counts.update(prints)
    return counts


def common_cap(students: int) -> int:
    """Held by more students than this, a fingerprint is the usual way to write it, not a copy.

    Copy rings are small; a passage in more than 5% of a class (and at least 8 students) is
    common knowledge, and is left out of candidates and scores alike.
    """
    return max(8, students // 20)


def weight(df: int) -> float:
    """What one shared fingerprint held by ``df`` students counts: 1 up to a ring of three,
    then 2/(df-1), so a passage many wrote alike weighs little."""
    return 1.0 if df <= 3 else 2.0 / (df - 1)


def usual_weight(rare: Mapping[str, set[int]], df: Counter) -> float:
    """What a rare fingerprint weighs as the class's students hold them: the mean weight over
    every student's rare fingerprints (1 when none has any).

    Weights fall as a class grows (a passage a handful wrote alike in a class of 50 is held by
    dozens in a class of 800), so an amount shared is measured in this unit: a floor of 12
    fingerprints means 12 of the class's usual ones, whatever its size."""
    held = [weight(df[h]) for prints in rare.values() for h in prints]
    return sum(held) / len(held) if held else 1.0


def candidate_pairs(rare: Mapping[str, set[int]]) -> set[tuple[str, str]]:
    """Pairs (a, b), a < b, whose rare-fingerprint sets LSH puts in a common bucket."""
    owners = [owner for owner, prints in rare.items() if prints]
    signatures = MinHash.bulk(
        [[p & _MASK32 for p in rare[owner]] for owner in owners],
        num_perm=NUM_PERM,
        hashfunc=_identity,
    )
    index = MinHashLSH(threshold=LSH_THRESHOLD, num_perm=NUM_PERM)
    with index.insertion_session() as session:
        for owner, signature in zip(owners, signatures, strict=True):
            session.insert(owner, signature)
    pairs: set[tuple[str, str]] = set()
    for owner, signature in zip(owners, signatures, strict=True):
        for other in index.query(signature):
            if other != owner:
                pairs.add((min(owner, other), max(owner, other)))
    return pairs
