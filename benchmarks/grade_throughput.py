"""Grading throughput against plain nbclient, measured in the same run.

    .venv/bin/python benchmarks/grade_throughput.py [--copies N] [--sample K] [--workers W]
                                                    [--dask-scaling] [--dask-cluster]

Grades N copies of a correct submission with the whole ``grader grade`` command (start-up,
sandbox, probes, scoring, gradebook, feedback files), then executes K of the same notebooks
with plain nbclient, one kernel per notebook and no sandbox, and prints seconds per submission
for each and their ratio (how many times faster the grader is), and the time from the command's
start to its first result (start-up, the trial run, one submission). ``--dask-scaling`` also
grades the N copies on a local Dask cluster of one worker and of two, and prints the speedup.
``--dask-cluster`` starts ``dask scheduler`` and two ``dask worker`` processes on loopback, each
in an empty folder of its own (what they grade is sent to them, as to machines that share no
folder), grades the N copies there, and prints the speed-up against this machine alone.
The floor (issue 50): every code cell of the same notebooks exec'd in this process, numpy and
torch imported before the clock starts (torch on one thread, as in the sandbox), no kernel, no
walls, no hidden cases, no scoring; the grader's seconds per submission times its workers
(core-seconds each) are printed against it.
The notebooks are the shipped full-marks sample, so the baselines may run them unsandboxed.
Where a cpuacct cgroup can be made (cgroup v1, as root), it also prints the CPU time of the
whole command, every sandboxed process included, the CPU per submission once the first result is
in against the floor's own CPU (a ratio that other work on a shared machine changes far less
than one of wall seconds), and for the Dask runs how many cores each kept busy: on two cores
the speedup cannot pass 2 / (the cores one worker keeps busy).
It also prints what the walls cost with nothing of the grading inside (walls_floor.py): each
submission's processes (an init, a runner, one probe process per graded function) forked from
a warm process made as the grader makes it, alone and with the floor's cells run in the runner:
a lower bound of grading within these walls, in CPU against the floor's CPU.
"""

from __future__ import annotations

import argparse
import contextlib
import csv
import io
import json
import os
import shutil
import socket
import subprocess
import sys
import tempfile
import time
from collections.abc import Iterator
from dataclasses import dataclass
from pathlib import Path

import nbformat
from nbclient import NotebookClient

ROOT = Path(__file__).resolve().parent.parent
ASSIGNMENT = ROOT / "assignments" / "lstm_gates"
SAMPLE = ROOT / "examples" / "lstm_gates" / "asha.ipynb"


@dataclass(frozen=True)
class Floor:
    """The floor's seconds per notebook: on the clock, and of CPU (this process's, every thread
    of it), which a machine shared with other work changes far less."""

    seconds: float
    cpu: float


def floor(notebooks: list[Path]) -> Floor:
    """Seconds per notebook of the useful work alone: every code cell exec'd in this process,
    which has numpy and torch imported already; no kernel, no walls, no hidden cases, no
    scoring (the shipped full-marks sample: trusted code)."""
    import numpy  # noqa: F401  (imported before the clock starts, as a warm process has it)
    import torch

    # One thread, as the sandbox runs torch (OMP_NUM_THREADS=1): a second one only spins on
    # these small tensors, and its CPU would count in the floor's.
    torch.set_num_threads(1)

    cells = code_cells(notebooks)

    def run(sources: list[str]) -> None:
        namespace: dict = {"__name__": "__main__"}
        with contextlib.redirect_stdout(io.StringIO()):
            for source in sources:
                exec(compile(source, "<cell>", "exec"), namespace)

    run(cells[0])  # once before the clock: torch's first calls set up what a warm process has
    started, cpu = time.perf_counter(), time.process_time()
    for sources in cells:
        run(sources)
    count = len(notebooks)
    return Floor((time.perf_counter() - started) / count, (time.process_time() - cpu) / count)


