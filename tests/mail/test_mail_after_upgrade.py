"""A grade the upgrade corrected is mailed (issue 89): half a term on a 0.1 build (284a878),
which charged an assignment's late penalty by the student's newest mail and mailed the class,
then this build, which charges each assignment by its own hand-in time. ``grader final`` says
whose grade is not the one their mail gave, and why; ``grader mail --send`` mails exactly them
once more (and the student never mailed), the others not; a run again sends nothing. The
earlier build's mail is compared by its figures, read from the message it sent (its review
copy), not by file times. After it, a regrade accepted, a rubric mark changed and an extension
granted are mailed and listed the same way, each with its cause; a reply of the watch's is
not taken for the marks mail."""

from __future__ import annotations

import email
from pathlib import Path

import pytest
from course_kit import auto_result, full_marks, make_course
from earlier_mail_kit import Told, mailed_by_0_1
from smtp_kit import PASSWORD, SENDER, USER, Mailbox, mail_once, start

from grader import cli
from grader.gradebook.course_book import CourseBook
from grader.gradebook.results import Gradebook, Row
from grader.mail import smtp
from grader.mail.addresses import recipient
from grader.mail.composing import MAIL_POLICY, sender_address
from grader.marking import overrides
from grader.watch.replies import notice
from grader.watch.state import WatchBook

ROSTER = (
    "id,name,email,role\n"
    "CS21B042,Asha Verma,asha.verma@example.edu,student\n"
    "EE21B017,Rahul Menon,rahul.menon@example.edu,student\n"
    "ME21B103,Priya Nair,priya.nair@example.edu,student\n"
    "AE21B001,Noor Khan,noor.khan@example.edu,student\n"
    "TA01,Kiran Rao,kiran.rao@example.edu,staff\n"
)
# lstm_gates is due 2026-12-18T23:59+05:30; 2 hours' grace, 10% a day or part of one.
ON_TIME = "2026-12-18T20:00:00+05:30"
TWO_DAYS_LATE = "2026-12-20T10:00:00+05:30"  # 1 d 10 h late: 2 days, -20%
NEWEST_MAIL = "2026-12-21T20:00:00+05:30"  # 2 d 20 h late: 3 days, -30%


@pytest.fixture
def credentials(monkeypatch):
    monkeypatch.setenv("GRADER_SMTP_USER", USER)
    monkeypatch.setenv("GRADER_SMTP_PASSWORD", PASSWORD)


def _mailed(mailbox: Mailbox) -> list[str]:
    return sorted(str(m["To"].addresses[0].addr_spec) for m in mailbox.received)


def _said(command: list[str], capsys) -> str:
    capsys.readouterr()
    assert cli.main(command) == 0
    return capsys.readouterr().out


def _changed(output: str) -> dict[str, list[str]]:
    """The students ``grader final`` or ``mail`` says changed since their last mail."""
    found: dict[str, list[str]] = {}
    lines = output.splitlines()
    start = next((n for n, line in enumerate(lines) if line.startswith("grades changed")), None)
    for line in lines[start + 1 :] if start is not None else []:
        if not line.startswith("  "):
            break
        student, _, change = line.strip().partition(": ")
        found.setdefault(student, []).append(change)
    return found


def _text(mailbox: Mailbox, address: str) -> str:
    (message,) = [m for m in mailbox.received if m["To"].addresses[0].addr_spec == address]
    return message.get_body(("plain",)).get_content().replace("\r\n", "\n")  # as on the wire


