"""The product as users install it: a wheel in a fresh virtualenv of Debian's own Python,
outside the checkout, run by an ordinary user account; and a grader fault is never a score."""

from __future__ import annotations

import csv
import os
import pwd
import shlex
import shutil
import signal
import sqlite3
import subprocess
import sys
import tempfile
from datetime import UTC, datetime
from pathlib import Path

import pytest
import term_kit
import web_kit
from wheel_kit import course_wheel

from grader.demo import set_this_terms_deadlines
from grader.engine.runtime.preparation import prepare
from grader.engine.runtime.runtime_cache import CACHE_VARIABLE, runtime_cache

REPO = Path(__file__).resolve().parents[2]
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
    """A folder of the user's own, outside the checkout (pytest's own is root's, mode 700).
    Its name is new (mkdtemp), never the pid's: two runs in pid namespaces of their own, or two
    test processes, have the same pids, and each would remove the other's folder."""
    folder = Path(tempfile.mkdtemp(prefix="grader-install-test-", dir="/tmp"))
    folder.chmod(0o755)
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
def wheel(home) -> Path:
    """The course's wheel (built once per content of the checkout: wheel_kit), copied into the
    ordinary user's folder (root's cache is not theirs to read)."""
    out = home / "wheel"
    out.mkdir()
    return Path(shutil.copy(course_wheel(), out))


# Without compiling every installed module ahead (torch's thousands): half of each install's
# time; Python compiles, and writes into the user's own venv, what a run imports.
PIP = ["venv/bin/python", "-m", "pip", "install", "-q", "--disable-pip-version-check"]
PIP += ["--no-compile"]


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
    """A copy of the file or folder ``source`` that is the user's."""
    if source.is_file():
        shutil.copy(source, target)
    else:
        shutil.copytree(source, target, ignore=shutil.ignore_patterns("__pycache__"))
    if account:
        for path in [target, *target.rglob("*")]:
            shutil.chown(path, account, account)
    return target


def _scores(grades_csv: Path) -> dict[str, tuple[str, str]]:
    with grades_csv.open(newline="", encoding="utf-8") as handle:
        return {row["student"]: (row["score"], row["status"]) for row in csv.DictReader(handle)}


# --- the instructor's install ----------------------------------------------------------------


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


DEVANAGARI = "अनन्या शर्मा ने हिन्दी में लिखा"


def _shaped_glyphs(text: str) -> int:
    """How many glyphs HarfBuzz makes of ``text``'s words in the report's Devanagari font."""
    import uharfbuzz

    from grader.pdf.fonts import NOTO

    font = uharfbuzz.Font(
        uharfbuzz.Face(uharfbuzz.Blob.from_file_path(str(NOTO / "NotoSansDevanagari-Regular.ttf")))
    )
    glyphs = 0
    for word in text.split():
        buffer = uharfbuzz.Buffer()
        buffer.add_str(word)
        buffer.guess_segment_properties()
        uharfbuzz.shape(font, buffer)
        glyphs += len(buffer.glyph_infos)
    return glyphs


def test_the_student_install_shapes_devanagari_in_the_report(account, student):
    """The wheel alone (the student's install) sets conjuncts and vowel signs as HarfBuzz
    shapes them: as many glyphs on the page as shaping makes, fewer than the characters."""
    import pdfplumber

    run = lambda *command: as_user(account, student, *command)  # noqa: E731
    checked(run("grader", "report", "--template", "devanagari.md"))
    source = (student / "devanagari.md").read_text(encoding="utf-8")
    heading = source.index("\n", source.index("# Introduction")) + 1
    text = source[:heading] + f"\n{DEVANAGARI}\n" + source[heading:]
    (student / "devanagari.md").write_text(text, encoding="utf-8")
    checked(run("grader", "report", "devanagari.md"))
    with pdfplumber.open(student / "devanagari.pdf") as document:
        drawn = [
            c
            for page in document.pages
            for c in page.chars
            if "Devanagari" in c["fontname"] and c["text"].strip()
        ]
    shaped = _shaped_glyphs(DEVANAGARI)
    assert shaped < len(DEVANAGARI.replace(" ", ""))  # conjuncts join: shaping shows
    assert len(drawn) == shaped


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

