"""``grader grade --assignment assignments/projects``: the automatic checks of every student's
two projects, shown beside the rubric. They inform the marker; they are not the mark.

Per student folder (from ``grader collect``) and project: the report's facts
(:mod:`report_facts`), the dataset (present, only linked, or missing), the notebook's saved
outputs and its run end to end in the sandbox, in the projects' Colab-like runtime, with the
student's files and dataset in ``/content``. Each result is committed to the course gradebook
at once; ``--resume`` skips projects whose files have not changed since they were checked.
"""

from __future__ import annotations

import argparse
import functools
import os
import shutil
import sys
from pathlib import Path, PurePosixPath
from typing import Any

from grader import engine, intake
from grader.course.rubric import Project, Projects, is_projects_folder, load_projects
from grader.engine.walls import gpu
from grader.errors import UserError
from grader.gradebook.course_book import BOOK_NAME, CourseBook
from grader.grading import device_mapping, remote_projects
from grader.grading.checks_files import CHECKS_CSV, write_checks_csv, write_checks_json
from grader.grading.notebook_facts import run_facts, saved_outputs
from grader.grading.project_handin import ProjectHandIn
from grader.grading.project_schedule import ChecksProgress, checked_here
from grader.intake.common import HISTORY
from grader.intake.handed_in import project_time
from grader.limits import COURSE, GRADING, RunLimits
from grader.marking import pages
from grader.projects.analysis import analyse_handin
from grader.projects.kinds import FILE_ROLES
from grader.report.facts import report_facts, report_text
from grader.scratch import Scratch

__all__ = ["cli", "check_all", "is_projects_folder"]


def hand_ins(folder: Path, projects: Projects) -> list[ProjectHandIn]:
    manifest = intake.load_manifest(folder)
    entries = manifest.get("projects") or []
    student = manifest["student"]["id"]
    return [
        ProjectHandIn(
            student,
            folder,
            project,
            entries[i] if i < len(entries) else {},
            project_time(folder, i + 1).at,
        )
        for i, project in enumerate(projects.projects)
    ]


def dataset_facts(hand_in: ProjectHandIn) -> dict[str, Any]:
    path, link = hand_in.file("dataset"), hand_in.entry.get("dataset_link")
    if path is not None and path.is_file():
        facts: dict[str, Any] = {"status": "present", "file": hand_in.entry["dataset"]}
        facts["bytes"] = path.stat().st_size
        if path.suffix.lower() in (".csv", ".tsv", ".txt"):
            with path.open("rb") as stream:
                facts["lines"] = sum(1 for _ in stream)
        return facts
    if link:
        return {
            "status": "only linked",
            "link": link,
            "note": "not handed in; the sandbox has no network, so the notebook cannot fetch it",
        }
    return {"status": "missing"}


def check_one(
    hand_in: ProjectHandIn,
    limits: engine.RunLimits,
    runtime: Path | None,
    tolerance: float = 0.05,
    scratch: Path | None = None,
) -> dict[str, Any]:
    """Every automatic check of one project, as plain data; the student's files are staged
    for the run in ``scratch`` (default: the temporary folder)."""
    checks: dict[str, Any] = {"title": hand_in.entry.get("title") or "", "digest": hand_in.digest()}
    # Where the handed-in files are, for the marker's view (grader serve), and the folder
    # they must still be inside when it serves them.
    checks["folder"] = str(hand_in.folder.resolve())
    checks["handed_in_at"] = hand_in.submitted_at  # this project's own time, not the folder's
    checks["files"] = {
        key: str(path.resolve())
        for key in FILE_ROLES
        if (path := hand_in.file(key)) is not None and path.is_file()
    }
    report = hand_in.file("report")
    checks["report"] = (
        report_facts(report) if report is not None and report.is_file() else {"verdict": "missing"}
    )
    checks["dataset"] = dataset_facts(hand_in)
    handed = {key: hand_in.file(key) for key in FILE_ROLES}
    handed = {
        k: path if path is not None and path.is_file() else None for k, path in handed.items()
    }
    notebook = handed["notebook"]
    if notebook is None:
        checks["notebook"] = {"status": "missing"}
        checks.update(analyse_handin(handed, hand_in.folder, None, tolerance, [], report_text))
        return checks
    facts = {"file": hand_in.entry["notebook"], **saved_outputs(notebook)}
    if checks["dataset"]["status"] == "present":
        name = PurePosixPath(hand_in.entry["dataset"]).name
        opened = any(PurePosixPath(read).name == name for read in facts.get("reads_files", []))
        checks["dataset"]["opened_by_notebook"] = opened
    # a Scratch: the student's files staged by a run that was killed are removed by the next
    with Scratch(scratch, "grader-project-") as stage:
        files, placed = _stage(hand_in, stage, facts.get("reads_files", []))
        on_gpu = runtime is not None and gpu.runs_on_gpu(runtime)  # as the sandbox shows it
        if on_gpu:
            limits = device_mapping.for_cuda(limits)
        ahead = GRADING.warm_imports  # what project notebooks import, as course notebooks do
        run = engine.run_submission(
            files / notebook.name,
            [],
            limits,
            files,
            runtime=runtime,
            warm_imports=ahead,
            gpu_to_cpu=not on_gpu,  # where the notebook asks for a GPU the sandbox lacks
        )
    mapped = device_mapping.gpu_lines(run.gpu, notebook)
    facts["run"] = run_facts(run)
    device_mapping.said_of_the_run(facts["run"], mapped, notebook)
    if mapped:
        facts["gpu_lines"] = mapped
    if placed:
        facts["placed"] = placed
    checks["notebook"] = facts
    rerun = run.output if run.status != "invalid" else None
    reads = facts.get("reads_files", [])
    checks.update(analyse_handin(handed, hand_in.folder, rerun, tolerance, reads, report_text))
    return checks


