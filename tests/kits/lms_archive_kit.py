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
    return re.sub(r"[^\w]", "", filename)  # sanitize_file_name: [^[[:word:]]] (Unicode)


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
