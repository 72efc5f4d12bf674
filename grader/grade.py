"""``grader grade``: run every submission in the sandbox, score it, record it, hand it back.

The student's notebook runs in :mod:`grader.execute`'s sandbox; its graded functions are
probed with hidden cases drawn from a per-submission seed; :mod:`grader.score` compares the
answers on this (trusted) side; each result is committed to the gradebook as soon as it is
known, so a killed run loses nothing and ``--resume`` picks up where it stopped.
"""

from __future__ import annotations

import argparse
import contextlib
import hashlib
import json
import secrets
import sys
import tempfile
import time
import traceback
from collections.abc import Iterator, Sequence
from concurrent.futures import FIRST_COMPLETED, ProcessPoolExecutor, wait
from dataclasses import dataclass, replace
from datetime import datetime
from pathlib import Path

import nbformat

from grader import assign, execute, export, score
from grader.errors import UserError
from grader.gradebook import Gradebook, Row


@dataclass(frozen=True)
class Submission:
    """One student's hand-in as found on disk."""

    student: str
    source: Path  # what the user named: a notebook, a student folder or a bundle zip
    notebook: Path | None  # the notebook to grade, None when there is none
    files_dir: Path | None  # the student's files, copied beside the notebook in the sandbox
    late: bool | None
    problem: str | None = None  # why it cannot be run, when it cannot

    @property
    def sha256(self) -> str:
        digest = hashlib.sha256(self.student.encode())
        if self.notebook is not None and self.notebook.is_file():
            digest.update(self.notebook.read_bytes())
        else:
            digest.update(str(self.problem).encode())
        return digest.hexdigest()


# --- finding submissions -----------------------------------------------------------------


def _late(manifest: dict, deadline: datetime | None) -> bool | None:
    if "late" in manifest:
        return bool(manifest["late"])
    submitted = manifest.get("submitted_at") or manifest.get("created")
    if deadline is None or not submitted:
        return None
    try:
        return datetime.fromisoformat(submitted) > deadline
    except (TypeError, ValueError):
        return None


def _pick_notebook(folder: Path, config: assign.AssignmentConfig) -> Path | str:
    """The notebook of ``folder`` that defines the most graded functions, or why none does."""
    notebooks = sorted(p for p in folder.rglob("*.ipynb") if "history" not in p.parts)
    if not notebooks:
        return f"no notebook (.ipynb) in {folder.name}/"
    named = [p for p in notebooks if p.stem == config.name]
    if named:
        return named[0]
    graded = {f.name for f in config.functions}

    def defined(path: Path) -> int:
        try:
            code = "\n".join(
                c.source for c in nbformat.read(path, as_version=4).cells if c.cell_type == "code"
            )
        except Exception:  # an unreadable notebook defines nothing
            return 0
        return len(graded & score.defined_functions(code))

    count, best = max(((defined(path), path) for path in notebooks), key=lambda pair: pair[0])
    if count == 0 and len(notebooks) > 1:
        names = ", ".join(p.name for p in notebooks)
        return f"none of the notebooks ({names}) defines a graded function"
    return best


def _from_folder(folder: Path, config: assign.AssignmentConfig) -> Submission:
    manifest_path = folder / "manifest.json"
    manifest = {}
    if manifest_path.is_file():
        try:
            manifest = json.loads(manifest_path.read_text(encoding="utf-8"))
        except (json.JSONDecodeError, UnicodeDecodeError):
            manifest = {}
    claimed = str((manifest.get("student") or {}).get("id") or "")
    student = claimed if export.is_plain_name(claimed) else folder.name
    picked = _pick_notebook(folder, config)
    late = _late(manifest, config.deadline)
    if isinstance(picked, str):
        return Submission(student, folder, None, folder, late, problem=picked)
    return Submission(student, folder, picked, folder, late)