SANDBOX_TESTS = (
    "engine/walls/test_sandbox_hostile.py",
    "engine/gradersandbox/test_probe_seal.py",
    "engine/run/test_warm_start.py",
)
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


# --- the term, as the instructors' tutorial tells a new instructor ----------------------------

# The walkthrough's page: its fenced blocks marked `term` and `term-server` are what runs here.
README = REPO / "docs" / "instructors" / "tutorial.md"
LIGHT_RUNTIME = ("ipykernel", "numpy", "matplotlib")  # what the sample project notebooks import


def _light_requirements(folder: Path) -> Path:
    """The packages the sample projects need, pinned as the lock pins them: the test's stand-in
    for the 3 GB Colab-like list (`make projects-runtime` builds that one)."""
    pins = [
        line
        for line in (REPO / "requirements.txt").read_text().splitlines()
        if line.split("==")[0].lower() in LIGHT_RUNTIME
    ]
    assert len(pins) == len(LIGHT_RUNTIME), pins
    path = folder / "light-runtime.txt"
    path.write_text("\n".join(pins) + "\n")
    return path


class Term:
    """The instructor's shell: the tutorial's blocks run by the ordinary user, one after another,
    the folder a block ends in being where the next begins."""

    def __init__(self, account: str | None, home: Path, env: dict[str, str]):
        self.account, self.home, self.env = account, home, env
        self.cwd = _own_folder(account, home / "teaching")
        self.said: list[str] = []

    def script(self, block: term_kit.Block) -> str:
        where = self.home / ".term-cwd"
        return f'set -euo pipefail\ncd "{self.cwd}"\n{block.commands}\npwd > "{where}"\n'

    def run(self, block: term_kit.Block, timeout: float = 1800) -> str:
        done = as_user(self.account, self.home, "bash", "-c", self.script(block),
                       env=self.env, timeout=timeout)  # fmt: skip
        assert done.returncode == 0, (
            f"{block.commands}\n{done.stdout[-4000:]}\n{done.stderr[-4000:]}"
        )
        assert "Traceback" not in done.stderr, done.stderr[-4000:]
        self.cwd = Path((self.home / ".term-cwd").read_text().strip())
        self.said.append(done.stdout + done.stderr)
        return done.stdout + done.stderr

    def start(self, block: term_kit.Block, log: Path) -> subprocess.Popen:
        """A server block, started in the background (stopped by the caller); what it says goes
        to ``log``."""
        prefix = ["runuser", "-u", self.account, "--"] if self.account else []
        environment = {
            "PATH": f"{self.home / 'venv' / 'bin'}:/usr/local/bin:/usr/bin:/bin",
            "HOME": pwd.getpwnam(self.account).pw_dir if self.account else os.environ["HOME"],
            "LANG": "C.UTF-8",
            **self.env,
        }
        script = f'cd "{self.cwd}"\nexec {block.commands.strip()}\n'
        return subprocess.Popen(
            [*prefix, "env", "-i", *(f"{k}={v}" for k, v in environment.items()), "bash", "-c",
             script],
            stdout=log.open("w"), stderr=subprocess.STDOUT,
        )  # fmt: skip


