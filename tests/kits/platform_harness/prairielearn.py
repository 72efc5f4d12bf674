"""PrairieLearn's external grading, reproduced in a throwaway container (see
../shared/platforms/AUTOGRADERS.md §3 and §4): the course's image built from the question's
Dockerfile (:mod:`.dockerfile`), then per submission a fresh container of it as the grader host
runs one (``apps/grader-host/src/index.ts``): /grade/student (the files), /grade/tests (the
question's tests/), /grade/serverFilesCourse (and its deprecated copy /grade/shared) with the
entries info.json names, /grade/data/data.json, no /grade/results; the entrypoint run as the
image's user, no network unless info.json enables it, the grader host's default limits (2 GiB,
0.9 CPU, 1024 processes) and info.json's timeout (30 s by default, 600 s at most). As the host,
it reads results.json only when the run succeeded (exit 0 within the time), at most 1 MB.
"""

from __future__ import annotations

import base64
import json
import shlex
import shutil
from pathlib import Path

from . import docker_default
from .container import Image, Limits, Run, make_opaque, new_run, run_in_container, write_files
from .dockerfile import ImageConfig, Step, check_supported, environment_step, steps
from .gradescope import PIP_INDEX, pip_index_env
from .harness_run import HarnessRun, harness_run, must_have_built, read_results
from .schemas import PRAIRIELEARN_MOST_BYTES

DEFAULT_TIMEOUT_S, MOST_TIMEOUT_S = 30, 600


def _find_dockerfile(question_dir: Path) -> Path:
    found = [question_dir / "Dockerfile", *sorted(question_dir.glob("*/Dockerfile"))]
    found = [path for path in found if path.is_file()]
    if len(found) != 1:
        raise ValueError(
            f"{question_dir}: {len(found)} Dockerfiles (in it or a folder of it); pass dockerfile="
        )
    return found[0]


def _find_course(question_dir: Path) -> Path | None:
    for folder in (question_dir, *question_dir.resolve().parents):
        if (folder / "serverFilesCourse").is_dir():
            return folder
    return None


def prairielearn_data(files: dict[str, bytes]) -> dict:
    """A /grade/data/data.json as PrairieLearn writes it for a file upload of ``files``."""
    uploaded = [
        {"name": name, "contents": base64.b64encode(content).decode()}
        for name, content in files.items()
    ]
    return {
        "params": {},
        "correct_answers": {},
        "submitted_answers": {"_files": uploaded},
        "format_errors": {},
        "partial_scores": {},
        "score": 0,
        "feedback": {},
        "variant_seed": 1,
        "options": {},
        "raw_submitted_answers": {"_files": uploaded},
        "gradable": True,
    }