def find_submissions(
    paths: Sequence[Path], config: assign.AssignmentConfig, scratch: Path
) -> list[Submission]:
    """One :class:`Submission` per PATH (bundle zips are unpacked into ``scratch``)."""
    from grader import collect

    found = []
    for path in paths:
        if not path.exists():
            raise UserError(
                f"{path}: no such file or folder; give notebooks, student folders "
                "(from `grader collect`) or bundle zips"
            )
        if path.is_dir():
            found.append(_from_folder(path, config))
        elif path.suffix.lower() == ".zip":
            target = scratch / path.stem
            try:
                collect.extract_bundle(path, target)
            except collect.Rejected as error:
                problem = f"bundle rejected: {error.reason}"
                found.append(
                    Submission(error.student or path.stem, path, None, None, None, problem=problem)
                )
                continue
            found.append(replace(_from_folder(target, config), source=path))
        else:
            found.append(Submission(path.stem, path, path, None, None))
    by_student: dict[str, list[Path]] = {}
    for submission in found:
        by_student.setdefault(submission.student, []).append(submission.source)
    clashes = {s: p for s, p in by_student.items() if len(p) > 1}
    if clashes:
        listing = "; ".join(f"{s}: {', '.join(map(str, p))}" for s, p in clashes.items())
        raise UserError(
            f"several submissions for one student ({listing}); "
            "grade them in separate runs or rename them"
        )
    return found


# --- grading one -------------------------------------------------------------------------


def _limits(config: assign.AssignmentConfig, timeout: float | None, unsafe: bool) -> execute.Limits:
    return execute.Limits(
        cell_timeout=timeout or config.cell_timeout,
        notebook_timeout=config.notebook_timeout,
        memory_bytes=config.memory_mb * 1024 * 1024,
        unsafe_no_sandbox=unsafe,
    )


@dataclass(frozen=True)
class Plan:
    """What every submission of one run is graded with."""

    config: assign.AssignmentConfig
    limits: execute.Limits
    out: Path
    owned_checksums: dict[str, str]  # role -> checksum of the released grader-owned cells


def _warnings(
    submission: Submission, run: execute.RunResult, plan: Plan, forbidden: dict[str, list[str]]
) -> list[str]:
    warnings = [f"Forbidden shortcut: {item}" for item in forbidden.get("*", [])]
    if submission.notebook is not None and run.status != "invalid":
        try:
            nb = nbformat.read(submission.notebook, as_version=4)
        except Exception:  # the run already reported why the notebook cannot be read
            nb = None
        if nb is not None:
            problems = assign.owned_cell_problems(nb, plan.owned_checksums)
            warnings += [f"Grader cell changed: {p}" for p in problems]
    if run.output_truncated:
        warnings.append("Your notebook printed more than the grader keeps; the rest was dropped.")
    return warnings


def _run(
    submission: Submission, calls: list[execute.ProbeCall], limits: execute.Limits
) -> execute.RunResult:
    if submission.notebook is not None:
        return execute.run_submission(submission.notebook, calls, limits, submission.files_dir)
    nothing = execute.ProbeOutcome(None, submission.problem)
    return execute.RunResult(
        status="missing",
        reason=submission.problem,
        cell_errors=[],
        output="",
        output_truncated=False,
        probes=[nothing] * len(calls),
        code="",
        duration_s=0.0,
    )


def grade_submission(submission: Submission, plan: Plan, seed: int) -> Row:
    """Run, probe, score and write one submission's files; return its gradebook row."""
    config = plan.config
    cases = score.hidden_cases(
        seed, config.sizes, config.sequence_lengths, config.cases_per_function
    )
    names = [f.name for f in config.functions]
    calls = [execute.ProbeCall(name, case.args) for name in names for case in cases[name]]
    run = _run(submission, calls, plan.limits)
    outcomes, start = {}, 0
    for name in names:  # probes come back in the order of the calls
        probes = run.probes[start : start + len(cases[name])]
        outcomes[name] = [(p.value, p.error) for p in probes]
        start += len(cases[name])
    forbidden = score.forbidden_shortcuts(
        run.code, names, config.forbidden_imports, config.forbidden_calls
    )
    results = {
        f.name: score.score_function(
            f.name,
            f.points,
            cases[f.name],
            outcomes[f.name],
            config.atol,
            config.rtol,
            forbidden.get(f.name, []),
        )
        for f in config.functions
    }
    status = "graded" if run.status == "completed" else run.status
    graded = export.Graded(
        student=submission.student,
        title=config.title,
        seed=seed,
        status=status,
        reason=run.reason,
        functions=results,
        late=submission.late,
        graded_at=datetime.now().astimezone().isoformat(timespec="seconds"),
        warnings=_warnings(submission, run, plan, forbidden),
        cell_errors=[
            f"cell {e.index}: {e.ename}: {e.evalue}" + (" (timed out)" if e.timed_out else "")
            for e in run.cell_errors
        ],
        output=run.output,
        output_truncated=run.output_truncated,
    )
    export.write_student_files(graded, plan.out)
    return Row(
        submission.student,
        str(submission.source),
        submission.sha256,
        seed,
        status,
        run.reason,
        graded.score,
        graded.max_score,
        submission.late,
        {name: r.score for name, r in results.items()},
    )


