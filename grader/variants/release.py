"""``grader assign --per-student``: one released notebook per roster student, each with their own
values in the text and code, and their id and variant fingerprint in its metadata; what each was
released is recorded in the course folder before the command ends.

The release itself (stubs, self-check, public cases computed on the student's values) is
:func:`grader.assignment.releasing.released_notebook`'s, handed in as ``build`` so that this
package stays below the release.
"""

from __future__ import annotations

import argparse
import os
import sys
import time
from collections.abc import Callable, Mapping
from dataclasses import replace
from datetime import UTC, datetime
from pathlib import Path

import nbformat

from grader import __version__
from grader.assignment import variant_substitute
from grader.assignment.config import CONFIG_NAME, AssignmentConfig
from grader.assignment.owned import owned_checksums
from grader.assignment.package import Assignment
from grader.assignment.source_notebook import read_source_notebook
from grader.assignment.variant_definition import (
    Definition,
    Value,
    check_class_size,
    read_definition,
)
from grader.course.config import COURSE_FILE, Course, find_course, load_course
from grader.errors import UserError
from grader.variants import draw, pools
from grader.variants.record import Released, read_record, students_said

Build = Callable[[Assignment, Mapping[str, object] | None], nbformat.NotebookNode]
_PROGRESS_STEPS = 20  # progress lines per release, whatever the class's size


def definition_of(config: AssignmentConfig) -> Definition:
    return read_definition(config.variants, config.directory / CONFIG_NAME)


def filled_source(
    notebook: nbformat.NotebookNode,
    config: AssignmentConfig,
    variant: Mapping[str, object] | None,
) -> tuple[nbformat.NotebookNode, dict[str, object]]:
    """The source notebook with one student's values (``variant``) or, without one, the
    class-wide values; and what the release's metadata says of them."""
    definition = definition_of(config)
    if variant is None:  # a per-student release checks them once, before the first student
        pools.check_questions(notebook, pools.read_pools(config), config.source)
    if definition.parameters:
        variant_substitute.check_names(
            notebook, definition, config.source, config.directory / CONFIG_NAME
        )

    def filled_with(values: Mapping[str, Value], student: str) -> nbformat.NotebookNode:
        if not definition.parameters:  # [[pools]] alone: the notebook's {{...}} are its text
            return notebook
        return variant_substitute.filled(notebook, values, student)

    if variant is None:
        filled = filled_with(definition.class_wide(), "(class-wide)")
        return filled, {"class_wide": True, "definition": definition.fingerprint}
    values = variant["values"]
    if not isinstance(values, Mapping):
        raise TypeError("a variant's values are a mapping of names to values")
    filled = filled_with(values, str(variant["student"]))
    said = {"student": variant["student"], "fingerprint": variant["fingerprint"]}
    if variant.get("questions"):
        said["questions"] = variant["questions"]
    return filled, said


def drawn_questions(
    notebook: nbformat.NotebookNode, assignment: Assignment, variant: Mapping[str, object] | None
) -> tuple[nbformat.NotebookNode, Assignment]:
    """The notebook and assignment of the student's drawn questions (``variant``'s
    ``questions``), or as they are for a variant without (and for the class-wide notebook)."""
    questions = (variant or {}).get("questions")
    if not isinstance(questions, Mapping) or not questions:
        return notebook, assignment
    notebook, config = pools.drawn_only(notebook, assignment.config, dict(questions))
    return notebook, replace(assignment, config=config)


def course_of(assignment_dir: Path, given: str | None) -> Course:
    """The course ``--course`` names, else the one whose folder holds the assignment's, else
    the one found from here."""
    if given is None:
        for folder in Path(assignment_dir).resolve().parents:
            if (folder / COURSE_FILE).is_file():
                return load_course(folder / COURSE_FILE)
    return load_course(find_course(given))


