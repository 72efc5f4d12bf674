"""Student submission bundles: validate a ``submission.toml``, write ``<id>.zip`` and ``<id>.pdf``.

A bundle zip holds each project's files under ``project<N>/`` and a ``manifest.json`` naming the
student, the projects and the SHA-256 of every file; the PDF is :mod:`grader.pdf.submission`'s.
``grader collect`` reads the same manifest and renders the same PDF for every student it
collects.

The modules, by job: :mod:`~grader.bundle.submission` reads what ``submission.toml`` says,
:mod:`~grader.bundle.checks` finds everything wrong with it, :mod:`~grader.bundle.findings`
tells what the course's checks of substance will find, :mod:`~grader.bundle.writing` writes
the bundle (and is ``grader bundle``; ``--check`` writes nothing). This is the student's side:
it imports only the base install's dependencies.
"""

from __future__ import annotations

from grader.bundle.checks import check_notebook, check_submission
from grader.bundle.submission import (
    EMAIL,
    STUDENT_ID,
    Student,
    Submission,
    SubmittedProject,
    find_colab_links,
    is_colab_link,
    read_submission,
)
from grader.bundle.writing import (
    MANIFEST_NAME,
    MANIFEST_SCHEMA,
    Bundle,
    add_arguments,
    build_bundle,
    check_bundle,
    cli,
)

__all__ = [
    "EMAIL",
    "MANIFEST_NAME",
    "MANIFEST_SCHEMA",
    "STUDENT_ID",
    "Bundle",
    "SubmittedProject",
    "Student",
    "Submission",
    "add_arguments",
    "build_bundle",
    "check_bundle",
    "check_notebook",
    "check_submission",
    "cli",
    "find_colab_links",
    "is_colab_link",
    "read_submission",
]