def code_cells(notebooks: list[Path]) -> list[list[str]]:
    """Each notebook's code cells' sources."""
    return [
        [c.source for c in nbformat.read(path, as_version=4).cells if c.cell_type == "code"]
        for path in notebooks
    ]


@dataclass(frozen=True)
class Walls:
    """CPU seconds per submission of the sandbox's processes alone (walls_floor.py): with
    nothing inside, and with the floor's cells exec'd in the runner before its probe forks;
    ``probes``: probe processes per submission, one per graded function."""

    alone: float
    with_cells: float
    probes: int


def walls(notebooks: list[Path], graded_out: Path, folder: Path) -> Walls:
    """The walls' own CPU for these notebooks, in a process of its own (a warm process as the
    grader makes it), with as many probe processes as the grading made for each."""
    some_result = next(graded_out.glob("*/results.json"))
    probes = len(json.loads(some_result.read_text(encoding="utf-8"))["tests"])
    sources = folder / "cells.json"
    sources.write_text(json.dumps(code_cells(notebooks)), encoding="utf-8")
    script = Path(__file__).with_name("walls_floor.py")
    measured = subprocess.run(
        [sys.executable, str(script), str(sources), str(probes)],
        capture_output=True,
        text=True,
        cwd=ROOT,
        env={**os.environ, "PYTHONPATH": str(ROOT)},
    )
    if measured.returncode != 0:
        raise SystemExit(f"walls_floor.py failed:\n{measured.stderr[-3000:]}")
    figures = json.loads(measured.stdout.strip().splitlines()[-1])
    return Walls(figures["walls"], figures["walls_and_cells"], probes)


def plain_nbclient(notebooks: list[Path]) -> float:
    """Seconds to execute every notebook with nbclient, a fresh kernel for each."""
    started = time.perf_counter()
    for path in notebooks:
        nb = nbformat.read(path, as_version=4)
        NotebookClient(
            nb,
            timeout=120,
            kernel_name="python3",
            resources={"metadata": {"path": str(path.parent)}},
        ).execute()
    return time.perf_counter() - started


class CpuCount:
    """CPU seconds of a command and every process it starts, sandboxes included: a cpuacct
    cgroup (v1) the command is started in, whose children the sandboxes do not leave (they
    join cgroups of the pids and memory controllers only). None where it cannot be made."""

    ROOT = Path("/sys/fs/cgroup/cpuacct")

    def __init__(self):
        self.folder = self.ROOT / f"grade-bench-{os.getpid()}-{time.monotonic_ns()}"
        self.folder.mkdir()

    @classmethod
    def make(cls) -> CpuCount | None:
        try:
            return cls()
        except OSError:
            return None

    def enter(self) -> None:
        """In the child, before exec: join the cgroup."""
        (self.folder / "cgroup.procs").write_text(str(os.getpid()))

    def so_far(self) -> float:
        """CPU seconds counted until now."""
        return int((self.folder / "cpuacct.usage").read_text()) / 1e9

    def seconds(self) -> float:
        """The count, once the last process has ended (multiprocessing's resource tracker
        outlives the command by a moment)."""
        deadline = time.monotonic() + 30
        while (self.folder / "cgroup.procs").read_text().strip():
            if time.monotonic() > deadline:
                raise SystemExit(f"processes of the benchmark still run in {self.folder}")
            time.sleep(0.1)
        seconds = self.so_far()
        self.folder.rmdir()
        return seconds


@dataclass(frozen=True)
class Timed:
    """One ``grader grade`` command: its wall seconds, the seconds until its first result was
    reported (its ``[1/N]`` line), and its CPU seconds in all and until that line (None where
    they cannot be counted)."""

    seconds: float
    first_result: float
    cpu: float | None
    cpu_at_first: float | None = None