def release_per_student(
    assignment: Assignment, course: Course, out_dir: Path, build: Build
) -> tuple[Path, list[draw.StudentValues]]:
    """Write every roster student's notebook to ``out_dir/<name>/<id>_<name>.ipynb``, record
    the newly released, and return the folder and every student's values: all of them, once
    every notebook was made, or none."""
    config = assignment.config
    pooled = pools.read_pools(config)
    if not config.variants and not pooled:
        raise UserError(
            f"{config.directory / CONFIG_NAME} declares no [variants] and no [[pools]]: every"
            f" student gets the same notebook, so release it without --per-student"
        )
    pools.check_questions(read_source_notebook(config.source), pooled, config.source)
    definition = definition_of(config)
    roster = course.roster()
    students = roster.students
    draw.check_ids(students, roster.path)
    if definition.parameters:
        check_class_size(definition, len(students), config.directory / CONFIG_NAME)
    course_dir = course.path.parent
    record = read_record(course_dir, config.name)
    key = draw.course_key(course_dir)
    everyone = draw.draw(key, config.name, definition, students, record)
    progress = Progress(len(everyone))
    now = datetime.now(UTC).isoformat(timespec="seconds")
    # Every student's notebook is made before any is written: a release that fails on one
    # student's values (or is refused) writes and records nothing, so nobody is pinned to a
    # definition they were never handed.
    made: list[tuple[draw.StudentValues, str, Released | None]] = []
    for student in everyone:
        questions = pools.questions_of(record, key, config.name, student.student, pooled)
        variant = {
            "student": student.student,
            "fingerprint": student.fingerprint,
            "values": student.values,
            "questions": questions,
        }
        notebook = build(assignment, variant)
        released = None
        if not student.released_at:
            checksums = owned_checksums(notebook)
            released = Released(
                student.values,
                student.definition,
                student.fingerprint,
                now,
                questions,
                checksums,
                __version__,
            )
        made.append((student, _text(notebook), released))
        progress.one_more()
    folder = out_dir / config.name
    folder.mkdir(parents=True, exist_ok=True)
    print(f"writing {len(made)} notebooks into {folder}/", file=sys.stderr, flush=True)
    try:
        for student, text, released in made:
            _write(text, folder / f"{student.student}_{config.name}.ipynb")
            if released is not None:
                record.add(student.student, released, definition)
    finally:  # those written before a failure to write (a full disk) or Ctrl-C are recorded
        if record.students:
            record.save()
    return folder, everyone


class Progress:
    """``preparing 40/500 students (3.1 s, about 35 s left)`` on stderr, about 20 times a
    release whatever the class's size: what is being done, never an outcome (nothing is
    released until every notebook is made and written)."""

    def __init__(self, total: int) -> None:
        self.total, self.done = total, 0
        self.every = max(1, total // _PROGRESS_STEPS)
        self.began = time.monotonic()

    def one_more(self) -> None:
        self.done += 1
        if self.done % self.every and self.done != self.total:
            return
        spent = time.monotonic() - self.began
        left = spent / self.done * (self.total - self.done)
        print(
            f"preparing {self.done}/{self.total} students ({spent:.1f} s, about {left:.0f} s left)",
            file=sys.stderr,
            flush=True,
        )


def _text(notebook: nbformat.NotebookNode) -> str:
    """The notebook as nbformat.write writes it, without validating again what the release
    just validated."""
    text = nbformat.v4.nbjson.writes(notebook)
    return text if text.endswith("\n") else text + "\n"


def _write(text: str, path: Path) -> None:
    partial = path.with_name(f".{path.name}.{os.getpid()}.partial")  # a reader never sees half
    partial.write_text(text, encoding="utf-8")
    os.replace(partial, path)


def definitions_said(everyone: list[draw.StudentValues], current: Definition) -> list[str]:
    """Which students were released which definition, when not all the current one."""
    by_definition: dict[str, list[str]] = {}
    for student in everyone:
        by_definition.setdefault(student.definition, []).append(student.student)
    if set(by_definition) <= {current.fingerprint}:
        return []
    lines = []
    for fingerprint, ids in by_definition.items():
        which = (
            "the current [variants]"
            if fingerprint == current.fingerprint
            else "an earlier [variants]; they keep its values"
        )
        shown = ", ".join(ids[:10]) + (", ..." if len(ids) > 10 else "")
        lines.append(f"definition {fingerprint} ({which}): {students_said(len(ids))} ({shown})")
    return lines


def cli(assignment: Assignment, args: argparse.Namespace, build: Build) -> int:
    """``grader assign ASSIGNMENT --per-student [--course C] [--out DIR]``."""
    course = course_of(assignment.config.directory, args.course)
    folder, everyone = release_per_student(assignment, course, Path(args.out), build)
    for line in definitions_said(everyone, definition_of(assignment.config)):
        print(line)
    course_dir, config = course.path.parent, assignment.config
    record, key = read_record(course_dir, config.name), draw.course_key(course_dir)
    for line in pools.kept_draws_said(record, key, config.name, pools.read_pools(config)):
        print(line)
    print(
        f"Released {len(everyone)} per-student notebook{'' if len(everyone) == 1 else 's'} of"
        f" {assignment.config.name} in"
        f" {folder}/ (<id>_{assignment.config.name}.ipynb, for mail or an LMS upload); what each"
        f" student was released is recorded in"
        f" {course.path.parent / draw.FOLDER / (assignment.config.name + '.json')}."
        f" `grader variants {assignment.config.directory}` lists every student's values."
    )
    return 0
