"""Grading on a Dask cluster whose workers share no folder with ``grader grade``.

Everything a worker needs is sent as plain data: the assignment folder's files and each
hand-in's files as bytes (read here, where every path was resolved), the run's options, and the
course's verdict on each hand-in's lateness (the course is here, not there). A worker writes
them into a folder of its own, grades there as one machine would, and sends back the row and
the files the grading wrote (the student's feedback folder), which are written under ``--out``
here. The scheduler unpickles the task graph: it names only the standard library
(``pickle.loads``, ``operator.call``), bytes and dicts, so it reads no file and needs dask
alone, never the grader; the grader's functions travel as pickled bytes, loaded on a worker.
"""

from __future__ import annotations

import contextlib
import dataclasses
import hashlib
import operator
import os
import pickle
import tempfile
from collections.abc import Callable, Iterable, Iterator
from pathlib import Path, PurePosixPath
from typing import Any

from grader.course.late import Lateness
from grader.engine.run.trial import GraderUnavailable
from grader.errors import UserError
from grader.gradebook.results import Row
from grader.grading.answering import KnownValues, values_of
from grader.grading.grader_process import grade_safely, plan_for, trial_run, warm_up_quietly
from grader.grading.steps import KnownLateness, Plan, lateness_of
from grader.grading.submissions import HandIn, as_now, vanished, version_of
from grader.hand_in_time import HandInTime
from grader.variants import attribution
from grader.variants.record import read_record, record_path

Files = dict[str, bytes]  # relative POSIX path -> content


def packed_folder(folder: Path) -> Files:
    """Every file under ``folder`` (links not followed), by relative path."""
    files: Files = {}
    for root, _, names in os.walk(folder):
        for name in names:
            path = Path(root, name)
            if path.is_file() and not path.is_symlink():
                with contextlib.suppress(FileNotFoundError):  # replaced while it is read
                    files[path.relative_to(folder).as_posix()] = path.read_bytes()
    return files


def unpack(files: Files, folder: Path) -> None:
    """Write ``files`` under ``folder``; a path that would leave it is refused."""
    for name, data in files.items():
        relative = PurePosixPath(name)
        if relative.is_absolute() or ".." in relative.parts or not relative.parts:
            raise ValueError(f"not a path inside the folder: {name!r}")
        path = folder.joinpath(*relative.parts)
        path.parent.mkdir(parents=True, exist_ok=True)
        path.write_bytes(data)


@dataclasses.dataclass(frozen=True)
class Job:
    """What every task of a run carries: the assignment's files and the run's options."""

    name: str  # the assignment folder's name
    files: Files
    timeout: float | None
    unsafe_no_sandbox: bool
    record: bytes  # the course's release record of the assignment (b"" where it has none)
    decimals: int  # the course's, for the scores on the pages (a worker sees no course)
    digest: str = ""  # of all the above: the job's name on the cluster and on its workers

    def sent(self) -> dict[str, Any]:
        return dataclasses.asdict(self)


def job_of(plan: Plan, timeout: float | None, unsafe_no_sandbox: bool) -> dict[str, Any]:
    folder = plan.config.directory
    files = packed_folder(folder)
    record = _record_bytes(folder, plan.config.name)
    digest = hashlib.sha256(repr((folder.name, timeout, unsafe_no_sandbox, plan.decimals)).encode())
    for name in sorted(files):
        digest.update(name.encode() + b"\0" + hashlib.sha256(files[name]).digest())
    digest.update(b"record\0" + hashlib.sha256(record).digest())
    job = Job(
        folder.name, files, timeout, unsafe_no_sandbox, record, plan.decimals, digest.hexdigest()
    )
    return job.sent()


def _record_bytes(assignment_dir: Path, assignment: str) -> bytes:
    """The release record of the course that holds the assignment (what each student was
    released: their drawn questions, their variant's fingerprint), read here: a worker sees
    no course folder."""
    path = attribution.record_file(assignment_dir, assignment)
    try:
        return path.read_bytes() if path is not None else b""
    except FileNotFoundError:
        return b""


