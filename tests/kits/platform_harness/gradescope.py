"""Gradescope's autograder harness, reproduced in a throwaway container (see
../shared/platforms/AUTOGRADERS.md §1 and §4): the image built from the zip as Gradescope's
Dockerfile does (unzip into /autograder/source, run_autograder copied to /autograder, both
scripts through dos2unix, ``bash /autograder/source/setup.sh`` as root), then each submission in
a fresh container of that image as its ``harness.py`` does it: /autograder/submission and
/autograder/results made afresh, submission_metadata.json written, ``/autograder/run_autograder``
run as root with cwd /autograder under the assignment's limits (768 MB, half a CPU, 10 minutes by
default), results.json read back; a run past the timeout is killed whole and reported with
Gradescope's words.
"""

from __future__ import annotations

import json
import shutil
import stat
import zipfile
from pathlib import Path

from . import docker_default
from .container import Image, Limits, make_opaque, new_run, run_in_container, write_files
from .harness_run import HarnessRun, harness_run, must_have_built, read_results

GRADESCOPE_BUILD_SCRIPTS = ("setup.sh", "run_autograder")
PIP_INDEX = "mnt/pip-index"  # where a local package index is seen in the container


def pip_index_env(pip_index: Path | None) -> dict[str, str]:
    """pip's (and uv's) settings that install from the local index alone."""
    if pip_index is None:
        return {}
    inside = f"/{PIP_INDEX}"
    return {
        "PIP_FIND_LINKS": inside,
        "PIP_NO_INDEX": "1",
        "UV_FIND_LINKS": inside,
        "UV_NO_INDEX": "1",
    }


def gradescope_metadata(
    *,
    email: str,
    name: str,
    sid: str,
    user_id: int = 1001,
    submission_id: int = 300001,
    created_at: str = "2026-11-27T10:00:00.000000-08:00",
    title: str = "Assignment",
    total_points: str = "100.0",
    due_date: str = "2026-12-04T23:59:00.000000-08:00",
    others: tuple[dict, ...] = (),
    previous_submissions: tuple[dict, ...] = (),
) -> dict:
    """A submission_metadata.json as Gradescope writes it (its documented fields and those
    real files carry): one user, or a group with ``others`` (each ``{email, name, sid}``)."""
    dates = {"release_date": "2026-11-20T09:00:00.000000-08:00", "due_date": due_date}
    dates["late_due_date"] = None
    users = [{"email": email, "name": name, "sid": sid}, *others]
    return {
        "id": submission_id,
        "created_at": created_at,
        "assignment_id": None,
        "assignment": {
            **dates,
            "group_size": len(users) if len(users) > 1 else None,
            "group_submission": len(users) > 1,
            "id": 50001,
            "course_id": 7001,
            "title": title,
            "total_points": total_points,
            "outline": [],
        },
        "submission_method": "upload",
        "users": [
            {**user, "id": user.get("id", user_id + number), "assignment": dict(dates)}
            for number, user in enumerate(users)
        ],
        "previous_submissions": list(previous_submissions),
    }


def _dos2unix(path: Path) -> None:
    if path.is_file():
        path.write_bytes(path.read_bytes().replace(b"\r\n", b"\n"))


def _unzip(archive: Path, into: Path) -> None:
    """Extract as ``unzip`` does: the files with their permission bits."""
    with zipfile.ZipFile(archive) as opened:
        for member in opened.infolist():
            target = into / member.filename
            if not target.resolve().is_relative_to(into.resolve()):
                raise ValueError(f"{archive.name}: {member.filename!r} points outside the folder")
            opened.extract(member, into)
            mode = member.external_attr >> 16 & 0o7777
            if mode and not member.is_dir():
                target.chmod(mode)