def test_an_upgrade_that_corrects_grades_mails_exactly_those_students_again(
    tmp_path, certificate, credentials, capsys
):
    course, _ = make_course(tmp_path, ROSTER)
    out = tmp_path / "graded"
    # the hand-ins as graded: lstm_gates, with the time each graded version was handed in
    hand_ins = {"CS21B042": (100, ON_TIME), "EE21B017": (90, ON_TIME)}
    hand_ins |= {"ME21B103": (80, TWO_DAYS_LATE), "AE21B001": (75, ON_TIME)}
    for student, (score, at) in hand_ins.items():
        auto_result(out, "lstm_gates", student, score, handed_in_at=at)
        page = out / "lstm_gates" / student / "feedback.html"
        page.parent.mkdir(parents=True, exist_ok=True)
        page.write_text(f"<!doctype html><title>lstm_gates</title><p>{score} of 100</p>")
    # the earlier build's mail, to the three it mailed (AE21B001 was graded after): by its rule
    # CS21B042's lstm_gates, on time, was charged 3 days for a mail about another component
    # sent on NEWEST_MAIL: 100 * 0.7; the others' newest mail was their lstm_gates hand-in
    titles = [c.title for c in course.components]
    said = {"CS21B042": "70.0% (3 days late: -30%)", "EE21B017": "90.0%"}
    said["ME21B103"] = "64.0% (2 days late: -20%)"
    standing = {"CS21B042": "70.00", "EE21B017": "90.00", "ME21B103": "64.00"}
    people = {line.split(",")[0]: line.split(",")[1:3] for line in ROSTER.splitlines()[1:]}
    told = []
    for student, first in said.items():
        lines = {title: "pending (not graded yet)" for title in titles}
        lines[titles[0]] = first
        name, address = people[student]
        pages = {
            "lstm_gates-feedback.html": (
                out / "lstm_gates" / student / "feedback.html"
            ).read_bytes()
        }
        line = f"Standing so far: {standing[student]} out of 100, over the graded components only"
        told.append(Told(student, name, address, lines, line, pages))
    mailbox = Mailbox()
    server = start(mailbox, certificate)
    try:
        mailed_by_0_1(out, course.title, SENDER, told, server.port, certificate[0])
    finally:
        server.stop()
    assert len(mailbox.received) == 3

    # --- this build, installed over it: final says whose grade is not the one mailed --------
    final = _said(["final", "--course", str(course.path), "--out", str(out)], capsys)
    changed = _changed(final)
    assert list(changed) == ["CS21B042"], final
    (gates, standing_now) = changed["CS21B042"]
    assert gates == (
        "Assignment 1: LSTM gates: 70% -> 100% (mailed by an earlier build: its mail said "
        "3 days late: -30%; now on time)"
    ), changed
    assert standing_now == "standing so far: 70 -> 100", changed

    # the review run lists them too, and writes its copies over the earlier build's
    review = ["mail", "--course", str(course.path), "--out", str(out), "--from", SENDER]
    assert list(_changed(_said(review, capsys))) == ["CS21B042"]

    capsys.readouterr()
    mailbox = mail_once(course, out, certificate)
    sent = capsys.readouterr().out
    assert _mailed(mailbox) == ["asha.verma@example.edu", "noor.khan@example.edu"], sent
    assert list(_changed(sent)) == ["CS21B042"], sent
    corrected = _text(mailbox, "asha.verma@example.edu")
    assert "  Assignment 1: LSTM gates: 100%\n" in corrected, corrected
    assert "changed:\n  Assignment 1: LSTM gates: 70% -> 100%\n" in corrected, corrected
    assert "changed:" not in _text(mailbox, "noor.khan@example.edu")
    assert "sent 2, already sent before 2" in sent, sent

    # nothing changed since: nobody mailed, nobody listed
    capsys.readouterr()
    assert _mailed(mail_once(course, out, certificate)) == []
    assert _changed(capsys.readouterr().out) == {}
    assert _changed(_said(["final", "--course", str(course.path), "--out", str(out)], capsys)) == {}


def _graded_with_functions(
    out: Path, student: str, functions: dict[str, float], at: str = ON_TIME
) -> None:
    with Gradebook(out / "lstm_gates" / "gradebook.sqlite") as book:
        run = book.start_run("lstm_gates", {})
        score = sum(functions.values())
        row = Row(student, "x.ipynb", f"sha-{student}", 1, "graded", None, score, 100.0, None,
                  functions, handed_in_at=at)  # fmt: skip
        book.record(run, row)


