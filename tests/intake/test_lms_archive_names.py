"""The names each LMS writes, read as that LMS means them (tests/kits/lms_archive_kit.py and
/work/shared/lms/FORMATS.md): the traps of separators, localized words and renamed files."""

from __future__ import annotations

from datetime import UTC, timedelta, timezone

from lms_archive_kit import blackboard_attempt, canvas_prefix, canvas_upload, d2l_entry

from grader.intake.lms_archives import blackboard, canvas, d2l, recognise

IST = timezone(timedelta(hours=5, minutes=30))


def never(name: str) -> bytes:
    raise AssertionError(f"{name} read: these names need no content")


def test_canvas_user_id_is_the_first_number_after_the_name_even_for_a_numeric_name() -> None:
    names = [
        canvas_upload(canvas_prefix("mary_ann, smith", 48300, False), 1190001, "a_b_1.ipynb"),
        canvas_upload(canvas_prefix("2023001", 48301, True), 1190002, "model.tar.gz"),
    ]
    read = canvas.read(names, never, UTC)
    assert [(u.who.key, u.late_verdict) for u in read.submissions] == [
        ("48300", ""),
        ("48301", "Canvas's LATE mark"),
    ]
    assert list(read.submissions[0].names.values()) == ["a_b_1.ipynb"]
    assert canvas.original_name("lstm_lab-1.ipynb") == "lstm_lab.ipynb"
    assert canvas.original_name("model-2.tar.gz") == "model.tar.gz"
    assert canvas.original_name("test-1.test.test.pdf") == "test.test.test.pdf"


def test_blackboard_in_dutch_with_underscores_in_assignment_and_username() -> None:
    attempt = blackboard_attempt(
        "Opgave_week 4", "j_muller", "Jürgen Müller", "2024-03-15-00-12-09",
        "vrijdag 15 maart 2024 00:12:09 uur CET", {"lstm_lab.ipynb": b"{}"},
    )  # fmt: skip
    dutch = {
        name.replace("_attempt_", "_poging_"): data.replace(b"Name:", b"Naam:")
        for name, data in attempt.items()
    }
    names = sorted(dutch)
    read = blackboard.read(names, dutch.__getitem__, IST)
    (upload,) = read.submissions
    assert upload.who.key == "j_muller" and upload.who.name == "Jürgen Müller"
    assert upload.sent_at == "2024-03-15T00:12:09+01:00"  # the receipt's CET
    assert list(upload.names.values()) == ["lstm_lab.ipynb"]


def test_d2l_names_with_hyphens_and_windows_times() -> None:
    names = [
        d2l_entry("840137-90210", "Ana Pérez-Núñez - Lab", "Jan 9, 2012 11_55 AM", "a - b.ipynb"),
        "840138-90211 - Johnny Cache - Sep 12, 2015 6:31 PM/lab.ipynb",  # the older layout
    ]
    read = d2l.read(names, never, IST)
    assert [(u.who.name, u.sent_at) for u in read.submissions] == [
        ("Ana Pérez-Núñez - Lab", "2012-01-09T11:55:00+05:30"),
        ("Johnny Cache", "2015-09-12T18:31:00+05:30"),
    ]
    assert list(read.submissions[0].names.values()) == ["a - b.ipynb"]


def test_each_lms_is_told_by_its_names() -> None:
    canvas_names = [canvas_upload(canvas_prefix("Müller, Jürgen", 1, False), 2, "x.ipynb")]
    moodle_names = ["Jürgen Müller_1734021_assignsubmission_file_/x.ipynb"]
    board = sorted(blackboard_attempt("A 1", "jm", "J M", "2024-03-15-00-12-09", "", {"x": b""}))
    d2l_names = ["index.html", d2l_entry("1-2", "J M", "Mar 15, 2024 1212 AM", "x.ipynb")]
    scope = ["assignment_1_export/submission_metadata.yml", "assignment_1_export/submission_9/x"]
    for names, made_by in (
        (canvas_names, canvas),
        (moodle_names, recognise.moodle),
        (board, blackboard),
        (d2l_names, d2l),
        (scope, recognise.gradescope),
    ):
        assert recognise.reader_of("x.zip", names) is made_by
