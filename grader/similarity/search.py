"""One similarity search: every hand-in read, compared, and written as pairs.csv and the page."""

from __future__ import annotations

import sys
import time
from collections.abc import Sequence
from dataclasses import dataclass
from pathlib import Path

from grader.errors import UserError
from grader.scratch import Scratch
from grader.similarity import compare, evidence, page, sources, variants


class SearchProgress:
    """Counts and ETA on stderr for long steps, at most one line per second."""

    def __init__(self, stream=None, quiet: bool = False) -> None:
        self.stream, self.quiet = stream or sys.stderr, quiet
        self.started = time.monotonic()
        self.step_started: dict[str, float] = {}
        self.last = 0.0

    def __call__(self, step: str, done: int, total: int) -> None:
        now = time.monotonic()
        begun = self.step_started.setdefault(step, now)
        if self.quiet or (done < total and now - self.last < 1.0):
            return
        self.last = now
        eta = (now - begun) / done * (total - done) if done else 0.0
        print(f"{step}: {done}/{total} (ETA {eta:.0f} s)", file=self.stream, flush=True)

    def say(self, text: str) -> None:
        if not self.quiet:
            elapsed = time.monotonic() - self.started
            print(f"[{elapsed:5.1f} s] {text}", file=self.stream, flush=True)


@dataclass(frozen=True)
class Result:
    students: int
    flagged_pairs: int  # pairs of students
    public_reports: int  # hand-ins reported against a public source
    groups: list[list[str]]
    csv: Path
    page: Path
    findings: evidence.Findings


def run(
    paths: Sequence[Path],
    out: Path,
    against: Sequence[Path] = (),
    release: Sequence[Path] = (),
    progress: SearchProgress | None = None,
    assignment: Path | None = None,
) -> Result:
    progress = progress or SearchProgress(quiet=True)
    if out.exists() and not out.is_dir():
        raise UserError(f"--out {out} is a file; give a folder for pairs.csv and similarity.html")
    out.mkdir(parents=True, exist_ok=True)
    cache = out / ".pdf-text"
    # a Scratch: the bundles a killed run unpacked are removed by the next run
    with Scratch(None, "grader-similarity-") as scratch:
        docs, notes = sources.read_students(paths, scratch, cache, progress)
        known_release, public = sources.read_known(release, against, cache)
        progress.say(
            f"read {len(docs)} students, {len(public)} public sources; fingerprinting and comparing"
        )
        findings = compare.compare(docs, known_release, public, progress)
    findings.notes[:0] = notes + [f"{d.owner}: {n}" for d in docs for n in d.notes]
    if assignment is not None:
        variants.add_variants(findings, docs, assignment)
    if not release:
        findings.notes.append(
            "no --release notebook given: code from the released notebook is only left out "
            "where most of the class has it"
        )
    groups = evidence.groups(findings.pairs)
    ranked = page.rank(findings)
    csv_path, page_path = out / "pairs.csv", out / "similarity.html"
    page.write_csv(csv_path, ranked)
    page.write_page(page_path, findings, ranked, groups, len(docs))
    public_reports = sum(1 for _, b, _ in ranked if b.startswith("public:"))
    progress.say(f"done: {len(ranked) - public_reports} pairs flagged, {len(groups)} groups")
    return Result(
        len(docs),
        len(ranked) - public_reports,
        public_reports,
        groups,
        csv_path,
        page_path,
        findings,
    )