def _dashboard_in_chromium(url: str, token: str, students: list[str], shots: Path) -> None:
    """Every page answers below 400 in chromium, and a project's marking form saves."""
    from playwright.sync_api import expect, sync_playwright

    failed: list[str] = []
    arguments = ["--no-sandbox", "--disable-gpu", "--disable-background-networking",
                 "--disable-sync", "--disable-component-update", "--no-first-run"]  # fmt: skip
    with sync_playwright() as driver:
        browser = driver.chromium.launch(executable_path="/usr/bin/chromium", args=arguments)
        page = browser.new_context(viewport={"width": 1400, "height": 1000}).new_page()
        page.on(
            "response",
            lambda answer: answer.status >= 400 and failed.append(f"{answer.status} {answer.url}"),
        )
        page.goto(f"{url}/login")
        page.fill("input[name=token]", token)
        with page.expect_navigation(url=f"{url}/", wait_until="networkidle"):
            page.keyboard.press("Enter")  # the form posts the token; the overview follows
        pages = ["/", "/students", "/written", "/requests", "/mark/project2"]
        for path in [*pages, *(f"/student/{s}" for s in students)]:
            page.goto(url + path, wait_until="networkidle")
            assert "Traceback" not in page.locator("body").inner_text(), path
        page.goto(f"{url}/mark/project1/CS21B042")
        assert page.locator(".pages img").count() >= 1  # the report's pages
        for fieldset in page.locator("fieldset").all():
            fieldset.locator(".levels li").first.click()
            expect(fieldset.locator(".status")).to_contain_text("saved", timeout=30_000)
        page.screenshot(path=str(shots / "marking.png"), full_page=True)
        page.goto(f"{url}/")
        page.screenshot(path=str(shots / "overview.png"), full_page=True)
        browser.close()
    assert not failed, failed


