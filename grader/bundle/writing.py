"""Writing a bundle: ``<id>.zip`` with its ``manifest.json``, and ``<id>.pdf``; and ``grader
bundle``, the command that does it."""

from __future__ import annotations

import argparse
import hashlib
import json
import shutil
import tempfile
import zipfile
from collections.abc import Mapping, Sequence
from dataclasses import dataclass, field
from datetime import datetime
from pathlib import Path
from typing import Any

from grader.bundle.checks import check_submission
from grader.bundle.findings import ProjectFindings, findings_text, project_findings
from grader.bundle.submission import Submission, read_submission
from grader.errors import UserError
from grader.inputs.resources import write_template
from grader.projects.kinds import FILE_ROLES

MANIFEST_NAME = "manifest.json"
MANIFEST_SCHEMA = 1


@dataclass(frozen=True)
class Bundle:
    zip_path: Path
    pdf_path: Path
    manifest: dict[str, Any]
    findings: list[ProjectFindings] = field(default_factory=list)


def sha256_file(path: Path) -> str:
    digest = hashlib.sha256()
    with path.open("rb") as stream:
        for chunk in iter(lambda: stream.read(1 << 20), b""):
            digest.update(chunk)
    return digest.hexdigest()


def make_manifest(
    submission: Submission, files: Mapping[str, str], paths: Sequence[Mapping[str, str]]
) -> dict[str, Any]:
    """The bundle manifest; ``paths`` holds each project's file paths inside the bundle by role."""
    student = submission.student
    return {
        "schema": MANIFEST_SCHEMA,
        "student": {"id": student.id, "name": student.name, "email": student.email},
        "projects": [
            {
                "title": project.title,
                "colab": project.colab,
                "notebook": where.get("notebook"),
                "report": where.get("report"),
                "dataset": where.get("dataset"),
                "dataset_link": project.dataset_link,
            }
            for project, where in zip(submission.projects, paths, strict=True)
        ],
        "created": datetime.now().astimezone().isoformat(timespec="seconds"),
        "files": dict(files),
    }


def _validated(submission_toml: Path) -> Submission:
    """The submission, or UserError listing every problem (nothing written)."""
    submission, problems = read_submission(submission_toml)
    problems += check_submission(submission)
    if problems:
        listing = "\n".join(f"  - {problem}" for problem in problems)
        raise UserError(
            f"{submission_toml} has {len(problems)} problem(s); nothing was written:\n{listing}"
        )
    return submission


def _stage(submission: Submission, root: Path) -> tuple[dict[str, str], list[dict[str, str]]]:
    """Each project's files copied under ``root`` as the bundle holds them: their SHA-256 by
    path, and each project's paths by role."""
    files: dict[str, str] = {}
    paths = []
    for number, project in enumerate(submission.projects, 1):
        where = {}
        for role in FILE_ROLES:
            source = getattr(project, role)
            if source is None:
                continue
            relpath = f"project{number}/{source.name}"
            if relpath in files:  # e.g. a dataset named like the report
                relpath = f"project{number}/{role}-{source.name}"
            (root / relpath).parent.mkdir(parents=True, exist_ok=True)
            shutil.copyfile(source, root / relpath)
            files[relpath] = sha256_file(root / relpath)
            where[role] = relpath
        paths.append(where)
    return files, paths


def build_bundle(submission_toml: Path, out_dir: Path) -> Bundle:
    """Validate ``submission_toml``; write ``<id>.zip`` and ``<id>.pdf`` into ``out_dir``,
    with what the course's checks will find in each project (``Bundle.findings``).

    Raises UserError listing every problem, before anything is written.
    """
    submission = _validated(submission_toml)
    out_dir.mkdir(parents=True, exist_ok=True)
    student_id = submission.student.id
    with tempfile.TemporaryDirectory(dir=out_dir, prefix=".bundle-") as staging_name:
        staging = Path(staging_name)
        root = staging / student_id
        files, paths = _stage(submission, root)
        told = project_findings(submission, root, paths)
        manifest = make_manifest(submission, files, paths)
        (root / MANIFEST_NAME).write_text(json.dumps(manifest, indent=2, ensure_ascii=False) + "\n")

        zip_tmp = staging / "bundle.zip"
        write_zip(root, [*files, MANIFEST_NAME], zip_tmp)
        pdf_tmp = staging / "bundle.pdf"
        # Here, not at the top: reportlab, pypdf and the fonts are a second of imports that
        # every command reading a manifest (grade, collect, the watch) would pay for nothing.
        from grader.pdf.submission import write_submission_pdf

        write_submission_pdf(manifest, root, pdf_tmp)
        zip_path, pdf_path = out_dir / f"{student_id}.zip", out_dir / f"{student_id}.pdf"
        zip_tmp.replace(zip_path)
        pdf_tmp.replace(pdf_path)
    return Bundle(zip_path=zip_path, pdf_path=pdf_path, manifest=manifest, findings=told)


def check_bundle(submission_toml: Path) -> list[ProjectFindings]:
    """What ``build_bundle`` would say, writing nothing: UserError listing every problem, or
    what the course's checks will find in each project."""
    submission = _validated(submission_toml)
    with tempfile.TemporaryDirectory(prefix="grader-bundle-check-") as staging:
        root = Path(staging) / submission.student.id
        _, paths = _stage(submission, root)
        return project_findings(submission, root, paths)


def write_zip(root: Path, relpaths: Sequence[str], output: Path) -> None:
    with zipfile.ZipFile(output, "w", compression=zipfile.ZIP_DEFLATED) as archive:
        for relpath in relpaths:
            archive.write(root / relpath, relpath)


def add_arguments(parser: argparse.ArgumentParser) -> None:
    parser.add_argument(
        "submission", nargs="?", help="submission.toml (--template writes one to fill in)"
    )
    parser.add_argument(
        "--template",
        metavar="FILE",
        default=None,
        help="write a submission.toml to fill in to FILE",
    )
    parser.add_argument("--out", default="bundle", help="output folder (default: bundle/)")
    parser.add_argument(
        "--check",
        action="store_true",
        help="check the hand-in and say what the course's checks will find; write nothing",
    )


def cli(args: argparse.Namespace) -> int:
    if args.template:
        write_template("submission.toml", Path(args.template))
        print(
            f"wrote {args.template}: fill it in next to your files, "
            f"then grader bundle {args.template}"
        )
        return 0
    if args.submission is None:
        raise UserError("give your submission.toml, or --template FILE to write one to fill in")
    if args.check:
        print(findings_text(check_bundle(Path(args.submission))))
        print("Nothing was written (--check). Without --check, the bundle is written as well.")
        return 0
    bundle = build_bundle(Path(args.submission), Path(args.out))
    print(findings_text(bundle.findings))
    print(f"Bundle: {bundle.zip_path}")
    print(f"Submission PDF: {bundle.pdf_path}")
    print("Email both files, before the deadline, to the address the course gives.")
    return 0
