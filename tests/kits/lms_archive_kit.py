"""LMS downloads of an assignment's submissions, named as each LMS's own code names them
(/work/shared/lms/FORMATS.md): Canvas ``lib/content_zipper.rb`` (``get_filename``,
``sanitize_user_name``, ``sanitize_file_name``, ``sanitize_attachment_filename``, the text
entry and redirect pages), Moodle ``mod/assign/locallib.php`` ``download_submissions`` (the
prefix, folders or flat), and the exports beside them (Canvas's gradebook CSV header, Moodle's
grading worksheet). Never this project's own reader turned around."""

from __future__ import annotations

import csv
import io
import json
import re
import unicodedata
import zipfile
from pathlib import Path

ROSTER = (
    "id,name,email,role\n"
    "2023001,Jürgen Müller,jmuller@example.edu,student\n"
    "2023002,Ana Pérez-Núñez,aperez@example.edu,student\n"
    "2023003,王小明,xwang@example.edu,student\n"
    "2023004,Ana Pérez,ana.perez1@example.edu,student\n"
    "2023005,Ana Pérez,ana.perez2@example.edu,student\n"
    "2023006,Priya Nair,pnair@example.edu,student\n"
    "TA01,Kiran Rao,kiran.rao@example.edu,staff\n"
)
COLAB = "https://colab.research.google.com/drive/1AbCdEfGhIjKlMnOpQrStUvWxYz012345"


def released(assignment: str, code: str = "x = 1") -> bytes:
    """A notebook as ``grader assign`` releases it and a student fills it in."""
    return json.dumps(
        {
            "cells": [
                {
                    "cell_type": "code",
                    "id": "c0",
                    "metadata": {},
                    "outputs": [],
                    "source": code,
                    "execution_count": None,
                }
            ],
            "metadata": {"grader": {"assignment": assignment}},
            "nbformat": 4,
            "nbformat_minor": 5,
        }
    ).encode()


def plain_notebook(code: str = "y = 2") -> bytes:
    """A notebook with no release mark (a student's own), named by nothing."""
    body = json.loads(released("x", code))
    body["metadata"] = {}
    return json.dumps(body).encode()


def zipped(entries: dict[str, bytes]) -> bytes:
    buffer = io.BytesIO()
    with zipfile.ZipFile(buffer, "w", zipfile.ZIP_DEFLATED) as archive:
        for name, data in entries.items():
            archive.writestr(name, data)
    return buffer.getvalue()


# --- Canvas: lib/content_zipper.rb ---------------------------------------------------------


def canvas_prefix(sortable_name: str, user_id: int, late: bool) -> str:
    """``get_filename(get_user_name(...), submission)``."""
    user_name = re.sub(r"_(\d+)_", r"\1", sortable_name).lower()  # sanitize_user_name
    filename = "_".join([user_name, *(["LATE"] if late else []), str(user_id)])
    return "".join(char for char in filename if ruby_word(char))  # sanitize_file_name


def ruby_word(char: str) -> bool:
    """Ruby's ``[[:word:]]`` (Onigmo, Unicode): Letter, Mark, Decimal_Number,
    Connector_Punctuation. Python's ``\\w`` lacks the marks."""
    category = unicodedata.category(char)
    return category[0] in "LM" or category in ("Nd", "Pc")


_ATTACHMENT_UNSAFE = re.compile(r'[\x00/\\:*?"<>|]+')  # sanitize_attachment_filename


def canvas_upload(prefix: str, attachment_id: int, display_name: str) -> str:
    return f"{prefix}_{attachment_id}_{_ATTACHMENT_UNSAFE.sub('_', display_name)}"


def canvas_text_page(title: str, display_name: str, body: str) -> bytes:
    """``text_entry_page.html.erb``."""
    return (
        '<?xml version="1.0" encoding="UTF-8"?>\n<!DOCTYPE html>\n<html><head><meta '
        f'http-equiv="Content-Type" content="text/html; charset=utf-8"/><title>{title}: '
        f"{display_name}</title></head><body><h1>{title}: {display_name}</h1><div>{body}"
        "</div></body></html>"
    ).encode()


def canvas_link_page(url: str) -> bytes:
    """``redirect_page.html.erb``: a page that sends the browser on to the submitted URL."""
    return (
        '<html><head><meta http-equiv="Refresh" content="0; url=' + url + '"></head><body>'
        f'<a href="{url}">{url}</a></body></html>'
    ).encode()


def canvas_gradebook(rows: list[tuple[str, int, str, str]], path: Path) -> Path:
    """``lib/gradebook_exporter.rb`` with SIS ids: Student, ID, SIS User ID, SIS Login ID,
    Section, the assignment; the "Points Possible" row second."""
    with path.open("w", newline="", encoding="utf-8") as stream:
        writer = csv.writer(stream)
        writer.writerow(
            ["Student", "ID", "SIS User ID", "SIS Login ID", "Section", "Assignment 1 (5521)"]
        )
        writer.writerow(["    Points Possible", "", "", "", "", "100.00"])
        for name, user_id, sis, login in rows:
            writer.writerow([name, user_id, sis, login, "LSTM101", ""])
    return path


# --- Moodle: mod/assign/locallib.php download_submissions ---------------------------------


def clean_filename(text: str) -> str:
    """Moodle's ``clean_filename`` as it treats these names (PARAM_FILE: drops control
    characters and ``/\\:*?"<>|``)."""
    return re.sub(r'[\x00-\x1f/\\:*?"<>|]', "", text)


