"""Scoring the candidate pairs, kind by kind, into evidence with the passages that match.

Kinds of evidence: ``code`` (notebook code cells), ``text`` (notebook markdown and report
text), and from :mod:`identical` ``file`` (identical files, such as a dataset) and ``figure``
(near-identical images). A pair's code or text score is the weight of the rare fingerprints the
two share over the size of the smaller of their own fingerprint sets (what is not known material
and not common to the class); 1.0 means the smaller is wholly inside the other. The same weight
over the *larger* set says whether the two are mostly each other both ways, which is how a
whole copy shows in a large class whose students build their own work from common pieces.
"""

from __future__ import annotations

import re
from collections import Counter, defaultdict
from collections.abc import Callable, Iterable, Sequence
from dataclasses import dataclass

from grader.batch.processes import in_processes
from grader.limits import SIMILARITY
from grader.similarity.calibration import from_values, sample_pairs
from grader.similarity.candidates import (
    candidate_pairs,
    common_cap,
    document_frequency,
    usual_weight,
    weight,
)
from grader.similarity.evidence import Evidence, Findings, Match
from grader.similarity.fingerprints import Print, code_prints, text_prints
from grader.similarity.identical import compare_figures, compare_files
from grader.similarity.sources import Document, Part

PUBLIC_SHARE = 0.5  # a hand-in this much of whose own code or text is in one public source


@dataclass(frozen=True)
class Kind:
    name: str
    parts: Callable[[Document], list[Part]]
    prints: Callable[[Sequence[str]], list[Print]]
    floor: float  # least share that is flagged, whatever the class
    # least amount of shared rare fingerprints that is flagged, in the class's usual weight of
    # one (candidates.usual_weight): 12 is 12 fingerprints as rare as the class's usual ones
    min_shared: float


_IDENTIFIER = re.compile(r"[A-Za-z_]\w*")
_DEFINED = re.compile(r"^(?:async\s+)?(?:def|class)\s+([A-Za-z_]\w*)", re.MULTILINE)
ANSWER_WEIGHT = 0.25  # a fingerprint found only in the filled-in stubs of the released notebook
SHARE_SPREAD = 0.04  # least robust spread of shares: a quiet class still needs a margin
AMOUNT_SPREAD = 2.0  # least robust spread of shared amounts, in fingerprints
# least share of the larger hand-in that flags a pair with kind.min_shared rare fingerprints,
# counted, beyond the filled-in stubs, in place of the amount's threshold: both hand-ins' own
# work is nine tenths the same (a whole copy, perhaps touched up)
WHOLE_SHARE = 0.9
CODE = Kind("code", lambda d: d.code, code_prints, floor=0.4, min_shared=12)
TEXT = Kind("text", lambda d: d.prose, text_prints, floor=0.3, min_shared=12)


def _spans(prints: Iterable[Print]) -> tuple[tuple[int, int], ...]:
    """Lines (code: each line a token is on) or character ranges (text) to highlight."""
    spans: set[tuple[int, int]] = set()
    for p in prints:
        spans.update(((n, n) for n in p.lines) if p.lines else [(p.line, p.end_line)])
    return tuple(sorted(spans))


def _matches(
    kind: Kind, left: Document, right: Document, lp: list[Print], rp: list[Print], shared: set
) -> list[Match]:
    """The passages of both sides that hold the shared fingerprints, best first."""
    left_parts, right_parts = kind.parts(left), kind.parts(right)
    by_part_left: dict[int, set[int]] = defaultdict(set)
    by_part_right: dict[int, set[int]] = defaultdict(set)
    for p in lp:
        if p.hash in shared:
            by_part_left[p.part].add(p.hash)
    for p in rp:
        if p.hash in shared:
            by_part_right[p.part].add(p.hash)
    found = []
    for part, hashes in by_part_left.items():
        best = max(by_part_right, key=lambda q: len(hashes & by_part_right[q]), default=None)
        if best is None or not hashes & by_part_right[best]:
            continue
        common = hashes & by_part_right[best]
        spans_l = _spans(p for p in lp if p.part == part and p.hash in common)
        spans_r = _spans(p for p in rp if p.part == best and p.hash in common)
        found.append((len(common), Match(left_parts[part], right_parts[best], spans_l, spans_r)))
    found.sort(key=lambda item: -item[0])
    return [match for _, match in found[: SIMILARITY.max_matches]]


def _answer_parts(kind: Kind, release: Document) -> frozenset[str]:
    """First lines of the released cells that define something (the stubs students fill in)."""
    firsts = set()
    for part in kind.parts(release):
        first = _first_line(part.text)
        if first.startswith(("def ", "class ", "async def ")):
            firsts.add(first)
    return frozenset(firsts)


