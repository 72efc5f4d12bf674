"""``grader init DIR``: a ready course folder, made from the course that ships with the grader.

The folder holds everything a course needs and nothing of the grader's code: ``course.toml``
(components, weights, late policy), ``roster.csv``, ``assignments/<name>/`` for each shipped
assignment (with its instructor-only ``grading.py``), ``assignments/projects/`` (the rubric) and
a README of the next commands. An existing file is never overwritten.
"""

from __future__ import annotations

import argparse
import re
import shutil
from pathlib import Path

from grader.errors import UserError
from grader.inputs.resources import shipped_course

# The shipped course.toml lies in assignments/ and names the repository's example roster; a new
# course's lies beside its own roster and its assignments/ folder.
_OWN_PATHS = {"roster": "roster.csv", "projects": "assignments/projects"}
_ROSTER = """id,name,email,role
CS21B000,Example Student,example.student@example.edu,student
TA00,Example Assistant,example.assistant@example.edu,staff
"""
_SKIPPED = ("__pycache__", "*.pyc")

_README = """# {title}

A course folder made by `grader init`. Everything here is yours to edit: the grader reads it,
and writes only the folders you name with `--out`.

| path | what |
|---|---|
| `course.toml` | the components, their weights and deadlines, the late policy |
| `roster.csv` | `id,name,email,role`: replace the two example rows with your class |
| `assignments/<name>/` | one assignment: `assignment.toml`, `source.ipynb`, `grading.py` |
| `assignments/projects/` | the projects' settings and marking rubric |
| `assignments/README.md` | how to write an assignment of your own |

Next steps, run in this folder (the course commands find `course.toml` here, or in any
folder below it; from elsewhere give `--course {folder}`):

```sh
cd {folder}
grader setup                     # once per machine: prepares the sandbox
grader setup --projects          # once: the projects' Colab-like runtime (about 3 GB)
grader assign assignments/lstm_gates --out release/                 # the student notebook
grader collect INBOX --out submissions/ --roster roster.csv         # hand-ins from a mailbox
grader grade --assignment assignments/lstm_gates --out graded/lstm_gates submissions/*/
grader grade --assignment assignments/projects --out graded submissions/*/
grader serve --out graded        # dashboard and project marking in the browser
grader final --out graded        # final grades, LMS exports
```
"""


def init_course(folder: Path) -> list[Path]:
    """Write a ready course into ``folder``; return the files written. Refuses a folder that
    already holds a course, so nothing an instructor edited is replaced."""
    folder = Path(folder)
    if (folder / "course.toml").exists():
        raise UserError(
            f"{folder} already holds a course (course.toml): nothing was changed. "
            "Give a new folder."
        )
    if folder.exists() and not folder.is_dir():
        raise UserError(f"{folder} is a file: give a folder for the new course")
    source = shipped_course()
    assignments = folder / "assignments"
    if assignments.exists():
        raise UserError(f"{assignments} already exists: nothing was changed. Give a new folder.")
    folder.mkdir(parents=True, exist_ok=True)
    shutil.copytree(source, assignments, ignore=shutil.ignore_patterns(*_SKIPPED, "course.toml"))
    course_toml = (source / "course.toml").read_text(encoding="utf-8")
    for key, path in _OWN_PATHS.items():
        course_toml = re.sub(rf'^{key} = "[^"]*"', f'{key} = "{path}"', course_toml, flags=re.M)
    (folder / "course.toml").write_text(course_toml, encoding="utf-8")
    (folder / "roster.csv").write_text(_ROSTER, encoding="utf-8")
    title = next(
        line.split("=", 1)[1].strip().strip('"')
        for line in course_toml.splitlines()
        if line.startswith("title")
    )
    (folder / "README.md").write_text(_README.format(title=title, folder=folder), "utf-8")
    return sorted(p for p in folder.rglob("*") if p.is_file())


def add_arguments(parser: argparse.ArgumentParser) -> None:
    parser.add_argument("folder", help="the new course's folder")


def cli(args: argparse.Namespace) -> int:
    folder = Path(args.folder)
    written = init_course(folder)
    names = sorted(p.name for p in (folder / "assignments").iterdir() if p.is_dir())
    print(f"wrote a course into {folder}/ ({len(written)} files): course.toml, roster.csv, ")
    print(f"  assignments/ ({', '.join(names)}) and README.md with the next commands.")
    print(f"Next: put your class into {folder}/roster.csv, then `grader setup`.")
    return 0
