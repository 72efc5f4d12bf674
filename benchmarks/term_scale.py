"""Every stage of a term against the size of the class: CPU, wall time, memory and output of
each, every dashboard page's server time and bytes, and how each grows (log-log slope).

    .venv/bin/python benchmarks/term_scale.py [--sizes 200 1000 5000] [--quick]
                                              [--grade-sizes N ...] [--keep DIR]

For each size N: a `grader init` course with a roster of N realistic names, one lstm_gates
hand-in per student in a Gmail Takeout mbox (tests/kits/term_scale_kit.py: full marks, seven
planted mistakes, 3% whole copies of a classmate, resends, late and personal-address mail),
then every stage as an instructor runs it: ``collect``, ``grade``, ``final``, ``similarity``,
``serve`` (the overview, the students list and a search of it, one student's page, the
similarity page, a marking page) and ``mail`` to a loopback SMTP server (tests/kits/smtp_kit).

Each command is a child process (graded notebooks inside the pid fence); its CPU seconds (its
own and its children's, from ``wait4`` in a small waiting process), wall time, peak memory (the
largest resident set of the command or any child) and the size of what it wrote are printed.
A page's server time is its answer on loopback, its CPU the server process's own during it;
each page is asked once after the server starts (cold) and three times more (warm: the median).

Grading runs every notebook at the sizes of ``--grade-sizes`` (default: every size). At the
other sizes one hand-in of each kind is graded for real (once a run: every class has the same
kinds, graded alike) and the class's graded folder is made from those results (each student's
own gradebook row and files), so the later stages see a whole graded class; the grade row then
says "replicated", shows that one grading's figures, and has no exponent.

``--quick`` is sizes 200 and 1,000, grading replicated at both (CI: tests/test_term_scale.py).
Exponents are the slopes of log(CPU seconds) and log(peak memory) against log(N) between
consecutive sizes: 1.0 grows as the class does.
"""

from __future__ import annotations

import argparse
import csv
import json
import math
import os
import re
import subprocess
import sys
import tempfile
import time
from dataclasses import dataclass, field, replace
from pathlib import Path

ROOT = Path(__file__).resolve().parent.parent
sys.path.insert(0, str(ROOT / "tests" / "kits"))

import smtp_kit  # noqa: E402
import term_pages  # noqa: E402
import term_scale_kit as kit  # noqa: E402
from sandbox_fence import FENCE  # noqa: E402

GRADER = [sys.executable, "-m", "grader.cli"]
STAGES = ("collect", "grade", "final", "similarity", "mail")
PAGE_BUDGET_BYTES = 1_000_000
PAGE_BUDGET_S = 0.3
SERVE_BUDGET_MB = 500


@dataclass
class Measure:
    cpu_s: float
    wall_s: float
    peak_mb: float
    output_bytes: int
    note: str = ""


@dataclass
class Size:
    students: int
    stages: dict[str, Measure] = field(default_factory=dict)
    pages: dict[str, term_pages.Page] = field(default_factory=dict)
    serve_peak_mb: float = 0.0
    copies: dict[str, int] = field(default_factory=dict)  # planted, found, other pairs flagged


def folder_bytes(path: Path) -> int:
    if path.is_file():
        return path.stat().st_size
    return sum(p.stat().st_size for p in path.rglob("*") if p.is_file())


# Each command runs under a small Python process that waits for it and writes down its usage: a
# child forked from this process (which has held a whole mailbox) starts with this process's
# memory counted in its peak.
_WAITER = """
import json, os, subprocess, sys
child = subprocess.Popen(sys.argv[2:])
_, status, usage = os.wait4(child.pid, 0)
figures = [os.waitstatus_to_exitcode(status), usage.ru_utime + usage.ru_stime, usage.ru_maxrss]
open(sys.argv[1], "w").write(json.dumps(figures))
"""