def test_a_regrade_a_changed_mark_and_an_extension_after_the_mail_are_mailed_and_listed(
    tmp_path, certificate, credentials, capsys
):
    course, projects = make_course(tmp_path, ROSTER)
    out = tmp_path / "graded"
    for student in ("CS21B042", "EE21B017", "ME21B103", "AE21B001"):
        at = TWO_DAYS_LATE if student == "AE21B001" else ON_TIME
        _graded_with_functions(out, student, {"lstm_forward": 40.0, "gates": 40.0}, at)
        with CourseBook(out / "gradebook.sqlite") as book:
            full_marks(book, projects.rubric, student, "project1")
    first = mail_once(course, out, certificate)
    assert len(first.received) == 4
    assert _mailed(mail_once(course, out, certificate)) == []

    # a regrade request accepted: 10 more points on CS21B042's lstm_forward
    with Gradebook(out / "lstm_gates" / "gradebook.sqlite") as book:
        (row,) = book.history("CS21B042")
    overrides.set_points(out, row, "lstm_gates", "lstm_forward", 50.0, by="ta", why="request 1")
    # a marker lowers a criterion of EE21B017's project
    criterion = projects.rubric.criteria[0]
    with CourseBook(out / "gradebook.sqlite") as book:
        book.set_mark("EE21B017", "project1", criterion.id, criterion.points - 2, "", by="ta")
    # AE21B001, charged 20% for two days late, is granted an extension past her hand-in
    extension = "AE21B001,lstm_gates,2026-12-21T23:59+05:30,kiran,medical leave\n"
    (course.path.parent / "extensions.csv").write_text(
        "student,component,deadline,granted_by,reason\n" + extension, encoding="utf-8"
    )

    changed = _changed(_said(["final", "--course", str(course.path), "--out", str(out)], capsys))
    assert sorted(changed) == ["AE21B001", "CS21B042", "EE21B017"], changed
    # 80 points, 20% off for 2 days late: 64%; within the extended deadline: 80%
    assert changed["AE21B001"][0].startswith(
        "Assignment 1: LSTM gates: 64% -> 80% (late policy: was 1 d 10 h 1 min late (2 days):"
    ), changed
    assert changed["AE21B001"][0].endswith("now on time)"), changed
    assert any("LSTM gates: 80% -> 90% (a regrade accepted)" in c for c in changed["CS21B042"])
    assert any(f"marks changed: {criterion.id}" in c for c in changed["EE21B017"]), changed
    capsys.readouterr()
    again = mail_once(course, out, certificate)
    assert _mailed(again) == [
        "asha.verma@example.edu", "noor.khan@example.edu", "rahul.menon@example.edu"
    ]  # fmt: skip
    assert sorted(_changed(capsys.readouterr().out)) == ["AE21B001", "CS21B042", "EE21B017"]
    assert _mailed(mail_once(course, out, certificate)) == []


def test_an_earlier_builds_mail_with_no_copy_to_read_is_mailed_again_once_and_said(
    tmp_path, certificate, credentials, capsys
):
    """Sent with --send alone (no review copy): what it said cannot be known, so the student
    gets the figures now, once, and the instructor is told why."""
    course, _ = make_course(tmp_path, ROSTER)
    out = tmp_path / "graded"
    auto_result(out, "lstm_gates", "EE21B017", 90, handed_in_at=ON_TIME)
    lines = {c.title: "pending (not graded yet)" for c in course.components}
    lines[course.components[0].title] = "90.0%"
    standing = "Standing so far: 90.00 out of 100, over the graded components only"
    told = Told("EE21B017", "Rahul Menon", "rahul.menon@example.edu", lines, standing, {})
    server = start(Mailbox(), certificate)
    try:
        mailed_by_0_1(out, course.title, SENDER, [told], server.port, certificate[0])
    finally:
        server.stop()
    for copy in (out / "mail").glob("*.eml"):
        copy.unlink()
    final = _said(["final", "--course", str(course.path), "--out", str(out)], capsys)
    (said,) = _changed(final)["EE21B017"]
    assert "mailed by an earlier build" in said and str(out / "mail") in said, final
    capsys.readouterr()
    mailed = _mailed(mail_once(course, out, certificate))
    assert "rahul.menon@example.edu" in mailed, capsys.readouterr()
    assert "rahul.menon@example.edu" not in _mailed(mail_once(course, out, certificate))


def test_a_watch_reply_after_the_marks_mail_is_not_taken_for_it(
    tmp_path, certificate, credentials, capsys
):
    """The watch's replies go in mail_sent too (a digest without a scheme, as an earlier
    build's marks mail has): the marks mail before it is still the one compared."""
    course, _ = make_course(tmp_path)
    out = tmp_path / "graded"
    auto_result(out, "lstm_gates", "EE21B017", 90, handed_in_at=ON_TIME)
    assert _mailed(mail_once(course, out, certificate)) == [
        "asha.verma@example.edu", "priya.nair@example.edu", "rahul.menon@example.edu"
    ]  # fmt: skip
    # the watch answers a hand-in of Rahul's, as it queues and sends its replies
    sender, to = sender_address(SENDER), recipient("Rahul Menon", "rahul.menon@example.edu")
    reply = notice(sender, "EE21B017", to, "key-1", "receipt", "Received: lstm_gates", "Thanks.")
    watch = WatchBook(out / "gradebook.sqlite")
    try:
        watch.queue([reply])
    finally:
        watch.close()
    message = email.message_from_bytes(reply[3], policy=MAIL_POLICY)
    server = start(Mailbox(), certificate)
    try:
        with CourseBook(out / "gradebook.sqlite") as book:
            smtp.send(
                [smtp.Outgoing("EE21B017", [reply[2]], message, reply[0])],
                smtp.Smtp("127.0.0.1", server.port, "starttls", certificate[0]),
                book,
            )
    finally:
        server.stop()
    assert _changed(_said(["final", "--course", str(course.path), "--out", str(out)], capsys)) == {}
    assert _mailed(mail_once(course, out, certificate)) == []


