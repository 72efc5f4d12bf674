"""The projects' checks on a Dask cluster whose workers share no folder with ``grader grade``
(as :mod:`grader.grading.remote` does for assignments).

What a worker needs is sent as plain data: the projects folder's settings (``projects.toml``,
the rubric: its top-level files), the run's options, and each project hand-in: the student's
folder's files (not its ``history/`` of earlier versions), the manifest's entry of the project
and when it was handed in, read here where every path was resolved. A worker writes them into
a folder of its own inside its Dask scratch folder (which Dask removes when the worker ends, a
killed worker's when the next starts), checks the project there as one machine does, in the
projects' runtime it was set up with (``grader setup --projects``), and sends back the checks.
Here, the worker's folder in them is replaced by the student's folder here, so the marker's
view (``grader serve``) shows the files it has, and the checks are recorded as one machine's.
"""

from __future__ import annotations

import hashlib
import sys
import tempfile
from collections.abc import Callable, Iterator, Sequence
from contextlib import contextmanager
from pathlib import Path, PurePosixPath
from typing import Any

from grader import engine
from grader.course.rubric import load_projects
from grader.errors import UserError
from grader.grading import remote
from grader.grading.project_handin import ProjectHandIn
from grader.intake.common import HISTORY
from grader.limits import COURSE, GRADING, RunLimits

# check(student, folder, project, entry, submitted_at, limits, runtime, tolerance, scratch):
# the checks of a hand-in unpacked in ``folder`` (project_checks.check_unpacked)
CheckUnpacked = Callable[..., dict[str, Any]]


def job_of(
    projects_dir: Path, timeout: float | None, unsafe_no_sandbox: bool, own_environment: bool
) -> dict[str, Any]:
    """What every task of a run carries: the projects' settings and the run's options."""
    files = {
        path.name: path.read_bytes()
        for path in sorted(Path(projects_dir).iterdir())
        if path.is_file() and not path.is_symlink()  # its files, never a runtime built in it
    }
    options = {"timeout": timeout, "unsafe_no_sandbox": unsafe_no_sandbox}
    options["own_environment"] = own_environment
    digest = hashlib.sha256(repr(sorted(options.items())).encode())
    for name, data in files.items():
        digest.update(name.encode() + b"\0" + hashlib.sha256(data).digest())
    return {"files": files, **options, "digest": digest.hexdigest()}


def hand_in_of(hand_in: ProjectHandIn) -> dict[str, Any]:
    """One project hand-in as plain data: its folder's files (a planted link is not followed)
    and what the manifest says of the project."""
    files = remote.packed_folder(hand_in.folder)
    files = {name: data for name, data in files.items() if name.split("/")[0] != HISTORY}
    return {
        "student": hand_in.student,
        "project": hand_in.project.id,
        "entry": hand_in.entry,
        "submitted_at": hand_in.submitted_at,
        "files": files,
    }


# -- on a worker ---------------------------------------------------------------------------


@contextmanager
def _projects_folder(job: dict[str, Any]) -> Iterator[Path]:
    """The job's projects folder, written into this worker's scratch folder for one task and
    removed after it: a worker that finished its share keeps nothing of the course."""
    with tempfile.TemporaryDirectory(
        prefix="grader-dask-projects-", dir=remote.worker_scratch()
    ) as root:
        remote.unpack(job["files"], Path(root, "projects"))
        yield Path(root, "projects")


def _worker_name() -> str:
    from distributed import get_worker

    try:
        worker = get_worker()
    except ValueError:  # not in a worker's task
        return "this process"
    return str(worker.name if worker.name is not None else worker.address)


def _setting_up(folder: Path, job: dict[str, Any]) -> tuple[Any, RunLimits, Path | None]:
    """The projects of ``folder``, the limits of a run and this worker's runtime; a worker that
    cannot run the projects' notebooks raises :class:`UserError` naming itself and what to do
    there."""
    projects = load_projects(folder)
    limits = RunLimits.for_assignment(
        projects,
        timeout=job["timeout"],
        unsafe_no_sandbox=job["unsafe_no_sandbox"],
        disk_bytes=COURSE.project_disk_bytes,
    )
    try:
        runtime = None if job["own_environment"] else projects.runtime_path()
        engine.check_sandbox(limits)
    except UserError as error:
        raise UserError(f"Dask worker {_worker_name()}: {error}") from None
    return projects, limits, runtime