def check_unpacked(
    student: str,
    folder: Path,
    project: Project,
    entry: dict[str, Any],
    submitted_at: str | None,
    *run: Any,
) -> dict[str, Any]:
    """:func:`check_one` of a hand-in a Dask worker unpacked in ``folder`` (``run``: its
    arguments after the hand-in)."""
    return check_one(ProjectHandIn(student, folder, project, entry, submitted_at), *run)


def _stage(hand_in: ProjectHandIn, stage: Path, reads: list[str]) -> tuple[Path, list[str]]:
    """The files the notebook finds in /content: the student's files, the notebook and the
    dataset at the top, and a handed-in file also where the notebook opens it (a Colab path
    such as ``/content/drive/MyDrive/data/x.csv`` or ``data/x.csv``). Returns the folder and
    the guessed placements, which the checks report."""
    files = stage / "content"
    shutil.copytree(
        hand_in.folder,
        files,
        ignore=shutil.ignore_patterns(HISTORY, "manifest.json"),
        symlinks=True,  # a planted link stays a link: what it names is not copied in
    )
    for key in ("notebook", "dataset"):
        path = hand_in.file(key)
        if path is not None and path.is_file() and not (files / path.name).exists():
            shutil.copy2(path, files / path.name)
    handed_in = {p.name: p for p in hand_in.folder.rglob("*") if p.is_file() and not p.is_symlink()}
    placed = []
    for wanted in reads:
        relative = _inside_content(wanted)
        if relative is None or relative.name not in handed_in:
            continue
        target = files / relative
        if not target.exists():
            target.parent.mkdir(parents=True, exist_ok=True)
            shutil.copy2(handed_in[relative.name], target)
            placed.append(
                f"{handed_in[relative.name].name} placed at {wanted} (as the notebook opens it)"
            )
    return files, placed


def _inside_content(path: str) -> PurePosixPath | None:
    """Where a path the notebook opens lies under /content, or None if outside or unsafe."""
    posix = PurePosixPath(path)
    if posix.is_absolute():
        try:
            posix = posix.relative_to("/content")
        except ValueError:
            return None
    parts = posix.parts
    if parts[:2] == ("drive", "MyDrive"):  # the stub's drive.mount shows /content as MyDrive
        parts = parts[2:]
    if not parts or any(part in ("..", "") for part in parts):
        return None
    return PurePosixPath(*parts)


def check_all(
    paths: list[Path],
    projects_dir: Path,
    out: Path,
    *,
    timeout: float | None = None,
    workers: int = 1,
    resume: bool = False,
    unsafe_no_sandbox: bool = False,
    runtime: Path | None = None,
    own_environment: bool = False,
    dask: str | None = None,
) -> list[tuple[ProjectHandIn, dict[str, Any]]]:
    """Check every project of every student folder in ``paths``; returns (hand-in, checks).

    The notebooks run in ``runtime`` (default: the projects' runtime of projects.toml), or in
    the grader's own environment with ``own_environment``; with ``dask`` (a scheduler's
    address, or ``local``), on the cluster's workers, each in the runtime it was set up with."""
    projects = load_projects(projects_dir)
    if dask and runtime is not None:
        raise UserError("a runtime is each Dask worker's own: set it up there, give none here")
    limits = RunLimits.for_assignment(
        projects,
        timeout=timeout,
        unsafe_no_sandbox=unsafe_no_sandbox,
        disk_bytes=COURSE.project_disk_bytes,
    )
    if not dask:  # else each worker finds its own runtime and checks its own sandbox
        if not own_environment:
            runtime = runtime or projects.runtime_path()
        engine.check_sandbox(limits)
    todo: list[ProjectHandIn] = []
    for path in paths:
        if not path.is_dir():
            raise UserError(
                f"{path}: give student folders written by `grader collect` (project hand-ins "
                "are graded from collected folders)"
            )
        todo += hand_ins(path, projects)
    out.mkdir(parents=True, exist_ok=True)
    done: list[tuple[ProjectHandIn, dict[str, Any]]] = []
    with CourseBook(out / BOOK_NAME) as book:
        if resume:
            fresh = []
            for hand_in in todo:
                previous = book.latest_checks(hand_in.student, hand_in.project.id)
                if previous and previous[0].checks.get("digest") == hand_in.digest():
                    done.append((hand_in, previous[0].checks))
                else:
                    fresh.append(hand_in)
            print(f"resuming: {len(done)} checked already, {len(fresh)} to check", file=sys.stderr)
            todo = fresh
        progress = ChecksProgress(len(todo))
        if dask:
            job = remote_projects.job_of(projects_dir, timeout, unsafe_no_sandbox, own_environment)
            checked = remote_projects.checked_on_dask(
                dask, max(1, workers), job, todo, check_unpacked
            )
        else:
            one = functools.partial(
                check_one, limits=limits, runtime=runtime, tolerance=projects.rerun_tolerance
            )
            checked = checked_here(todo, one, workers)
        try:
            for hand_in, checks, worker in checked:
                book.record_checks(
                    hand_in.student, hand_in.project.id, hand_in.submitted_at, checks
                )
                pages.write_checks_page(
                    out, projects, hand_in.student, hand_in.project, checks, book
                )
                write_checks_json(out, hand_in.student, hand_in.project.id, checks)
                progress.update(hand_in, checks, worker)
                done.append((hand_in, checks))
        finally:  # what came back is in the table, though a project did not
            write_checks_csv(out, book)
    return done


