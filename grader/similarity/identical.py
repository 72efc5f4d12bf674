"""Evidence that needs no fingerprints: identical files (a dataset, a PDF) and near-identical
figures (perceptual hashes) handed in by a few students, known material left out."""

from __future__ import annotations

from collections import defaultdict
from collections.abc import Sequence

from grader.limits import SIMILARITY
from grader.similarity import images
from grader.similarity.candidates import common_cap
from grader.similarity.evidence import Evidence, Findings
from grader.similarity.sources import IMAGE_SUFFIXES, Document, Figure


def compare_files(docs: Sequence[Document], known: Sequence[Document], findings: Findings) -> None:
    """Identical files (datasets, PDFs, scripts) handed in by a few students."""
    known_hashes = {f.sha256 for d in known for f in d.files}
    holders: dict[str, dict[str, str]] = defaultdict(dict)  # sha256 -> owner -> where
    sizes: dict[str, int] = {}
    for doc in docs:
        for entry in doc.files:
            suffix = "." + entry.where.rsplit(".", 1)[-1].lower() if "." in entry.where else ""
            if entry.sha256 in known_hashes or suffix in IMAGE_SUFFIXES:
                continue  # public files are fair to use; images are compared as figures
            holders[entry.sha256].setdefault(doc.owner, entry.where)
            sizes[entry.sha256] = entry.size
    cap = common_cap(len(docs))
    for digest, owners in holders.items():
        if len(owners) > cap:
            example = next(iter(owners.values()))
            findings.notes.append(
                f"{example} ({len(owners)} students) is the same file in too many hand-ins "
                "to be a copy (a public dataset?); not flagged"
            )
            continue
        names = sorted(owners)
        for i, a in enumerate(names):
            for b in names[i + 1 :]:
                detail = (
                    f"identical file: {owners[a]} = {owners[b]} ({sizes[digest]:,} bytes, "
                    f"sha256 {digest[:12]}…)"
                )
                if len(owners) > 2:
                    detail += f"; {len(owners)} students hand in this file"
                findings.pairs.setdefault((a, b), []).append(Evidence("file", 1.0, detail, True))


def compare_figures(
    docs: Sequence[Document], known: Sequence[Document], findings: Findings
) -> None:
    """Near-identical figures in different students' hand-ins (known figures left out).

    Equal hashes are merged first, so a plot that hundreds hand in alike costs one comparison;
    a figure near the figures of more than ``common_cap`` students is common, not a copy.
    """
    holders: dict[int, list[tuple[str, Figure]]] = defaultdict(list)
    for doc in docs:
        for figure in doc.figures:
            holders[figure.phash].append((doc.owner, figure))
    known_hashes = {f.phash for d in known for f in d.figures}
    unique = sorted(holders.keys() | known_hashes)
    neighbours: dict[int, list[tuple[int, int]]] = defaultdict(list)  # hash -> (hash, bits)
    for i, j, bits in images.near_pairs(unique):
        neighbours[unique[i]].append((unique[j], bits))
        neighbours[unique[j]].append((unique[i], bits))
    cap = common_cap(len(docs))
    by_pair: dict[tuple[str, str], list[tuple[Figure, Figure, int]]] = defaultdict(list)
    for value, members in holders.items():
        near = [(value, 0), *neighbours[value]]
        if any(h in known_hashes for h, _ in near):
            continue  # the release's or a public source's figure
        owners = {owner for h, _ in near for owner, _ in holders.get(h, ())}
        if len(owners) > cap:
            continue
        for other, bits in near:
            if other < value:
                continue  # each pair of hashes once
            for a, fa in members:
                for b, fb in holders.get(other, ()):
                    if a < b:
                        by_pair[(a, b)].append((fa, fb, bits))
                    elif b < a:
                        by_pair[(b, a)].append((fb, fa, bits))
    for key, shared in by_pair.items():
        best = min(bits for _, _, bits in shared)
        detail = f"{len(shared)} near-identical figure(s), closest {best} of 256 hash bits apart"
        evidence = Evidence("figure", 1.0 - best / 256, detail, True)
        evidence.figures = shared[: SIMILARITY.max_matches]
        findings.pairs.setdefault(key, []).append(evidence)
