"""Regrade requests by reply to the feedback mail, against real servers on loopback (Dovecot
for the course's mailbox, aiosmtpd for the answers): the three students hand in and get their
feedback from ``grader watch``; then they reply as Gmail, Outlook and Apple Mail write replies,
and the watch (or ``grader collect``) takes each reply for what it is."""

from __future__ import annotations

import signal
import subprocess
import sys
from pathlib import Path

import pytest
from course_kit import ROOT, make_course
from imap_kit import Dovecot, needs_dovecot
from reply_kit import apple_mail_reply, gmail_forward, gmail_reply, outlook_reply
from smtp_kit import Mailbox, make_certificate, start
from watch_kit import NAMES, ROSTER, environment, notebook_hand_in, watch_command
from written_kit import QUESTION, with_written_question

from grader.cli import main
from grader.demo import this_terms_deadlines
from grader.gradebook.results import Gradebook
from grader.regrades.book import OPEN, OUTSIDE, RequestBook

pytestmark = [needs_dovecot, pytest.mark.slow]

ADDRESS = {s: f"{NAMES[s]} <{s}.{NAMES[s].split()[1].lower()}@example.edu>" for s in NAMES}


class Term:
    """One course, its mailbox and mail server, the three feedback mails sent."""

    def __init__(self, base: Path, imap: Dovecot, smtp) -> None:
        made, _ = make_course(base, ROSTER, this_terms_deadlines)  # the hand-ins on time
        with_written_question(made.path.parent / "lstm_gates")  # a written part to name too
        self.course, self.imap, self.smtp = made.path, imap, smtp
        self.out = base / "graded"
        for student in NAMES:
            imap.deliver(notebook_hand_in(student).as_bytes())
        self.once()
        self.feedback = {m["To"].addresses[0].addr_spec.split(".")[0]: m for m in self.sent}
        assert sorted(self.feedback) == sorted(NAMES)

    @property
    def sent(self) -> list:
        return self.smtp[0].received

    def once(self, smtp=None) -> subprocess.CompletedProcess:
        done = subprocess.run(
            watch_command(self.course, self.imap, smtp or self.smtp, "--once"),
            env=environment(),
            capture_output=True,
            text=True,
            timeout=900,
        )
        assert done.returncode == 0, done.stderr
        assert "Traceback" not in done.stderr, done.stderr
        return done

    def answers_to(self, reply) -> list:
        return [m for m in self.sent if m["In-Reply-To"] == reply["Message-ID"]]

    def requests(self) -> list:
        with RequestBook(self.out / "gradebook.sqlite") as book:
            return book.all()


@pytest.fixture(scope="module")
def term(tmp_path_factory):
    dovecot = Dovecot().start()
    certificate = make_certificate(tmp_path_factory.mktemp("smtp-cert"))
    mailbox = Mailbox()
    controller = start(mailbox, certificate)
    try:
        yield Term(tmp_path_factory.mktemp("term"), dovecot, (mailbox, controller, certificate))
    finally:
        controller.stop()
        dovecot.remove()


def _text(message) -> str:
    return message.get_body(("plain",)).get_content()


def test_replies_from_gmail_outlook_and_apple_mail_are_requests_acknowledged_in_the_thread(
    term,
) -> None:
    asked = {
        "asha": gmail_reply(
            ADDRESS["asha"],
            term.feedback["asha"],
            "regrade lstm_cell: my cell passes the equation, C_t = f_t * C_prev + i_t * g_t.",
        ),
        "bhavin": outlook_reply(
            ADDRESS["bhavin"],
            term.feedback["bhavin"],
            "Please have another look at forget_gate; I think my sign is right.",
        ),
        "chitra": apple_mail_reply(
            ADDRESS["chitra"],
            term.feedback["chitra"],
            "Could you re-check hidden_state? It uses tanh of the new cell as the notes say.",
        ),
    }
    for reply in asked.values():
        term.imap.deliver(reply.as_bytes())
    done = term.once()
    requests = {r.student: r for r in term.requests()}
    assert sorted(requests) == sorted(NAMES), done.stderr
    expected = {"asha": "lstm_cell", "bhavin": "forget_gate", "chitra": "hidden_state"}
    for student, reply in asked.items():
        request = requests[student]
        assert request.parts == (expected[student],)
        assert request.component == "lstm_gates" and request.state == OPEN
        assert "wrote:" not in request.message and "Score:" not in request.message
        answers = term.answers_to(reply)
        assert len(answers) == 1, done.stderr
        answer = answers[0]
        assert reply["Message-ID"] in answer["References"].split()
        assert term.feedback[student]["Message-ID"] in answer["References"].split()
        assert answer["Subject"].lower().startswith("re:")
        assert f"regrade request #{request.id}" in _text(answer)
        assert expected[student] in _text(answer)
    # no notebook in a request: nothing graded again
    assert "regrade request #" in done.stderr
    assert "grading 1 notebook" not in done.stderr

    again = term.once()
    assert all(len(term.answers_to(reply)) == 1 for reply in asked.values()), again.stderr