def hand_in_of(submission: HandIn, plan: Plan) -> dict[str, Any]:
    """One hand-in as plain data: its files (its folder, or its notebook alone) and what the
    course says of its lateness. A hand-in ``grader collect`` replaced since it was listed is
    sent as its folder holds it now; one replaced while it is read is read again (one that
    keeps changing goes as read: its worker finds what is missing the grader's error)."""
    for _ in range(3):
        if vanished(submission):
            now = as_now(submission, plan.config)
            submission = submission if now.notebook is None else now
        before = version_of(submission)
        packed = _packed(submission, plan)
        if version_of(submission) == before:
            break
    return packed


def _packed(submission: HandIn, plan: Plan) -> dict[str, Any]:
    files: Files = {}
    notebook = None
    if submission.files_dir is not None:
        files = packed_folder(submission.files_dir)
        if submission.notebook is not None:
            notebook = submission.notebook.relative_to(submission.files_dir).as_posix()
    elif submission.notebook is not None:
        notebook = submission.notebook.name
        with contextlib.suppress(FileNotFoundError):  # removed since it was listed
            files = {notebook: submission.notebook.read_bytes()}
    lateness = lateness_of(submission, plan)
    return {
        "values": values_of(plan.config, submission.student).values,
        "student": submission.student,
        "source": str(submission.source),
        "folder": submission.files_dir is not None,
        "notebook": notebook,
        "files": files,
        "late": submission.late,
        "problem": submission.problem,
        "handed_in": submission.handed_in.record(),
        "unreadable": submission.unreadable,
        "lateness": dataclasses.asdict(lateness) if lateness else None,
    }


# -- on a worker ---------------------------------------------------------------------------

_PLANS: dict[str, Plan] = {}  # a worker process's plans, by the job's content


def worker_scratch() -> str | None:
    """The scratch folder of the Dask worker running this task: Dask removes it when the worker
    ends, and a killed worker's when the next one starts on the machine, so the assignment
    (its hidden tests too) is not left behind. None outside a worker (the system's temporary
    folder)."""
    from distributed import get_worker

    try:
        return get_worker().local_directory
    except ValueError:  # not in a worker's task
        return None


def _plan(job: dict[str, Any]) -> Plan:
    """The job's plan, its assignment written into a folder of this worker (once)."""
    digest = job["digest"]
    if digest not in _PLANS:
        root = Path(tempfile.mkdtemp(prefix="grader-dask-", dir=worker_scratch()))
        unpack(job["files"], root / job["name"])
        if job["record"]:  # kept as a course keeps it, in a folder that is no course
            record = record_path(root, job["name"])
            record.parent.mkdir()
            record.write_bytes(job["record"])
            attribution.place_record(root / job["name"], read_record(root, job["name"]))
        _PLANS[digest] = plan_for(
            root / job["name"],
            root / "out",
            timeout=job["timeout"],
            unsafe_no_sandbox=job["unsafe_no_sandbox"],
            decimals=job["decimals"],
        )
    return _PLANS[digest]


def warm(job: dict[str, Any]) -> None:
    """Start this Dask worker's warm process, before its first hand-in comes."""
    warm_up_quietly(_plan(job))


def tried(job: dict[str, Any]) -> float:
    """The trial notebook on this worker: its seconds."""
    return trial_run(_plan(job))


def graded(job: dict[str, Any], hand_in: dict[str, Any], seed: int) -> dict[str, Any]:
    """Grade one hand-in in a folder of this worker; its row and the files the grading wrote."""
    plan = _plan(job)
    # in the worker's scratch folder: a worker killed mid-grading leaves nothing for good
    with tempfile.TemporaryDirectory(
        prefix="grader-dask-hand-in-", dir=worker_scratch()
    ) as scratch:
        folder = Path(scratch, "in", hand_in["student"])
        folder.mkdir(parents=True)
        unpack(hand_in["files"], folder)
        notebook = folder / hand_in["notebook"] if hand_in["notebook"] else None
        submission = HandIn(
            hand_in["student"],
            Path(hand_in["source"]),
            notebook,
            folder if hand_in["folder"] else None,
            hand_in["late"],
            hand_in["problem"],
            HandInTime.of_record(hand_in["handed_in"]),
            tuple((name, why) for name, why in hand_in["unreadable"]),
        )
        said = hand_in["lateness"]
        lateness = KnownLateness(Lateness(**said) if said else None)
        values = KnownValues(hand_in["values"])
        out = Path(scratch, "out")
        row = grade_safely(submission, dataclasses.replace(plan, out=out), seed, lateness, values)
        written = packed_folder(out) if out.is_dir() else {}
    return {"row": dataclasses.asdict(row), "files": written}