class PrairieLearnHarness:
    """A question's image built once, then its entrypoint run per submission."""

    def __init__(
        self,
        question_dir: Path,
        workdir: Path,
        *,
        network: bool | None = None,
        timeout_s: float | None = None,
        pip_index: Path | None = None,
        env: dict[str, str] | None = None,
        memory_bytes: int = 2 * 2**30,
        cpus: float = 0.9,
        pids: int = 1024,
        course_dir: Path | None = None,
        dockerfile: Path | None = None,
        build_timeout_s: float = 1800,
        docker_default_seccomp: bool = False,
    ):
        self.question_dir = Path(question_dir)
        self.workdir = Path(workdir)
        info = json.loads((self.question_dir / "info.json").read_text())
        options = info.get("externalGradingOptions")
        if not isinstance(options, dict):
            raise ValueError(f"{self.question_dir}/info.json has no externalGradingOptions")
        self.options = options
        timeout = options.get("timeout", DEFAULT_TIMEOUT_S) if timeout_s is None else timeout_s
        if not 0 < timeout <= MOST_TIMEOUT_S:
            raise ValueError(f"timeout {timeout} s: PrairieLearn allows up to {MOST_TIMEOUT_S} s")
        self.limits = Limits(memory_bytes, cpus, pids, timeout)
        # info.json's enableNetworking, unless the caller says otherwise
        self.network = bool(options.get("enableNetworking", False)) if network is None else network
        self.pip_index = pip_index
        self.env = {**pip_index_env(pip_index), **(env or {})}
        self.course_dir = course_dir or _find_course(self.question_dir)
        self.dockerfile = dockerfile or _find_dockerfile(self.question_dir)
        self.build_timeout_s = build_timeout_s
        self.docker_default_seccomp = docker_default_seccomp
        self.image = Image(self.workdir / "image", ("grade",))
        self.built: HarnessRun | None = None  # the last build
        self._runs = 0

    def _run(self, run: Run, command: list[str], cwd: str, env: dict, limits: Limits, network):
        if self.pip_index is not None:
            run.binds.append((str(self.pip_index), PIP_INDEX, True))
        return run_in_container(
            run,
            command,
            cwd=cwd,
            env={**env, **self.env},
            limits=limits,
            network=network,
            capabilities=tuple(docker_default.CAPABILITIES.values()),
            seccomp=docker_default.seccomp_program() if self.docker_default_seccomp else None,
            as_init=True,  # Docker's entrypoint (and a RUN step) is its container's pid 1
        )

    def build(self) -> HarnessRun:
        """Build the image as the Dockerfile says: its files copied, its RUN steps as root."""
        shutil.rmtree(self.image.folder, ignore_errors=True)
        run = new_run(self.image, self.image.folder)
        config, outputs, outcome = ImageConfig(), [], None
        build_env: dict[str, str] = {}
        instructions = steps(self.dockerfile.read_text())
        for step in instructions:  # all refused before any is run
            check_supported(step)
        for step in instructions:
            match step.keyword:
                case "FROM":
                    config.base = step.arguments
                case "ENV" | "ARG":
                    environment_step(step, config.env if step.keyword == "ENV" else build_env)
                case "WORKDIR":
                    config.workdir = str(Path(config.workdir, step.arguments))
                case "USER":
                    config.user = step.arguments
                case "ENTRYPOINT":
                    config.entrypoint = step.command()
                case "CMD":
                    config.cmd = step.command()
                case "COPY" | "ADD":
                    self._copy(step, run, config.workdir)
                case "RUN":
                    if config.user not in ("root", "0"):
                        raise ValueError(f"RUN as USER {config.user}: the harness runs as root")
                    limits = Limits(timeout_s=self.build_timeout_s)
                    env = {**build_env, **config.env}
                    outcome = self._run(run, step.command(), config.workdir, env, limits, True)
                    outputs.append(outcome)
                    if outcome.returncode != 0 or outcome.timed_out:
                        break
        (self.image.folder / "config.json").write_text(json.dumps(config.__dict__))
        root = self.image.folder / "upper"
        if outcome is None:
            self.built = HarnessRun(0, "", "", None, "a build writes no results", 0.0, None, root)
            return self.built
        self.built = HarnessRun(
            returncode=outcome.returncode,
            stdout="".join(o.stdout for o in outputs),
            stderr="".join(o.stderr for o in outputs),
            results=None,
            results_error="a build writes no results",
            wall_s=sum(o.wall_s for o in outputs),
            peak_memory_bytes=max((o.peak_memory_bytes or 0) for o in outputs) or None,
            root=root,
            timed_out=outcome.timed_out,
            limits_applied=outcome.limits_applied,
        )
        return self.built

    def _copy(self, step: Step, run: Run, workdir: str) -> None:
        *sources, destination = [w for w in step.words() if not w.startswith("--")]
        context = self.dockerfile.parent
        target = str(Path(workdir, destination))
        for pattern in sources:
            matched = sorted(context.glob(pattern)) if pattern != "." else [context]
            if not matched:
                raise ValueError(f"{step.keyword} {pattern}: nothing in {context} by that name")
            for source in matched:
                if source.is_dir():
                    shutil.copytree(source, run.upper(target), symlinks=True, dirs_exist_ok=True)
                    continue
                into = run.upper(target)
                if destination.endswith("/") or len(sources) > 1 or len(matched) > 1:
                    into = into / source.name
                into.parent.mkdir(parents=True, exist_ok=True)
                shutil.copy2(source, into)

    def submit(self, files: dict[str, bytes], data: dict | None = None) -> HarnessRun:
        """Grade one submission of ``files`` (relative path: content) in a fresh container."""
        must_have_built(self.built)
        config = ImageConfig(**json.loads((self.image.folder / "config.json").read_text()))
        self._runs += 1
        run = new_run(self.image, self.workdir / "runs" / f"{self._runs:03d}")
        grade = run.upper("grade")
        make_opaque(grade)
        write_files(grade / "student", files)
        tests = self.question_dir / "tests"
        if tests.is_dir():
            shutil.copytree(tests, grade / "tests", symlinks=True)
        for entry in self.options.get("serverFilesCourse", []):
            if self.course_dir is None:
                raise ValueError(f"serverFilesCourse {entry!r}: no course folder; pass course_dir=")
            source = self.course_dir / "serverFilesCourse" / entry
            for copy in ("serverFilesCourse", "shared"):
                if source.is_dir():
                    shutil.copytree(source, grade / copy / entry, dirs_exist_ok=True)
                else:
                    (grade / copy / entry).parent.mkdir(parents=True, exist_ok=True)
                    shutil.copy2(source, grade / copy / entry)
        (grade / "data").mkdir()
        data = prairielearn_data(files) if data is None else data
        (grade / "data" / "data.json").write_text(json.dumps(data))
        command = self._entrypoint(config, run)
        if config.user not in ("root", "0"):  # the image's USER, as Docker starts it
            user = config.user
            command = ["setpriv", f"--reuid={user}", f"--regid={user}", "--init-groups", *command]
        env = dict(config.env)
        for name, value in self.options.get("environment", {}).items():
            if value is None:
                env.pop(name, None)
            else:
                env[name] = value
        outcome = self._run(run, command, config.workdir, env, self.limits, self.network)
        if outcome.timed_out:
            results, error = (
                None,
                (f"did not complete within the time limit of {self.limits.timeout_s:g} seconds"),
            )
        elif outcome.returncode != 0:
            results, error = (
                None,
                (
                    f"the entrypoint exited with {outcome.returncode}: PrairieLearn's grader host"
                    " reads no results of a run that did not succeed"
                ),
            )
        else:
            results, error = read_results(
                grade / "results" / "results.json", PRAIRIELEARN_MOST_BYTES
            )
        return harness_run(outcome, run.folder / "upper", results, error)

    def _entrypoint(self, config: ImageConfig, run: Run) -> list[str]:
        entrypoint = self.options.get("entrypoint")
        if entrypoint is None:
            command = config.entrypoint + config.cmd
        elif isinstance(entrypoint, str):
            command = shlex.split(entrypoint)
        else:
            command = list(entrypoint)
        if not command:
            raise ValueError("no entrypoint: neither info.json nor the Dockerfile names one")
        if command[0].startswith("/grade/"):  # the grader host makes it executable first
            inside = run.upper(command[0])
            if inside.is_file():
                inside.chmod(inside.stat().st_mode | 0o111)
        return command