def measured(
    command: list[str], log: Path, output: Path, cwd: Path, env: dict[str, str] | None = None
) -> Measure:
    """Run ``command`` to its end; its CPU and peak memory with every child's it waited for."""
    started = time.perf_counter()
    usage = log.with_name("usage.json")
    with log.open("a") as stream:
        stream.write(f"$ {' '.join(command)}\n")
        stream.flush()
        waiter = [sys.executable, "-c", _WAITER, str(usage), *command]
        subprocess.run(waiter, cwd=cwd, stdout=stream, stderr=stream, env=env, check=False)
    wall = time.perf_counter() - started
    code, cpu, peak_kb = json.loads(usage.read_text())
    if code != 0:
        raise SystemExit(f"{' '.join(command)[:200]} failed ({code}): see {log}")
    return Measure(cpu, wall, peak_kb / 1024, folder_bytes(output))


def fenced(command: list[str]) -> list[str]:
    """Student notebooks run in a pid namespace of their own (the tests' fence)."""
    return [*FENCE, *command]


def grade(course: Path, submissions: Path, out: Path, log: Path, folders: list[Path]) -> Measure:
    assignment = course / "assignments" / kit.ASSIGNMENT
    command = ["grade", "--assignment", str(assignment), "--out", str(out)]
    return measured(fenced([*GRADER, *command, *map(str, folders)]), log, out, course)


def student_folders(submissions: Path, ids: list[str]) -> list[Path]:
    return [submissions / i for i in ids if (submissions / i / "manifest.json").is_file()]


@dataclass
class Kinds:
    """One hand-in of each kind graded for real (``folder``: what `grader grade` wrote), by
    kind the student whose it was, and what the grading took: every class of the run is
    replicated from it (each kind's hand-in is graded alike whatever the class's size)."""

    folder: Path
    models: dict[int, str]
    measure: Measure