# -- here ----------------------------------------------------------------------------------


def returned(result: dict[str, Any], out: Path) -> Row:
    """A worker's result: its files written under ``out``, its row."""
    unpack(result["files"], out)
    return Row(**result["row"])


def submit(client: Any, function: Callable[..., Any], *args: Any, **options: Any) -> Any:
    """``function(*args)`` on a worker, the scheduler seeing only the standard library: the
    function is sent as its pickle (by name: every worker has the grader), loaded there."""
    return client.submit(operator.call, loaded(client, function), *args, pure=False, **options)


def in_turn(number: int) -> dict[str, int]:
    """The options of a run's ``number``-th task (from 0) that have the cluster start it before
    those after it: tasks sent together are otherwise started in an order Dask chooses. So the
    run's progress goes down the list it was given, and one worker takes them in that order."""
    return {"priority": -number}


def loaded(client: Any, function: Callable[..., Any]) -> Any:
    """A future of ``function`` loaded on a worker from its pickle: an argument of a task
    that calls it (a task's arguments reach the scheduler: a function among them by bytes)."""
    name = f"{function.__module__}.{function.__qualname__}"
    return client.submit(pickle.loads, pickle.dumps(function), key=f"grader-function-{name}")


@dataclasses.dataclass(frozen=True)
class Failed:
    """What a task gave instead of its result: the error it raised on the cluster, or the
    cluster's own (``KilledWorker``: every worker that ran it died, as often as the scheduler
    allows)."""

    error: BaseException

    def why(self) -> str:
        """Why the task's result did not come back, for the person who runs the command (not
        done here instead: this machine may lack what the workers have, and a task that killed
        its workers would fail alike)."""
        from distributed import KilledWorker

        if isinstance(self.error, KilledWorker):
            return (
                "every Dask worker that ran it died before it was done (out of memory? see the "
                "workers' logs)"
            )
        said = f"its task failed on the Dask cluster ({type(self.error).__name__}: {self.error})"
        missing = isinstance(self.error, ModuleNotFoundError) and self.error.name
        if missing and missing.split(".")[0] == "grader":  # a task's function, loaded by name
            return f"{said}: that worker has no grader to import; install it on every worker"
        return said


def awaited(future: Any, task: str) -> Any:
    """The result of ``future``, the task a run goes on from (``task`` names it: the trial
    notebook, a worker's setting up). A :class:`UserError` the worker raised comes as it is;
    any other failure (a worker without the grader, every worker that ran it dead) comes as
    :class:`GraderUnavailable`, one line saying why, instead of a traceback."""
    try:
        return future.result()
    except UserError:
        raise
    except Exception as error:
        raise GraderUnavailable(f"{task}: {Failed(error).why()}") from None


def finished(futures: Iterable[Any]) -> Iterator[tuple[Any, Any]]:
    """(future, result) of each of ``futures`` as its task finishes (a task of a worker that
    died runs again elsewhere), a :class:`Failed` for one that failed; the future released
    once its result is here. A result stays on the worker that computed it while a future holds
    it, and the scheduler computes it again elsewhere if that worker dies, though the run
    already wrote it."""
    from dask.distributed import as_completed

    for future in as_completed(futures):
        try:
            result = future.result()
        except Exception as error:  # one task's end, told with its hand-in; the others go on
            result = Failed(error)
        future.release()
        yield future, result


def gathered(
    futures: dict[Any, Any], out: Path, failed: Callable[[Any, Failed], Row]
) -> Iterator[Row]:
    """The rows as their tasks finish, each with its files written under ``out``; the row
    ``failed(what, failure)`` for a task that failed, ``what`` being what ``futures`` maps its
    future to."""
    for future, result in finished(futures):
        if isinstance(result, Failed):
            yield failed(futures[future], result)
        else:
            yield returned(result, out)
