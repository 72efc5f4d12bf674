"""The product as users install it: a wheel in a fresh virtualenv of Debian's own Python,
outside the checkout, run by an ordinary user account; and a grader fault is never a score."""

from __future__ import annotations

import csv
import json
import os
import pwd
import shutil
import signal
import sqlite3
import subprocess
import sys
from pathlib import Path

import pytest

from grader.engine.preparation import prepare
from grader.engine.runtime_cache import CACHE_VARIABLE, runtime_cache

REPO = Path(__file__).resolve().parents[1]
EXAMPLES = REPO / "examples"
DEBIAN_PYTHON = Path("/usr/bin/python3")
USER = "grader-test-user"  # made by these tests when they run as root
ASSIGNMENTS = ("lstm_gates", "rnn_gradients", "lstm_backward")
SEED = 2026

pytestmark = pytest.mark.skipif(
    not DEBIAN_PYTHON.is_file() or not sys.platform.startswith("linux"),
    reason="needs Debian's own python3 (apt-get install python3-venv)",
)


# --- an ordinary account, a place of its own, and virtualenvs of Debian's Python ------------


@pytest.fixture(scope="module")
def account() -> str | None:
    """An ordinary user to run the product as (None: the tests already run as one)."""
    if os.getuid() != 0:
        return None
    try:
        pwd.getpwnam(USER)
    except KeyError:
        subprocess.run(["useradd", "--create-home", "--shell", "/bin/bash", USER], check=True)
    return USER


@pytest.fixture(scope="module")
def home(account, tmp_path_factory) -> Path:
    """A folder of the user's own, outside the checkout (pytest's own is root's, mode 700)."""
    folder = Path(f"/tmp/grader-install-test-{os.getpid()}")
    shutil.rmtree(folder, ignore_errors=True)
    folder.mkdir(mode=0o755)
    if account is not None:
        shutil.chown(folder, account, account)
    yield folder
    shutil.rmtree(folder, ignore_errors=True)


def as_user(account: str | None, folder: Path, *command: str, env: dict | None = None, **kw):
    """Run ``command`` in ``folder`` as the ordinary user, with that user's home and a PATH
    that starts with ``folder/venv/bin`` (when there is one)."""
    venv_bin = folder / "venv" / "bin"
    environment = {
        "PATH": f"{venv_bin}:/usr/local/bin:/usr/bin:/bin",
        "HOME": pwd.getpwnam(account).pw_dir if account else os.environ["HOME"],
        "LANG": "C.UTF-8",
        **(env or {}),
    }
    for name in ("PIP_INDEX_URL", "PIP_EXTRA_INDEX_URL", "PIP_FIND_LINKS", "PIP_CONFIG_FILE"):
        if name in os.environ:
            environment.setdefault(name, os.environ[name])
    prefix = ["runuser", "-u", account, "--"] if account else []
    return subprocess.run(
        [*prefix, "env", "-i", *(f"{k}={v}" for k, v in environment.items()), *command],
        cwd=folder,
        capture_output=True,
        text=True,
        **kw,
    )


def checked(done: subprocess.CompletedProcess) -> subprocess.CompletedProcess:
    assert done.returncode == 0, f"{done.args}\n{done.stdout[-3000:]}\n{done.stderr[-3000:]}"
    return done


@pytest.fixture(scope="module")
def wheel(tmp_path_factory, home) -> Path:
    """The wheel, built from a copy of the checkout's files (nothing is built in the
    checkout itself)."""
    source = tmp_path_factory.mktemp("source")
    listed = subprocess.run(
        ["git", "ls-files", "-co", "--exclude-standard"],
        cwd=REPO,
        capture_output=True,
        text=True,
        check=True,
    ).stdout.splitlines()
    for name in listed:
        if (REPO / name).is_file():
            (source / name).parent.mkdir(parents=True, exist_ok=True)
            shutil.copy2(REPO / name, source / name)
    out = home / "wheel"
    command = [sys.executable, "-m", "pip", "wheel", "--no-deps", "--no-build-isolation"]
    checked(subprocess.run([*command, "-q", "-w", str(out), str(source)], capture_output=True))
    made = list(out.glob("lstm_course_grader-*.whl"))
    assert len(made) == 1
    return made[0]


PIP = ["venv/bin/python", "-m", "pip", "install", "-q", "--disable-pip-version-check"]