def term(
    base: Path, students: int, real_grading: bool, log: Path, kinds: Kinds | None
) -> tuple[Size, Kinds | None]:
    """Every stage of a term for a class of ``students``: the measures, and the hand-ins of
    each kind graded for a replicated class (``kinds``, where an earlier class graded those of
    every kind this one has; else graded here)."""
    size = Size(students)
    course = base / "course"
    subprocess.run([*GRADER, "init", str(course)], check=True, capture_output=True)
    people = kit.plan(students)
    kit.write_course(course, people)
    mbox = kit.mailbox(base / "Takeout" / "Mail" / "Inbox.mbox", course, people)
    submissions, graded = course / "submissions", course / "graded"
    collect = [*GRADER, "collect", str(mbox), "--out", str(submissions), "--course", str(course)]
    size.stages["collect"] = measured(collect, log, submissions, course)
    ids = [p.id for p in people]
    if real_grading:
        folders = student_folders(submissions, ids)
        size.stages["grade"] = grade(course, submissions, graded / kit.ASSIGNMENT, log, folders)
    else:
        if kinds is None or not {p.kind for p in people} <= kinds.models.keys():
            models = {kind: p.id for kind, p in kit.kinds_to_grade(people).items()}
            chosen = student_folders(submissions, list(models.values()))
            template = base / "graded-kinds"
            graded_now = grade(course, submissions, template, log, chosen)
            graded_now.note = f"replicated from {len(models)} graded"
            kinds = Kinds(template, models, graded_now)
        measure = replace(kinds.measure)
        started = time.perf_counter()
        kit.replicate_grading(
            kinds.folder, kinds.models, graded / kit.ASSIGNMENT, submissions, people
        )
        measure.wall_s += time.perf_counter() - started
        measure.output_bytes = folder_bytes(graded / kit.ASSIGNMENT)
        size.stages["grade"] = measure
    final = [*GRADER, "final", "--course", str(course), "--out", str(graded)]
    size.stages["final"] = measured(final, log, graded / "final", course)
    release = base / "release"
    subprocess.run(
        [*GRADER, "assign", str(course / "assignments" / kit.ASSIGNMENT), "--out", str(release)],
        check=True,
        capture_output=True,
    )
    similarity = [*GRADER, "similarity", str(submissions), "--out", str(graded / "similarity")]
    similarity += ["--release", *map(str, sorted(release.glob("*.ipynb")))]
    size.stages["similarity"] = measured(similarity, log, graded / "similarity", course)
    size.copies = copies_found(graded / "similarity" / "pairs.csv", people)
    size.stages["similarity"].note = (
        f"{size.copies['found']} of {size.copies['planted']} copies found, "
        f"{size.copies['others']} other pairs flagged"
    )
    command = fenced([*GRADER, "serve", "--course", str(course), "--out", str(graded)])
    middle = people[len(people) // 2]
    size.pages, size.serve_peak_mb = term_pages.measure(command, middle, base / "serve.log")
    size.stages["mail"] = mail(course, graded, log, base)
    return size, kinds


def copies_found(pairs_csv: Path, people: list) -> dict[str, int]:
    """How many planted copies the similarity search flagged, and how many other pairs."""
    with pairs_csv.open(encoding="utf-8", newline="") as stream:
        flagged = {
            tuple(sorted((r["student_a"], r["student_b"]))): r["detail"]
            for r in csv.DictReader(stream)
        }
    handed_in: dict[str, list[str]] = {}  # a source and who copied it: every pair is a copy
    for p in people:
        if p.copies:
            handed_in.setdefault(p.copies, [p.copies]).append(p.id)
    planted = {(a, b) for group in handed_in.values() for a in group for b in group if a < b}
    others = {pair: detail for pair, detail in flagged.items() if pair not in planted}
    return {
        "planted": len(planted),
        "found": len(planted.intersection(flagged)),
        "others": len(others),
        # flagged as a whole copy: nine tenths of the larger hand-in's own work shared too
        "others_whole": sum(1 for detail in others.values() if _larger_share(detail) >= 90),
    }


def _larger_share(detail: str) -> int:
    found = re.search(r"(\d+)% of the larger's", detail)
    return int(found.group(1)) if found else 0


def mail(course: Path, graded: Path, log: Path, base: Path) -> Measure:
    certificate = smtp_kit.make_certificate(base)
    inbox = smtp_kit.Mailbox()
    server = smtp_kit.start(inbox, certificate)
    login = {"GRADER_SMTP_USER": smtp_kit.USER, "GRADER_SMTP_PASSWORD": smtp_kit.PASSWORD}
    try:
        command = [*GRADER, "mail", "--course", str(course), "--out", str(graded)]
        command += ["--from", "LSTM Course <lstm.course@example.edu>", "--send"]
        command += ["--smtp-host", "127.0.0.1", "--smtp-port", str(server.port)]
        command += ["--cafile", str(certificate[0])]
        measure = measured(command, log, graded / "mail", course, {**os.environ, **login})
        measure.note = f"{len(inbox.received)} sent"
        return measure
    finally:
        server.stop()


def exponent(sizes: list[int], values: list[float]) -> list[float]:
    """The log-log slope between each two consecutive sizes."""
    return [
        math.log(max(b, 1e-6) / max(a, 1e-6)) / math.log(m / n)
        for (n, a), (m, b) in zip(
            zip(sizes, values, strict=True), zip(sizes[1:], values[1:], strict=True), strict=False
        )
    ]


def report(results: list[Size]) -> dict:
    """The tables, printed; and the same figures as a dict (for the test and --json)."""
    sizes = [r.students for r in results]
    notes = {stage: [r.stages[stage].note for r in results] for stage in STAGES}
    summary: dict = {"sizes": sizes, "stages": {}, "pages": {}, "notes": notes}
    print(f"\n{'stage':<11}{'N':>6}{'CPU s':>9}{'wall s':>9}{'peak MB':>9}{'output MB':>11}  note")
    for stage in STAGES:
        for r in results:
            m = r.stages[stage]
            print(
                f"{stage:<11}{r.students:>6}{m.cpu_s:>9.1f}{m.wall_s:>9.1f}{m.peak_mb:>9.0f}"
                f"{m.output_bytes / 1e6:>11.2f}  {m.note}"
            )
        replicated = any(r.stages[stage].note.startswith("replicated") for r in results)
        cpu = exponent(sizes, [r.stages[stage].cpu_s for r in results])
        memory = exponent(sizes, [r.stages[stage].peak_mb for r in results])
        summary["stages"][stage] = {
            "cpu_s": [r.stages[stage].cpu_s for r in results],
            "peak_mb": [r.stages[stage].peak_mb for r in results],
            "cpu_exponent": None if replicated else cpu,
            "memory_exponent": None if replicated else memory,
        }
        if not replicated:
            shown = ", ".join(f"{e:.2f}" for e in cpu)
            print(f"{'':<11}exponent: CPU {shown}; memory {', '.join(f'{e:.2f}' for e in memory)}")
    print(
        f"\n{'page':<16}{'N':>6}{'status':>7}{'kB':>8}{'cold s':>8}{'warm s':>8}{'warm CPU s':>11}"
    )
    for name in results[0].pages:
        for r in results:
            p = r.pages[name]
            print(
                f"{name:<16}{r.students:>6}{p.status:>7}{p.bytes / 1000:>8.1f}{p.cold_s:>8.3f}"
                f"{p.warm_s:>8.3f}{p.warm_cpu_s:>11.3f}"
            )
        summary["pages"][name] = {
            "bytes": [r.pages[name].bytes for r in results],
            "warm_s": [r.pages[name].warm_s for r in results],
            "warm_cpu_s": [r.pages[name].warm_cpu_s for r in results],
            "cold_s": [r.pages[name].cold_s for r in results],
            "status": [r.pages[name].status for r in results],
        }
    summary["serve_peak_mb"] = [r.serve_peak_mb for r in results]
    summary["copies"] = [r.copies for r in results]
    print("\ngrader serve peak memory: " + ", ".join(f"{r.serve_peak_mb:.0f} MB" for r in results))
    return summary


def main(argv: list[str] | None = None) -> int:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--sizes", type=int, nargs="+", default=[200, 1000, 5000])
    parser.add_argument(
        "--quick", action="store_true", help="sizes 200 and 1000, grading replicated"
    )
    parser.add_argument("--grade-sizes", type=int, nargs="*", default=None, metavar="N")
    parser.add_argument("--keep", type=Path, help="keep each size's course here")
    parser.add_argument("--json", type=Path, help="write the figures here too")
    args = parser.parse_args(argv)
    sizes = [200, 1000] if args.quick else sorted(args.sizes)
    real = set(sizes if args.grade_sizes is None and not args.quick else args.grade_sizes or ())
    print(f"machine: {os.cpu_count()} cores, load {os.getloadavg()[0]:.1f} at the start")
    results: list[Size] = []
    kinds: Kinds | None = None  # the hand-ins graded once for every replicated class
    with tempfile.TemporaryDirectory(prefix="term-scale-") as scratch:
        for students in sizes:
            base = (args.keep or Path(scratch)) / f"class-{students}"
            base.mkdir(parents=True, exist_ok=True)
            how = "every notebook" if students in real else "replicated"
            print(f"class of {students} (grading {how})...", flush=True)
            size, kinds = term(base, students, students in real, base / "commands.log", kinds)
            results.append(size)
            if len(results) < len(sizes):  # the figures so far, should a larger size not end
                report(results)
    summary = report(results)
    print(f"machine load at the end: {os.getloadavg()[0]:.1f}")
    if args.json:
        args.json.write_text(json.dumps(summary, indent=1))
    return 0


if __name__ == "__main__":
    raise SystemExit(main())
