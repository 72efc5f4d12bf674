"""Similarity at class scale, against comparing every pair in full, measured in the same run.

    .venv/bin/python benchmarks/similarity_scale.py --students 1000

Generates a class as ``grader collect`` leaves it (tests/kits/similarity_class.py: released notebook
filled in nine styles, own exploration code, report PDFs, datasets, figures) with copies planted
in it, runs ``grader similarity`` on it (reading, PDF text, fingerprints, LSH, calibration,
page), and prints its time. Then, on a random sample of pairs from the same class, it times two
all-pairs baselines and extrapolates them to every pair of the class:

- full comparison: the normalised token streams of both notebooks and the words of both
  reports aligned with difflib (what a diff-based checker does for each pair);
- exact fingerprint scoring of every pair (this tool without LSH candidates).

It also prints how many planted copies were found and how many other pairs were flagged.
"""

from __future__ import annotations

import argparse
import difflib
import json
import random
import resource
import shutil
import sys
import tempfile
import time
from pathlib import Path

ROOT = Path(__file__).resolve().parent.parent
sys.path.insert(0, str(ROOT / "tests" / "kits"))

import similarity_class as sc  # noqa: E402
import similarity_files as sf  # noqa: E402

from grader.cli import main as grader_main  # noqa: E402
from grader.similarity import sources  # noqa: E402
from grader.similarity.fingerprints import code_prints, content_words, normalise_code  # noqa: E402
from grader.similarity.search import SearchProgress, run  # noqa: E402


def make_class(root: Path, release: Path, students: int, seed: int) -> set[tuple[str, str]]:
    """Write the class under root/submissions; return the planted pairs."""
    rng = random.Random(seed + 1)  # not the class's own stream: plants are new students
    cells = json.loads(release.read_text())["cells"]
    everyone = sc.make_class(release, students, seed)
    explorers = [s for s in everyone if any("np.random.randn(" in c for _, c in s.cells)]
    planted = set()
    for n in range(max(1, students // 100)):
        original = explorers[n]
        copier = sc.independent(f"copy{n:03d}", "concat", cells, random.Random(rng.random()))
        sc.plant_renamed_copy(copier, original, rng)
        everyone.append(copier)
        planted.add(tuple(sorted((copier.id, original.id))))
        para = sc.independent(f"para{n:03d}", "split", cells, random.Random(rng.random()))
        sc.plant_paraphrase(para, everyone[n + 50], rng)
        everyone.append(para)
        planted.add(tuple(sorted((para.id, everyone[n + 50].id))))
    started = time.perf_counter()
    for count, student in enumerate(everyone, 1):
        sf.write_collected(student, root / "submissions")
        if count % 200 == 0:
            print(f"  generated {count}/{len(everyone)} hand-ins", file=sys.stderr)
    print(f"generated {len(everyone)} hand-ins in {time.perf_counter() - started:.0f} s")
    return planted


def _cpu_seconds() -> float:
    """CPU time of this process and its finished children (pdftotext): the machine may be
    shared, so wall time alone can mislead."""
    own = resource.getrusage(resource.RUSAGE_SELF)
    children = resource.getrusage(resource.RUSAGE_CHILDREN)
    return own.ru_utime + own.ru_stime + children.ru_utime + children.ru_stime


def sample_pairs(owners: list[str], count: int, seed: int) -> list[tuple[str, str]]:
    rng = random.Random(seed)
    return [tuple(rng.sample(owners, 2)) for _ in range(count)]


def full_comparison_per_pair(docs: dict, pairs: list[tuple[str, str]]) -> float:
    """Seconds per pair to align both hand-ins' token streams and report words with difflib."""
    tokens = {}
    words = {}
    for owner in {o for pair in pairs for o in pair}:
        doc = docs[owner]
        tokens[owner] = [t.text for part in doc.code for t in normalise_code(part.text)]
        words[owner] = [w for part in doc.prose for w, _, _ in content_words(part.text)]
    started = time.perf_counter()
    for a, b in pairs:
        difflib.SequenceMatcher(None, tokens[a], tokens[b], autojunk=False).get_matching_blocks()
        difflib.SequenceMatcher(None, words[a], words[b], autojunk=False).get_matching_blocks()
    return (time.perf_counter() - started) / len(pairs)


def exact_scoring_per_pair(docs: dict, pairs: list[tuple[str, str]]) -> float:
    """Seconds per pair to intersect both hand-ins' fingerprint sets (no LSH)."""
    sets = {
        owner: {p.hash for p in code_prints([c.text for c in docs[owner].code])}
        for owner in {o for pair in pairs for o in pair}
    }
    started = time.perf_counter()
    for a, b in pairs:
        shared = sets[a] & sets[b]
        _ = len(shared) / max(1, min(len(sets[a]), len(sets[b])))
    return (time.perf_counter() - started) / len(pairs)


def main() -> int:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--students", type=int, default=1000)
    parser.add_argument("--sample", type=int, default=60, help="pairs timed for the baselines")
    parser.add_argument("--seed", type=int, default=1)
    parser.add_argument("--keep", default=None, help="copy the generated class to this folder")
    args = parser.parse_args()
    with tempfile.TemporaryDirectory(prefix="similarity-bench-") as name:
        root = Path(name)
        grader_main(["assign", str(ROOT / "assignments" / "lstm_gates"), "--out", str(root)])
        release = root / "lstm_gates.ipynb"
        planted = make_class(root, release, args.students, args.seed)

        started, cpu = time.perf_counter(), _cpu_seconds()
        result = run(
            [root / "submissions"], root / "out", release=[release], progress=SearchProgress()
        )
        ours, ours_cpu = time.perf_counter() - started, _cpu_seconds() - cpu
        if args.keep:
            shutil.copytree(root / "submissions", args.keep, dirs_exist_ok=True)
            shutil.copy(release, Path(args.keep) / ".." / "release.ipynb")

        flagged = {
            (a, b) for (a, b), ev in result.findings.pairs.items() if any(e.flagged for e in ev)
        }
        found = planted & flagged
        students = result.students
        all_pairs = students * (students - 1) // 2
        owners = sorted(p.name for p in (root / "submissions").iterdir())
        pairs = sample_pairs(owners, args.sample, args.seed)
        needed = sorted({o for pair in pairs for o in pair})
        docs, _ = sources.read_students(
            [root / "submissions" / o for o in needed], root / "scratch", root / "out" / ".pdf-text"
        )
        by_owner = {d.owner: d for d in docs}
        full = full_comparison_per_pair(by_owner, pairs) * all_pairs
        exact = exact_scoring_per_pair(by_owner, pairs * 20) * all_pairs

    print(f"students: {students}, pairs: {all_pairs:,}")
    print(
        f"grader similarity (everything, candidates by MinHash/LSH): {ours:.1f} s wall, "
        f"{ours_cpu:.1f} s CPU"
    )
    print(
        f"planted copies found: {len(found)}/{len(planted)}; other pairs flagged: "
        f"{len(flagged - planted)}"
    )
    print(
        f"baseline, full comparison of every pair (difflib, extrapolated from {len(pairs)} "
        f"pairs): {full:.0f} s -> ratio {full / ours:.1f}x"
    )
    print(
        f"baseline, exact fingerprint scoring of every pair (the comparison step alone, "
        f"extrapolated): {exact:.1f} s -> ratio {exact / ours:.1f}x"
    )
    return 0


if __name__ == "__main__":
    sys.exit(main())