def test_a_whole_term_from_the_readme_from_the_wheel_as_an_ordinary_user(
    account, instructor, student, tmp_path
):
    """The tutorial's walkthrough (docs/instructors/tutorial.md), block by block, as the
    ordinary user on a course `grader init` makes: setup, the projects' runtime, assign, collect
    a mailbox of Gmail- and Outlook-shaped hand-ins, grade, check the projects, mark in
    chromium, marks, final, mail to a loopback SMTP server, similarity. Where the test stands in
    for the world, it says so."""
    from smtp_kit import PASSWORD, USER, Mailbox, make_certificate, start

    blocks = term_kit.walkthrough(README)
    assert [b.kind for b in blocks] == ["term"] * 3 + ["term-server", "term"], blocks
    course_block, release_block, grading_block, serve_block, closing_block = blocks
    certificate = make_certificate(tmp_path)
    mailbox = Mailbox()
    smtp = start(mailbox, certificate)
    cafile = _copy_for(account, certificate[0], instructor / "smtp-cert.pem")
    token = "term-test-token-0123456789"
    env = {"GRADER_SMTP_USER": USER, "GRADER_SMTP_PASSWORD": PASSWORD,
           "GRADER_SERVE_TOKEN": token}  # fmt: skip
    term = Term(account, instructor, env)
    light = _copy_for(account, _light_requirements(tmp_path), instructor / "light-runtime.txt")

    # 1. The course, the sandbox, the projects' runtime (a light one: see _light_requirements).
    said = term.run(term_kit.replace_once(
        course_block, "grader setup --projects", f"grader setup --projects --requirements {light}"
    ))  # fmt: skip
    course = term.cwd
    assert course.name == "lstm-course" and (course / "course.toml").is_file()
    assert "the projects' runtime is ready" in said
    again = as_user(
        account, instructor, "bash", "-c", f"cd {course.parent} && grader init lstm-course"
    )
    assert again.returncode == 2 and "already holds a course" in again.stderr
    shutil.copy(EXAMPLES / "course" / "roster.csv", course / "roster.csv")  # the class
    # This term's dates, as the instructor sets them: the hand-ins below, sent in the last few
    # days, are on time whatever day the test runs on.
    set_this_terms_deadlines(course / "course.toml")

    # 2. Release.
    term.run(release_block)
    for name in term_kit.ASSIGNMENTS:
        released = (course / "release" / f"{name}.ipynb").read_text()
        assert "raise NotImplementedError" in released and "BEGIN SOLUTION" not in released

    # The students: the project students build reports and bundles with the student's install;
    # everyone mails the course, as Gmail and Outlook send it.
    for folder in term_kit.PROJECT_AUTHORS:
        mine = _copy_for(account, EXAMPLES / "students" / folder, student / folder)
        build = " && ".join(
            [*(f"grader report reports/{p.name}" for p in sorted((mine / "reports").glob("*.md"))),
             "grader bundle submission.toml --out ../bundles"]
        )  # fmt: skip
        checked(as_user(account, student, "bash", "-c", f"cd {folder} && {build}"))
    inbox = term_kit.course_mailbox(tmp_path / "inbox.mbox", EXAMPLES, student / "bundles")
    _copy_for(account, inbox, course / "inbox.mbox")

    # 3. Collect, grade, check the projects.
    said = term.run(grading_block)
    for person in ("asha", "bhavin", "chitra", "dhaval", "esha", "CS21B042", "EE21B017"):
        assert (course / "submissions" / person / "manifest.json").is_file(), person
    for name in term_kit.ASSIGNMENTS:
        got = _scores(course / "graded" / name / "grades.csv")
        assert not any(status == "error" for _, status in got.values()), got
        assert got["asha"] == ("100", "graded"), (name, got)  # the correct sample
        assert {status for _, status in got.values()} <= {"graded", "missing", "invalid"}, got
    with sqlite3.connect(course / "graded" / "gradebook.sqlite") as book:
        checked_students = {row[0] for row in book.execute("select student from project_checks")}
    assert {"CS21B042", "EE21B017"} <= checked_students
    assert got["bhavin"] != ("100", "graded"), got  # 3b's hand-in is what changes it

    # 3b. `grader watch` (docs/instructors/watch.md) answers a hand-in by return mail: bhavin
    # sends lstm_gates again, every stub now filled. The course's IMAP mailbox is a loopback
    # Dovecot, its SMTP server the loopback one; the watch is the installed one, as the user.
    _the_watch_answers_a_hand_in(term, course, smtp.port, cafile, mailbox)

    # 4. The dashboard, in chromium.
    port, log = str(web_kit.free_port()), tmp_path / "serve.log"
    server = term.start(replace_and_port(serve_block, port), log)
    try:
        web_kit.wait_for(int(port), server, log)
        roster = [p for p in term_kit.NOTEBOOK_AUTHORS] + list(term_kit.PROJECT_AUTHORS)
        _dashboard_in_chromium(f"http://127.0.0.1:{port}", token, roster, tmp_path)
    finally:
        server.terminate()
        server.wait(timeout=30)

    # 5. Marks, final grades, mail (the loopback server for the course's), similarity.
    closing = term_kit.replace_once(
        closing_block,
        "--smtp-host smtp.example.edu",
        f"--smtp-host 127.0.0.1 --smtp-port {smtp.port} --cafile {cafile}",
    )
    try:
        said = term.run(closing)
    finally:
        smtp.stop()
    marks = (course / "marks.csv").read_text()
    assert "CS21B042" in marks
    with (course / "graded" / "final" / "final-grades.csv").open(encoding="utf-8") as handle:
        finals = {row["student"]: row for row in csv.DictReader(handle)}
    assert float(finals["asha"]["lstm_gates"]) == 100, finals["asha"]
    assert float(finals["bhavin"]["lstm_gates"]) == 100, finals["bhavin"]  # the watch's grading
    assert finals["CS21B042"]["project1"] != "", finals["CS21B042"]  # marked in the browser
    assert any("asha.rao@example.edu" in str(m["To"]) for m in mailbox.received)
    assert (course / "similarity" / "pairs.csv").is_file()