def _venv(account, folder: Path, *requirements: str) -> Path:
    """A virtualenv of Debian's own Python in ``folder``, the user's, with ``requirements``
    installed as a user's pip resolves them: from pyproject's ranges, not the checkout's lock
    (whose pins need a newer Python 3.11 than Debian's, e.g. soupsieve's)."""
    checked(as_user(account, folder, str(DEBIAN_PYTHON), "-m", "venv", "venv"))
    checked(as_user(account, folder, *PIP, *requirements, timeout=1800))
    return folder / "venv"


def _own_folder(account, folder: Path) -> Path:
    """A new folder of the user's."""
    folder.mkdir()
    if account:
        shutil.chown(folder, account, account)
    return folder


@pytest.fixture(scope="module")
def instructor(account, home, wheel) -> Path:
    folder = _own_folder(account, home / "instructor")
    _venv(account, folder, f"{wheel}[instructor]", "torch==2.13.0")
    return folder


@pytest.fixture(scope="module")
def student(account, home, wheel) -> Path:
    folder = _own_folder(account, home / "student")
    _venv(account, folder, str(wheel))
    return folder


def _copy_for(account, source: Path, target: Path) -> Path:
    shutil.copytree(source, target, ignore=shutil.ignore_patterns("__pycache__"))
    if account:
        for path in [target, *target.rglob("*")]:
            shutil.chown(path, account, account)
    return target


def _scores(grades_csv: Path) -> dict[str, tuple[str, str]]:
    with grades_csv.open(newline="", encoding="utf-8") as handle:
        return {row["student"]: (row["score"], row["status"]) for row in csv.DictReader(handle)}


# --- the instructor's install ----------------------------------------------------------------


def test_the_instructor_wheel_grades_as_make_demo_does_for_an_ordinary_user(
    account, instructor, tmp_path
):
    """`grader init`, `assign`, `grade` on the shipped samples (the scores `make demo` gets,
    graded here by the checkout), then `report`, `bundle`, `collect` and `final`."""
    from grader import grade

    run = lambda *command, **kw: checked(as_user(account, instructor, *command, **kw))  # noqa: E731
    said = run("grader", "init", "course").stdout
    course = instructor / "course"
    assert "wrote a course into course/" in said
    for name in (*ASSIGNMENTS, "projects"):
        assert (course / "assignments" / name).is_dir(), name
    assert (course / "course.toml").is_file() and (course / "roster.csv").is_file()
    assert "grader grade --assignment" in (course / "README.md").read_text()
    again = as_user(account, instructor, "grader", "init", "course")
    assert again.returncode == 2 and "already holds a course" in again.stderr

    run("grader", "assign", "course/assignments/lstm_gates", "--out", "release")
    released = (instructor / "release" / "lstm_gates.ipynb").read_text()
    assert "raise NotImplementedError" in released and "BEGIN SOLUTION" not in released

    samples = _copy_for(account, EXAMPLES, instructor / "examples")
    for name in ASSIGNMENTS:
        notebooks = sorted(str(p) for p in (samples / name).glob("*.ipynb"))
        out = f"graded/{name}"
        done = run("grader", "grade", "--assignment", f"course/assignments/{name}", "--out", out,
                   "--seed", str(SEED), *notebooks, timeout=900)  # fmt: skip
        assert "feedback folders under" in done.stdout
        reference = grade.grade(
            sorted((EXAMPLES / name).glob("*.ipynb")),
            REPO / "assignments" / name,
            tmp_path / name,
            seed=SEED,
        )
        got = _scores(instructor / out / "grades.csv")
        assert got == {r.student: (f"{r.score:g}", r.status) for r in reference}, name
        assert any(status == "graded" and score == "100" for score, status in got.values())
        full = next(s for s, (score, _) in got.items() if score == "100")
        results = json.loads((instructor / out / full / "results.json").read_text())
        assert results["score"] == 100
        assert (instructor / out / full / "feedback.html").is_file()

    run("grader", "report", "--template", "report.md")
    run("grader", "report", "report.md")
    assert "OK" in run("grader", "report", "--check", "report.pdf").stdout

    hand_in = samples / "students" / "CS21B042"
    for source in sorted((hand_in / "reports").glob("*.md")):
        run("grader", "report", str(source.relative_to(instructor)))
    run("grader", "bundle", str((hand_in / "submission.toml").relative_to(instructor)),
        "--out", "bundles")  # fmt: skip
    assert (instructor / "bundles" / "CS21B042.zip").is_file()
    run("grader", "collect", "bundles", "--out", "submissions")
    assert (instructor / "submissions" / "CS21B042" / "manifest.json").is_file()
    final = run("grader", "final", "--course", "course/course.toml", "--out", "graded")
    assert "CS21B000" in final.stdout  # the new course's roster