def test_an_earlier_builds_mail_whose_page_changed_since_goes_again(
    tmp_path, certificate, credentials, capsys
):
    """The figures are the ones mailed, but the feedback page attached is not the one the
    earlier build's mail carried (graded again since, with other words): it is news."""
    course, _ = make_course(tmp_path, ROSTER)
    out = tmp_path / "graded"
    told = []
    for student, name, address in (
        ("EE21B017", "Rahul Menon", "rahul.menon@example.edu"),
        ("ME21B103", "Priya Nair", "priya.nair@example.edu"),
    ):
        auto_result(out, "lstm_gates", student, 90, handed_in_at=ON_TIME)
        page = out / "lstm_gates" / student / "feedback.html"
        page.parent.mkdir(parents=True, exist_ok=True)
        page.write_text("<!doctype html><title>lstm_gates</title><p>90 of 100</p>")
        lines = {c.title: "pending (not graded yet)" for c in course.components}
        lines[course.components[0].title] = "90.0%"
        standing = "Standing so far: 90.00 out of 100, over the graded components only"
        pages = {"lstm_gates-feedback.html": page.read_bytes()}
        told.append(Told(student, name, address, lines, standing, pages))
    server = start(Mailbox(), certificate)
    try:
        mailed_by_0_1(out, course.title, SENDER, told, server.port, certificate[0])
    finally:
        server.stop()
    page = out / "lstm_gates" / "ME21B103" / "feedback.html"
    page.write_text("<!doctype html><title>lstm_gates</title><p>90 of 100: fix gates</p>")
    assert _changed(_said(["final", "--course", str(course.path), "--out", str(out)], capsys)) == {}
    mailed = _mailed(mail_once(course, out, certificate))
    assert "priya.nair@example.edu" in mailed and "rahul.menon@example.edu" not in mailed


def test_a_student_whose_last_mail_is_not_on_record_is_not_listed_as_changed(
    tmp_path, certificate, credentials, capsys
):
    """After an upgrade, a student whose earlier mail left no figures on record (sent with
    --send alone: no copy to read) is said to be that, apart from the grades that changed: his
    figures may well be the same. The one whose grade did change is listed as changed."""
    course, _ = make_course(tmp_path, ROSTER)
    out = tmp_path / "graded"
    told = []
    for student, name, address, score, mailed in (
        ("EE21B017", "Rahul Menon", "rahul.menon@example.edu", 90, "90.0%"),
        ("CS21B042", "Asha Verma", "asha.verma@example.edu", 100, "70.0% (3 days late: -30%)"),
    ):
        auto_result(out, "lstm_gates", student, score, handed_in_at=ON_TIME)
        lines = {c.title: "pending (not graded yet)" for c in course.components}
        lines[course.components[0].title] = mailed
        standing = f"Standing so far: {mailed[:2]}.00 out of 100, over the graded components only"
        told.append(Told(student, name, address, lines, standing, {}))
    server = start(Mailbox(), certificate)
    try:
        mailed_by_0_1(out, course.title, SENDER, told, server.port, certificate[0], ["EE21B017"])
    finally:
        server.stop()
    review = ["mail", "--course", str(course.path), "--out", str(out), "--from", SENDER]
    for command in (["final", "--course", str(course.path), "--out", str(out)], review):
        output = _said(command, capsys)
        assert list(_changed(output)) == ["CS21B042"], output
        lines = output.splitlines()
        changed = lines.index(
            "grades changed since the student's last mail (1): grader mail --send mails each again"
        )
        heading = next(n for n, line in enumerate(lines) if "not known for 1" in line)
        assert heading > changed and "not on record" in lines[heading], output
        (line,) = [line for line in lines if line.startswith("  EE21B017: ")]
        assert lines.index(line) == heading + 1 and "->" not in line, output
        assert "not on record" in line and str(out / "mail") in line, output
    # mailed again with the figures now (what it had cannot be known), once; never told of a
    # change
    capsys.readouterr()
    mailbox = mail_once(course, out, certificate)
    assert "rahul.menon@example.edu" in _mailed(mailbox), capsys.readouterr()
    assert "changed:" not in _text(mailbox, "rahul.menon@example.edu")
    assert "rahul.menon@example.edu" not in _mailed(mail_once(course, out, certificate))