def test_thanks_is_not_a_request_and_gets_no_answer(term) -> None:
    before = len(term.requests())
    thanks = gmail_reply(ADDRESS["asha"], term.feedback["asha"], "thanks!")
    term.imap.deliver(thanks.as_bytes())
    done = term.once()
    assert len(term.requests()) == before
    assert term.answers_to(thanks) == []
    assert "not a regrade request" in done.stderr


def test_a_request_after_the_window_is_answered_with_the_reason(term) -> None:
    text = term.course.read_text(encoding="utf-8")
    term.course.write_text(text + "\n[regrade]\nwindow_days = 0.00001\n", encoding="utf-8")
    try:
        late = gmail_reply(
            ADDRESS["bhavin"],
            term.feedback["bhavin"],
            "regrade lstm_forward please: the loop is over time steps as asked.",
        )
        term.imap.deliver(late.as_bytes())
        done = term.once()
    finally:
        term.course.write_text(text, encoding="utf-8")
    request = next(r for r in term.requests() if r.parts == ("lstm_forward",))
    assert request.state == OUTSIDE
    answers = term.answers_to(late)
    assert len(answers) == 1, done.stderr
    assert "after the regrade window closed" in _text(answers[0])
    assert f"#{request.id}" in _text(answers[0])


def test_a_reply_asking_without_naming_a_part_is_told_how(term) -> None:
    vague = outlook_reply(ADDRESS["chitra"], term.feedback["chitra"], "Can you regrade this?")
    term.imap.deliver(vague.as_bytes())
    before = len(term.requests())
    term.once()
    assert len(term.requests()) == before
    (answer,) = term.answers_to(vague)
    assert "does not say of what" in _text(answer) and "lstm_cell" in _text(answer)


def test_a_reply_carrying_a_notebook_gets_one_reply_its_graded_one_saying_so(term) -> None:
    """One message in, one reply out: the note that a reply carrying files is a new hand-in
    is the first line of the graded reply, never a mail of its own."""
    notebook = (ROOT / "examples" / "lstm_gates" / "asha.ipynb").read_bytes()
    reply = gmail_reply(
        ADDRESS["asha"],
        term.feedback["asha"],
        "regrade lstm_cell: here is my notebook again",
        attachments=[("lstm_gates.ipynb", notebook)],
    )
    term.imap.deliver(reply.as_bytes())
    before = len(term.requests())
    done = term.once()
    assert len(term.requests()) == before
    (answer,) = term.answers_to(reply)
    text = _text(answer)
    assert text.splitlines()[0].startswith(
        "Your reply to the feedback carries files: it is taken as a new hand-in"
    ), done.stderr
    assert "Score:" in text and "lstm_gates-feedback.html" in {
        part.get_filename() for part in answer.iter_attachments()
    }
    term.once()
    assert len(term.answers_to(reply)) == 1


def test_collect_lists_a_request_and_the_watch_acknowledges_it(term, tmp_path) -> None:
    reply = gmail_reply(
        ADDRESS["chitra"],
        term.feedback["chitra"],
        "regrade candidate_memory: it is tanh, not sigmoid, as the equation says.",
    )
    inbox = tmp_path / "inbox"
    inbox.mkdir()
    (inbox / "reply.eml").write_bytes(reply.as_bytes())
    collected = subprocess.run(
        [
            sys.executable,
            "-m",
            "grader.cli",
            "collect",
            str(inbox),
            "--out",
            str(tmp_path / "submissions"),
            "--graded",
            str(term.out),
            "--course",
            str(term.course),
        ],
        capture_output=True,
        text=True,
        timeout=300,
    )
    assert collected.returncode == 0, collected.stderr
    assert "regrade request" in collected.stdout
    assert "1 regrade requests" in collected.stdout
    assert not (tmp_path / "submissions" / "chitra").exists()
    request = next(r for r in term.requests() if r.parts == ("candidate_memory",))
    assert request.student == "chitra" and request.state == OPEN
    term.once()
    (answer,) = term.answers_to(reply)
    assert f"regrade request #{request.id}" in _text(answer)