def _the_watch_answers_a_hand_in(
    term: Term, course: Path, smtp_port: int, smtp_cafile: Path, mailbox
) -> None:
    """bhavin's new lstm_gates lands in the course's mailbox; one round of `grader watch`
    grades it into graded/lstm_gates and mails him its feedback in his thread."""
    import nbformat
    from imap_kit import PASSWORD as IMAP_PASSWORD
    from imap_kit import Dovecot
    from mailkit import gmail
    from smtp_kit import SENDER
    from variants_kit import answered

    released = nbformat.read(course / "release" / "lstm_gates.ipynb", as_version=4)
    notebook = answered(released, course / "assignments" / "lstm_gates" / "source.ipynb")
    hand_in = gmail(
        "Bhavin Patel <bhavin.patel@example.edu>",
        datetime.now(UTC),
        "lstm_gates again",
        "All the stubs filled in now.",
        attachments=[("lstm_gates.ipynb", nbformat.writes(notebook).encode())],
    )
    sent_before = len(mailbox.received)
    imap = Dovecot().start()
    try:
        imap.deliver(hand_in.as_bytes())
        imap_cafile = _copy_for(term.account, imap.cert, term.home / "imap-cert.pem")
        watch = term_kit.Block(
            "term",
            f"cd {course}\nexport GRADER_IMAP_PASSWORD={shlex.quote(IMAP_PASSWORD)}\n"
            f"grader watch {shlex.quote(imap.url)} --once"
            f" --from {shlex.quote(SENDER)} --cafile {imap_cafile} --smtp-host 127.0.0.1"
            f" --smtp-port {smtp_port} --smtp-cafile {smtp_cafile}\n",
        )
        said = term.run(watch)
    finally:
        imap.remove()
    replies = mailbox.received[sent_before:]
    assert [m["To"].addresses[0].addr_spec for m in replies] == ["bhavin.patel@example.edu"], said
    (reply,) = replies
    assert reply["Subject"] == "Re: lstm_gates again"
    assert reply["In-Reply-To"] == hand_in["Message-ID"]
    assert "Score: 100" in reply.get_body(("plain",)).get_content(), said
    pages = [part.get_filename() for part in reply.iter_attachments()]
    assert pages == ["lstm_gates-feedback.html"], pages
    assert _scores(course / "graded" / "lstm_gates" / "grades.csv")["bhavin"] == ("100", "graded")


def replace_and_port(block: term_kit.Block, port: str) -> term_kit.Block:
    """The server block on a free port of the test's."""
    return term_kit.Block(block.kind, block.commands.rstrip() + f" --port {port}\n")


# --- what each install declares -----------------------------------------------------------

# Run inside the notebooks' runtime (the sandbox) or copied into it: never imported by the
# grader's own process, so the grader's install need not provide for them.
NOT_THE_GRADERS = ("grader.engine.gradersandbox", "grader.colab_stub")
# What a student's base install runs: `grader report`, `grader bundle`, and what they import;
# but the reference's torch comparison, which needs the torch Colab has and the base install
# leaves alone.
STUDENT_MODULES = ("grader.cli", "grader.bundle", "grader.report", "reference_lstm")
NEEDS_TORCH = ("reference_lstm.torch_interop",)

IMPORT_ALL = """
import importlib, pkgutil, sys
import grader
wanted, skipped = sys.argv[1].split(","), tuple(sys.argv[2].split(","))
names = set(wanted)
for top in wanted:
    module = importlib.import_module(top)
    for found in pkgutil.walk_packages(getattr(module, "__path__", []), prefix=top + "."):
        names.add(found.name)
failed = []
for name in sorted(names):
    if name.startswith(skipped) or name.split(".")[-1] in ("shipped", "templates", "runtimes"):
        continue
    try:
        importlib.import_module(name)
    except Exception as error:
        failed.append(f"{name}: {type(error).__name__}: {error}")
print("\\n".join(failed) or f"imported {len(names)} modules")
sys.exit(1 if failed else 0)
"""


@pytest.fixture(scope="module")
def instructor_only(account, home, wheel) -> Path:
    """The wheel and its `[instructor]` extra, nothing else (no torch, no test tools)."""
    folder = _own_folder(account, home / "instructor-only")
    _venv(account, folder, f"{wheel}[instructor]")
    return folder