def graded(notebooks: list[Path], out: Path, flags: list[str]) -> Timed:
    """The whole ``grader grade`` command over every notebook, timed."""
    command = [sys.executable, "-m", "grader.cli", "grade", "--assignment", str(ASSIGNMENT)]
    command += ["--out", str(out), "--seed", "1", *flags, *map(str, notebooks)]
    cpu = CpuCount.make()
    started = time.perf_counter()
    first_result = cpu_at_first = None
    with subprocess.Popen(
        command,
        stdout=subprocess.DEVNULL,
        stderr=subprocess.PIPE,
        text=True,
        cwd=ROOT,
        preexec_fn=cpu.enter if cpu else None,
    ) as grading:
        assert grading.stderr is not None
        said = []
        for line in grading.stderr:  # not a terminal: one line per result, as they come
            if first_result is None and line.startswith("[1/"):
                first_result = time.perf_counter() - started
                cpu_at_first = cpu.so_far() if cpu else None
            said.append(line)
    elapsed = time.perf_counter() - started
    cpu_seconds = cpu.seconds() if cpu else None
    if grading.returncode != 0 or first_result is None:
        raise SystemExit(f"grader grade failed:\n{''.join(said)[-3000:]}")
    with (out / "grades.csv").open(newline="") as handle:
        wrong = [r["student"] for r in csv.DictReader(handle) if r["score"] != r["max_score"]]
    if wrong:
        raise SystemExit(f"benchmark submissions did not get full marks: {wrong}")
    return Timed(elapsed, first_result, cpu_seconds, cpu_at_first)


@contextlib.contextmanager
def loopback_cluster(folder: Path) -> Iterator[str]:
    """A scheduler and two workers on loopback, each started in an empty folder of its own;
    the scheduler's address."""
    from dask.distributed import Client

    dask = str(Path(sys.executable).with_name("dask"))
    with socket.socket() as probe:
        probe.bind(("127.0.0.1", 0))
        port = probe.getsockname()[1]
    address = f"tcp://127.0.0.1:{port}"
    commands = {
        "scheduler": [dask, "scheduler", "--host", "127.0.0.1", "--port", str(port)],
        "w1": [dask, "worker", address, "--nthreads", "1", "--name", "w1"],
        "w2": [dask, "worker", address, "--nthreads", "1", "--name", "w2"],
    }
    started = []
    try:
        for name, command in commands.items():
            (folder / name).mkdir(parents=True)
            started.append(
                subprocess.Popen(
                    [*command, "--no-dashboard"],
                    cwd=folder / name,
                    stdout=subprocess.DEVNULL,
                    stderr=subprocess.DEVNULL,
                )
            )
        for _ in range(60):
            try:
                with Client(address, timeout=10) as client:
                    client.wait_for_workers(2, timeout=120)
                    break
            except OSError:
                time.sleep(1)
        yield address
    finally:
        for process in started:
            process.kill()
            process.wait()