def moodle_entry(fullname: str, participant: int, name: str, folders: bool, plugin="file") -> str:
    prefix = clean_filename(fullname.replace("_", " ") + "_" + str(participant))
    if folders:
        return clean_filename(f"{prefix}_assignsubmission_{plugin}_") + "/" + name
    return clean_filename(f"{prefix}_assignsubmission_{plugin}_{name}")


def moodle_onlinetext(body: str) -> bytes:
    return (
        '<!DOCTYPE html><html><head><meta charset="UTF-8"></head><body>' + body + "</body></html>"
    ).encode()


def moodle_worksheet(rows: list[tuple[int, str, str, str, str]], path: Path) -> Path:
    """The grading worksheet (``gradingtable.php``): Identifier "Participant N", Full name,
    the identity fields, Status, ..., Last modified (submission) as ``userdate`` writes it."""
    with path.open("w", newline="", encoding="utf-8") as stream:
        writer = csv.writer(stream)
        writer.writerow(
            [
                "Identifier",
                "Full name",
                "Email address",
                "ID number",
                "Status",
                "Grade",
                "Maximum Grade",
                "Grade can be changed",
                "Last modified (submission)",
                "Last modified (grade)",
                "Feedback comments",
            ]
        )
        for participant, name, email, number, modified in rows:
            writer.writerow(
                [
                    f"Participant {participant}",
                    name,
                    email,
                    number,
                    "Submitted for grading",
                    "",
                    "100.00",
                    "Yes",
                    modified,
                    "-",
                    "",
                ]
            )
    return path


# --- Blackboard: nbgrader's fixtures, CodeGra.de's parser and test data --------------------

_NO_TEXT = "There is no student submission text data for this assignment."


def blackboard_attempt(
    assignment: str,
    username: str,
    name: str,
    stamp: str,
    submitted: str,
    files: dict[str, bytes],
    text: str = _NO_TEXT,
) -> dict[str, bytes]:
    """One attempt: the receipt ``<assignment>_<username>_attempt_<stamp>.txt`` as CodeGra.de's
    ``_TXT_FMT`` reads it, and a ``…_attempt_<stamp>_<file>`` entry per file."""
    key = f"{assignment}_{username}_attempt_{stamp}"
    listed = "".join(
        f"\tOriginal filename: {original}\n\tFilename: {key}_{original}\n" for original in files
    )
    receipt = (
        f"Name: {name} ({username})\nAssignment: {assignment}\nDate Submitted: {submitted}\n"
        f"Current Grade: \n\nSubmission Field:\n{text}\n\nComments:\nThere are no student "
        f"comments for this assignment.\n\nFiles:\n"
        + (listed or "No files were attached to this submission.\n")
    )
    return {f"{key}.txt": receipt.encode()} | {f"{key}_{n}": d for n, d in files.items()}


def blackboard_grade_center(rows: list[tuple[str, str, str, str]], path: Path) -> Path:
    """Grade Center's "Work offline" download: Last Name, First Name, Username, Student ID,
    Last Access, Availability, one column per item; tab-separated UTF-16 (its ``.xls``)."""
    lines = ['"Last Name"\t"First Name"\t"Username"\t"Student ID"\t"Last Access"\t"Availability"']
    lines += [
        f'"{last}"\t"{first}"\t"{user}"\t"{sid}"\t""\t"Yes"' for last, first, user, sid in rows
    ]
    path.write_bytes("\n".join(lines).encode("utf-16"))
    return path


# --- D2L Brightspace: d2lmf, lab-format.sh and other parsers --------------------------------


def d2l_entry(ids: str, name: str, when: str, file: str) -> str:
    """``<n>-<n> - <First Last> - <Mon D, YYYY HMM AM> - <file>`` (no colon in the time)."""
    return f"{ids} - {name} - {when} - {file}"


def d2l_grades(rows: list[tuple[str, str, str, str, str]], path: Path) -> Path:
    """The grades export: OrgDefinedId and Username written with "#", names, Email, the
    End-of-Line Indicator column (edubag's reader)."""
    with path.open("w", newline="", encoding="utf-8-sig") as stream:
        writer = csv.writer(stream)
        writer.writerow(
            [
                "OrgDefinedId",
                "Username",
                "Last Name",
                "First Name",
                "Email",
                "Lab 1 Points Grade <Numeric MaxPoints:100>",
                "End-of-Line Indicator",
            ]
        )
        for org, user, last, first, email in rows:
            writer.writerow([f"#{org}", f"#{user}", last, first, email, "", "#"])
    return path


# --- Gradescope: a real export's submission_metadata.yml structure ------------------------


def gradescope_metadata(submissions: dict[str, dict]) -> bytes:
    """``submission_metadata.yml`` as Ruby writes it: symbol keys (``:submitters:``), quoted
    SIDs, times as ``2024-03-15 00:12:09.123456000 Z``."""
    lines = ["---"]
    for folder, record in submissions.items():
        lines.append(f"{folder}:")
        lines.append("  :submitters:")
        for name, sid, email in record["submitters"]:
            lines += [f"  - :name: {name}", f"    :sid: '{sid}'", f"    :email: {email}"]
        lines.append(f"  :created_at: {record['created_at']}")
        lines += ["  :score: 0.0", "  :status: processed"]
        if record.get("history"):
            lines.append("  :history:")
            for number, at in enumerate(record["history"]):
                lines += [
                    "  - :submitters: []",
                    f"    :created_at: {at}",
                    "    :score: 0.0",
                    f"    :id: {218990001 + number}",
                ]
        else:
            lines.append("  :history: []")
    return ("\n".join(lines) + "\n").encode()