def _first_line(text: str) -> str:
    return next((line.strip() for line in text.splitlines() if line.strip()), "")


def _location_factors(
    kind: Kind, doc: Document, prints: list[Print], answers: frozenset[str]
) -> dict[int, float]:
    """Per fingerprint: 1, or ANSWER_WEIGHT when it occurs only in the cells that fill in a
    released stub or define a helper those cells call: there independent correct solutions
    resemble each other most."""
    parts = kind.parts(doc)
    in_answer = {n for n, part in enumerate(parts) if _first_line(part.text) in answers}
    used = {w for n in in_answer for w in _IDENTIFIER.findall(parts[n].text)}
    for number, part in enumerate(parts):
        if set(_DEFINED.findall(part.text)) & used:
            in_answer.add(number)
    factors: dict[int, float] = {}
    for p in prints:
        value = ANSWER_WEIGHT if p.part in in_answer else 1.0
        factors[p.hash] = max(factors.get(p.hash, 0.0), value)
    return factors


def _fingerprint_all(
    kind: Kind, texts: list[list[str]], progress: Callable[[str, int, int], None] | None
) -> list[list[Print]]:
    """Every hand-in's fingerprints; a large class on every core (the work is pure)."""
    results = in_processes(
        kind.prints,
        texts,
        most_workers=SIMILARITY.max_workers,
        from_items=SIMILARITY.parallel_from,
        chunksize=16,
    )
    out: list[list[Print]] = []
    for count, found in enumerate(results, 1):
        out.append(found)
        if progress:
            progress(f"fingerprinting {kind.name}", count, len(texts))
    return out


def compare_kind(
    kind: Kind,
    docs: Sequence[Document],
    known: Sequence[Document],
    findings: Findings,
    progress: Callable[[str, int, int], None] | None = None,
) -> None:
    """Score one kind of fingerprinted evidence between students and against public sources."""
    by_owner = {d.owner: d for d in docs}
    released = {x.text for x in kind.parts(known[0])}
    release_hashes = {p.hash for p in kind.prints(sorted(released))}
    # A passage the release holds word for word is known whole: no need to read it again.
    texts = [["" if p.text in released else p.text for p in kind.parts(d)] for d in docs]
    found = _fingerprint_all(kind, texts, progress)
    prints = {d.owner: doc_prints for d, doc_prints in zip(docs, found, strict=True)}
    public_index: dict[int, set[str]] = defaultdict(set)
    public_prints: dict[str, list[Print]] = {}
    for doc in known[1:]:
        public_prints[doc.owner] = kind.prints([x.text for x in kind.parts(doc)])
        for p in public_prints[doc.owner]:
            public_index[p.hash].add(doc.owner)
    beyond_release = {o: {p.hash for p in ps} - release_hashes for o, ps in prints.items()}
    own = {o: {h for h in hs if h not in public_index} for o, hs in beyond_release.items()}
    df = document_frequency(own)
    cap = common_cap(len(docs))
    answers = _answer_parts(kind, known[0])
    factor = {d.owner: _location_factors(kind, d, prints[d.owner], answers) for d in docs}
    scored = {o: {h for h in hs if df[h] <= cap} for o, hs in own.items()}
    rare = {o: {h for h in hs if df[h] >= 2} for o, hs in scored.items()}
    mass = {o: sum(weight(df[h]) * factor[o][h] for h in hs) for o, hs in scored.items()}

    def shared_mass(a: str, b: str) -> float:
        fa, fb = factor[a], factor[b]
        return sum(weight(df[h]) * min(fa[h], fb[h]) for h in rare[a] & rare[b])

    def share(amount: float, a: str, b: str, side=min) -> float:
        """``amount`` over the smaller (``side=min``) or larger (``max``) own mass; rounded,
        as the two sums of a whole copy's weights, added in different orders, differ in the
        last bits and a share of 1 must reach a threshold of 1."""
        return round(min(1.0, amount / side(mass[a], mass[b])), 9) if amount else 0.0

    owners = sorted(by_owner)
    candidates = sorted(candidate_pairs(rare))
    by_share = from_values(
        f"{kind.name} share",
        "random pairs",
        [share(shared_mass(a, b), a, b) for a, b in sample_pairs(owners)],
        kind.floor,
        SHARE_SPREAD,
        students=len(owners),
        ceiling=1.0,  # a share is at most 1: a whole copy always passes
    )
    amounts = {pair: shared_mass(*pair) for pair in candidates}
    closest = _closest(owners, amounts)
    closest_both = _closest(owners, {p: share(x, *p, side=max) for p, x in amounts.items()})
    unit = usual_weight(rare, df)  # the floors follow the weights, which fall as a class grows
    by_amount = from_values(
        f"{kind.name} amount",
        "students' closest classmates",
        list(closest.values()),
        kind.min_shared * unit,
        AMOUNT_SPREAD * unit,
        students=len(owners),
    )
    # The closest of 4,999 classmates shares more than the closest of 49, so a large class's
    # amount threshold rises above what a whole copy built of common pieces shares, and each
    # piece may weigh a tenth of the class's usual one; that the pair's own work is mostly the
    # same both ways, with a dozen rare fingerprints (whatever their weight) beyond the filled-in
    # stubs, where independent answers resemble each other, is rare at any size.
    by_both = from_values(
        f"{kind.name} share of the larger",
        "students' closest classmates",
        list(closest_both.values()),
        WHOLE_SHARE,
        SHARE_SPREAD,
        students=len(owners),
        ceiling=1.0,
    )
    findings.calibrations += [by_share, by_amount, by_both]
    unflagged = []
    for a, b in candidates:
        amount = amounts[(a, b)]
        value, both = share(amount, a, b), share(amount, a, b, side=max)
        shared = rare[a] & rare[b]
        beyond_answers = sum(1 for h in shared if min(factor[a][h], factor[b][h]) == 1.0)
        by_parts = min(value / by_share.threshold, amount / by_amount.threshold)
        by_whole = min(both / by_both.threshold, beyond_answers / kind.min_shared)
        flagged = by_parts >= 1 or by_whole >= 1
        detail = (
            f"{value:.0%} of the smaller hand-in's own {kind.name} is shared "
            f"(z = {by_share.z(value):.1f}), {both:.0%} of the larger's "
            f"(z = {by_both.z(both):.1f}); {len(shared)} rare fingerprints "
            f"({beyond_answers} beyond the filled-in stubs), "
            f"weight {amount:.1f} (z = {by_amount.z(amount):.1f})"
        )
        evidence = Evidence(kind.name, value, detail, flagged, by_share.z(value))
        evidence.closeness = max(by_parts, by_whole)
        if flagged:
            evidence.matches = _matches(
                kind, by_owner[a], by_owner[b], prints[a], prints[b], shared
            )
            findings.pairs.setdefault((a, b), []).append(evidence)
        else:
            unflagged.append((a, b, evidence))
    unflagged.sort(key=lambda item: -item[2].closeness)
    findings.near_misses.extend(unflagged[: SIMILARITY.near_misses])
    _against_public(
        kind, docs, known, prints, beyond_release, public_index, public_prints, findings
    )