class GradescopeHarness:
    """An autograder zip built once into an image, then graded per submission."""

    def __init__(
        self,
        autograder_zip: Path,
        workdir: Path,
        *,
        docker_default_seccomp: bool = False,
        memory_bytes: int = 768 * 2**20,
        cpus: float = 0.5,
        timeout_s: float = 600,
        pip_index: Path | None = None,
        env: dict[str, str] | None = None,
        build_timeout_s: float = 1800,
        pids: int | None = 4096,
        linger_s: float = 1.0,
    ):
        self.autograder_zip = Path(autograder_zip)
        self.workdir = Path(workdir)
        self.docker_default_seccomp = docker_default_seccomp
        # Gradescope's pids limit is undocumented; a cap keeps a fork bomb off the host.
        self.limits = Limits(memory_bytes, cpus, pids, timeout_s)
        self.build_timeout_s = build_timeout_s
        # Gradescope's harness reads results.json after run_autograder exits, while what it
        # left running still runs: that moment, made long enough for a left-behind writer
        self.linger_s = linger_s
        self.pip_index = pip_index
        self.env = {**pip_index_env(pip_index), **(env or {})}
        self.image = Image(self.workdir / "image", ("autograder",))
        self.built: HarnessRun | None = None  # the last build
        self._runs = 0

    def _run(self, run, command: list[str], cwd: str, limits: Limits, building: bool):
        if self.pip_index is not None:
            run.binds.append((str(self.pip_index), PIP_INDEX, True))
        seccomp = docker_default.seccomp_program() if self.docker_default_seccomp else None
        return run_in_container(
            run,
            command,
            cwd=cwd,
            env=self.env,
            limits=limits,
            network=True,  # Gradescope's containers reach the network, at build and run
            capabilities=tuple(docker_default.CAPABILITIES.values()),
            seccomp=seccomp,
            as_init=building,  # a RUN step of the image's build is its container's pid 1
            linger_s=0 if building else self.linger_s,
        )

    def build(self) -> HarnessRun:
        """Build the image: the zip unzipped, ``setup.sh`` run once as root."""
        shutil.rmtree(self.image.folder, ignore_errors=True)
        run = new_run(self.image, self.image.folder)
        autograder = run.upper("autograder")
        source = autograder / "source"
        source.mkdir()
        _unzip(self.autograder_zip, source)
        for script in GRADESCOPE_BUILD_SCRIPTS:
            _dos2unix(source / script)
        if not (source / "run_autograder").is_file():
            self.built = HarnessRun(
                1, "", "cp: cannot stat '/autograder/source/run_autograder': no such file"
                " (the zip must hold setup.sh and run_autograder at its root)",
                None, "build failed", 0.0, None, self.image.folder / "upper",
            )  # fmt: skip
            return self.built
        shutil.copy2(source / "run_autograder", autograder / "run_autograder")
        target = autograder / "run_autograder"
        target.chmod(target.stat().st_mode | stat.S_IXUSR | stat.S_IXGRP | stat.S_IXOTH)
        limits = Limits(timeout_s=self.build_timeout_s)
        outcome = self._run(run, ["bash", "/autograder/source/setup.sh"], "/", limits, True)
        self.built = harness_run(
            outcome, self.image.folder / "upper", None, "a build writes no results"
        )
        return self.built

    def submit(self, files: dict[str, bytes], metadata: dict | None = None) -> HarnessRun:
        """Grade one submission of ``files`` (relative path: content) in a fresh container."""
        must_have_built(self.built)
        self._runs += 1
        run = new_run(self.image, self.workdir / "runs" / f"{self._runs:03d}")
        autograder = run.upper("autograder")
        make_opaque(autograder / "submission")
        write_files(autograder / "submission", files)
        make_opaque(autograder / "results")
        if metadata is None:
            metadata = gradescope_metadata(email="student@example.edu", name="A Student", sid="1")
        (autograder / "submission_metadata.json").write_text(json.dumps(metadata, indent=2))
        outcome = self._run(run, ["/autograder/run_autograder"], "/autograder", self.limits, False)
        if outcome.timed_out:  # harness.py's own result for a run it killed
            took = f"It took longer than {self.limits.timeout_s:g} seconds to run."
            results: dict | None = {
                "score": 0,
                "output": f"Your submission timed out. {took}",
                "execution_time": outcome.wall_s,
            }
            error = None
        else:
            results, error = read_results(autograder / "results" / "results.json")
        return harness_run(outcome, run.folder / "upper", results, error)
