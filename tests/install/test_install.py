"""The instructor's install as users make it: the wheel with its `[instructor]` extra and torch in
a fresh virtualenv of Debian's own Python, outside the checkout, run by an ordinary user
account: the sandbox's own tests pass on it, and a whole term runs from the tutorial. The
student's install, what each install declares, and a grader fault are files of their own
beside this one (tests/kits/install_kit.py holds what they share)."""

from __future__ import annotations

import csv
import os
import pwd
import shlex
import shutil
import sqlite3
import subprocess
from datetime import UTC, datetime
from pathlib import Path

import pytest
import term_kit
import web_kit
from install_kit import (
    EXAMPLES,
    PIP,
    REPO,
    as_user,
    checked,
    copy_for,
    make_venv,
    needs_debian_python,
    own_folder,
)

from grader.demo import set_this_terms_deadlines

ACCOUNT = "grader-test-user"  # made by these tests when they run as root
ASSIGNMENTS = ("lstm_gates", "rnn_gradients", "lstm_backward")
SEED = 2026

pytestmark = needs_debian_python


@pytest.fixture(scope="module")
def instructor(account, home, wheel) -> Path:
    folder = own_folder(account, home / "instructor")
    make_venv(account, folder, f"{wheel}[instructor]", "torch==2.13.0")
    return folder


def _scores(grades_csv: Path) -> dict[str, tuple[str, str]]:
    with grades_csv.open(newline="", encoding="utf-8") as handle:
        return {row["student"]: (row["score"], row["status"]) for row in csv.DictReader(handle)}


def _locked(*names: str) -> list[str]:
    """The lock's pins (requirements.txt) of the packages ``names``, as ``name==version``."""
    pins = [
        line
        for line in (REPO / "requirements.txt").read_text().splitlines()
        if line.split("==")[0].lower() in names
    ]
    assert len(pins) == len(names), pins
    return pins


# --- the sandbox's own tests, as the ordinary user, against the installed wheel ---------------

SANDBOX_TESTS = (
    "engine/walls/test_sandbox_hostile.py",
    "engine/gradersandbox/test_probe_seal.py",
    "engine/run/test_warm_start.py",
    # On Debian's Python (3.11.2) a pool whose worker died hung for ever before the grader
    # mended it (grader.batch.processes.process_pool); `make test` runs on a newer one.
    "grading/test_grader_process_killed.py::test_a_pool_worker_killed_mid_run_costs_no_hand_in",
)
# Left out for an ordinary user: without a cgroup, a submission's processes end with its pid
# namespace a moment after the run returns, and this test looks for them at once.
NOT_AS_USER = "not test_background_processes_end_with_the_run"


def test_the_sandbox_tests_pass_for_an_ordinary_user_on_the_installed_wheel(account, instructor):
    """The hostile-notebook tests, copied out of the checkout (so `grader` is the wheel's) and
    run by the ordinary user with Debian's Python, inside that user's own pid fence; on two
    processes (most of their time is waiting out a cell's limit, which two files wait out side
    by side)."""
    suite = own_folder(account, instructor / "suite")
    for name in ("tests", "assignments", "examples"):
        copy_for(account, REPO / name, suite / name)
    shutil.copy(REPO / "pyproject.toml", suite / "pyproject.toml")
    # xdist as the lock pins it: tests/conftest.py's scheduler builds on its classes
    checked(
        as_user(account, instructor, *PIP, "pytest", "pytest-timeout", *_locked("pytest-xdist"))
    )
    tests = [f"tests/{name}" for name in SANDBOX_TESTS]
    done = as_user(
        account,
        suite,
        str(instructor / "venv" / "bin" / "python"),
        *("-m", "pytest", "-p", "no:cacheprovider", "-q", "-n", "2", "--dist", "loadfile"),
        *("-k", NOT_AS_USER, *tests),
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
    path = folder / "light-runtime.txt"
    path.write_text("\n".join(_locked(*LIGHT_RUNTIME)) + "\n")
    return path


class Term:
    """The instructor's shell: the tutorial's blocks run by the ordinary user, one after another,
    the folder a block ends in being where the next begins."""

    def __init__(self, account: str | None, home: Path, env: dict[str, str]):
        self.account, self.home, self.env = account, home, env
        self.cwd = own_folder(account, home / "teaching")
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
    cafile = copy_for(account, certificate[0], instructor / "smtp-cert.pem")
    token = "term-test-token-0123456789"
    env = {"GRADER_SMTP_USER": USER, "GRADER_SMTP_PASSWORD": PASSWORD,
           "GRADER_SERVE_TOKEN": token}  # fmt: skip
    term = Term(account, instructor, env)
    light = copy_for(account, _light_requirements(tmp_path), instructor / "light-runtime.txt")

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
        mine = copy_for(account, EXAMPLES / "students" / folder, student / folder)
        build = " && ".join(
            [*(f"grader report reports/{p.name}" for p in sorted((mine / "reports").glob("*.md"))),
             "grader bundle submission.toml --out ../bundles"]
        )  # fmt: skip
        checked(as_user(account, student, "bash", "-c", f"cd {folder} && {build}"))
    inbox = term_kit.course_mailbox(tmp_path / "inbox.mbox", EXAMPLES, student / "bundles")
    copy_for(account, inbox, course / "inbox.mbox")

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
        imap_cafile = copy_for(term.account, imap.cert, term.home / "imap-cert.pem")
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