def test_a_decision_in_the_browser_is_answered_in_the_thread_once_and_on_record(
    term, tmp_path
) -> None:
    playwright_api = pytest.importorskip("playwright.sync_api")
    from web_kit import CHROMIUM, CHROMIUM_ARGS, log_in, serving

    asked = gmail_reply(
        ADDRESS["bhavin"],
        term.feedback["bhavin"],
        "regrade lstm_cell: my cell passes the equation, h_t = o_t * tanh(C_t).",
    )
    term.imap.deliver(asked.as_bytes())
    term.once()
    request = next(r for r in term.requests() if r.message_id == asked["Message-ID"].strip())
    before = _lstm_cell_points(term, "bhavin")
    with (
        serving(term.course.parent, term.out, log=tmp_path / "serve.log") as url,
        playwright_api.sync_playwright() as p,
    ):
        browser = p.chromium.launch(executable_path=str(CHROMIUM), args=CHROMIUM_ARGS)
        page = browser.new_context().new_page()
        page.set_default_timeout(600_000)  # the re-run grades a notebook in the sandbox
        log_in(page, url)
        page.goto(f"{url}/requests")
        page.click(f"#request-{request.id} a")
        assert "my cell passes the equation" in page.inner_text("#message")
        assert "Score:" in page.inner_text("#feedback")
        assert page.locator("iframe[title=notebook]").count() == 1
        page.click("#rerun")
        rerun = page.inner_text("#part-lstm_cell")
        assert "passed" in rerun or "failed" in rerun, rerun
        page.fill("input[name=points-lstm_cell]", "15")
        page.fill("textarea[name=comment]", "Right: your cell follows the equation.")
        page.click("#accept")
        assert "accepted" in page.inner_text("#state")
        assert "lstm_cell:" in page.inner_text("#answer")
        page.goto(f"{url}/audit/bhavin")
        trail = page.inner_text("#audit")
        assert "prof-a" in trail and "regrade request #" in trail and "lstm_cell" in trail
        browser.close()

    # The watch is killed while the answer is on its way; the next one sends it, once.
    holding = Mailbox(hold_at=1)
    controller = start(holding, term.smtp[2])
    try:
        watch = subprocess.Popen(
            watch_command(term.course, term.imap, (holding, controller, term.smtp[2]),
                          "--interval", "1"),
            env=environment(),
            stdout=subprocess.DEVNULL,
            stderr=subprocess.DEVNULL,
        )  # fmt: skip
        assert holding.holding.wait(600), "the answer was never sent"
        watch.send_signal(signal.SIGKILL)
        watch.wait(60)
    finally:
        controller.stop()
    assert holding.received == []
    term.once()
    term.once()
    answers = [m for m in term.answers_to(asked) if "was accepted" in _text(m)]
    assert len(answers) == 1
    text = _text(answers[0])
    assert f"regrade request #{request.id}" in text and "Right: your cell follows" in text
    assert f"lstm_cell: {before:g} -> 15 of 15 points" in text
    assert asked["Message-ID"] in answers[0]["References"].split()
    trail = subprocess.run(
        [sys.executable, "-m", "grader.cli", "audit", "bhavin", "--course", str(term.course),
         "--out", str(term.out)],
        capture_output=True, text=True, timeout=120,
    ).stdout  # fmt: skip
    assert f"lstm_gates lstm_cell: {before:g} -> 15" in trail and "by prof-a (regrade)" in trail


def _lstm_cell_points(term, student: str) -> float:
    with Gradebook(term.out / "lstm_gates" / "gradebook.sqlite") as book:
        return book.history(student)[-1].functions["lstm_cell"]


def _one_answer(term, reply) -> str:
    term.imap.deliver(reply.as_bytes())
    done = term.once()
    answers = term.answers_to(reply)
    assert len(answers) == 1, done.stderr
    term.once()  # and never a second one
    assert len(term.answers_to(reply)) == 1
    return _text(answers[0])


def test_a_forwarded_feedback_mail_asking_a_regrade_is_answered_once(term) -> None:
    before = len(term.requests())
    forward = gmail_forward(ADDRESS["bhavin"], term.feedback["bhavin"], "please regrade problem 2")
    text = _one_answer(term, forward)
    assert "does not say of what" in text and "forget_gate" in text  # how to ask
    assert len(term.requests()) == before  # not a hand-in either: no new grading
    named = gmail_forward(
        ADDRESS["bhavin"], term.feedback["bhavin"], "please regrade forget_gate, my sign is right"
    )
    text = _one_answer(term, named)
    request = next(r for r in term.requests() if r.message_id == named["Message-ID"].strip())
    assert request.parts == ("forget_gate",) and f"regrade request #{request.id}" in text