def test_the_instructor_extra_provides_everything_the_grader_imports(account, instructor_only):
    done = as_user(account, instructor_only, "venv/bin/python", "-c", IMPORT_ALL, "grader",
                   ",".join(NOT_THE_GRADERS))  # fmt: skip
    assert done.returncode == 0, done.stdout + done.stderr


def test_the_base_install_provides_everything_the_students_commands_import(account, student):
    done = as_user(account, student, "venv/bin/python", "-c", IMPORT_ALL,
                   ",".join(STUDENT_MODULES), ",".join(NOT_THE_GRADERS + NEEDS_TORCH))  # fmt: skip
    assert done.returncode == 0, done.stdout + done.stderr


def test_grader_version_names_the_installed_package(account, student):
    from importlib.metadata import version

    done = checked(as_user(account, student, "grader", "--version"))
    assert done.stdout.strip() == f"grader {version('lstm-course-grader')}"


LOCK_PYTHON = "3.11.2"  # Debian 12's python3, the oldest the Makefile accepts


def _debian_python_version() -> str:
    done = subprocess.run([str(DEBIAN_PYTHON), "--version"], capture_output=True, text=True)
    return done.stdout.split()[-1] if done.returncode == 0 else ""


@pytest.mark.skipif(
    _debian_python_version() != LOCK_PYTHON, reason=f"needs Debian 12's python3 ({LOCK_PYTHON})"
)
def test_the_lock_resolves_on_the_oldest_python_the_makefile_accepts(account, home):
    """`make` accepts Debian 12's Python: every pin of requirements.txt installs there."""
    assert f"({', '.join(LOCK_PYTHON.split('.'))})" in (REPO / "Makefile").read_text()
    folder = _own_folder(account, home / "lock")
    checked(as_user(account, folder, str(DEBIAN_PYTHON), "-m", "venv", "venv"))
    shutil.copy(REPO / "requirements.txt", folder / "requirements.txt")
    done = as_user(account, folder, *PIP, "--dry-run", "-r", "requirements.txt", timeout=1800)
    assert done.returncode == 0, done.stderr[-3000:]


# --- docs/admins/install.md's block, as written (issue 51) -----------------------------------


def _install_block() -> list[str]:
    """The lines of the first shell block of docs/admins/install.md."""
    text = (REPO / "docs" / "admins" / "install.md").read_text()
    block = text.split("```sh\n", 1)[1].split("```", 1)[0]
    return [line for line in block.splitlines() if line.strip()]


def test_the_install_block_runs_line_by_line_in_a_fresh_login_shell(account, home, wheel):
    if account is None:
        pytest.skip("needs root to make the ordinary account and its login shell")
    folder = _own_folder(account, home / "admin")
    lines = _install_block()
    assert lines[0].startswith("WHEEL=") and not any(line.startswith("pip ") for line in lines[:2])
    local = shutil.copy(wheel, folder / wheel.name)  # the wheel given locally, the user's
    shutil.chown(local, account, account)
    script = "set -e\ncd " + str(folder) + "\n"
    for number, line in enumerate([f"WHEEL={local}", *lines[1:]], start=1):
        script += f"{line}\necho 'line {number} done'\n"
    environment = [f"{k}={v}" for k, v in os.environ.items() if k.startswith("PIP_")]
    done = subprocess.run(
        ["runuser", "-l", account, "-c", f"env {' '.join(environment)} bash -l -s"],
        input=script,
        capture_output=True,
        text=True,
        timeout=3600,
        check=False,
    )
    assert done.returncode == 0, f"{done.stdout[-3000:]}\n{done.stderr[-3000:]}"
    assert f"line {len(lines)} done" in done.stdout
    assert "works: user namespaces" in done.stdout
    assert "command not found" not in done.stderr