def _closest(owners: Sequence[str], values: dict[tuple[str, str], float]) -> dict[str, float]:
    """Each student's largest value with any classmate (0 for a student in no pair)."""
    closest = dict.fromkeys(owners, 0.0)
    for (a, b), value in values.items():
        closest[a], closest[b] = max(closest[a], value), max(closest[b], value)
    return closest


def _against_public(
    kind, docs, known, prints, beyond_release, public_index, public_prints, findings
):
    """Hand-ins whose own code (or text) is mostly one public source are reported against it."""
    sources = {d.owner: d for d in known[1:]}
    for doc in docs:
        mine = beyond_release[doc.owner]
        hits = Counter()  # public source -> fingerprints this hand-in shares with it
        for h in mine:
            hits.update(public_index.get(h, ()))
        for public, count in hits.most_common(3):
            share = count / max(1, len(mine))
            if share < PUBLIC_SHARE or count < kind.min_shared:
                continue
            shared = {h for h in mine if public in public_index.get(h, ())}
            detail = (
                f"{share:.0%} of this hand-in's own {kind.name} ({count} fingerprints) is "
                f"in the public source {public.removeprefix('public:')}"
            )
            evidence = Evidence(kind.name, share, detail, True)
            evidence.matches = _matches(
                kind, doc, sources[public], prints[doc.owner], public_prints[public], shared
            )
            findings.pairs.setdefault((doc.owner, public), []).append(evidence)


def compare(
    docs: Sequence[Document], release: Document, public: Sequence[Document], progress=None
) -> Findings:
    """Every kind of evidence between the students, and against the public sources."""
    findings = Findings({}, [], [], [])
    known = [release, *public]
    compare_kind(CODE, docs, known, findings, progress)
    compare_kind(TEXT, docs, known, findings, progress)
    compare_files(docs, known, findings)
    compare_figures(docs, known, findings)
    return findings