def ready(job: dict[str, Any]) -> str:
    """This worker set up to check projects, its warm process starting (in the task thread,
    which checks them): its name, or UserError saying what it lacks."""
    with _projects_folder(job) as folder:
        _, limits, runtime = _setting_up(folder, job)
    engine.warm_up(limits, runtime=runtime, warm_imports=GRADING.warm_imports)
    return _worker_name()


def checked(job: dict[str, Any], hand_in: dict[str, Any], check: CheckUnpacked) -> dict[str, Any]:
    """Check one project in a folder of this worker's scratch folder; its checks, the folder
    they name, and this worker's name."""
    with (
        _projects_folder(job) as projects_folder,
        tempfile.TemporaryDirectory(
            prefix="grader-dask-project-", dir=remote.worker_scratch()
        ) as scratch,
    ):
        projects, limits, runtime = _setting_up(projects_folder, job)
        [project] = [p for p in projects.projects if p.id == hand_in["project"]]
        folder = Path(scratch, "in", hand_in["student"])
        folder.mkdir(parents=True)
        remote.unpack(hand_in["files"], folder)
        said = hand_in["student"], folder, project, hand_in["entry"], hand_in["submitted_at"]
        checks = check(*said, limits, runtime, projects.rerun_tolerance, Path(scratch))
        where = str(folder.resolve())
    return {"checks": checks, "folder": where, "worker": _worker_name()}


# -- here ----------------------------------------------------------------------------------


def as_here(result: dict[str, Any], folder: Path) -> dict[str, Any]:
    """A worker's checks with its folder replaced by the student's ``folder`` here: every
    string of them that is the worker's folder or a path inside it (a value, or a key), and
    nothing else (a student's words that happen to name it stay as they are)."""
    there, here = PurePosixPath(result["folder"]), Path(folder).resolve()

    def mapped(value: Any) -> Any:
        if isinstance(value, dict):
            return {mapped(key): mapped(item) for key, item in value.items()}
        if isinstance(value, list):
            return [mapped(item) for item in value]
        if isinstance(value, str) and value.startswith(str(there)):
            inside = PurePosixPath(value)
            if inside == there or there in inside.parents:
                return str(here / inside.relative_to(there))
        return value

    return mapped(result["checks"])


def checked_on_dask(
    address: str,
    workers: int,
    job: dict[str, Any],
    todo: Sequence[ProjectHandIn],
    check: CheckUnpacked,
) -> Iterator[tuple[ProjectHandIn, dict[str, Any], str | None]]:
    """Each project checked by ``check`` on a worker of the cluster at ``address`` (``local``:
    one of ``workers`` processes on this machine): (hand-in, checks, the worker's name) as each
    comes. A worker that dies mid-run loses nothing: Dask gives its projects to another, and
    each is checked, and yielded, once. Projects whose every worker died are told once the
    others are in, as :class:`UserError`."""
    from grader.grading.workers import dask_client

    with dask_client(address, workers) as client:
        sent = client.submit(dict, job, key=f"grader-projects-{job['digest']}", pure=False)
        names = list(client.scheduler_info()["workers"])
        where = "on a local Dask cluster" if address == "local" else "on the Dask cluster"
        print(
            f"checking {len(todo)} projects {where} ({address}): {len(names)} workers",
            file=sys.stderr,
            flush=True,
        )
        for address_of_worker in names:  # each worker says it can run the notebooks first
            setting_up = remote.submit(
                client, ready, sent, workers=[address_of_worker], allow_other_workers=True
            )
            remote.awaited(setting_up, "nothing was checked; a worker setting up")
        function = remote.loaded(client, check)
        futures = {
            remote.submit(
                client,
                checked,
                sent,
                hand_in_of(hand_in),
                function,
                key=f"check-{job['digest'][:16]}-{hand_in.student}-{hand_in.project.id}-"
                f"{hand_in.digest()[:16]}",
                **remote.in_turn(number),
            ): hand_in
            for number, hand_in in enumerate(todo)
        }
        lost = []
        for future, result in remote.finished(futures):
            hand_in = futures[future]
            if isinstance(result, remote.Failed):
                if isinstance(result.error, UserError):  # a worker saying what it lacks
                    raise result.error
                lost.append(f"{hand_in.student}'s {hand_in.project.id}: {result.why()}")
                continue
            yield hand_in, as_here(result, hand_in.folder), result["worker"]
        if lost:
            raise UserError(
                f"{len(lost)} project{'s' if len(lost) != 1 else ''} not checked ("
                + "; ".join(lost)
                + "). The checks that came back are recorded; run the same command with "
                "--resume to check the rest"
            )