# --- the student's install -------------------------------------------------------------------


def test_the_student_install_has_no_torch_and_builds_a_report_from_its_template(account, student):
    run = lambda *command: as_user(account, student, *command)  # noqa: E731
    for package in ("torch", "dask", "starlette", "IPython"):
        absent = run("venv/bin/python", "-c", f"import {package}")
        assert absent.returncode != 0 and "ModuleNotFoundError" in absent.stderr, package
    checked(run("grader", "report", "--template", "report.md"))
    assert "# Introduction" in (student / "report.md").read_text()
    checked(run("grader", "report", "report.md"))
    assert "OK" in checked(run("grader", "report", "--check", "report.pdf")).stdout
    checked(run("grader", "bundle", "--template", "submission.toml"))
    assert "[student]" in (student / "submission.toml").read_text()


def test_an_instructor_command_in_a_student_install_says_what_to_install(account, student):
    notebook = _copy_for(account, EXAMPLES / "lstm_gates", student / "samples") / "asha.ipynb"
    done = as_user(account, student, "grader", "grade", "--assignment", "nowhere", "--out", "o",
                   str(notebook))  # fmt: skip
    assert done.returncode == 2, done.stderr
    assert "lstm-course-grader[instructor]" in done.stderr
    assert "Traceback" not in done.stderr


# --- a grader fault is never a score ---------------------------------------------------------


@pytest.fixture
def own_cache(tmp_path, monkeypatch) -> Path:
    """A copy of this runtime's prepared sandbox files in a cache of the test's own."""
    made = runtime_cache(None)
    monkeypatch.setenv(CACHE_VARIABLE, str(tmp_path / "cache"))
    mine = runtime_cache(None)
    if (made / "prepared.json").is_file():
        shutil.copytree(made, mine, symlinks=True)
    else:
        prepare(None, say=lambda line: None)
    socket_module = next(mine.glob("shown-base/lib/python3*/lib-dynload/_socket.*.so"), None)
    if socket_module is None:
        pytest.skip("this runtime's base Python is shown as it is (no layer to damage)")
    return socket_module


def _grade_command(
    out: Path, *notebooks: Path, resume: bool = False, workers: int = 1
) -> list[str]:
    command = [str(Path(sys.executable).with_name("grader")), "grade", "--workers", str(workers)]
    command += ["--assignment", str(REPO / "assignments" / "lstm_gates"), "--out", str(out)]
    return [*command, "--seed", str(SEED), *(["--resume"] if resume else []), *map(str, notebooks)]


def _copies(tmp_path: Path, count: int) -> list[Path]:
    folder = tmp_path / "hand-ins"
    folder.mkdir()
    for number in range(count):
        shutil.copy(EXAMPLES / "lstm_gates" / "asha.ipynb", folder / f"s{number:02d}.ipynb")
    return sorted(folder.glob("*.ipynb"))


@pytest.mark.parametrize("workers", [1, 2])  # in the command's process, or in its pool
def test_a_warm_process_that_cannot_start_refuses_the_run_before_any_score(
    tmp_path, own_cache, workers
):
    """A damaged cache (the sandbox's socket module emptied) stops the warm process: the trial
    run refuses the command with the reason, and no student gets a row."""
    own_cache.write_bytes(b"")
    out = tmp_path / "graded"
    command = _grade_command(out, *_copies(tmp_path, 2), workers=workers)
    done = subprocess.run(command, capture_output=True, text=True, timeout=600)
    assert done.returncode == 2, done.stderr
    assert "could not run its trial notebook" in done.stderr
    assert "warm process could not start" in done.stderr and "_socket" in done.stderr
    assert "remove that folder and run `grader setup`" in done.stderr
    assert "Traceback" not in done.stderr
    assert not (out / "gradebook.sqlite").exists() and not (out / "grades.csv").exists()