@pytest.mark.parametrize(
    "words",
    [
        "कृपया प्रश्न 2 के अंक दोबारा जाँचें, मुझे लगता है उत्तर सही है।",  # Hindi
        "Sir mere marks galat lag rahe hai, please dobara check kar lo.",  # Hinglish
    ],
)
def test_a_reply_in_hindi_or_hinglish_is_answered(term, words) -> None:
    reply = gmail_reply(ADDRESS["chitra"], term.feedback["chitra"], words)
    text = _one_answer(term, reply)
    assert "does not say of what" in text and "forget_gate" in text


def test_a_reply_from_a_personal_address_is_told_to_use_the_rosters(term) -> None:
    before = len(term.requests())
    reply = gmail_reply(
        "Asha Verma <asha.private@gmail.com>",
        term.feedback["asha"],
        "regrade lstm_cell: my cell passes the equation.",
    )
    text = _one_answer(term, reply)
    answer = term.answers_to(reply)[0]
    assert answer["To"].addresses[0].addr_spec == "asha.private@gmail.com"
    assert "address the course has on its roster" in text
    assert "Score" not in text and "lstm_cell" not in text  # no grade to another address
    assert len(term.requests()) == before


def test_an_apple_mail_reply_naming_a_written_part_is_a_request(term) -> None:
    reply = apple_mail_reply(
        ADDRESS["chitra"],
        term.feedback["chitra"],
        f"Please look at {QUESTION} again: I explained why f = 1 keeps the cell state.",
    )
    text = _one_answer(term, reply)
    request = next(r for r in term.requests() if r.message_id == reply["Message-ID"].strip())
    assert request.parts == (QUESTION,) and f"regrade request #{request.id}" in text


def test_a_reply_the_trusted_server_says_is_forged_is_no_request_and_the_student_is_told(
    term, tmp_path, capsys
) -> None:
    server = "mx.example.edu"
    forged_result = f"Authentication-Results: {server}; spf=fail; dkim=none; dmarc=fail\n"
    passed_result = f"Authentication-Results: {server}; spf=pass; dkim=pass; dmarc=pass\n"
    kept = term.course.read_text()
    term.course.write_text(kept + f'\n[mail]\ntrusted_authserv_id = "{server}"\n')
    try:
        before = {r.message_id for r in term.requests()}
        sent_before = len(term.sent)
        forged = gmail_reply(
            ADDRESS["bhavin"], term.feedback["bhavin"], "Please regrade output_gate, it is right."
        )
        term.imap.deliver(forged_result.encode() + forged.as_bytes())
        done = term.once()
        assert {r.message_id for r in term.requests()} == before, done.stderr
        assert "refused as a forged sender" in done.stderr
        new = term.sent[sent_before:]
        assert [m["To"].addresses[0].addr_spec for m in new] == ["bhavin.patel@example.edu"]
        (notice,) = new
        assert notice["Subject"] == "A regrade request in your name was refused"
        assert notice["In-Reply-To"] is None and term.answers_to(forged) == []
        assert "DMARC failed" in _text(notice) and "Score" not in _text(notice)

        # grader collect does not file it either: listed as unattributed, with the reason
        (tmp_path / "inbox").mkdir()
        (tmp_path / "inbox" / "forged.eml").write_bytes(forged_result.encode() + forged.as_bytes())
        out = tmp_path / "submissions"
        args = ["collect", str(tmp_path / "inbox"), "--out", str(out)]
        assert main([*args, "--graded", str(term.out), "--course", str(term.course)]) == 0
        assert {r.message_id for r in term.requests()} == before
        unattributed = (out / "UNATTRIBUTED.csv").read_text(encoding="utf-8")
        assert "DMARC failed" in unattributed and "bhavin" in unattributed

        genuine = gmail_reply(
            ADDRESS["bhavin"], term.feedback["bhavin"], "Please regrade output_gate, it is right."
        )
        term.imap.deliver(passed_result.encode() + genuine.as_bytes())
        done = term.once()
        taken = [r for r in term.requests() if r.message_id not in before]
        assert [(r.student, r.parts) for r in taken] == [("bhavin", ("output_gate",))], done.stderr
    finally:
        term.course.write_text(kept)