def _grade_safely(submission: Submission, plan: Plan, seed: int) -> Row:
    """:func:`grade_submission`, with a grader failure turned into a row instead of a crash."""
    try:
        return grade_submission(submission, plan, seed)
    except execute.SandboxUnavailable:
        raise
    except Exception as error:  # one broken submission must not end the run
        traceback.print_exc(file=sys.stderr)
        return Row(
            submission.student,
            str(submission.source),
            submission.sha256,
            seed,
            "error",
            f"the grader failed on this submission: {type(error).__name__}: {error}",
            0.0,
            plan.config.max_score,
            submission.late,
            {},
        )


# --- the run -----------------------------------------------------------------------------


class Progress:
    """A bar with counts and ETA on a terminal; one plain line per submission otherwise."""

    def __init__(self, total: int, stream=sys.stderr):
        self.total, self.done, self.stream = total, 0, stream
        self.started = time.monotonic()
        self.bar = None
        if stream.isatty():
            from tqdm import tqdm

            self.bar = tqdm(total=total, unit="submission", file=stream)

    def update(self, row: Row) -> None:
        self.done += 1
        if self.bar is not None:
            self.bar.set_postfix_str(f"{row.student}: {row.score:g}/{row.max_score:g}")
            self.bar.update(1)
            return
        elapsed = time.monotonic() - self.started
        eta = elapsed / self.done * (self.total - self.done)
        print(
            f"[{self.done}/{self.total}] {row.student}: {row.score:g}/{row.max_score:g} "
            f"{row.status} (ETA {eta:.0f} s)",
            file=self.stream,
            flush=True,
        )

    def close(self) -> None:
        if self.bar is not None:
            self.bar.close()


def _graded_rows(
    todo: list[tuple[Submission, int]], plan: Plan, workers: int, dask: str | None
) -> Iterator[Row]:
    """Grade ``todo`` and yield each row as soon as it is known, in any order."""
    if dask:
        yield from _graded_on_dask(todo, plan, workers, dask)
    elif workers <= 1:
        for submission, seed in todo:
            yield _grade_safely(submission, plan, seed)
    else:
        with ProcessPoolExecutor(max_workers=workers) as pool:
            pending = {pool.submit(_grade_safely, s, plan, seed) for s, seed in todo}
            while pending:
                done, pending = wait(pending, return_when=FIRST_COMPLETED)
                for future in done:
                    yield future.result()


def _graded_on_dask(
    todo: list[tuple[Submission, int]], plan: Plan, workers: int, address: str
) -> Iterator[Row]:
    """The same grading on a Dask cluster: ``address`` of its scheduler, or ``local`` for a
    cluster of ``workers`` processes on loopback. Workers must see the same files (the
    submissions and ``--out``) at the same paths, as on one machine or a shared file system.
    """
    from dask.distributed import Client, LocalCluster, as_completed

    with contextlib.ExitStack() as stack:
        if address == "local":
            cluster = stack.enter_context(
                LocalCluster(
                    n_workers=workers,
                    threads_per_worker=1,
                    processes=True,
                    host="127.0.0.1",
                    dashboard_address=None,
                )
            )
            client = stack.enter_context(Client(cluster))
        else:
            try:
                client = stack.enter_context(Client(address, timeout=10))
            except OSError as error:
                raise UserError(
                    f"--dask {address}: no Dask scheduler answers there ({error}); "
                    "start one (`dask scheduler`) or use --dask local"
                ) from None
        futures = [
            client.submit(
                _grade_safely,
                submission,
                plan,
                seed,
                pure=False,
                key=f"grade-{submission.student}-{seed}",
            )
            for submission, seed in todo
        ]
        for future in as_completed(futures):
            yield future.result()


