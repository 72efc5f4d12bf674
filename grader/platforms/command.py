"""``grader autograder NAME --for gradescope|prairielearn --out PATH``: the course's assignment
as the platform's autograder, to upload there (Gradescope's zip, PrairieLearn's question
folder); what each carries and how it runs: :mod:`grader.platforms`."""

from __future__ import annotations

import argparse
from pathlib import Path

from grader.course.config import Course, find_course, load_course
from grader.errors import UserError
from grader.platforms.gradescope_export import write_gradescope_zip
from grader.platforms.prairielearn_export import write_question

PLATFORMS = ("gradescope", "prairielearn")


def add_arguments(parser: argparse.ArgumentParser) -> None:
    parser.add_argument(
        "name", metavar="NAME", help="the assignment: its component id in course.toml"
    )
    parser.add_argument(
        "--for",
        dest="platform",
        required=True,
        choices=PLATFORMS,
        help="gradescope: an autograder zip to upload; prairielearn: a question folder and "
        "its image's build",
    )
    parser.add_argument(
        "--out",
        required=True,
        help="the zip to write (gradescope: autograder.zip), or a new folder (prairielearn)",
    )
    parser.add_argument(
        "--course", default=None, help="course.toml or its folder (default: found from here)"
    )
    parser.add_argument(
        "--image",
        default=None,
        help="prairielearn: the Docker Hub name the question's image is pushed as "
        "(default: lstm-grader-NAME; change it in info.json before uploading)",
    )


def _component(course: Course, name: str) -> None:
    component = course.component(name)
    if component is None:
        known = ", ".join(c.id for c in course.components if c.kind == "auto")
        raise UserError(f"{course.path} has no component {name!r}; its assignments: {known}")
    if component.kind != "auto":
        raise UserError(
            f"{name} is a {component.kind} component: only auto-graded assignments can be "
            "exported as a platform's autograder"
        )
    if not course.assignment_folder(name).is_dir():
        raise UserError(f"{course.assignment_folder(name)}: no such assignment folder")


def cli(args: argparse.Namespace) -> int:
    course = load_course(find_course(args.course))
    _component(course, args.name)
    out = Path(args.out)
    if args.platform == "gradescope":
        if args.image is not None:
            raise UserError("--image is PrairieLearn's: a Gradescope autograder has no image name")
        if out.suffix.lower() != ".zip":
            raise UserError(f"--out {out}: name the zip to write, e.g. autograder.zip")
        write_gradescope_zip(course, args.name, out)
        print(f"wrote {out}: upload it in the assignment's Configure Autograder page")
        return 0
    write_question(course, args.name, out, args.image or f"lstm-grader-{args.name}")
    print(
        f"wrote the question folder {out}: build and push {out}/image (its Dockerfile says how), "
        "then copy the folder into your course's questions/"
    )
    return 0