def summary_table(results: list[tuple[ProjectHandIn, dict[str, Any]]]) -> str:
    header = (
        "student",
        "project",
        "report",
        "pages",
        "words",
        "figs",
        "refs",
        "dataset",
        "lstm",
        "pitfalls",
        "notebook",
    )
    lines = [header]
    for hand_in, checks in results:
        report, notebook = checks.get("report", {}), checks.get("notebook", {})
        run = notebook.get("run", {})
        run_text = run.get("status", notebook.get("status", "?"))
        if run.get("first_failing_cell"):
            run_text += f" (cell {run['first_failing_cell']}: {run.get('error', '')[:40]})"
        elif run.get("gpu"):  # any library's: its row says so, as its page does
            run_text += f" ({device_mapping.ON_THE_CPU})"
        lines.append(
            (
                hand_in.student,
                hand_in.project.id,
                report.get("verdict", "?"),
                str(report.get("pages", "-")),
                str(report.get("total_words", "-")),
                str(report.get("figures", "-")),
                str(report.get("references", "-")),
                checks.get("dataset", {}).get("status", "?"),
                _lstm_text(checks.get("model") or {}),
                str(len(checks.get("pitfalls") or [])) if checks.get("model") else "-",
                run_text,
            )
        )
    widths = [max(len(line[i]) for line in lines) for i in range(len(header))]
    return "\n".join(
        "  ".join(c.ljust(w) for c, w in zip(line, widths, strict=True)) for line in lines
    )


def _lstm_text(model: dict[str, Any]) -> str:
    if not model:
        return "-"
    return "yes" if model.get("uses_lstm") else "no"


# `grader grade`'s flags that mean nothing for a projects folder, and why: refused, never ignored.
_NOT_FOR_PROJECTS = {
    "seed": "the projects' checks draw no hidden cases",
    "roster": "the projects' checks name students as their collected folders do",
}


def cli(args: argparse.Namespace) -> int:
    for flag, why in _NOT_FOR_PROJECTS.items():
        if getattr(args, flag, None) is not None:
            raise UserError(f"--{flag} is not for a projects folder ({args.assignment}): {why}")
    if args.workers is not None and args.workers < 1:
        raise UserError(f"--workers {args.workers}: give 1 or more")
    if args.workers is not None and args.dask not in (None, "local"):
        raise UserError(
            f"--workers is not for --dask {args.dask}: the cluster's workers are its own "
            "(start more with `dask worker`)"
        )
    out = Path(args.out)
    results = check_all(
        [Path(p) for p in args.paths],
        Path(args.assignment),
        out,
        timeout=args.timeout,
        # Its checks run in threads that share one warm process: each costs no warm start
        # (on a local Dask cluster, one worker process per core).
        workers=args.workers if args.workers is not None else os.cpu_count() or 1,
        resume=args.resume,
        unsafe_no_sandbox=args.unsafe_no_sandbox,
        dask=args.dask,
    )
    print(summary_table(results))
    for hand_in, checks in results:  # a line for each notebook written for a GPU
        if said := checks.get("notebook", {}).get("run", {}).get("gpu"):
            print(f"{hand_in.student} {hand_in.project.id}: {said}")
    print(
        f"\nwrote the checks to {out / BOOK_NAME}, {out / CHECKS_CSV} and a marking page per "
        f"project, e.g. {out}/<student>/<project>-checks.html (and -checks.json)"
    )
    return 0