def grade(
    paths: Sequence[Path],
    assignment_dir: Path,
    out: Path,
    *,
    seed: int | None = None,
    timeout: float | None = None,
    workers: int = 1,
    dask: str | None = None,
    resume: bool = False,
    unsafe_no_sandbox: bool = False,
) -> list[Row]:
    """Grade every submission; return the rows of ``grades.csv`` (one per submission)."""
    config = assign.load_config(assignment_dir)
    if workers < 1:
        raise UserError(f"--workers {workers}: give 1 or more")
    if timeout is not None and timeout <= 0:
        raise UserError(f"--timeout {timeout:g}: give a positive number of seconds")
    limits = _limits(config, timeout, unsafe_no_sandbox)
    execute.check_sandbox(limits)
    out.mkdir(parents=True, exist_ok=True)
    released = assign.released_notebook(config)
    plan = Plan(config, limits, out, assign.owned_checksums(released))
    with (
        tempfile.TemporaryDirectory(prefix="grader-bundles-") as scratch,
        Gradebook(out / "gradebook.sqlite") as book,
    ):
        submissions = find_submissions(paths, config, Path(scratch))
        run_id = book.start_run(
            config.name,
            {"seed": seed, "timeout": timeout, "workers": workers, "dask": dask, "resume": resume},
        )
        todo = [
            (s, _seed(seed, config))
            for s in submissions
            if not (resume and book.has_result(s.student, s.sha256))
        ]
        if resume:
            print(
                f"resuming: {len(submissions) - len(todo)} already graded, {len(todo)} to grade",
                file=sys.stderr,
            )
        progress = Progress(len(todo))
        try:
            for row in _graded_rows(todo, plan, workers, dask):
                book.record(run_id, row)
                progress.update(row)
        finally:
            progress.close()
        students = {s.student for s in submissions}
        rows = [row for row in book.latest() if row.student in students]
        export.write_grades_csv(rows, [f.name for f in config.functions], out / "grades.csv")
    return rows


def _seed(explicit: int | None, config: assign.AssignmentConfig) -> int:
    if explicit is not None:
        return explicit
    if config.seed is not None:
        return config.seed
    return secrets.randbelow(2**31)


def summary_table(rows: Sequence[Row], functions: Sequence[str]) -> str:
    """A plain-text table of the run: one line per student."""
    short = [f[:12] for f in functions]
    header = ["student", "score", "status", *short]
    lines = [
        [
            r.student,
            f"{r.score:g}/{r.max_score:g}",
            r.status,
            *(f"{r.functions.get(f, 0):g}" for f in functions),
        ]
        for r in rows
    ]
    widths = [max(len(str(x)) for x in column) for column in zip(header, *lines, strict=True)]
    render = [
        "  ".join(str(x).ljust(w) for x, w in zip(line, widths, strict=True))
        for line in [header, *lines]
    ]
    return "\n".join(render)


def cli(args: argparse.Namespace) -> int:
    from grader.course import project_checks  # the projects folder has a rubric, not functions

    if project_checks.is_projects_folder(Path(args.assignment)):
        return project_checks.cli(args)
    out = Path(args.out)
    rows = grade(
        [Path(p) for p in args.paths],
        Path(args.assignment),
        out,
        seed=args.seed,
        timeout=args.timeout,
        workers=args.workers,
        dask=args.dask,
        resume=args.resume,
        unsafe_no_sandbox=args.unsafe_no_sandbox,
    )
    config = assign.load_config(Path(args.assignment))
    print(summary_table(rows, [f.name for f in config.functions]))
    print(
        f"\nwrote {out / 'grades.csv'}, {out / 'gradebook.sqlite'} and "
        f"{len(rows)} feedback folders under {out}/"
    )
    return 0