def main(argv: list[str] | None = None) -> int:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--copies", type=int, default=20, help="submissions (default 20)")
    parser.add_argument(
        "--sample", type=int, default=8, help="notebooks run by plain nbclient (default 8)"
    )
    parser.add_argument(
        "--workers", type=int, default=None, help="grader workers (default: grader's own)"
    )
    parser.add_argument(
        "--dask-scaling", action="store_true", help="also time --dask local with 1 and 2 workers"
    )
    parser.add_argument(
        "--dask-cluster",
        action="store_true",
        help="also grade on a loopback scheduler and two workers in folders of their own",
    )
    args = parser.parse_args(argv)
    flags = [] if args.workers is None else ["--workers", str(args.workers)]
    with tempfile.TemporaryDirectory(prefix="grade-bench-") as tmp:
        inbox = Path(tmp) / "inbox"
        inbox.mkdir()
        notebooks = []
        for n in range(args.copies):
            notebooks.append(inbox / f"student{n:03d}.ipynb")
            shutil.copy(SAMPLE, notebooks[-1])
        whole = graded(notebooks, Path(tmp) / "out", flags)
        baseline_s = plain_nbclient(notebooks[: args.sample])
        at_floor = floor(notebooks)
        bare = walls(notebooks, Path(tmp) / "out", Path(tmp))
        floor_s = at_floor.seconds
        if args.dask_scaling:
            dask = [
                graded(notebooks, Path(tmp) / f"dask{n}", ["--dask", "local", "--workers", str(n)])
                for n in (1, 2)
            ]
        if args.dask_cluster:
            with loopback_cluster(Path(tmp) / "cluster") as address:
                on_cluster = graded(notebooks, Path(tmp) / "on-cluster", ["--dask", address])
    per_grade, per_plain = whole.seconds / args.copies, baseline_s / min(args.sample, args.copies)
    workers = args.workers or "default (the number of cores)"
    print(f"submissions: {args.copies}, grader workers: {workers}, nbclient sample: {args.sample}")
    print(f"grader grade, whole command (sandbox, probes, scoring, files): {per_grade:.3f} s each")
    print(f"plain nbclient, one kernel per notebook:                     {per_plain:.3f} s each")
    print(f"ratio plain nbclient / grader grade: {per_plain / per_grade:.1f}")
    per_core = per_grade * (args.workers or os.cpu_count() or 1)  # core-seconds each
    print(
        f"floor (the cells exec'd in one warm process, no kernel, no walls): {floor_s:.4f} s "
        f"each; grader grade per core {per_core:.3f} s: {per_core / floor_s:.1f}x the floor "
        f"(nbclient {per_plain / floor_s:.1f}x)"
    )
    rest = (whole.seconds - whole.first_result) / max(args.copies - 1, 1)
    print(
        f"grader grade's first result after {whole.first_result:.1f} s (start-up, trial run and "
        f"one submission), then {rest:.3f} s per submission"
    )
    if whole.cpu is not None:
        print(
            f"CPU of grader grade and all its processes: {whole.cpu / args.copies:.3f} s per "
            f"submission ({whole.cpu:.1f} s in all, start-up included)"
        )
    if whole.cpu is not None and whole.cpu_at_first is not None and args.copies > 1:
        # Both sides in CPU seconds: what other work on a shared machine changes least.
        running = (whole.cpu - whole.cpu_at_first) / (args.copies - 1)
        print(
            f"CPU per submission once the first result is in: {running:.3f} s; the floor's CPU "
            f"{at_floor.cpu:.4f} s: {running / at_floor.cpu:.1f}x the floor in CPU"
        )
    print(
        f"the walls alone (per submission an init, a runner and {bare.probes} probe processes "
        f"forked from the warm process, nothing inside): {bare.alone:.4f} s of CPU, "
        f"{bare.alone / at_floor.cpu:.1f}x the floor's CPU; with the floor's cells run in the "
        f"runner before its probe forks: {bare.with_cells:.4f} s, "
        f"{bare.with_cells / at_floor.cpu:.1f}x"
    )
    if args.dask_scaling:
        (one, one_cpu), (two, two_cpu) = ((timed.seconds, timed.cpu) for timed in dask)
        print(f"--dask local: 1 worker {one:.1f} s, 2 workers {two:.1f} s, speedup {one / two:.2f}")
        if one_cpu is not None and two_cpu is not None:
            # Two cores bound the speedup at 2 / (cores one worker keeps busy).
            print(
                f"  cores busy: {one_cpu / one:.2f} with 1 worker, {two_cpu / two:.2f} with 2 "
                f"(speedup bound on 2 cores: {2 * one / one_cpu:.2f}); CPU per submission "
                f"{one_cpu / args.copies:.3f} s and {two_cpu / args.copies:.3f} s"
            )
    if args.dask_cluster:
        print(
            f"two loopback Dask workers, folders of their own: {on_cluster.seconds:.1f} s; this "
            f"machine alone ({workers} workers): {whole.seconds:.1f} s; speed-up "
            f"{whole.seconds / on_cluster.seconds:.2f} (both on this machine's cores)"
        )
    return 0


if __name__ == "__main__":
    sys.exit(main())