def _children(pid: int) -> list[int]:
    found = []
    for stat in Path("/proc").glob("[0-9]*/stat"):
        try:
            fields = stat.read_text().rsplit(")", 1)[1].split()
        except OSError:
            continue
        if int(fields[1]) == pid:
            found.append(int(stat.parent.name))
    return found


def test_a_grader_fault_mid_run_is_an_error_not_a_score_and_resume_grades_it(tmp_path, own_cache):
    """After the first submission the warm process is killed and cannot start again: the rest
    are `error` rows without a score, the command exits 1 and says why; once the cause is
    gone, --resume grades exactly those."""
    notebooks = _copies(tmp_path, 6)
    out = tmp_path / "graded"
    intact = own_cache.read_bytes()
    grading = subprocess.Popen(
        _grade_command(out, *notebooks), stdout=subprocess.PIPE, stderr=subprocess.PIPE, text=True
    )
    lines = []
    for line in grading.stderr:
        lines.append(line)
        if line.startswith("[1/6]"):
            break
    os.kill(grading.pid, signal.SIGSTOP)  # nothing moves while the cause is set up
    try:
        own_cache.write_bytes(b"")
        for child in _children(grading.pid):  # bubblewrap, holding the warm process
            os.kill(child, signal.SIGKILL)
    finally:
        os.kill(grading.pid, signal.SIGCONT)
    stdout, stderr = grading.communicate(timeout=600)
    stderr = "".join(lines) + stderr
    assert grading.returncode == 1, stderr
    rows = list(csv.DictReader((out / "grades.csv").open(encoding="utf-8")))
    errors = [r for r in rows if r["status"] == "error"]
    assert len(rows) == 6 and 1 <= len(rows) - len(errors) <= 2, rows
    assert all(r["score"] == "100" for r in rows if r["status"] != "error")
    for row in errors:
        assert row["score"] == "" and row["forget_gate"] == "", row
        assert "could not grade this submission" in row["reason"]
        assert "warm process" in row["reason"], stderr
        assert not (out / row["student"] / "results.json").exists()
    assert f"{len(errors)} submissions could not be graded because of the grader" in stderr
    assert f"{6 - len(errors)} feedback folder" in stdout

    own_cache.write_bytes(intact)
    again = subprocess.run(
        _grade_command(out, *notebooks, resume=True), capture_output=True, text=True, timeout=600
    )
    assert again.returncode == 0, again.stderr
    assert f"{6 - len(errors)} already graded, {len(errors)} to grade" in again.stderr
    rows = list(csv.DictReader((out / "grades.csv").open(encoding="utf-8")))
    assert [(r["score"], r["status"]) for r in rows] == [("100", "graded")] * 6
    with sqlite3.connect(out / "gradebook.sqlite") as book:
        statuses = [s for (s,) in book.execute("SELECT status FROM results ORDER BY id")]
    assert statuses.count("error") == len(errors) and len(statuses) == 6 + len(errors)


# --- the sandbox's own tests, as the ordinary user, against the installed wheel ---------------

SANDBOX_TESTS = ("test_sandbox_hostile.py", "test_probe_seal.py", "test_warm_start.py")
# Left out for an ordinary user: without a cgroup, a submission's processes end with its pid
# namespace a moment after the run returns, and this test looks for them at once.
NOT_AS_USER = "not test_background_processes_end_with_the_run"


def test_the_sandbox_tests_pass_for_an_ordinary_user_on_the_installed_wheel(account, instructor):
    """The hostile-notebook tests, copied out of the checkout (so `grader` is the wheel's) and
    run by the ordinary user with Debian's Python, inside that user's own pid fence."""
    suite = _own_folder(account, instructor / "suite")
    for name in ("tests", "assignments", "examples"):
        _copy_for(account, REPO / name, suite / name)
    shutil.copy(REPO / "pyproject.toml", suite / "pyproject.toml")
    checked(as_user(account, instructor, *PIP, "pytest", "pytest-timeout"))
    tests = [f"tests/{name}" for name in SANDBOX_TESTS]
    done = as_user(
        account,
        suite,
        str(instructor / "venv" / "bin" / "python"),
        *("-m", "pytest", "-p", "no:cacheprovider", "-q", "-k", NOT_AS_USER, *tests),
        timeout=2400,
    )
    assert done.returncode == 0, done.stdout[-6000:] + done.stderr[-3000:]
    assert "passed" in done.stdout and "/site-packages/grader/" not in done.stdout
